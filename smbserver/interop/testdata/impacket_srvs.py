#!/usr/bin/python3
"""impacket_srvs.py HOST PORT USER CMD [ARGS...] -- one impacket MS-SRVS client for sessionsim's
interop checks. The password comes from the environment (SESSIONSIM_INTEROP_PASSWORD), never
argv. It binds \\PIPE\\srvsvc once over SMB (impacket's SMBConnection under
DCERPCTransportFactory, ncacn_np, the port set with set_dport), runs each command and prints
one JSON object per command on stdout:

  enum LEVEL [CLIENT USER]   hNetrSessionEnum; CLIENT/USER "-" = NULL
  del CLIENT USER            hNetrSessionDel;  "-" = NULL

Each object: {"cmd", "level", "status" (the NET_API_STATUS as a number, 0 = NERR_Success),
"totalentries", "entries": [{"cname", "username", "num_opens", "time", "idle_time",
"user_flags", "cltype_name", "transport"} with the members the level has]}. Exit 0 when every
call got an answer from the server (whatever its status), 1 on a transport or protocol error.
"""
import json
import os
import sys

from impacket.dcerpc.v5 import srvs, transport
from impacket.dcerpc.v5.rpcrt import DCERPCException

FIELDS = {
    0: [("sesi0_cname", "cname")],
    1: [("sesi1_cname", "cname"), ("sesi1_username", "username"), ("sesi1_num_opens", "num_opens"),
        ("sesi1_time", "time"), ("sesi1_idle_time", "idle_time"), ("sesi1_user_flags", "user_flags")],
    2: [("sesi2_cname", "cname"), ("sesi2_username", "username"), ("sesi2_num_opens", "num_opens"),
        ("sesi2_time", "time"), ("sesi2_idle_time", "idle_time"), ("sesi2_user_flags", "user_flags"),
        ("sesi2_cltype_name", "cltype_name")],
    10: [("sesi10_cname", "cname"), ("sesi10_username", "username"), ("sesi10_time", "time"),
         ("sesi10_idle_time", "idle_time")],
    502: [("sesi502_cname", "cname"), ("sesi502_username", "username"), ("sesi502_num_opens", "num_opens"),
          ("sesi502_time", "time"), ("sesi502_idle_time", "idle_time"), ("sesi502_user_flags", "user_flags"),
          ("sesi502_cltype_name", "cltype_name"), ("sesi502_transport", "transport")],
}


def arg(v):
    return srvs.NULL if v == "-" else v + "\x00"


def value(v):
    if isinstance(v, int):
        return v
    s = str(v)
    return s[:-1] if s.endswith("\x00") else s


def status_of(e):
    code = e.get_error_code()
    return code if code is not None else -1


def enum(dce, level, client, user):
    out = {"cmd": "enum", "level": level}
    try:
        resp = srvs.hNetrSessionEnum(dce, arg(client), arg(user), level)
    except DCERPCException as e:
        out.update(status=status_of(e), totalentries=0, entries=[])
        return out
    ctr = resp["InfoStruct"]["SessionInfo"]["Level%d" % level]
    entries = []
    for item in ctr["Buffer"] or []:
        entries.append({name: value(item[f]) for f, name in FIELDS[level]})
    out.update(status=resp["ErrorCode"], totalentries=resp["TotalEntries"], entries=entries)
    return out


def delete(dce, client, user):
    out = {"cmd": "del"}
    try:
        resp = srvs.hNetrSessionDel(dce, arg(client), arg(user))
        out["status"] = resp["ErrorCode"]
    except DCERPCException as e:
        out["status"] = status_of(e)
    return out


def main():
    if len(sys.argv) < 5:
        sys.exit("usage: impacket_srvs.py HOST PORT USER CMD [ARGS...]")
    host, port, user = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    password = os.environ.get("SESSIONSIM_INTEROP_PASSWORD", "")
    rpc = transport.DCERPCTransportFactory(r"ncacn_np:%s[\pipe\srvsvc]" % host)
    rpc.set_dport(port)
    rpc.set_credentials(user, password)
    dce = rpc.get_dce_rpc()
    dce.connect()
    dce.bind(srvs.MSRPC_UUID_SRVS)
    args = sys.argv[4:]
    while args:
        cmd = args.pop(0)
        if cmd == "enum":
            level = int(args.pop(0))
            client = user_ = "-"
            if args and args[0] not in ("enum", "del"):
                client, user_ = args.pop(0), args.pop(0)
            print(json.dumps(enum(dce, level, client, user_)), flush=True)
        elif cmd == "del":
            client, user_ = args.pop(0), args.pop(0)
            print(json.dumps(delete(dce, client, user_)), flush=True)
        else:
            sys.exit("unknown command %r" % cmd)
    dce.disconnect()


if __name__ == "__main__":
    main()
