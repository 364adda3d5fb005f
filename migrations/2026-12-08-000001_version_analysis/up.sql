-- What each version's code can do (issue 19): read at publish by src/analysis
-- (never evaluated) and backfilled by `sema-pkg analyze --all`.
--
-- * caps: the capabilities the version's own code may use;
-- * effective_caps: its own and those of its dependencies, transitively, by
--   the exact versions pinned (version_effective_caps);
-- * added_caps: effective capabilities the previous version (by semver, among
--   the analysed ones) did not have; empty for a first release;
-- * report: the whole analysis (uses per file, dynamic sites, API, imports).
CREATE TABLE version_analysis (
    version_id     BIGINT PRIMARY KEY REFERENCES versions (id) ON DELETE CASCADE,
    analyzer       INTEGER NOT NULL,
    caps           TEXT[] NOT NULL,
    effective_caps TEXT[] NOT NULL DEFAULT '{}',
    added_caps     TEXT[] NOT NULL DEFAULT '{}',
    dynamic        BOOLEAN NOT NULL,
    report         JSONB NOT NULL,
    analyzed_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Own capabilities of the version and of every version it reaches through
-- registry dependencies (a dependency names an exact published version).
CREATE FUNCTION version_effective_caps(vid BIGINT) RETURNS TEXT[] LANGUAGE sql STABLE AS $$
    WITH RECURSIVE reach(version_id) AS (
        SELECT vid
        UNION
        SELECT v.id FROM reach r
        JOIN dependencies d ON d.version_id = r.version_id AND d.kind = 'registry'
        JOIN packages p ON p.canonical_name = d.canonical_name
        JOIN versions v ON v.package_id = p.id AND v.version = d.req
    )
    SELECT ARRAY(SELECT DISTINCT c FROM reach JOIN version_analysis a USING (version_id),
                 unnest(a.caps) AS c ORDER BY c)
$$;

-- A sort key with semver precedence (compare with COLLATE "C"): the numeric
-- core padded, releases above their pre-releases, pre-release identifiers
-- numeric (padded) below alphanumeric; build metadata ignored.
CREATE FUNCTION semver_key(v TEXT) RETURNS TEXT[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ARRAY[lpad(split_part(core, '.', 1), 20, '0'), lpad(split_part(core, '.', 2), 20, '0'),
                 lpad(split_part(core, '.', 3), 20, '0'), CASE WHEN pre = '' THEN '1' ELSE '0' END]
           || ARRAY(SELECT CASE WHEN id ~ '^[0-9]+$' THEN '0' || lpad(id, 20, '0') ELSE '1' || id END
                    FROM unnest(string_to_array(NULLIF(pre, ''), '.')) WITH ORDINALITY AS t(id, n)
                    ORDER BY n)
    FROM (SELECT split_part(nb, '-', 1) AS core,
                 CASE WHEN position('-' IN nb) > 0 THEN substr(nb, position('-' IN nb) + 1) ELSE '' END AS pre
          FROM (SELECT split_part(v, '+', 1) AS nb) b) parts
$$;

-- The filter terms gain `c:NAME` for each effective capability of the latest
-- unyanked version, or `c:none` when it has none (search's `cap:`); nothing
-- while that version is not analysed.
CREATE OR REPLACE VIEW package_filter_terms AS
SELECT p.id AS package_id,
       ARRAY(SELECT 'k:' || k FROM unnest(p.keywords) AS k
             UNION SELECT 'n:' || p.namespace WHERE p.namespace IS NOT NULL
             UNION SELECT 'o:' || lower(u.username)
                   FROM package_owners po JOIN users u ON u.id = po.user_id
                   WHERE po.package_id = p.id
             UNION SELECT 'c:' || c
                   FROM (SELECT v.id FROM versions v WHERE v.package_id = p.id AND NOT v.yanked
                         ORDER BY semver_key(v.version) COLLATE "C" DESC LIMIT 1) l
                   JOIN version_analysis a ON a.version_id = l.id,
                   unnest(CASE WHEN cardinality(a.effective_caps) = 0 THEN ARRAY['none']
                               ELSE a.effective_caps END) AS c) AS filters
FROM packages p;

CREATE FUNCTION package_caps_search(ids BIGINT[]) RETURNS void LANGUAGE sql AS $$
    UPDATE package_search s SET filters = f.filters
    FROM package_filter_terms f
    WHERE f.package_id = s.package_id AND s.package_id = ANY (ids) AND s.filters IS DISTINCT FROM f.filters;
$$;

-- A new, yanked or unyanked version can change which one is latest.
CREATE FUNCTION versions_caps_search() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM package_caps_search(ARRAY(SELECT DISTINCT package_id FROM changed));
    RETURN NULL;
END $$;
CREATE TRIGGER versions_caps_search_insert AFTER INSERT ON versions
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION versions_caps_search();
CREATE TRIGGER versions_caps_search_update AFTER UPDATE ON versions
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION versions_caps_search();

-- An analysis written or redone: search filters follow, and every instance's
-- cached pages of the package are dropped (migration 000006's channel).
CREATE FUNCTION version_analysis_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ids BIGINT[] := ARRAY(SELECT DISTINCT v.package_id FROM changed c JOIN versions v ON v.id = c.version_id);
BEGIN
    PERFORM package_caps_search(ids);
    PERFORM notify_packages_changed(ids);
    RETURN NULL;
END $$;
CREATE TRIGGER version_analysis_changed_insert AFTER INSERT ON version_analysis
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION version_analysis_changed();
CREATE TRIGGER version_analysis_changed_update AFTER UPDATE ON version_analysis
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION version_analysis_changed();
