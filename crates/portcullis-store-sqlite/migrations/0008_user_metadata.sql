-- Auth0's app_metadata and user_metadata (#13): JSON objects as text, '{}' for existing users.
ALTER TABLE users ADD COLUMN app_metadata TEXT NOT NULL DEFAULT '{}';
ALTER TABLE users ADD COLUMN user_metadata TEXT NOT NULL DEFAULT '{}';
