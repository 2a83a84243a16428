-- Bulk imports copy about nine child rows per filing. Two properties of the
-- child tables cost most of that (docs/BENCHMARKS.md, "Bulk import"):
--
-- * Their foreign keys to `filings` run an RI trigger query per copied row.
--   The store is the only writer of these tables and writes a filing and its
--   rows in one transaction; it deletes a replaced filing's rows itself
--   (`db::filings::store::delete_filings`), so the keys go.
-- * Accession numbers are ASCII identifiers compared for equality and in
--   order; under the database's C.UTF-8 collation every comparison of their
--   primary-key indexes goes through strcoll. "C" compares bytes, and orders
--   these values as C.UTF-8 did (code-point order over ASCII).
ALTER TABLE reporting_owners DROP CONSTRAINT reporting_owners_accession_number_fkey;
ALTER TABLE non_derivative_transactions DROP CONSTRAINT non_derivative_transactions_accession_number_fkey;
ALTER TABLE non_derivative_holdings DROP CONSTRAINT non_derivative_holdings_accession_number_fkey;
ALTER TABLE derivative_transactions DROP CONSTRAINT derivative_transactions_accession_number_fkey;
ALTER TABLE derivative_holdings DROP CONSTRAINT derivative_holdings_accession_number_fkey;
ALTER TABLE footnotes DROP CONSTRAINT footnotes_accession_number_fkey;
ALTER TABLE owner_signatures DROP CONSTRAINT owner_signatures_accession_number_fkey;

ALTER TABLE filings
    ALTER COLUMN accession_number TYPE TEXT COLLATE "C",
    ALTER COLUMN amends_accession_number TYPE TEXT COLLATE "C";
ALTER TABLE reporting_owners ALTER COLUMN accession_number TYPE TEXT COLLATE "C";
ALTER TABLE non_derivative_transactions ALTER COLUMN accession_number TYPE TEXT COLLATE "C";
ALTER TABLE non_derivative_holdings ALTER COLUMN accession_number TYPE TEXT COLLATE "C";
ALTER TABLE derivative_transactions ALTER COLUMN accession_number TYPE TEXT COLLATE "C";
ALTER TABLE derivative_holdings ALTER COLUMN accession_number TYPE TEXT COLLATE "C";
ALTER TABLE footnotes ALTER COLUMN accession_number TYPE TEXT COLLATE "C";
ALTER TABLE owner_signatures ALTER COLUMN accession_number TYPE TEXT COLLATE "C";
