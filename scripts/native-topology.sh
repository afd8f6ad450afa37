#!/usr/bin/env bash
# Proves the docker-compose.yml topology on a machine without Docker: the same Temporal server
# version on PostgreSQL, configured through the same embedded env template, set up by the same
# deploy/temporal/*.sh scripts the compose one-shot services run. Then a smoke check, the app's
# `migrate` + `doctor` against it, and the long-running roles (two workers, the HTTP server) probed
# with the compose healthcheck and stopped with SIGTERM. Everything binds to 127.0.0.1 on free
# ports, and the processes and databases it created are removed on exit, whatever happens.
#
#   scripts/native-topology.sh
#
# Env: PGHOST (127.0.0.1), PGPORT (5432), PGUSER (postgres); the local PostgreSQL must accept that
# user without a password. TEMPORAL_CLI_PATH to pick the `temporal` CLI. NATIVE_SKIP_APP=1 skips the
# app steps.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin_dir="${repo_root}/.tools/bin"
export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"

step() { printf '\n== %s\n' "$*"; }
fail() {
  echo "FAILED: $*" >&2
  exit 1
}

step "Temporal server binaries"
"${repo_root}/scripts/native/build-temporal-server.sh"
"${bin_dir}/temporal-server" --version

step "Temporal CLI"
if [[ -n "${TEMPORAL_CLI_PATH:-}" ]]; then
  temporal_cli="${TEMPORAL_CLI_PATH}"
elif command -v temporal >/dev/null 2>&1; then
  temporal_cli="$(command -v temporal)"
elif [[ -x "${bin_dir}/temporal" ]]; then
  temporal_cli="${bin_dir}/temporal"
else
  fail "no Temporal CLI: set TEMPORAL_CLI_PATH, put temporal on PATH, or build it into .tools/bin (npm run setup:temporal)"
fi
[[ -x "${temporal_cli}" ]] || fail "${temporal_cli} is not executable"
echo "${temporal_cli}: $("${temporal_cli}" --version)"

suffix="$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
temporal_db="mlc_native_temporal_${suffix}"
visibility_db="mlc_native_visibility_${suffix}"
app_db="mlc_native_app_${suffix}"
work_dir="$(mktemp -d)"
server_pid=""
app_pids=()

