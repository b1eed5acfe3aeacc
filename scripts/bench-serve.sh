#!/usr/bin/env bash
# Loopback load test of `gatehouse serve` behind nginx (make bench-serve).
#
# Starts moto_server (unless AWS_ENDPOINT_URL_DYNAMODB is set), a fake
# Cognito pool with a mapping table and tokens (forwardauth/internal/
# benchfixture), gatehouse serve, and nginx configured by
# examples/nginx/gatehouse.conf (ports replaced) in front of a tiny upstream
# (an nginx server answering 200). Then wrk, bounded and on loopback only:
#
#   baseline          nginx -> upstream, no auth
#   ceiling           nginx -> auth_request to a second nginx answering
#                     `return 204` -> upstream: the same site configuration
#                     with the cheapest possible auth service, so the cost of
#                     the auth_request round trip itself
#   floor             the same site with its auth_request sent to
#                     forwardauth/internal/benchfloor: a net/http server
#                     with serve's timeouts answering 204 with no work, so
#                     what any Go net/http auth service costs here
#   repeated token    nginx -> auth_request gatehouse -> upstream, one token
#                     (verified once, then from the token cache)
#   distinct tokens   the same, rotating through TOKENS pre-minted tokens with
#                     gatehouse's token cache off: every request is a full
#                     RS256 verification
#   proxy mode        gatehouse serve --upstream (no nginx), one token
#
# Mapping lookups come from gatehouse's mapping cache after the first.
# The ceiling, the floor and the gatehouse scenarios run ROUNDS (3) times,
# interleaved (the order reverses each round) so they see the same machine
# load. For each run the auth service's CPU time (utime+stime of
# /proc/<pid>/stat, read before and after) is divided by the requests wrk
# completed. Prints a Markdown table of every run, the per-round ratios,
# then the medians: requests/s as a ratio of the ceiling's and of the
# floor's at the same GOMAXPROCS (per-round ratios, median and range) and
# CPU per request.
#
# Knobs: THREADS (2), CONNECTIONS (32), DURATION (10s), TOKENS (1000),
# ROUNDS (3), PROCS ("default"): the GOMAXPROCS values the floor and
# gatehouse run at, each in every round ("default 1" pairs Go's default
# with GOMAXPROCS=1; "default" leaves it unset).
#
# PERF_DIR=dir records each run's auth service with `perf record -g`
# (dir/<run>.data; read with `perf report -i ... --children --sort sym`).
#
# OLD_BIN=path/to/gatehouse compares another build (e.g. main's) with this
# tree's: every round runs the gatehouse scenarios for each binary too, in
# alternating order, and the medians table gets a row per binary. Build main's with
#   git worktree add /tmp/gh-main main && (cd /tmp/gh-main && go build -o /tmp/gatehouse-main ./cmd/gatehouse)
set -euo pipefail

THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-32}
DURATION=${DURATION:-10s}
TOKENS=${TOKENS:-1000}
ROUNDS=${ROUNDS:-3}
read -r -a procs_list <<<"${PROCS:-default}"
for p in "${procs_list[@]}"; do
  [[ $p = default || $p =~ ^[1-9][0-9]*$ ]] || { echo "bench-serve: PROCS=$PROCS: each value is default or a positive integer" >&2; exit 1; }
done
GO=${GO:-go}
OLD_BIN=${OLD_BIN:-}
if [ -n "$OLD_BIN" ]; then
  [ -x "$OLD_BIN" ] || { echo "bench-serve: OLD_BIN=$OLD_BIN is not an executable" >&2; exit 1; }
  OLD_BIN=$(realpath "$OLD_BIN")
fi

for tool in nginx wrk moto_server curl python3; do
  command -v "$tool" >/dev/null || { echo "bench-serve: $tool is missing (make tools)" >&2; exit 1; }
done

