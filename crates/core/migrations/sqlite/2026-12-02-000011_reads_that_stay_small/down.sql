DROP INDEX filings_real;
DROP TABLE edgar_mark;
DROP TABLE month_latest_jobs;
