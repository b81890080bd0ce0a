#!/usr/bin/env bash
# hold-sessions.sh DIR N [SECONDS] — open N extra SMB sessions on the Samba of start.sh DIR and
# keep them for SECONDS (default 600), for benchmarks that need a server with many sessions.
# Each session is an smbclient connected to the share as alice or bob (alternating) that reads
# its commands from a FIFO held open by a sleep; both PIDs go to DIR/pid/hold-*.pid, so
# stop.sh DIR (or hold-sessions.sh DIR 0) ends them. Waits until the sessions are up (at most
# 30 s). All of them come from 127.0.0.1 (smbclient cannot pick its source address).
set -euo pipefail

die() { echo "hold-sessions.sh: $*" >&2; exit 1; }
[ $# -ge 2 ] || die "usage: hold-sessions.sh DIR N [SECONDS]"
DIR=$(cd "$1" && pwd) || die "no directory $1"
N=$2
SECS=${3:-600}
[ -f "$DIR/env" ] || die "$DIR/env missing: run start.sh $DIR first"
command -v smbclient >/dev/null || die "smbclient not found (package smbclient)"
# shellcheck disable=SC1091
. "$DIR/env"
PWFILE=$SESSIONSIM_SAMBA_PASSWORDS

# End the sessions held before.
for f in "$DIR"/pid/hold-*.pid; do
	[ -f "$f" ] || continue
	p=$(tr -dc '0-9' <"$f")
	[ -n "$p" ] && kill "$p" 2>/dev/null || true
	rm -f "$f"
done
rm -rf "$DIR/hold"
[ "$N" -gt 0 ] || { echo "hold-sessions.sh: no sessions held" >&2; exit 0; }
mkdir -p "$DIR/hold"

count_sessions() { smbstatus -s "$DIR/smb.conf" -b 2>/dev/null | grep -c ' 127\.0\.0\.1 \| ipv4:127\.0\.0\.1' || true; }
before=$(count_sessions)

for i in $(seq 1 "$N"); do
	if [ $((i % 2)) -eq 1 ]; then u=alice; else u=bob; fi
	pw=$(sed -n "s/^$u=//p" "$PWFILE" | head -n1)
	fifo=$DIR/hold/in.$i
	mkfifo "$fifo"
	# The password goes through the environment (PASSWD), not argv.
	PASSWD="$pw" smbclient "//$SESSIONSIM_SAMBA_HOST/$SESSIONSIM_SAMBA_SHARE" -p "$SESSIONSIM_SAMBA_PORT" \
		-U "$u" <"$fifo" >/dev/null 2>&1 &
	echo $! >"$DIR/pid/hold-smbclient.$i.pid"
	sleep "$SECS" >"$fifo" &
	echo $! >"$DIR/pid/hold-sleep.$i.pid"
done

want=$((before + N))
for _ in $(seq 1 300); do
	[ "$(count_sessions)" -ge "$want" ] && break
	sleep 0.1
done
have=$(count_sessions)
[ "$have" -ge "$want" ] || die "only $have of $want sessions from 127.0.0.1 after 30 s"
echo "hold-sessions.sh: holding $N sessions for ${SECS}s ($have from 127.0.0.1 in all)" >&2
