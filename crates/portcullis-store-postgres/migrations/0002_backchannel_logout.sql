-- OpenID Connect Back-Channel Logout: where each application receives logout tokens.
ALTER TABLE clients ADD COLUMN backchannel_logout_uri TEXT;
