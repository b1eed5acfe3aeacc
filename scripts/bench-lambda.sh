#!/usr/bin/env bash
# The Lambda authorizer's cold start on this machine (make bench-lambda):
# starts moto_server (unless AWS_ENDPOINT_URL_DYNAMODB is set) and the
# fake Cognito pool, mapping table and token of forwardauth/internal/
# benchfixture, then internal/coldstart, which builds cmd/authorizer for
# linux/amd64 as the bootstrap is built and starts it RUNS (10) times
# against a local Runtime API stand-in, alternated with the floor (a Go
# Lambda bootstrap with no AWS SDK, internal/coldstart/floor) and, with
# OLD=<git revision>, with cmd/authorizer of that revision. Each start gets
# a Lambda-like environment, not this machine's. Prints the bootstraps'
# sizes and the medians of init time, init CPU, init page faults, first
# invocation and peak RSS.
set -euo pipefail

RUNS=${RUNS:-10}
GO=${GO:-go}
for tool in moto_server python3; do
  command -v "$tool" >/dev/null || { echo "bench-lambda: $tool is missing (make tools)" >&2; exit 1; }
done

cd "$(dirname "$0")/.."
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

if [ -z "${AWS_ENDPOINT_URL_DYNAMODB:-}" ]; then
  moto=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
  moto_server -H 127.0.0.1 -p "$moto" >"$work/moto.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 200); do (exec 3<>"/dev/tcp/127.0.0.1/$moto") 2>/dev/null && break; sleep 0.05; done
  export AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$moto"
  export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1
  export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
fi

$GO build -trimpath -o "$work/benchfixture" ./forwardauth/internal/benchfixture
"$work/benchfixture" -dir "$work" -tokens 1 &
pids+=($!)
for _ in $(seq 1 600); do [ -f "$work/env" ] && break; sleep 0.05; done
[ -f "$work/env" ] || { echo "bench-lambda: the fixture did not start" >&2; exit 1; }
# shellcheck disable=SC1091
source "$work/env"
old=()
if [ -n "${OLD:-}" ]; then
  mkdir "$work/old"
  git archive "$OLD" | tar -x -C "$work/old"
  old=(-old "$work/old")
fi
$GO run ./internal/coldstart -runs "$RUNS" -token "$work/token" ${LOGS:+-logs} "${old[@]}"
