#!/bin/sh
# One-shot set-up of a single-node Garage for sema-pkg: layout, bucket and key.
# Safe to run again: each step is skipped when already done. docker-compose.yml
# runs it in the garage container's network (garage-init service); it also works
# against any node: GARAGE_CONFIG, S3_BUCKET, S3_KEY_ID (GK + 24 hex), S3_SECRET (64 hex).
set -eu
CONFIG=${GARAGE_CONFIG:-/etc/garage.toml}
BUCKET=${S3_BUCKET:-sema-pkg}
: "${S3_KEY_ID:?set S3_KEY_ID (GK + 24 hex)}" "${S3_SECRET:?set S3_SECRET (64 hex)}"
g() { "${GARAGE_BIN:-garage}" -c "$CONFIG" "$@"; }

tries=0
until g status >/dev/null 2>&1; do
    tries=$((tries + 1))
    [ "$tries" -lt 60 ] || { echo "garage-init: the node did not answer" >&2; exit 1; }
    sleep 1
done
node=$(g node id -q)
node=${node%%@*}
layout=$(g layout show)
case $layout in
*"No nodes currently have a role"*)
    g layout assign -z dc1 -c 1G "$node"
    g layout apply --version 1
    ;;
*) echo "garage-init: layout already applied" ;;
esac
g bucket info "$BUCKET" >/dev/null 2>&1 || g bucket create "$BUCKET"
g key info sema-pkg >/dev/null 2>&1 || g key import --yes "$S3_KEY_ID" "$S3_SECRET" -n sema-pkg
g bucket allow --read --write --owner "$BUCKET" --key sema-pkg
echo "garage-init: bucket $BUCKET ready for key $S3_KEY_ID"
