-- OpenID Connect standard claims of the `phone` and `address` scopes (OIDC Core §5.1, §5.4).
ALTER TABLE users ADD COLUMN phone_number TEXT;
ALTER TABLE users ADD COLUMN phone_number_verified BOOLEAN NOT NULL DEFAULT FALSE;
-- JSON object {formatted, street_address, locality, region, postal_code, country} (§5.1.1).
ALTER TABLE users ADD COLUMN address TEXT;
