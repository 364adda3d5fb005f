DROP TABLE version_downloads;
DROP TABLE dependencies;
DROP TABLE versions;
DROP TABLE package_owners;
DROP TABLE packages;
DROP TABLE namespaces;
