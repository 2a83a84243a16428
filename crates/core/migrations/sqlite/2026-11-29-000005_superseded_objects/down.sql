DROP TABLE superseded_objects;
