-- Bundle objects the index no longer points to. Every stored object is
-- immutable (its key names its sha256), so a regenerated month is a new
-- object; the old one stays readable for downloads already under way and
-- for signed URLs already handed out, and the nightly run deletes it once
-- that retention has passed.
CREATE TABLE superseded_objects (
    object_key TEXT PRIMARY KEY,
    superseded_at TIMESTAMP NOT NULL
);
CREATE INDEX superseded_objects_by_time ON superseded_objects (superseded_at);
