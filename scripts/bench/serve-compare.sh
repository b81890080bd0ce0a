#!/usr/bin/env bash
# serve-compare.sh — the served fake (sessionsim serve / smbserver) against a throw-away Samba,
# in one run, side by side (issue 8 "Must show"):
#   1. per call: one bound pipe, level 1, 101 sessions listed (Samba holding 100 extra
#      sessions; the served fake seeded with 100);
#   2. a new authenticated connection up to the bind (and one call), time, and the memory a
#      connection costs (Samba: RSS and PSS per smbd child; served fake: heap per connection);
#   3. 1,000 servers from one `sessionsim serve` process: RSS, and the time for our client to
#      enumerate all of them 32 at a time.
#
# Run as root from the repository: scripts/bench/serve-compare.sh [RESULTS_FILE]
# Environment: SAMBA_PORT (default 4455), FLEET (default 1000), FLEET_PORT (default 4456).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-/dev/stdout}
FLEET=${FLEET:-1000}
FLEET_PORT=${FLEET_PORT:-4456}
export SAMBA_PORT=${SAMBA_PORT:-4455}

DIR=$(mktemp -d /tmp/sessionsim-serve-bench.XXXXXX)
SERVE_PID=
cleanup() {
  [ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null || true
  scripts/samba/stop.sh "$DIR/samba" >/dev/null 2>&1 || true
}
trap cleanup EXIT
scripts/samba/start.sh "$DIR/samba" >/dev/null
# shellcheck disable=SC1091
. "$DIR/samba/env"
U=$SESSIONSIM_SAMBA_ADMIN
pw=$(grep "^$U=" "$SESSIONSIM_SAMBA_PASSWORDS" | cut -d= -f2-)
export SESSIONSIM_PASSWORD=$pw SESSIONSIM_SAMBA_ENV=$DIR/samba/env
go build -o "$DIR/sessionsim" ./cmd/sessionsim

# smbd processes of this Samba (their command line names its smb.conf): count, RSS, PSS (KiB).
smbd_mem() {
  local n=0 rss=0 pss=0 p
  for p in $(pgrep -f "$DIR/samba/smb.conf" || true); do
    [ "$(cat /proc/"$p"/comm 2>/dev/null)" = smbd ] || continue
    n=$((n + 1))
    rss=$((rss + $(awk '/^VmRSS/ {print $2}' /proc/"$p"/status)))
    pss=$((pss + $(awk '/^Pss:/ {print $2}' /proc/"$p"/smaps_rollup)))
  done
  echo "$n $rss $pss"
}
read -r n0 rss0 pss0 < <(smbd_mem)
scripts/samba/hold-sessions.sh "$DIR/samba" 100 1800 >/dev/null 2>&1 </dev/null
read -r n1 rss1 pss1 < <(smbd_mem)

{
  echo "# serve-compare.sh on $(smbd --version), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "## 1. per call, one bound pipe, level 1, 101 sessions"
  echo '$ go test ./sessionapi/srvsvc/ -run "^$" -bench "LiveEnumLevel1/pooled-pipe" -benchtime 3s -count 3   # Samba'
  go test ./sessionapi/srvsvc/ -run '^$' -bench 'LiveEnumLevel1/pooled-pipe' -benchtime 3s -count 3 | grep -E '^Benchmark'
  echo '$ go test ./smbserver -run "^$" -bench "ServedEnumLevel1" -benchtime 3s -count 3   # served fake'
  go test ./smbserver -run '^$' -bench 'ServedEnumLevel1' -benchtime 3s -count 3 | grep -E '^Benchmark'
  echo
  echo "## 2. a new authenticated connection up to the bind, plus one level-1 call and Close"
  echo '$ go test ./sessionapi/srvsvc/ -run "^$" -bench "LiveDialEnumClose" -benchtime 3s -count 3   # Samba'
  go test ./sessionapi/srvsvc/ -run '^$' -bench 'LiveDialEnumClose' -benchtime 3s -count 3 | grep -E '^Benchmark'
  echo '$ go test ./smbserver -run "^$" -bench "ServedDialEnumClose" -benchtime 3s -count 3   # served fake'
  go test ./smbserver -run '^$' -bench 'ServedDialEnumClose' -benchtime 3s -count 3 | grep -E '^Benchmark'
  echo
  echo "memory per connection:"
  echo "  Samba: $((n1 - n0)) more smbd processes for 100 held sessions: RSS $(((rss1 - rss0) / (n1 - n0 > 0 ? n1 - n0 : 1))) KiB, PSS $(((pss1 - pss0) / (n1 - n0 > 0 ? n1 - n0 : 1))) KiB per connection"
  echo '  served fake: $ go test ./smbserver -run "^$" -bench ServedConnectionMemory -benchtime 1000x'
  go test ./smbserver -run '^$' -bench 'ServedConnectionMemory' -benchtime 1000x | grep -E '^Benchmark' | sed 's/^/  /'
  echo
  echo "## 3. $FLEET servers from one process"
  {
    echo "name: fleet-$FLEET"
    echo "servers:"
    for i in $(seq 1 "$FLEET"); do
      printf '  - name: SRV%04d\n    profile: windows\n    sessions:\n' "$i"
      for j in 1 2 3 4 5; do printf '      - {client: 10.0.%d.%d, user: user%d, age: 1h, idle: 1m}\n' $((i % 250)) "$j" "$j"; done
    done
    echo "callers:"
    echo "  - {name: auditor, role: administrator}"
  } > "$DIR/fleet.yaml"
  start=$(date +%s.%N)
  "$DIR/sessionsim" serve --listen "127.0.1.1:$FLEET_PORT" "$DIR/fleet.yaml" > "$DIR/served.txt" 2> "$DIR/serve.err" &
  SERVE_PID=$!
  for _ in $(seq 600); do grep -qx ready "$DIR/served.txt" 2>/dev/null && break; sleep 0.1; done
  grep -qx ready "$DIR/served.txt" || { echo "sessionsim serve did not get ready:"; cat "$DIR/serve.err"; exit 1; }
  echo "\$ sessionsim serve --listen 127.0.1.1:$FLEET_PORT fleet.yaml   # $FLEET servers × 5 sessions"
  echo "ready after $(echo "$(date +%s.%N) - $start" | bc) s; RSS $(awk '/^VmRSS/ {print $2, $3}' /proc/$SERVE_PID/status)"
  echo '$ SESSIONSIM_SERVED=served.txt go test ./smbserver -run TestSweepServedFleet -v'
  SESSIONSIM_SERVED=$DIR/served.txt SESSIONSIM_SERVED_USER=auditor SESSIONSIM_PASSWORD=sessionsim \
    go test ./smbserver -run 'TestSweepServedFleet' -count 1 -v | grep -E '^swept|FAIL'
  echo "RSS after the sweep $(awk '/^VmRSS/ {print $2, $3}' /proc/$SERVE_PID/status), peak $(awk '/^VmHWM/ {print $2, $3}' /proc/$SERVE_PID/status)"
} > "$out"
