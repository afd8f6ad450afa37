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

# Keep in sync with workflows/search-attributes.ts. The CLI pairs the i-th --name with the i-th
# --type and silently drops names without a type, so every name gets its own --type.
retry "${cli}" operator search-attribute create --namespace "${namespace}" \
  --name MlcConnection --type Keyword \
  --name MlcErpOrderNumber --type Keyword \
  --name MlcCarrier --type Keyword \
  --name MlcTrackingNumber --type Keyword \
  --name MlcStatus --type Keyword

# Registered is not yet usable: each service maps the names through its namespace cache, which
# refreshes about every 10 s. Until then a workflow that sets them fails to start, so wait until a
# query that names all of them is accepted; the app services start only after this script ends.
probe='MlcConnection = "probe" OR MlcErpOrderNumber = "probe" OR MlcCarrier = "probe"'
probe="${probe} OR MlcTrackingNumber = \"probe\" OR MlcStatus = \"probe\""
retry "${cli}" workflow list --namespace "${namespace}" --query "${probe}" --limit 1 >/dev/null 2>&1
echo "temporal-setup: namespace ${namespace} ready"
