ALTER TABLE filings
    ALTER COLUMN accession_number TYPE TEXT COLLATE "default",
    ALTER COLUMN amends_accession_number TYPE TEXT COLLATE "default";
ALTER TABLE reporting_owners ALTER COLUMN accession_number TYPE TEXT COLLATE "default";
ALTER TABLE non_derivative_transactions ALTER COLUMN accession_number TYPE TEXT COLLATE "default";
ALTER TABLE non_derivative_holdings ALTER COLUMN accession_number TYPE TEXT COLLATE "default";
ALTER TABLE derivative_transactions ALTER COLUMN accession_number TYPE TEXT COLLATE "default";
ALTER TABLE derivative_holdings ALTER COLUMN accession_number TYPE TEXT COLLATE "default";
ALTER TABLE footnotes ALTER COLUMN accession_number TYPE TEXT COLLATE "default";
ALTER TABLE owner_signatures ALTER COLUMN accession_number TYPE TEXT COLLATE "default";

-- Rows whose filing is gone would block the keys; the store never left any.
ALTER TABLE reporting_owners ADD FOREIGN KEY (accession_number) REFERENCES filings (accession_number) ON DELETE CASCADE;
ALTER TABLE non_derivative_transactions ADD FOREIGN KEY (accession_number) REFERENCES filings (accession_number) ON DELETE CASCADE;
ALTER TABLE non_derivative_holdings ADD FOREIGN KEY (accession_number) REFERENCES filings (accession_number) ON DELETE CASCADE;
ALTER TABLE derivative_transactions ADD FOREIGN KEY (accession_number) REFERENCES filings (accession_number) ON DELETE CASCADE;
ALTER TABLE derivative_holdings ADD FOREIGN KEY (accession_number) REFERENCES filings (accession_number) ON DELETE CASCADE;
ALTER TABLE footnotes ADD FOREIGN KEY (accession_number) REFERENCES filings (accession_number) ON DELETE CASCADE;
ALTER TABLE owner_signatures ADD FOREIGN KEY (accession_number) REFERENCES filings (accession_number) ON DELETE CASCADE;
