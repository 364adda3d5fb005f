-- The bulk seeder's runs (`sema-pkg seed --packages`), so an interrupted run
-- resumes where it stopped: what it was asked, the id ranges it reserved, the
-- time it started (the corpus is generated from these), and how far it got.
CREATE TABLE seed_runs (
    id bigserial PRIMARY KEY,
    options text NOT NULL,
    first_user_id bigint NOT NULL,
    first_package_id bigint NOT NULL,
    first_version_id bigint NOT NULL,
    prior_users bigint NOT NULL,
    packages_done bigint NOT NULL DEFAULT 0,
    started_at timestamptz NOT NULL,
    finished_at timestamptz
);
