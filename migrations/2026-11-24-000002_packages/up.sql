-- A namespace (`ns` in `ns/name`) belongs to whoever first published in it.
CREATE TABLE namespaces (
    name       TEXT PRIMARY KEY, -- canonical form
    owner_id   BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE packages (
    id             BIGSERIAL PRIMARY KEY,
    name           TEXT NOT NULL,         -- as first published
    canonical_name TEXT NOT NULL UNIQUE,  -- lowercase, `_` -> `-`
    namespace      TEXT REFERENCES namespaces (name),
    -- Searchable fields mirror the highest published version.
    description    TEXT NOT NULL DEFAULT '',
    repository_url TEXT,
    homepage       TEXT,
    license        TEXT,
    keywords       TEXT[] NOT NULL DEFAULT '{}',
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE package_owners (
    package_id BIGINT NOT NULL REFERENCES packages (id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (package_id, user_id)
);
CREATE INDEX package_owners_user ON package_owners (user_id);

CREATE TABLE versions (
    id               BIGSERIAL PRIMARY KEY,
    package_id       BIGINT NOT NULL REFERENCES packages (id) ON DELETE CASCADE,
    version          TEXT NOT NULL,  -- byte-identical to what was published
    -- The version without `+build` metadata: `1.0.0+a` and `1.0.0+b` conflict.
    version_key      TEXT NOT NULL,
    checksum         TEXT NOT NULL,  -- lowercase hex sha256 of the tarball
    size_bytes       BIGINT NOT NULL,
    description      TEXT NOT NULL DEFAULT '',
    repository_url   TEXT,
    homepage         TEXT,
    license          TEXT,
    keywords         TEXT[] NOT NULL DEFAULT '{}',
    authors          TEXT[] NOT NULL DEFAULT '{}',
    sema_version_req TEXT,
    entrypoint       TEXT,
    readme           TEXT,
    published_by     BIGINT REFERENCES users (id),
    yanked           BOOLEAN NOT NULL DEFAULT FALSE,
    yanked_at        TIMESTAMPTZ,
    published_at     TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    UNIQUE (package_id, version_key)
);
CREATE INDEX versions_package_published ON versions (package_id, published_at DESC);

CREATE TABLE dependencies (
    version_id     BIGINT NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    canonical_name TEXT NOT NULL,
    req            TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('registry', 'git')),
    PRIMARY KEY (version_id, name)
);
CREATE INDEX dependencies_canonical ON dependencies (canonical_name);

-- Per-day download counts, filled by batched upserts from each instance's
-- in-memory counter; never written per request.
CREATE TABLE version_downloads (
    version_id BIGINT NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
    date       DATE NOT NULL,
    downloads  BIGINT NOT NULL,
    PRIMARY KEY (version_id, date)
);
