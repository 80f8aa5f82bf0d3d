-- Download tokens are random (issue 14): a token is no longer HMAC(secret, grant id), so neither a secret nor
-- a database read derives one. The grant keeps the token sealed (AES-256-GCM under a key derived from
-- DOWNLOAD_TOKEN_SECRETS) only until its last email is sent, and the mailer then sets it to NULL.
-- Grants made before have no sealed token: a live one still waiting for an email gets a new random token
-- when that email is sent (the mailer), and links already sent keep working by their stored hash.
ALTER TABLE "download_grant" ADD COLUMN "token_sealed" TEXT;
-- When a sent email first carried the grant's link: from then on the link is never re-issued (the fan's copy
-- must keep working), even when a later email names the grant again.
ALTER TABLE "download_grant" ADD COLUMN "link_sent_at" TIMESTAMPTZ(3);
