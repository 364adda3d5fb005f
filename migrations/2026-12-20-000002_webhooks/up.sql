-- Signed webhooks (issue 21): a package's subscriptions, and the outbox of
-- their deliveries. A delivery row is written in the transaction of the
-- change that caused it (usecase::record), so a change and its notification
-- stand or fall together; every instance's worker claims due rows with
-- FOR UPDATE SKIP LOCKED.
CREATE TABLE webhooks (
    id BIGSERIAL PRIMARY KEY,
    package_id BIGINT NOT NULL REFERENCES packages (id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    events TEXT[] NOT NULL,
    -- Shown once at creation; kept to sign each delivery.
    secret TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Since when every attempt has failed (NULL after a success).
    failing_since TIMESTAMPTZ,
    disabled_at TIMESTAMPTZ,
    disabled_reason TEXT,
    CONSTRAINT webhooks_disabled_whole CHECK ((disabled_at IS NULL) = (disabled_reason IS NULL))
);
CREATE INDEX webhooks_package ON webhooks (package_id);

CREATE TABLE webhook_deliveries (
    id UUID PRIMARY KEY,
    webhook_id BIGINT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event TEXT NOT NULL,
    -- The exact body sent (and signed) on every attempt.
    payload TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts INT NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- When a pending delivery is due; while an instance sends it, a lease ahead.
    next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_attempt_at TIMESTAMPTZ,
    response_code INT,
    duration_ms INT,
    error TEXT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, created_at DESC);
