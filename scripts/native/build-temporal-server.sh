#!/usr/bin/env bash
# Builds the Temporal server and its SQL schema tool from the Go module proxy into .tools/bin/.
# The build is heavy (hundreds of modules), so it is cached: a stamp file records the version, and
# the binaries are only rebuilt when TEMPORAL_SERVER_VERSION changes or a binary is missing.
set -euo pipefail

TEMPORAL_SERVER_VERSION="${TEMPORAL_SERVER_VERSION:-v1.31.2}"
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin_dir="${repo_root}/.tools/bin"
# Next to the CLI's .tools/temporal.version stamp (lib/temporal/cli-binary.ts).
stamp="${repo_root}/.tools/temporal-server.version"

if [[ -x "${bin_dir}/temporal-server" && -x "${bin_dir}/temporal-sql-tool" && -f "${stamp}" ]] \
  && [[ "$(cat "${stamp}")" == "${TEMPORAL_SERVER_VERSION}" ]]; then
  echo "temporal server ${TEMPORAL_SERVER_VERSION}: cached in ${bin_dir}"
  exit 0
fi

if command -v go >/dev/null 2>&1; then
  go_bin="$(command -v go)"
elif [[ -x /usr/local/go/bin/go ]]; then
  go_bin=/usr/local/go/bin/go
else
  echo "error: Go is needed to build the Temporal server (not on PATH, not at /usr/local/go/bin/go)" >&2
  exit 1
fi

mkdir -p "${bin_dir}"
# Build into a scratch GOBIN, then rename: go install names the binaries after their package
# directories (`server`, `sql`), which are too generic to sit in a shared bin directory.
scratch="$(mktemp -d)"
trap 'rm -rf "${scratch}"' EXIT

started=$(date +%s)
echo "building temporal server ${TEMPORAL_SERVER_VERSION} with $("${go_bin}" version)"
# disable_grpc_modules matches upstream's Makefile: it drops the unused GCS gRPC dependencies.
CGO_ENABLED=0 GOBIN="${scratch}" "${go_bin}" install -tags disable_grpc_modules -ldflags '-s -w' \
  "go.temporal.io/server/cmd/server@${TEMPORAL_SERVER_VERSION}" \
  "go.temporal.io/server/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}"
mv -f "${scratch}/server" "${bin_dir}/temporal-server"
mv -f "${scratch}/sql" "${bin_dir}/temporal-sql-tool"
echo "${TEMPORAL_SERVER_VERSION}" >"${stamp}"
echo "built temporal-server and temporal-sql-tool in $(($(date +%s) - started))s"
