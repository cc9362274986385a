"""Gives a file of the share a protected DACL (tests/abe_smb.rs): `private`, the owner's
full control alone; `public`, that and FILE_GENERIC_READ for Everyone. smbcacls cannot
reach a server on another port than 445, so impacket sets it.

usage: abe_dacl.py PORT USER:PASSWORD NAME private|public
"""

import os
import sys

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


def main():
    port, creds, name, kind = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    user, password = creds.split(":", 1)
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


if __name__ == "__main__":
    main()
