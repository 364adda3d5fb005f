-- Every instance keeps rendered package responses in memory (src/cache.rs).
-- These triggers tell all of them, with NOTIFY package_changed and the
-- package's id, whenever something those responses show changes: the package
-- row, its versions, its owners, its download totals, and new dependents (a
-- dependency row names the package it depends on). NOTIFY is delivered at commit and folds duplicates
-- within a transaction; a statement touching many packages (a bulk load) sends
-- '*', which empties every cache.
CREATE FUNCTION notify_packages_changed(ids BIGINT[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF cardinality(ids) > 1000 THEN
        PERFORM pg_notify('package_changed', '*');
    ELSE
        PERFORM pg_notify('package_changed', id::text) FROM unnest(ids) AS id;
    END IF;
END $$;

CREATE FUNCTION package_rows_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM notify_packages_changed(ARRAY(SELECT DISTINCT id FROM changed));
    RETURN NULL;
END $$;

CREATE FUNCTION package_children_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM notify_packages_changed(ARRAY(SELECT DISTINCT package_id FROM changed));
    RETURN NULL;
END $$;

CREATE FUNCTION dependencies_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM notify_packages_changed(ARRAY(
        SELECT DISTINCT p.id FROM changed c JOIN packages p ON p.canonical_name = c.canonical_name));
    RETURN NULL;
END $$;

CREATE TRIGGER packages_changed_insert AFTER INSERT ON packages
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION package_rows_changed();
CREATE TRIGGER packages_changed_update AFTER UPDATE ON packages
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION package_rows_changed();
CREATE TRIGGER packages_changed_delete AFTER DELETE ON packages
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION package_rows_changed();

CREATE TRIGGER versions_changed_insert AFTER INSERT ON versions
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION package_children_changed();
CREATE TRIGGER versions_changed_update AFTER UPDATE ON versions
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION package_children_changed();
CREATE TRIGGER versions_changed_delete AFTER DELETE ON versions
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION package_children_changed();

CREATE TRIGGER package_owners_changed_insert AFTER INSERT ON package_owners
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION package_children_changed();
CREATE TRIGGER package_owners_changed_delete AFTER DELETE ON package_owners
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION package_children_changed();

CREATE TRIGGER package_downloads_changed_update AFTER UPDATE ON package_downloads
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION package_children_changed();

CREATE TRIGGER dependencies_changed_insert AFTER INSERT ON dependencies
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION dependencies_changed();
