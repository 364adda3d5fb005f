DROP TRIGGER IF EXISTS version_analysis_changed_insert ON version_analysis;
DROP TRIGGER IF EXISTS version_analysis_changed_update ON version_analysis;
DROP FUNCTION IF EXISTS version_analysis_changed();
DROP TRIGGER IF EXISTS versions_caps_search_insert ON versions;
DROP TRIGGER IF EXISTS versions_caps_search_update ON versions;
DROP FUNCTION IF EXISTS versions_caps_search();
DROP FUNCTION IF EXISTS package_caps_search(BIGINT[]);
-- Back to 000007's terms.
CREATE OR REPLACE VIEW package_filter_terms AS
SELECT p.id AS package_id,
       ARRAY(SELECT 'k:' || k FROM unnest(p.keywords) AS k
             UNION SELECT 'n:' || p.namespace WHERE p.namespace IS NOT NULL
             UNION SELECT 'o:' || lower(u.username)
                   FROM package_owners po JOIN users u ON u.id = po.user_id
                   WHERE po.package_id = p.id) AS filters
FROM packages p;
UPDATE package_search s SET filters = f.filters FROM package_filter_terms f
WHERE f.package_id = s.package_id AND s.filters IS DISTINCT FROM f.filters;
DROP FUNCTION IF EXISTS semver_key(TEXT);
DROP FUNCTION IF EXISTS version_effective_caps(BIGINT);
DROP TABLE IF EXISTS version_analysis;