cd "$(dirname "$0")/.."
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -n "${KEEP:-}" ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_http() { # url [tries]
  for _ in $(seq 1 "${2:-200}"); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.05
  done
  echo "bench-serve: $1 does not answer" >&2; return 1
}
wait_port() {
  for _ in $(seq 1 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done
  echo "bench-serve: nothing listens on $1" >&2; return 1
}

echo "bench-serve: building" >&2
$GO build -trimpath -o "$work/gatehouse" ./cmd/gatehouse
$GO build -trimpath -o "$work/benchfixture" ./forwardauth/internal/benchfixture
$GO build -trimpath -o "$work/benchfloor" ./forwardauth/internal/benchfloor

if [ -z "${AWS_ENDPOINT_URL_DYNAMODB:-}" ]; then
  moto=$(free_port)
  moto_server -H 127.0.0.1 -p "$moto" >"$work/moto.log" 2>&1 &
  pids+=($!)
  wait_port "$moto"
  export AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$moto"
  export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1
  export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
fi

"$work/benchfixture" -dir "$work" -tokens "$TOKENS" &
pids+=($!)
for _ in $(seq 1 600); do [ -f "$work/env" ] && break; sleep 0.05; done
[ -f "$work/env" ] || { echo "bench-serve: the fixture did not start" >&2; exit 1; }
# shellcheck disable=SC1091
source "$work/env"
token=$(head -n1 "$work/token")

gh=$(free_port); ops=$(free_port); up=$(free_port); px=$(free_port); noauth=$(free_port); gp=$(free_port); gpops=$(free_port)
ceil=$(free_port); pxceil=$(free_port); floor=$(free_port); pxfloor=$(free_port)

bin=$work/gatehouse # the binary start_gatehouse and start_proxy run
procs=default       # their GOMAXPROCS (and the floor's)
svc_pid=            # the auth service whose CPU time load() measures
goenv() { # the environment for a Go service at $procs
  if [ "$procs" = default ]; then echo env; else echo "env GOMAXPROCS=$procs"; fi
}
start_gatehouse() { # extra flags...
  $(goenv) "$bin" serve --addr "127.0.0.1:$gh" --metrics-addr "127.0.0.1:$ops" \
    --request-headers original --log-level warn "$@" >"$work/gatehouse.out" 2>"$work/gatehouse.log" &
  gh_pid=$!
  pids+=($gh_pid)
  svc_pid=$gh_pid
  wait_http "http://127.0.0.1:$ops/readyz"
}
start_proxy() {
  $(goenv) "$bin" serve --addr "127.0.0.1:$gp" --metrics-addr "127.0.0.1:$gpops" --upstream "http://127.0.0.1:$up" \
    --log-level warn >"$work/proxy.out" 2>"$work/proxy.log" &
  gh_pid=$!
  pids+=($gh_pid)
  svc_pid=$gh_pid
  wait_http "http://127.0.0.1:$gpops/readyz"
}
stop_gatehouse() {
  kill "$gh_pid"; wait "$gh_pid" 2>/dev/null || true
  # serve writes no line per allowed decision at its default level (info)
  # nor EMF lines (GATEHOUSE_METRICS defaults to false for serve): check
  # the fixture stays representative of that.
  if [ -s "$work/gatehouse.out" ] || [ -s "$work/proxy.out" ]; then
    echo "bench-serve: gatehouse wrote to stdout (metric lines?); the load is not serve's default" >&2; exit 1
  fi
}

# nginx: the example site (ports replaced), plus the upstream and the
# no-auth baseline server; the ceiling site is the example's server block
# again with its auth_request sent to the return-204 nginx instead.
mkdir -p "$work/nginx" "$work/ceiling"
sed -e "s/127\.0\.0\.1:8080/127.0.0.1:$gh/g" -e "s/127\.0\.0\.1:9000/127.0.0.1:$up/g" \
    -e "s/127\.0\.0\.1:8000/127.0.0.1:$px/g" examples/nginx/gatehouse.conf >"$work/nginx/gatehouse.conf"
awk '/^server \{/ {on=1} on' examples/nginx/gatehouse.conf |
  sed -e "s/127\.0\.0\.1:8000/127.0.0.1:$pxceil/g" -e 's#proxy_pass http://gatehouse;#proxy_pass http://ceiling;#' >"$work/nginx/ceiling.conf"
grep -q 'proxy_pass http://ceiling;' "$work/nginx/ceiling.conf" || { echo "bench-serve: the example's auth location was not found" >&2; exit 1; }
sed -e "s/127\.0\.0\.1:$pxceil/127.0.0.1:$pxfloor/g" -e 's#proxy_pass http://ceiling;#proxy_pass http://floor;#' \
  "$work/nginx/ceiling.conf" >"$work/nginx/floor.conf"
nginx_temp_paths() { # dir
  printf '    client_body_temp_path %s/body;\n    proxy_temp_path %s/proxy;\n    fastcgi_temp_path %s/fastcgi;\n    uwsgi_temp_path %s/uwsgi;\n    scgi_temp_path %s/scgi;\n' "$1" "$1" "$1" "$1" "$1"
}
cat >"$work/nginx/nginx.conf" <<NGINX
worker_processes 1;
error_log $work/nginx/error.log warn;
pid $work/nginx/nginx.pid;
events { worker_connections 1024; }
http {
    access_log off;
$(nginx_temp_paths "$work/nginx")
    include $work/nginx/gatehouse.conf;
    upstream ceiling {
        server 127.0.0.1:$ceil;
        keepalive 32;
    }
    include $work/nginx/ceiling.conf;
    upstream floor {
        server 127.0.0.1:$floor;
        keepalive 32;
    }
    include $work/nginx/floor.conf;
    # The tiny upstream.
    server {
        listen 127.0.0.1:$up;
        location / { default_type text/plain; return 200 "ok\n"; }
    }
    # The baseline: the same upstream through nginx, no auth.
    server {
        listen 127.0.0.1:$noauth;
        location / {
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass http://api;
        }
    }
}
NGINX
# The ceiling's auth service: its own nginx process (no master), so its CPU
# time is its own, as gatehouse's is.
cat >"$work/ceiling/nginx.conf" <<NGINX
worker_processes 1;
master_process off;
error_log $work/ceiling/error.log warn;
pid $work/ceiling/nginx.pid;
events { worker_connections 1024; }
http {
    access_log off;
$(nginx_temp_paths "$work/ceiling")
    server {
        listen 127.0.0.1:$ceil;
        keepalive_requests 1000000;
        location / { return 204; }
    }
}
NGINX
nginx -p "$work/nginx" -e "$work/nginx/error.log" -c "$work/nginx/nginx.conf" -g 'daemon off;' &
pids+=($!)
nginx -p "$work/ceiling" -e "$work/ceiling/error.log" -c "$work/ceiling/nginx.conf" -g 'daemon off;' &
ceil_pid=$!
pids+=($ceil_pid)
wait_port "$px"
wait_port "$ceil"

cat >"$work/rotate.lua" <<'LUA'
-- Each wrk thread walks the token file from a random offset.
local tokens = {}
local i = 0
function init(args)
  for line in io.lines(args[1]) do tokens[#tokens + 1] = line end
  i = math.random(#tokens)
end
function request()
  i = i % #tokens + 1
  return wrk.format("GET", nil, { ["Authorization"] = "Bearer " .. tokens[i] })
end
LUA

# cpu_ticks pid: the process's utime+stime in clock ticks. The command name
# (field 2) is in parentheses and may hold spaces: count from after it.
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
hz=$(getconf CLK_TCK)

results=()
declare -A rates cpus # "scenario|binary label" -> space-separated figures of each run
load() { # name url [wrk options...] [-- script arguments...]
  local name=$1 url=$2; shift 2
  local opts=() out t0 t1
  while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
  t0=${svc_pid:+$(cpu_ticks "$svc_pid")}
  local perf_pid= slug # slug: the run's name as a file name
  slug=$(echo "$name${label:+ $label}" | tr " /,=()+>" "--------")
  if [ -n "${PERF_DIR:-}" ] && [ -n "$svc_pid" ]; then
    mkdir -p "$PERF_DIR"
    perf record -q -F 999 -g -p "$svc_pid" -o "$PERF_DIR/$slug.data" 2>/dev/null &
    perf_pid=$!
  fi
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "${opts[@]}" "$url" "$@")
  if [ -n "$perf_pid" ]; then kill -INT "$perf_pid"; wait "$perf_pid" || true; fi
  t1=${svc_pid:+$(cpu_ticks "$svc_pid")}
  echo "$out" >"$work/wrk-$slug.txt"
  if grep -q "Non-2xx or 3xx responses" <<<"$out"; then
    echo "$out" >&2
    echo "bench-serve: $name: some responses were not 2xx" >&2
    exit 1
  fi
  local rps p99 reqs cpu=-
  rps=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  reqs=$(awk '/ requests in / {print $1}' <<<"$out")
  if [ -n "$t0" ]; then
    cpu=$(awk -v d=$((t1 - t0)) -v hz="$hz" -v n="$reqs" 'BEGIN {printf "%.1f", d / hz * 1e6 / n}')
    cpus["$name|$label"]+="$cpu "
  fi
  results+=("| $name${label:+ ($label)} | $rps | $p99 | $cpu |")
  rates["$name|$label"]+="$rps "
  echo "bench-serve: $name${label:+ ($label)}: $rps req/s, p99 $p99, auth CPU $cpu µs/request" >&2
}
label=

# Warm up and check the paths end to end.
start_gatehouse
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "http://127.0.0.1:$px/orders/1")
[ "$code" = 200 ] || { echo "bench-serve: a valid token got $code through nginx" >&2; cat "$work/gatehouse.log" >&2; exit 1; }
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$px/orders/1")
[ "$code" = 401 ] || { echo "bench-serve: no token got $code through nginx" >&2; exit 1; }
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$pxceil/orders/1")
[ "$code" = 200 ] || { echo "bench-serve: the ceiling site got $code" >&2; exit 1; }

svc_pid= load "nginx -> upstream, no auth (baseline)" "http://127.0.0.1:$noauth/orders/1"
stop_gatehouse

ceiling_name="nginx + nginx return 204 (ceiling)"
floor_name="nginx + Go net/http 204 (floor)"
# The ceiling and the floor get the repeated-token scenario's request, token
# included: nginx copies its headers into the auth subrequest, and the auth
# service reads them, so a request without the ~1 KB Authorization header
# would make the round trip look cheaper than gatehouse's.
ceiling() { svc_pid=$ceil_pid label= load "$ceiling_name" "http://127.0.0.1:$pxceil/orders/1" -H "Authorization: Bearer $token"; }
# The floor at $procs, labelled $label: started for each run, as gatehouse is.
floor_run() {
  $(goenv) "$work/benchfloor" -addr "127.0.0.1:$floor" 2>"$work/floor.log" &
  floor_pid=$!
  pids+=($floor_pid)
  wait_port "$floor"
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$pxfloor/orders/1")
  [ "$code" = 200 ] || { echo "bench-serve: the floor site got $code" >&2; exit 1; }
  svc_pid=$floor_pid load "$floor_name" "http://127.0.0.1:$pxfloor/orders/1" -H "Authorization: Bearer $token"
  kill "$floor_pid"; wait "$floor_pid" 2>/dev/null || true
}
# The gatehouse scenarios, for one binary ($bin at $procs, labelled $label).
gatehouse_scenarios() {
  start_gatehouse
  load "nginx + gatehouse, repeated token" "http://127.0.0.1:$px/orders/1" -H "Authorization: Bearer $token"
  stop_gatehouse
  GATEHOUSE_TOKEN_CACHE_SIZE=0 start_gatehouse
  load "nginx + gatehouse, distinct tokens (no token cache)" "http://127.0.0.1:$px/orders/1" -s "$work/rotate.lua" -- "$work/tokens"
  stop_gatehouse
  start_proxy
  load "gatehouse serve --upstream, repeated token" "http://127.0.0.1:$gp/orders/1" -H "Authorization: Bearer $token"
  stop_gatehouse
}
scenarios=("nginx + gatehouse, repeated token" "nginx + gatehouse, distinct tokens (no token cache)" "gatehouse serve --upstream, repeated token")

binaries=(new)
[ -n "$OLD_BIN" ] && binaries=(old new)
tag() { # binary procs: the label of a run's row
  local t=
  [ -n "$OLD_BIN" ] && [ -n "$1" ] && t=$1
  [ "$2" != default ] && t=${t:+$t, }GOMAXPROCS=$2
  echo "$t"
}
# What one round runs, in order (reversed every other round).
units=(ceiling)
for p in "${procs_list[@]}"; do
  units+=("floor - $p")
  for b in "${binaries[@]}"; do units+=("gatehouse $b $p"); done
done
last() { awk '{print $NF}' <<<"$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a/b}'; }
declare -A ratios fratios # "scenario|label" -> per-round ratios to the ceiling, to the floor at the same GOMAXPROCS
for r in $(seq 1 "$ROUNDS"); do
  order=("${units[@]}")
  [ $((r % 2)) = 0 ] && mapfile -t order < <(printf '%s\n' "${units[@]}" | tac)
  echo "bench-serve: round $r of $ROUNDS: $(printf '%s; ' "${order[@]}")" >&2
  for unit in "${order[@]}"; do
    read -r kind b p <<<"$unit"
    procs=${p:-default}
    case $kind in
      ceiling) ceiling ;;
      floor) label=$(tag "" "$procs"); floor_run ;;
      gatehouse)
        if [ "$b" = old ]; then bin=$OLD_BIN; else bin=$work/gatehouse; fi
        label=$(tag "$b" "$procs"); gatehouse_scenarios ;;
    esac
  done
  c=$(last "${rates["$ceiling_name|"]}")
  for p in "${procs_list[@]}"; do
    fl=$(tag "" "$p")
    f=$(last "${rates["$floor_name|$fl"]}")
    ratios["$floor_name|$fl"]+="$(ratio "$f" "$c") "
    for b in "${binaries[@]}"; do
      for sc in "${scenarios[@]}"; do
        k="$sc|$(tag "$b" "$p")"
        g=$(last "${rates[$k]}")
        ratios[$k]+="$(ratio "$g" "$c") "
        fratios[$k]+="$(ratio "$g" "$f") "
      done
    done
  done
