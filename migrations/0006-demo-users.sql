-- Demo users (user1…user5, password "password123") are marked when seeded, so a production start can tell them
-- from real users and disable them.
ALTER TABLE users ADD COLUMN is_demo boolean NOT NULL DEFAULT false;
