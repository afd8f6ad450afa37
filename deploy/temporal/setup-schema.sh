#!/bin/sh
# Creates Temporal's two PostgreSQL databases and brings them to the schema version embedded in
# temporal-sql-tool. Safe to run on every start, which the one-shot compose service does:
# create-database ignores an existing database, setup-schema skips an already versioned one, and
# update-schema only applies versions newer than the recorded one.
# Used by the `temporal-schema` compose service and by scripts/native-topology.sh.
#
# Env: SQL_HOST, SQL_PORT (5432), SQL_USER and SQL_PASSWORD are read by temporal-sql-tool itself, so
# the password never appears on a command line. TEMPORAL_DB (temporal), TEMPORAL_VISIBILITY_DB
# (temporal_visibility), TEMPORAL_SQL_TOOL (temporal-sql-tool on PATH).
set -eu

: "${SQL_HOST:?SQL_HOST is required}" "${SQL_USER:?SQL_USER is required}"
export SQL_PORT="${SQL_PORT:-5432}"
export SQL_PLUGIN=postgres12
tool="${TEMPORAL_SQL_TOOL:-temporal-sql-tool}"

# $1 = database, $2 = schema directory inside the tool's embedded schema tree.
setup() {
  echo "temporal-schema: ${1} (${2})"
  "${tool}" --db "${1}" create-database
  "${tool}" --db "${1}" setup-schema -v 0.0
  "${tool}" --db "${1}" update-schema --schema-name "${2}"
}

setup "${TEMPORAL_DB:-temporal}" postgresql/v12/temporal
setup "${TEMPORAL_VISIBILITY_DB:-temporal_visibility}" postgresql/v12/visibility
echo "temporal-schema: done"
