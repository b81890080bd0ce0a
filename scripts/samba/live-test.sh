#!/usr/bin/env bash
# live-test.sh [GO TEST ARGS...] — the whole test suite against a throw-away Samba on loopback,
# in one command: installs Samba and the third-party clients (rpcclient, smbtorture, impacket)
# from Debian if they are missing, starts it (start.sh), runs
# `go test` with SESSIONSIM_SAMBA_ENV set and CI=true (so a live test that cannot reach Samba
# fails instead of skipping), and stops every process it started, whatever happens.
#
# Run as root from anywhere in the repository. Without arguments it runs the README's test
# command, go test -race -count=1 ./...
set -euo pipefail
cd "$(dirname "$0")/../.."

missing=()
command -v smbd >/dev/null || missing+=(samba)
command -v rpcclient >/dev/null || missing+=(smbclient)
command -v ndrdump >/dev/null || missing+=(samba-testsuite) # ndrdump (the codec's cross-check with Samba's parser), smbtorture
command -v smbtorture >/dev/null || missing+=(samba-testsuite)
/usr/bin/python3 -c 'import impacket' 2>/dev/null || missing+=(python3-impacket) # a third-party client of the served fake
if [ ${#missing[@]} -gt 0 ]; then
  echo "live-test.sh: installing ${missing[*]} from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

dir=$(mktemp -d /tmp/sessionsim-samba.XXXXXX)
scripts/samba/start.sh "$dir" >/dev/null
trap 'scripts/samba/stop.sh "$dir" || true' EXIT
export SESSIONSIM_SAMBA_ENV="$dir/env" CI=true
if [ $# -eq 0 ]; then
  set -- -race -count=1 ./...
fi
go test "$@"
