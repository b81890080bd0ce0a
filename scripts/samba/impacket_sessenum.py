#!/usr/bin/python3
"""impacket_sessenum.py ENVFILE USER N — baseline for sessionsim's srvsvc benchmarks.

Binds \\PIPE\\srvsvc once with impacket (Debian python3-impacket) as USER on the Samba of
scripts/samba/start.sh, calls NetrSessionEnum at level 1 N times, and prints the entry count
and the mean time per call. With N=0 it makes one call only: a whole-process run for hyperfine.
The password is read from the passwords file the env file names, never from argv.
"""
import sys
import time

from impacket.dcerpc.v5 import srvs, transport


def read_kv(path):
    out = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                k, v = line.split("=", 1)
                out[k] = v
    return out


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: impacket_sessenum.py ENVFILE USER N")
    env = read_kv(sys.argv[1])
    user, n = sys.argv[2], int(sys.argv[3])
    password = read_kv(env["SESSIONSIM_SAMBA_PASSWORDS"])[user]
    host, port = env["SESSIONSIM_SAMBA_HOST"], int(env["SESSIONSIM_SAMBA_PORT"])

    rpc = transport.DCERPCTransportFactory(r"ncacn_np:%s[\pipe\srvsvc]" % host)
    rpc.set_dport(port)
    rpc.set_credentials(user, password)
    dce = rpc.get_dce_rpc()
    dce.connect()
    dce.bind(srvs.MSRPC_UUID_SRVS)

    # Warm-up call, as in the Go benchmark: it spawns Samba's RPC worker.
    resp = srvs.hNetrSessionEnum(dce, srvs.NULL, srvs.NULL, 1)
    start = time.perf_counter()
    for _ in range(n):
        resp = srvs.hNetrSessionEnum(dce, srvs.NULL, srvs.NULL, 1)
    elapsed = time.perf_counter() - start
    entries = resp["InfoStruct"]["SessionInfo"]["Level1"]["EntriesRead"]
    if n > 0:
        print("entries=%d calls=%d mean_ms=%.3f" % (entries, n, 1000 * elapsed / n))
    else:  # a whole-process run: the one call above, nothing timed in-process
        print("entries=%d calls=1" % entries)
    dce.disconnect()


if __name__ == "__main__":
    main()
