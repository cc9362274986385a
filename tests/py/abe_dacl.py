"""The steps of tests/abe_smb.rs that Samba's tools cannot take against a server on another
port than 445 (smbcacls ignores the port) or at all (rpcclient sets no SHI1005 flags).

usage: abe_dacl.py dacl PORT USER:PASSWORD NAME private|public
         gives NAME (owned by USER) a protected DACL: `private`, the owner's full control
         alone; `public`, that and FILE_GENERIC_READ for Everyone.
       abe_dacl.py flags PORT USER:PASSWORD SHARE FLAGS
         sets the share's SHI1005 flags (NetrShareSetInfo level 1005) and prints them as
         NetrShareGetInfo level 1005 reads them back.
"""

import os
import sys

from impacket.dcerpc.v5 import srvs, transport

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from authz_attacks import (  # noqa: E402
    DACL_SECURITY_INFORMATION,
    EVERYONE,
    FILE_ALL_ACCESS,
    FILE_GENERIC_READ,
    READ_CONTROL,
    WRITE_DAC,
    Client,
    ace,
    acl,
    descriptor,
)


def dacl(port, user, password, name, kind):
    owner = Client(port, user, password)
    fid = owner.create(name, READ_CONTROL | WRITE_DAC)
    sid = owner.owner_of(fid)
    aces = [ace(FILE_ALL_ACCESS, sid)]
    if kind == "public":
        aces.append(ace(FILE_GENERIC_READ, EVERYONE))
    elif kind != "private":
        sys.exit("unknown kind %s" % kind)
    owner.set_security(fid, DACL_SECURITY_INFORMATION, descriptor(dacl=acl(aces)))
    owner.close(fid)
    print(kind, name, "owner", sid)


def flags(port, user, password, share, value):
    t = transport.SMBTransport("127.0.0.1", port, r"\srvsvc", username=user, password=password)
    dce = t.get_dce_rpc()
    dce.connect()
    dce.bind(srvs.MSRPC_UUID_SRVS)
    info = srvs.SHARE_INFO_1005()
    info["shi1005_flags"] = value
    srvs.hNetrShareSetInfo(dce, share + "\x00", 1005, info)
    got = srvs.hNetrShareGetInfo(dce, share + "\x00", 1005)
    print("flags 0x%x" % got["InfoStruct"]["ShareInfo1005"]["shi1005_flags"])


def main():
    command, port, creds, name, arg = sys.argv[1:6]
    user, password = creds.split(":", 1)
    if command == "dacl":
        dacl(int(port), user, password, name, arg)
    elif command == "flags":
        flags(int(port), user, password, name, int(arg, 0))
    else:
        sys.exit("unknown command %s" % command)


if __name__ == "__main__":
    main()
