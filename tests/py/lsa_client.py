"""impacket's LSA clients against lwiod, for tests/lsa_interop.rs.

usage: lsa_client.py PORT USER PASSWORD COMMAND [ARGS...]

Commands (each prints what it found, one fact a line, and exits non-zero on an error):
  lookupsid [MAXRID]   impacket's lookupsid.py: brute-forces RIDs 0..MAXRID (default 4000)
                       of the account domain through LsarLookupSids, printing
                       "RID: DOMAIN\\name (SidType...)" for every SID that resolves
  builtin [MAXRID]     the same brute force over the Builtin domain (S-1-5-32), with the
                       same calls (LsarOpenPolicy2, LsarLookupSids at LsapLookupWksta)
  names NAME...        LsarLookupNames3 of the names: "NAME -> SID (SidType...)", or
                       "NAME unmapped"
"""

import importlib.util
import os
import sys

from impacket.dcerpc.v5 import lsad, lsat, transport
from impacket.dcerpc.v5.dtypes import MAXIMUM_ALLOWED
from impacket.dcerpc.v5.rpcrt import DCERPCException
from impacket.dcerpc.v5.samr import SID_NAME_USE


def load_example(name):
    """One of impacket's example scripts, as a module, from the venv's bin directory."""
    path = os.path.join(os.path.dirname(sys.executable), name)
    spec = importlib.util.spec_from_file_location(name[:-3], path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def connect(port, user, password):
    t = transport.DCERPCTransportFactory(r"ncacn_np:127.0.0.1[\pipe\lsarpc]")
    t.set_dport(port)
    t.setRemoteHost("127.0.0.1")
    t.set_credentials(user, password, "", "", "")
    dce = t.get_dce_rpc()
    dce.connect()
    dce.bind(lsat.MSRPC_UUID_LSAT)
    policy = lsad.hLsarOpenPolicy2(dce, MAXIMUM_ALLOWED | lsat.POLICY_LOOKUP_NAMES)["PolicyHandle"]
    return dce, policy


def brute_force(dce, policy, domain_sid, max_rid):
    """What lookupsid.py does, over any domain: LsarLookupSids of every RID, printing
    those that resolve."""
    sids = ["%s-%d" % (domain_sid, rid) for rid in range(max_rid + 1)]
    try:
        resp = lsat.hLsarLookupSids(dce, policy, sids, lsat.LSAP_LOOKUP_LEVEL.LsapLookupWksta)
    except DCERPCException as e:
        if str(e).find("STATUS_NONE_MAPPED") >= 0:
            return
        if str(e).find("STATUS_SOME_NOT_MAPPED") < 0:
            raise
        resp = e.get_packet()
    domains = resp["ReferencedDomains"]["Domains"]
    for rid, item in enumerate(resp["TranslatedNames"]["Names"]):
        if item["Use"] != SID_NAME_USE.SidTypeUnknown:
            print("%d: %s\\%s (%s)" % (rid, domains[item["DomainIndex"]]["Name"], item["Name"],
                                      SID_NAME_USE.enumItems(item["Use"]).name))


def main():
    port, user, password, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    args = sys.argv[5:]
    if cmd == "lookupsid":
        example = load_example("lookupsid.py")
        # Its command line only takes ports 139 and 445.
        example.LSALookupSid.KNOWN_PROTOCOLS[port] = {
            "bindstr": r"ncacn_np:%s[\pipe\lsarpc]",
            "set_host": True,
        }
        max_rid = args[0] if args else "4000"
        example.LSALookupSid(user, password, "", port, maxRid=max_rid).dump("127.0.0.1", "127.0.0.1")
        return
    dce, policy = connect(port, user, password)
    if cmd == "builtin":
        brute_force(dce, policy, "S-1-5-32", int(args[0]) if args else 1000)
    elif cmd == "names":
        try:
            resp = lsat.hLsarLookupNames3(dce, policy, args)
        except DCERPCException as e:
            if str(e).find("STATUS_SOME_NOT_MAPPED") < 0 and str(e).find("STATUS_NONE_MAPPED") < 0:
                raise
            resp = e.get_packet()
        for name, item in zip(args, resp["TranslatedSids"]["Sids"]):
            if item["Use"] == SID_NAME_USE.SidTypeUnknown:
                print("%s unmapped" % name)
            else:
                print("%s -> %s (%s)" % (name, item["Sid"].formatCanonical(),
                                         SID_NAME_USE.enumItems(item["Use"]).name))
    else:
        raise SystemExit("unknown command " + cmd)
    lsad.hLsarClose(dce, policy)


if __name__ == "__main__":
    main()
