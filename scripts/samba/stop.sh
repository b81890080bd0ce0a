#!/usr/bin/env bash
# stop.sh DIR — stop the Samba that start.sh DIR started: smbd, samba-dcerpcd and their
# workers, each by PID (from the pid files under DIR/pid and, for children whose pid is not
# recorded, from /proc: processes whose command line names DIR/smb.conf). Waits at most 10 s,
# then SIGKILLs what is left. Idempotent: nothing running is not an error. Unix accounts and
# DIR are left in place (start.sh reuses them).
set -euo pipefail

die() { echo "stop.sh: $*" >&2; exit 1; }
[ $# -eq 1 ] || die "usage: stop.sh DIR"
[ -d "$1" ] || { echo "stop.sh: $1 does not exist; nothing to stop" >&2; exit 0; }
DIR=$(cd "$1" && pwd)
CONF=$DIR/smb.conf

pids() {
	local f p
	for f in "$DIR"/pid/*.pid; do
		[ -f "$f" ] || continue
		p=$(tr -dc '0-9' <"$f")
		[ -n "$p" ] && echo "$p"
	done
	# Workers (rpcd_*, smbd children) carry the config path on their command line.
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		[ "$p" = "$$" ] && continue
		if { tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null | grep -qF -- "$CONF"; then
			echo "$p"
		fi
	done
}

alive() { kill -0 "$1" 2>/dev/null; }

mapfile -t targets < <(pids | sort -un)
live=()
for p in "${targets[@]}"; do
	if alive "$p"; then live+=("$p"); fi
done
if [ ${#live[@]} -eq 0 ]; then
	echo "stop.sh: nothing running for $DIR" >&2
	rm -f "$DIR"/pid/*.pid
	exit 0
fi
for p in "${live[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
for _ in $(seq 1 100); do
	left=()
	for p in "${live[@]}"; do if alive "$p"; then left+=("$p"); fi; done
	[ ${#left[@]} -eq 0 ] && break
	sleep 0.1
done
left=()
for p in "${live[@]}"; do if alive "$p"; then left+=("$p"); fi; done
if [ ${#left[@]} -gt 0 ]; then
	echo "stop.sh: SIGKILL to ${left[*]} after 10 s" >&2
	for p in "${left[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	sleep 0.2
fi
# A second sweep catches workers forked while we waited.
mapfile -t rest < <(pids | sort -un)
for p in "${rest[@]}"; do if alive "$p"; then kill -KILL "$p" 2>/dev/null || true; fi; done
rm -f "$DIR"/pid/*.pid
echo "stop.sh: stopped ${#live[@]} process(es) for $DIR" >&2
