"""impacket's SAMR client against lwiod, for tests/samr_interop.rs.

usage: samr_client.py PORT ADMIN PASSWORD COMMAND [ARGS...]

Commands (each prints what it did, one fact a line, and exits non-zero on an error):
  net ENTRY KEY=VALUE...    impacket's net.py (user create/enable/disable/remove)
  samrdump                  impacket's samrdump.py
  useradd NAME PASSWORD     CreateUser2InDomain, password at level 25 (the
                            net.py path: SamrSetInformationUser2 with the salted
                            RC4 buffer), enabled at level 16
  enable NAME | disable NAME  UserControlInformation (16)
  userdel NAME              OpenUser + DeleteUser
  addmem ALIAS NAME | delmem ALIAS NAME
                            Add/RemoveMemberFromAlias on the alias (Builtin first,
                            as net.py localgroup does, then the account domain)
  members ALIAS             GetMembersInAlias, printed as SIDs
  dump                      what samrdump.py prints: every user with its level 21
                            information
  bench N [PREFIX]          create users PREFIX0..N-1, enumerate, look each up by
                            name (timings on stdout)
  create_many N             CreateUser2InDomain of u0..u{N-1}, printing each RID as
                            its create is answered (the durability test)
"""

import sys
import time

from impacket.dcerpc.v5 import samr, transport
from impacket.dcerpc.v5.dtypes import NULL
from impacket.dcerpc.v5.rpcrt import DCERPCException
from impacket.nt_errors import STATUS_MORE_ENTRIES


def connect(port, user, password):
    binding = r"ncacn_np:127.0.0.1[\pipe\samr]"
    t = transport.DCERPCTransportFactory(binding)
    t.set_dport(port)
    t.setRemoteHost("127.0.0.1")
    t.set_credentials(user, password, "", "", "")
    dce = t.get_dce_rpc()
    dce.connect()
    # SMB 3.x: SAMR encrypts passwords with the 3.x application key, which impacket
    # derives only when the server offers encryption.
    print("dialect 0x%04x" % t.get_smb_connection().getDialect())
    dce.bind(samr.MSRPC_UUID_SAMR)
    server = samr.hSamrConnect5(dce, "\\\\127.0.0.1\x00")["ServerHandle"]
    domains = samr.hSamrEnumerateDomainsInSamServer(dce, server)["Buffer"]["Buffer"]
    names = [d["Name"] for d in domains]
    account = [n for n in names if n.lower() != "builtin"][0]
    handles = {}
    for name in (account, "Builtin"):
        sid = samr.hSamrLookupDomainInSamServer(dce, server, name)["DomainId"]
        handles[name.lower()] = (
            samr.hSamrOpenDomain(dce, server, domainId=sid)["DomainHandle"],
            sid,
        )
    return dce, handles[account.lower()], handles["builtin"]


def open_user(dce, domain, name):
    rid = samr.hSamrLookupNamesInDomain(dce, domain, [name])["RelativeIds"]["Element"][0]["Data"]
    return samr.hSamrOpenUser(dce, domain, samr.MAXIMUM_ALLOWED, rid)["UserHandle"], rid


def set_control(dce, user, enable):
    info = samr.hSamrQueryInformationUser2(
        dce, user, samr.USER_INFORMATION_CLASS.UserControlInformation
    )["Buffer"]["Control"]["UserAccountControl"]
    if enable:
        info &= ~samr.USER_ACCOUNT_DISABLED
    else:
        info |= samr.USER_ACCOUNT_DISABLED
    buf = samr.SAMPR_USER_INFO_BUFFER()
    buf["tag"] = samr.USER_INFORMATION_CLASS.UserControlInformation
    buf["Control"]["UserAccountControl"] = info
    samr.hSamrSetInformationUser2(dce, user, buf)
    return info


