DROP TABLE bundles;
DROP TABLE jobs;
