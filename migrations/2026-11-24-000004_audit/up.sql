-- Every mutation, with who did it, how (token or session), from where, and when.
CREATE TABLE audit_log (
    id         BIGSERIAL PRIMARY KEY,
    at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    action     TEXT NOT NULL,
    actor_id   BIGINT REFERENCES users (id) ON DELETE SET NULL,
    -- The name as it was (or the name tried, for a failed sign-in).
    actor      TEXT,
    token_id   BIGINT,
    package_id BIGINT REFERENCES packages (id) ON DELETE SET NULL,
    package    TEXT,
    version    TEXT,
    subject    TEXT,
    ip         TEXT,
    user_agent TEXT
);
CREATE INDEX audit_log_package ON audit_log (package_id, at DESC);
CREATE INDEX audit_log_at ON audit_log (at DESC);
CREATE INDEX audit_log_actor ON audit_log (actor_id, at DESC);

-- `sema-pkg package remove` leaves a tombstone so nobody else can take the name.
ALTER TABLE packages ADD COLUMN removed_at TIMESTAMPTZ;
