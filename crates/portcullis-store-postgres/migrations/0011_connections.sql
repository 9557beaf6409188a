-- Upstream connections (social and enterprise sign-in).
--
-- Users who sign in through an upstream identity provider are keyed by (connection, upstream
-- subject) in `identities`. Their email must not be unique: the same address may belong to a
-- password user and to a Google user, who are different people until one proves both and links
-- them. `users.email` stays UNIQUE for the database connection's users (`connection IS NULL`), so
-- password sign-in, sign-up and reset by email find at most one account. For an upstream user
-- the store keeps the real address in `upstream_email` and writes a placeholder into `email` that
-- no canonical address can equal (a space followed by the user id), which keeps the UNIQUE
-- constraint without rebuilding the table.
ALTER TABLE users ADD COLUMN connection TEXT COLLATE "C";
ALTER TABLE users ADD COLUMN upstream_email TEXT;

CREATE TABLE identities (
    connection     TEXT    COLLATE "C" NOT NULL,
    subject        TEXT    COLLATE "C" NOT NULL, -- the upstream's stable user id (`sub`, GitHub's numeric id)
    strategy       TEXT    NOT NULL, -- oidc | google-oauth2 | github
    user_id        TEXT    COLLATE "C" NOT NULL,
    email          TEXT,
    email_verified BOOLEAN NOT NULL,
    name           TEXT,
    picture        TEXT,
    created_at     BIGINT  NOT NULL,
    updated_at     BIGINT  NOT NULL,
    PRIMARY KEY (connection, subject)
);
CREATE INDEX identities_user ON identities (user_id, created_at);
