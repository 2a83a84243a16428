DROP TABLE download_grants;
