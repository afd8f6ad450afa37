#!/bin/sh
# Creates the ml-connector namespace and registers its custom search attributes. The Temporal server
# creates neither by itself. Safe to run on every start: an existing namespace is left alone and the
# server skips search attributes that are already registered.
# Used by the `temporal-setup` compose service and by scripts/native-topology.sh.
#
# Env: TEMPORAL_ADDRESS (host:port, read by the CLI itself), TEMPORAL_NAMESPACE (default),
# TEMPORAL_NAMESPACE_RETENTION (30d of closed-workflow history), TEMPORAL_CLI (temporal).
set -eu

: "${TEMPORAL_ADDRESS:?TEMPORAL_ADDRESS is required}"
namespace="${TEMPORAL_NAMESPACE:-default}"
retention="${TEMPORAL_NAMESPACE_RETENTION:-30d}"
cli="${TEMPORAL_CLI:-temporal}"

# The frontend accepts connections before it serves, and a new namespace reaches every service only
# after their namespace caches refresh (about 10 s), so each step is retried for up to a minute.
retry() {
  attempt=1
  until "$@"; do
    if [ "${attempt}" -ge 30 ]; then
      echo "temporal-setup: giving up on: $*" >&2
      return 1
    fi
    attempt=$((attempt + 1))
    sleep 2
  done
}

retry "${cli}" operator cluster health

if "${cli}" operator namespace describe --namespace "${namespace}" >/dev/null 2>&1; then
  echo "temporal-setup: namespace ${namespace} exists"
else
  retry "${cli}" operator namespace create --namespace "${namespace}" --retention "${retention}"
fi

# Keep in sync with workflows/search-attributes.ts. The CLI takes one --type for all the names.
retry "${cli}" operator search-attribute create --namespace "${namespace}" --type Keyword \
  --name MlcConnection --name MlcErpOrderNumber --name MlcCarrier --name MlcTrackingNumber --name MlcStatus
echo "temporal-setup: namespace ${namespace} ready"
