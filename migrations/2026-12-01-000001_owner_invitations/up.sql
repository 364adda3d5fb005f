-- Owners join by invitation: adding someone creates a row here, and only the
-- invitee's acceptance turns it into a package_owners row. Until then they
-- are not listed and have no rights. Expired rows are ignored (and replaced
-- by a new invitation).
CREATE TABLE owner_invitations (
    package_id BIGINT NOT NULL REFERENCES packages (id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    invited_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at TIMESTAMPTZ NOT NULL DEFAULT now() + interval '30 days',
    PRIMARY KEY (package_id, user_id)
);
CREATE INDEX owner_invitations_user ON owner_invitations (user_id);

-- A username is its owner's namespace. Accounts from before this rule get
-- theirs now, unless someone already publishes in it (the publisher keeps it).
INSERT INTO namespaces (name, owner_id)
SELECT lower(username), id FROM users
ON CONFLICT (name) DO NOTHING;