done

median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
range() { tr ' ' '\n' | grep . | sort -g | awk 'NR == 1 {lo=$1} {hi=$1} END {print lo "–" hi}'; }
echo
echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency, loopback, $(nproc) CPUs, $(nginx -v 2>&1 | sed 's/.*: //'), $(wrk -v 2>&1 | head -n1 | awk '{print "wrk " $2}'), $($GO version | awk '{print $3}'), $ROUNDS interleaved rounds"
echo
echo "| scenario | requests/s | p99 | auth service CPU µs/request |"
echo "|---|---:|---:|---:|"
printf '%s\n' "${results[@]}"
# The rows of the summaries, "name|label", in order.
rows=("$ceiling_name|")
for p in "${procs_list[@]}"; do
  rows+=("$floor_name|$(tag "" "$p")")
  for b in "${binaries[@]}"; do
    for sc in "${scenarios[@]}"; do rows+=("$sc|$(tag "$b" "$p")"); done
  done
done
rowname() { local n=${1%|*} l=${1##*|}; echo "$n${l:+ ($l)}"; }
echo
echo "Per round, in round order: requests/s ÷ the ceiling's, ÷ the floor's at the same GOMAXPROCS; the auth service's CPU µs/request."
echo
echo "| scenario | ÷ ceiling | ÷ floor | CPU µs/request |"
echo "|---|---|---|---|"
for k in "${rows[@]}"; do
  echo "| $(rowname "$k") | $(xargs <<<"${ratios[$k]:-1}") | $(xargs <<<"${fratios[$k]:--}") | $(xargs <<<"${cpus[$k]}") |"
done
echo
echo "Medians over the rounds; ratios: requests/s ÷ the ceiling's, ÷ the floor's at the same GOMAXPROCS, in the same round (median, range)."
echo
echo "| scenario | requests/s | ÷ ceiling | ÷ floor | auth service CPU µs/request |"
echo "|---|---:|---:|---:|---:|"
for k in "${rows[@]}"; do
  rc=1 rf=-
  [ -n "${ratios[$k]:-}" ] && rc="$(median <<<"${ratios[$k]}") ($(range <<<"${ratios[$k]}"))"
  [ -n "${fratios[$k]:-}" ] && rf="$(median <<<"${fratios[$k]}") ($(range <<<"${fratios[$k]}"))"
  echo "| $(rowname "$k") | $(median <<<"${rates[$k]}") | $rc | $rf | $(median <<<"${cpus[$k]}") |"
done