# SIGTERM, then SIGKILL after 10 s, as `docker compose stop` does. Returns the exit status.
stop_process() {
  local pid=$1 status=0
  kill -TERM "${pid}" 2>/dev/null || return 0
  for _ in $(seq 1 20); do kill -0 "${pid}" 2>/dev/null || break; sleep 0.5; done
  kill -KILL "${pid}" 2>/dev/null || true
  wait "${pid}" 2>/dev/null || status=$?
  return "${status}"
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  for pid in "${app_pids[@]}"; do stop_process "${pid}" || true; done
  if [[ -n "${server_pid}" ]] && kill -0 "${server_pid}" 2>/dev/null; then
    echo "stopping temporal-server (pid ${server_pid})"
    stop_process "${server_pid}" || true
  fi
  for db in "${temporal_db}" "${visibility_db}" "${app_db}"; do
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS \"${db}\" WITH (FORCE)" >/dev/null 2>&1 ||
      echo "warning: could not drop database ${db}" >&2
  done
  echo "dropped databases ${temporal_db}, ${visibility_db}, ${app_db}"
  if [[ ${status} -ne 0 && -f "${work_dir}/server.log" ]]; then
    echo "--- last lines of the server log ---" >&2
    tail -n 5 "${work_dir}/server.log" | cut -c1-400 >&2
  fi
  rm -rf "${work_dir}"
  exit "${status}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Free loopback ports, all held open together so they are distinct, then released for the server.
# They are drawn from 20000-32767, not the kernel's ephemeral range: Temporal records membership
# ports in a PostgreSQL smallint column, and a port above 32767 stops the server at startup.
free_ports() {
  node -e '
    const net = require("node:net");
    const wanted = Number(process.argv[1]);
    const held = [];
    const tryPort = (port) => new Promise((ok) => {
      const server = net.createServer();
      server.once("error", () => ok(undefined));
      server.listen(port, "127.0.0.1", () => ok(server));
    });
    (async () => {
      for (let attempts = 0; held.length < wanted && attempts < 1000; attempts++) {
        const port = 20000 + Math.floor(Math.random() * 12768);
        if (held.some((s) => s.address().port === port)) continue;
        const server = await tryPort(port);
        if (server) held.push(server);
      }
      if (held.length < wanted) process.exit(1);
      console.log(held.map((s) => s.address().port).join(" "));
      held.forEach((s) => s.close());
    })();
  ' "$1"
}
read -r frontend_port frontend_http_port frontend_member_port history_port history_member_port \
  matching_port matching_member_port worker_port worker_member_port metrics_port \
  app_port_1 app_port_2 app_port_3 <<<"$(free_ports 13)"

step "PostgreSQL ${PGUSER}@${PGHOST}:${PGPORT}: databases with suffix ${suffix}"
psql -X -q -d postgres -c "SELECT 1" >/dev/null || fail "PostgreSQL is not reachable at ${PGHOST}:${PGPORT}"

step "Schema (deploy/temporal/setup-schema.sh, run twice: compose reruns it on every up)"
schema_env=(
  SQL_HOST="${PGHOST}" SQL_PORT="${PGPORT}" SQL_USER="${PGUSER}" SQL_PASSWORD=""
  TEMPORAL_DB="${temporal_db}" TEMPORAL_VISIBILITY_DB="${visibility_db}"
  TEMPORAL_SQL_TOOL="${bin_dir}/temporal-sql-tool"
)
for run in 1 2; do
  started=$(date +%s)
  env "${schema_env[@]}" sh "${repo_root}/deploy/temporal/setup-schema.sh" >"${work_dir}/schema-${run}.log" 2>&1 ||
    { cat "${work_dir}/schema-${run}.log" >&2; fail "schema setup, run ${run}"; }
  grep '^temporal-schema:' "${work_dir}/schema-${run}.log"
  echo "run ${run}: ok in $(($(date +%s) - started))s"
done
for db in "${temporal_db}" "${visibility_db}"; do
  echo "${db}: schema version $(psql -X -At -d "${db}" -c 'SELECT curr_version FROM schema_version')"
done

step "temporal-server on 127.0.0.1:${frontend_port} (embedded config template, as in compose)"
mkdir -p "${work_dir}/dynamicconfig"
cp "${repo_root}/deploy/temporal/dynamicconfig/ml-connector.yaml" "${work_dir}/dynamicconfig/"
(
  cd "${work_dir}"
  exec env DB=postgres12 POSTGRES_SEEDS="${PGHOST}" DB_PORT="${PGPORT}" \
    POSTGRES_USER="${PGUSER}" POSTGRES_PWD="" DBNAME="${temporal_db}" VISIBILITY_DBNAME="${visibility_db}" \
    NUM_HISTORY_SHARDS=16 BIND_ON_IP=127.0.0.1 TEMPORAL_ALLOW_NO_AUTH=true \
    FRONTEND_GRPC_PORT="${frontend_port}" FRONTEND_HTTP_PORT="${frontend_http_port}" \
    FRONTEND_MEMBERSHIP_PORT="${frontend_member_port}" \
    HISTORY_GRPC_PORT="${history_port}" HISTORY_MEMBERSHIP_PORT="${history_member_port}" \
    MATCHING_GRPC_PORT="${matching_port}" MATCHING_MEMBERSHIP_PORT="${matching_member_port}" \
    WORKER_GRPC_PORT="${worker_port}" WORKER_MEMBERSHIP_PORT="${worker_member_port}" \
    PROMETHEUS_ENDPOINT="127.0.0.1:${metrics_port}" \
    DYNAMIC_CONFIG_FILE_PATH="${work_dir}/dynamicconfig/ml-connector.yaml" LOG_LEVEL=warn \
    "${bin_dir}/temporal-server" start
) >"${work_dir}/server.log" 2>&1 &
server_pid=$!
echo "pid ${server_pid}"

export TEMPORAL_ADDRESS="127.0.0.1:${frontend_port}" TEMPORAL_NAMESPACE=default

# The compose healthcheck probes the frontend's HTTP API; wait on the same URL.
started=$(date +%s)
until curl -fsS -o /dev/null "http://127.0.0.1:${frontend_http_port}/api/v1/cluster-info" 2>/dev/null; do
  kill -0 "${server_pid}" 2>/dev/null || fail "temporal-server exited during startup"
  (($(date +%s) - started < 90)) || fail "temporal-server not healthy after 90s"
  sleep 1
done
echo "healthy after $(($(date +%s) - started))s (GET /api/v1/cluster-info on :${frontend_http_port})"
"${temporal_cli}" operator cluster health
metrics="$(curl -fsS "http://127.0.0.1:${metrics_port}/metrics")" || fail "no metrics endpoint on 127.0.0.1:${metrics_port}"
grep -q '^# TYPE' <<<"${metrics}" || fail "no Prometheus metrics on 127.0.0.1:${metrics_port}"
echo "Prometheus metrics served on 127.0.0.1:${metrics_port}/metrics"
listening="$(ss -Hltnp 2>/dev/null | grep "pid=${server_pid}," | awk '{print $4}' | sort -u | tr '\n' ' ')"
echo "listening: ${listening}"
for address in ${listening}; do
  [[ "${address}" == 127.0.0.1:* ]] || fail "temporal-server listens on ${address}, not only on 127.0.0.1"
done

step "Namespace and search attributes (deploy/temporal/setup-namespace.sh, run twice)"
for run in 1 2; do
  started=$(date +%s)
  TEMPORAL_CLI="${temporal_cli}" sh "${repo_root}/deploy/temporal/setup-namespace.sh" >"${work_dir}/setup-${run}.log" 2>&1 ||
    { cat "${work_dir}/setup-${run}.log" >&2; fail "namespace setup, run ${run}"; }
  grep '^temporal-setup:' "${work_dir}/setup-${run}.log"
  echo "run ${run}: ok in $(($(date +%s) - started))s"
done

step "Smoke check"
"${temporal_cli}" operator namespace describe --namespace default | grep -E '^\s*(Name|State|Retention)\s' || true
attributes="$("${temporal_cli}" operator search-attribute list --namespace default)"
grep -E '^\s*(Name|Mlc)' <<<"${attributes}" || true
for name in MlcConnection MlcErpOrderNumber MlcCarrier MlcTrackingNumber MlcStatus; do
  grep -Eq "^\s*${name}\s+Keyword\s*$" <<<"${attributes}" || fail "search attribute ${name} (Keyword) not registered"
done
echo "search attributes: MlcConnection MlcErpOrderNumber MlcCarrier MlcTrackingNumber MlcStatus (Keyword)"

# A workflow with a custom search attribute, found again through SQL visibility. No worker polls
# the task queue; the run is terminated afterwards.
probe_id="native-probe-${suffix}"
"${temporal_cli}" workflow start --type NativeProbe --task-queue "native-probe-${suffix}" \
  --workflow-id "${probe_id}" --search-attribute 'MlcStatus="native-probe"' >/dev/null
started=$(date +%s)
until "${temporal_cli}" workflow list --query 'MlcStatus="native-probe"' | grep -q "${probe_id}"; do
  (($(date +%s) - started < 30)) || fail "workflow ${probe_id} not found by MlcStatus within 30s"
  sleep 1
done
"${temporal_cli}" workflow list --query 'MlcStatus="native-probe"'
"${temporal_cli}" workflow terminate --workflow-id "${probe_id}" --reason "native topology probe" >/dev/null
echo "workflow ${probe_id}: started, listed by MlcStatus, terminated"

if [[ "${NATIVE_SKIP_APP:-}" == "1" ]]; then
  step "App steps skipped (NATIVE_SKIP_APP=1)"
elif ! node "${repo_root}/bin/ml-connector.js" help 2>/dev/null | grep -q '^  doctor'; then
  step "App steps skipped: this checkout's CLI has no doctor command"
else
  step "App: migrate and doctor against this Temporal server (the compose migrate + worker path)"
  psql -X -q -d postgres -c "CREATE DATABASE \"${app_db}\"" >/dev/null
  export DATABASE_URL="postgres://${PGUSER}@${PGHOST}:${PGPORT}/${app_db}"
  MLC_MASTER_KEY="$(openssl rand -base64 32)"
  export MLC_MASTER_KEY LOG_LEVEL=warn
  (cd "${repo_root}" && node bin/ml-connector.js migrate) || fail "ml-connector migrate"
  (cd "${repo_root}" && node bin/ml-connector.js doctor) || fail "ml-connector doctor"

  step "App roles: two workers and the HTTP server, probed with the compose healthcheck"
  # The probe is taken from docker-compose.yml itself, so this runs exactly what the containers run.
  probe_js="$(cd "${repo_root}" && node -e '
    const test = require("yaml").parse(require("fs").readFileSync("docker-compose.yml", "utf8"), { merge: true })
      .services.worker.healthcheck.test;
    console.log(test[test.indexOf("-e") + 1]);
  ')"
  # The production roles refuse simulated connections (only `start` runs simulators), and real
  # ones would reach external systems: the roles get a config file without connections, mounted
  # the way compose mounts deploy/config.
  printf 'connections: {}\nmappings: []\n' >"${work_dir}/ml-connector.yaml"
  export MLC_CONFIG="${work_dir}/ml-connector.yaml"
  roles=(worker worker serve)
  role_ports=("${app_port_1}" "${app_port_2}" "${app_port_3}")
  for i in 0 1 2; do
    (cd "${repo_root}" && MLC_HTTP__HOST=127.0.0.1 MLC_HTTP__PORT="${role_ports[i]}" \
      exec node bin/ml-connector.js "${roles[i]}") >"${work_dir}/app-${i}.log" 2>&1 &
    app_pids+=("$!")
  done
  for i in 0 1 2; do
    started=$(date +%s)
    until MLC_HTTP__PORT="${role_ports[i]}" node -e "${probe_js}"; do
      kill -0 "${app_pids[i]}" 2>/dev/null || { tail -n 20 "${work_dir}/app-${i}.log" >&2; fail "${roles[i]} exited"; }
      (($(date +%s) - started < 90)) || { tail -n 20 "${work_dir}/app-${i}.log" >&2; fail "${roles[i]} not healthy after 90s"; }
      sleep 1
    done
    echo "${roles[i]} (pid ${app_pids[i]}, 127.0.0.1:${role_ports[i]}): healthy after $(($(date +%s) - started))s"
  done
  metrics="$(curl -fsS "http://127.0.0.1:${app_port_1}/metrics")" || fail "worker serves no /metrics"
  echo "worker /metrics: $(grep -vc '^#' <<<"${metrics}") samples"
  # Both workers poll the one task queue: that is all `--scale worker=N` needs.
  started=$(date +%s)
  until [[ "$("${temporal_cli}" task-queue describe --task-queue ml-connector -o json |
    node -e 'const d = JSON.parse(require("fs").readFileSync(0, "utf8"));
      const ids = new Set(JSON.stringify(d).match(/"identity":"[^"]+"/g) ?? []); console.log(ids.size)')" -ge 2 ]]; do
    (($(date +%s) - started < 60)) || fail "the two workers do not both poll task queue ml-connector"
    sleep 1
  done
  "${temporal_cli}" task-queue describe --task-queue ml-connector | sed -n '/Pollers:/,$p'
  for i in 2 1 0; do
    status=0
    stop_process "${app_pids[i]}" || status=$?
    [[ ${status} -eq 0 ]] || { tail -n 20 "${work_dir}/app-${i}.log" >&2; fail "${roles[i]} exited with ${status} on SIGTERM"; }
    echo "${roles[i]} (pid ${app_pids[i]}): stopped cleanly on SIGTERM"
  done
  app_pids=()
fi

step "Native topology OK"