def find_alias(dce, account, builtin, alias):
    for domain in (builtin[0], account[0]):
        try:
            r = samr.hSamrLookupNamesInDomain(dce, domain, [alias])
        except DCERPCException:
            continue
        rid = r["RelativeIds"]["Element"][0]["Data"]
        return samr.hSamrOpenAlias(dce, domain, aliasId=rid)["AliasHandle"]
    raise SystemExit("no alias " + alias)


def sid_of(account, rid):
    return account[1].formatCanonical() + "-%d" % rid


def load_example(name):
    """One of impacket's example scripts (net.py, samrdump.py) as a module, from the
    venv's bin directory, printing the dialect of each SMB connection it makes."""
    import importlib.util
    import os

    path = os.path.join(os.path.dirname(sys.executable), name)
    spec = importlib.util.spec_from_file_location(name[:-3], path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    if hasattr(module, "SMBConnection"):
        original = module.SMBConnection

        def connection(*args, **kwargs):
            c = original(*args, **kwargs)
            print("dialect 0x%04x" % c.getDialect())
            return c

        module.SMBConnection = connection
    return module


def netpy(port, admin, password, entry, options):
    """impacket's net.py, its Net class run with these options (its command line only
    takes ports 139 and 445)."""
    import argparse

    net = load_example("net.py")
    ns = argparse.Namespace(
        entry=entry, aesKey=None, k=False, dc_ip=None, hashes=None, port=port, debug=False,
        **options
    )
    net.Net("", admin, password, ns).run("127.0.0.1", "127.0.0.1")


def main():
    port, admin, password, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    args = sys.argv[5:]
    if cmd == "net":
        # net user|localgroup KEY=VALUE...: net.py's options (create, newPasswd, enable,
        # disable, remove, name, join, unjoin).
        netpy(port, admin, password, args[0], dict(a.split("=", 1) for a in args[1:]))
        return
    if cmd == "samrdump":
        dump = load_example("samrdump.py")
        dump.SAMRDump(admin, password, "", port=port).dump("127.0.0.1", "127.0.0.1")
        return
    dce, account, builtin = connect(port, admin, password)
    dom = account[0]
    if cmd == "useradd":
        name, pw = args
        r = samr.hSamrCreateUser2InDomain(dce, dom, name, samr.USER_NORMAL_ACCOUNT, samr.MAXIMUM_ALLOWED)
        user = r["UserHandle"]
        print("created", name, "rid", r["RelativeId"])
        samr.hSamrSetPasswordInternal4New(dce, user, pw)
        print("password set")
        # hSamrSetPasswordInternal4New marks the password expired (change at next
        # logon); clear that, as an administrator creating a ready account does.
        buf = samr.SAMPR_USER_INFO_BUFFER()
        buf["tag"] = samr.USER_INFORMATION_CLASS.UserAllInformation
        all_ = buf["All"]
        for f in ("UserName", "FullName", "HomeDirectory", "HomeDirectoryDrive", "ScriptPath",
                  "ProfilePath", "AdminComment", "WorkStations", "UserComment", "Parameters",
                  "PrivateData"):
            all_[f] = NULL
        all_["LmOwfPassword"]["Buffer"] = NULL
        all_["NtOwfPassword"]["Buffer"] = NULL
        all_["SecurityDescriptor"]["SecurityDescriptor"] = NULL
        all_["LogonHours"]["LogonHours"] = NULL
        all_["WhichFields"] = 0x08000000  # USER_ALL_PASSWORDEXPIRED
        all_["PasswordExpired"] = 0
        samr.hSamrSetInformationUser2(dce, user, buf)
        print("password not expired")
        print("control 0x%x" % set_control(dce, user, True))
    elif cmd in ("enable", "disable"):
        user, _ = open_user(dce, dom, args[0])
        print("control 0x%x" % set_control(dce, user, cmd == "enable"))
    elif cmd == "userdel":
        user, rid = open_user(dce, dom, args[0])
        samr.hSamrDeleteUser(dce, user)
        print("deleted rid", rid)
    elif cmd in ("addmem", "delmem"):
        alias = find_alias(dce, account, builtin, args[0])
        _, rid = open_user(dce, dom, args[1])
        from impacket.dcerpc.v5.dtypes import RPC_SID

        sid = RPC_SID()
        sid.fromCanonical(sid_of(account, rid))
        if cmd == "addmem":
            samr.hSamrAddMemberToAlias(dce, alias, sid)
        else:
            samr.hSamrRemoveMemberFromAlias(dce, alias, sid)
        print(cmd, "ok")
    elif cmd == "members":
        alias = find_alias(dce, account, builtin, args[0])
        for s in samr.hSamrGetMembersInAlias(dce, alias)["Members"]["Sids"]:
            print("member", s["SidPointer"].formatCanonical())
    elif cmd == "dump":
        ctx = 0
        while True:
            try:
                r = samr.hSamrEnumerateUsersInDomain(dce, dom, enumerationContext=ctx)
            except DCERPCException as e:
                if str(e).find("STATUS_MORE_ENTRIES") < 0:
                    raise
                r = e.get_packet()
            for u in r["Buffer"]["Buffer"]:
                h = samr.hSamrOpenUser(dce, dom, samr.MAXIMUM_ALLOWED, u["RelativeId"])["UserHandle"]
                info = samr.hSamrQueryInformationUser2(
                    dce, h, samr.USER_INFORMATION_CLASS.UserAllInformation
                )["Buffer"]["All"]
                print(
                    "user %s rid %d control 0x%x pwdlastset %d"
                    % (
                        info["UserName"],
                        info["UserId"],
                        info["UserAccountControl"],
                        (info["PasswordLastSet"]["HighPart"] << 32) + info["PasswordLastSet"]["LowPart"],
                    )
                )
                samr.hSamrCloseHandle(dce, h)
            ctx = r["EnumerationContext"]
            if r["ErrorCode"] != STATUS_MORE_ENTRIES:
                break
        for d in samr.hSamrQueryDisplayInformation3(dce, dom)["Buffer"]["UserInformation"]["Buffer"]:
            print("display %s" % d["AccountName"])
    elif cmd == "bench":
        n = int(args[0])
        prefix = args[1] if len(args) > 1 else "bench"
        t0 = time.monotonic()
        for i in range(n):
            r = samr.hSamrCreateUser2InDomain(dce, dom, "%s%d" % (prefix, i), samr.USER_NORMAL_ACCOUNT, samr.MAXIMUM_ALLOWED)
            samr.hSamrCloseHandle(dce, r["UserHandle"])
        t1 = time.monotonic()
        seen = 0
        ctx = 0
        while True:
            try:
                r = samr.hSamrEnumerateUsersInDomain(dce, dom, enumerationContext=ctx, preferedMaximumLength=65536)
            except DCERPCException as e:
                if str(e).find("STATUS_MORE_ENTRIES") < 0:
                    raise
                r = e.get_packet()
            seen += len(r["Buffer"]["Buffer"])
            ctx = r["EnumerationContext"]
            if r["ErrorCode"] != STATUS_MORE_ENTRIES:
                break
        t2 = time.monotonic()
        for i in range(n):
            samr.hSamrLookupNamesInDomain(dce, dom, ["%s%d" % (prefix, i)])
        t3 = time.monotonic()
        print("create %.3f enumerate %.3f lookup %.3f seen %d" % (t1 - t0, t2 - t1, t3 - t2, seen))
    elif cmd == "create_many":
        for i in range(int(args[0])):
            r = samr.hSamrCreateUser2InDomain(dce, dom, "u%d" % i, samr.USER_NORMAL_ACCOUNT, samr.MAXIMUM_ALLOWED)
            print("u%d %d" % (i, r["RelativeId"]), flush=True)
    else:
        raise SystemExit("unknown command " + cmd)


if __name__ == "__main__":
    main()
