#!/usr/bin/env bash
# live-compare.sh — the side-by-side benchmark of BENCHMARKS.md, in one run on one throw-away
# Samba holding 100 extra sessions: a level-1 NetSessionEnum by our srvsvc client, by impacket
# (Debian python3-impacket) and by rpcclient (netsessenum), per call and whole process
# against whole process, and the fake (samba profile) for the same enumeration.
#
# Run as root from the repository: scripts/bench/live-compare.sh [RESULTS_FILE]
# Installs samba, smbclient, python3-impacket and hyperfine from Debian if missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-/dev/stdout}

need=()
for c in smbd:samba rpcclient:smbclient hyperfine:hyperfine; do
  command -v "${c%%:*}" >/dev/null || need+=("${c##*:}")
done
/usr/bin/python3 -c 'import impacket' 2>/dev/null || need+=(python3-impacket)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

DIR=$(mktemp -d /tmp/sessionsim-bench.XXXXXX)
scripts/samba/start.sh "$DIR" >/dev/null
trap 'scripts/samba/stop.sh "$DIR" >/dev/null || true' EXIT
scripts/samba/hold-sessions.sh "$DIR" 100 1800 >/dev/null
# shellcheck disable=SC1091
. "$DIR/env"
H=$SESSIONSIM_SAMBA_HOST P=$SESSIONSIM_SAMBA_PORT U=$SESSIONSIM_SAMBA_ADMIN
pw=$(grep "^$U=" "$SESSIONSIM_SAMBA_PASSWORDS" | cut -d= -f2-)
auth=$DIR/rpcclient.auth # rpcclient reads the password from a file, not argv
( umask 077; printf 'username = %s\npassword = %s\n' "$U" "$pw" > "$auth" )
export SESSIONSIM_PASSWORD=$pw SESSIONSIM_SAMBA_ENV=$DIR/env
go build -o "$DIR/sessionsim" ./cmd/sessionsim
many=$(printf 'netsessenum 1;%.0s' $(seq 101))
many=${many%;} # rpcclient refuses an empty command after the last ';'

{
  echo "# live-compare.sh on $(smbd --version), $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "# sessions listed: $("$DIR/sessionsim" enum --server "$H:$P" --user "$U" --level 1 | tail -1)"
  echo
  echo "## per call (level 1, MAX_PREFERRED_LENGTH, one connection)"
  go test ./sessionapi/srvsvc/ -run '^$' -bench 'BenchmarkLiveEnumLevel1' -benchtime 3s -count 3 | grep -E '^Benchmark'
  echo "impacket: $(/usr/bin/python3 scripts/samba/impacket_sessenum.py "$DIR/env" "$U" 300)"
  echo "rpcclient: 1 call vs 101 calls in one process (per call = difference / 100):"
  hyperfine -N --warmup 3 --runs 20 --style basic --export-markdown "$DIR/t1.md" \
    "rpcclient -p $P -A $auth $H -c 'netsessenum 1'" \
    "rpcclient -p $P -A $auth $H -c '$many'" >/dev/null 2>&1
  sed -e "s#$DIR/##g" -e 's/netsessenum 1;\(netsessenum 1;\)*netsessenum 1/netsessenum 1 ×101/' "$DIR/t1.md"
  echo
  echo "## whole process, one level-1 enumeration"
  hyperfine -N --warmup 3 --runs 40 --style basic --export-markdown "$DIR/t2.md" \
    "$DIR/sessionsim enum --server $H:$P --user $U --level 1" \
    "rpcclient -p $P -A $auth $H -c 'netsessenum 1'" \
    "/usr/bin/python3 scripts/samba/impacket_sessenum.py $DIR/env $U 0" >/dev/null 2>&1
  sed -e "s#$DIR/##g" "$DIR/t2.md"
} > "$out"
