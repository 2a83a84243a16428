-- Whether a month's file was built from the first-start sample: the index
-- says so beside each month. Bundles packed before this column existed were
-- marked synthetic in their manifests only.
ALTER TABLE bundles ADD COLUMN synthetic BOOLEAN NOT NULL DEFAULT FALSE;
-- Every real load asks whether the sample is still there: an index of the
-- sample's rows only answers that at once however large the history grows.
CREATE INDEX filings_synthetic ON filings (accession_number) WHERE source = 'synthetic';
