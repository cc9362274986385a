#!/usr/bin/env python3
"""One account attacks another's files over SMB2/3 with impacket's raw requests.

usage: authz_attacks.py PORT ALICE:PASS BOB:PASS
       authz_attacks.py grant-read PORT USER:PASS NAME   (the owner lets everyone read NAME)

Alice sets the scene on the share `share` (a file everyone may read, a private directory,
files of her own), then Bob tries what a hostile user would: renames and hard
links over her file or into her directory (all four classes), delete and delete-on-close,
every set-information class and FSCTL that changes a file, an owner or SACL given at
create, and a rename whose target directory the share `noadd` does not let him add to.
The share `ro` is read-only.

Prints one line per step: its name and the NTSTATUS it got (0x00000000 for success).
The Rust test (tests/authz_smb.rs) asserts each status and checks the files on disk.
"""

import struct
import sys

from impacket import smb3
from impacket.smbconnection import SMBConnection, SessionError

# Access rights (MS-DTYP 2.4.3, MS-SMB2 2.2.13.1).
FILE_READ_DATA = 0x1
FILE_WRITE_DATA = 0x2
FILE_LIST_DIRECTORY = 0x1
FILE_WRITE_ATTRIBUTES = 0x100
DELETE = 0x10000
READ_CONTROL = 0x20000
WRITE_DAC = 0x40000
WRITE_OWNER = 0x80000
SYNCHRONIZE = 0x100000
MAXIMUM_ALLOWED = 0x2000000
GENERIC_ALL = 0x10000000
GENERIC_READ = 0x80000000
FILE_GENERIC_READ = 0x120089
FILE_ALL_ACCESS = 0x1F01FF

SHARE_ALL = 0x7
SHARE_RW = 0x3

# Create dispositions and options.
FILE_OPEN = 1
FILE_CREATE = 2
FILE_OPEN_IF = 3
FILE_DIRECTORY_FILE = 0x1
FILE_NON_DIRECTORY_FILE = 0x40
FILE_DELETE_ON_CLOSE = 0x1000

FILE_ATTRIBUTE_READONLY = 0x1
FILE_ATTRIBUTE_NORMAL = 0x80
FILE_ATTRIBUTE_DIRECTORY = 0x10

# Information classes (MS-FSCC 2.4).
BASIC = 4
RENAME = 10
LINK = 11
DISPOSITION = 13
FULL_EA = 15
ALLOCATION = 19
END_OF_FILE = 20
VALID_DATA_LENGTH = 39
DISPOSITION_EX = 64
RENAME_EX = 65
LINK_EX = 72

INFO_FILE = 1
INFO_SECURITY = 3
OWNER_SECURITY_INFORMATION = 0x1
DACL_SECURITY_INFORMATION = 0x4

FSCTL_SET_SPARSE = 0x000900C4
FSCTL_SET_ZERO_DATA = 0x000980C8
FSCTL_SET_REPARSE_POINT = 0x000900A4
SMB2_0_IOCTL_IS_FSCTL = 0x1

EVERYONE = "S-1-1-0"
SYSTEM = "S-1-5-18"


def sid_bytes(text):
    parts = text.split("-")
    subs = [int(x) for x in parts[3:]]
    out = struct.pack("<BB", int(parts[1]), len(subs)) + int(parts[2]).to_bytes(6, "big")
    return out + b"".join(struct.pack("<I", s) for s in subs)


def parse_sid(buf, off):
    count = buf[off + 1]
    auth = int.from_bytes(buf[off + 2:off + 8], "big")
    subs = struct.unpack_from("<%dI" % count, buf, off + 8)
    return "S-%d-%d" % (buf[off], auth) + "".join("-%d" % s for s in subs)


def ace(mask, sid, flags=0, kind=0):
    body = struct.pack("<I", mask) + sid_bytes(sid)
    return struct.pack("<BBH", kind, flags, 4 + len(body)) + body


def acl(aces):
    data = b"".join(aces)
    return struct.pack("<BBHHH", 2, 0, 8 + len(data), len(aces), 0) + data


def descriptor(owner=None, dacl=None, sacl=None):
    """A self-relative security descriptor (MS-DTYP 2.4.6); a given DACL is protected."""
    control = 0x8000
    body = b""
    offsets = {"owner": 0, "sacl": 0, "dacl": 0}
    if sacl is not None:
        control |= 0x0010
        offsets["sacl"] = 20 + len(body)
        body += sacl
    if dacl is not None:
        control |= 0x0004 | 0x1000
        offsets["dacl"] = 20 + len(body)
        body += dacl
    if owner is not None:
        offsets["owner"] = 20 + len(body)
        body += sid_bytes(owner)
    header = struct.pack("<BBHIIII", 1, 0, control, offsets["owner"], 0,
                         offsets["sacl"], offsets["dacl"])
    return header + body


class SecD:
    """The SMB2_CREATE_SD_BUFFER create context (MS-SMB2 2.2.13.2.3)."""

    def __init__(self, sd):
        self.sd = sd

    def getData(self):
        name = b"SecD"
        return struct.pack("<IHHHHI", 0, 16, len(name), 0, 24, len(self.sd)) + name + b"\0" * 4 + self.sd


def target_info(name, replace=False, flags=0, ex=False, root=0):
    """FileRename/LinkInformation (or their Ex forms), SMB2 layout (MS-FSCC 2.4.42.2)."""
    encoded = name.encode("utf-16-le")
    head = struct.pack("<II", flags, 0) if ex else struct.pack("<B7x", 1 if replace else 0)
    return head + struct.pack("<QI", root, len(encoded)) + encoded


class Client:
    def __init__(self, port, user, password, share="share"):
        self.conn = SMBConnection("127.0.0.1", "127.0.0.1", sess_port=port)
        self.conn.login(user, password)
        self.smb = self.conn.getSMBServer()
        self.tid = self.conn.connectTree(share)

    def tree(self, share):
        return self.conn.connectTree(share)

    def create(self, name, access, disposition=FILE_OPEN, options=0, share=SHARE_ALL,
               attrs=FILE_ATTRIBUTE_NORMAL, contexts=None, tid=None):
        return self.smb.create(self.tid if tid is None else tid, name, access, share, options,
                               disposition, attrs, createContexts=contexts)

    def close(self, fid, tid=None):
        self.smb.close(self.tid if tid is None else tid, fid)

    def write(self, fid, data):
        self.smb.write(self.tid, fid, data, 0, len(data))

    def set_info(self, fid, cls, blob, tid=None):
        self.smb.setInfo(self.tid if tid is None else tid, fid, inputBlob=blob,
                         infoType=INFO_FILE, fileInfoClass=cls)

    def set_security(self, fid, info, sd):
        self.smb.setInfo(self.tid, fid, inputBlob=sd, infoType=INFO_SECURITY,
                         fileInfoClass=0, additionalInformation=info)

    def owner_of(self, fid):
        sd = self.smb.queryInfo(self.tid, fid, infoType=INFO_SECURITY, fileInfoClass=0,
                                additionalInformation=OWNER_SECURITY_INFORMATION)
        off = struct.unpack_from("<I", sd, 4)[0]
        return parse_sid(sd, off)

    def fsctl(self, fid, code, blob):
        return self.smb.ioctl(self.tid, fid, code, flags=SMB2_0_IOCTL_IS_FSCTL,
                              inputBlob=blob, maxOutputResponse=0)


results = {}


def attempt(name, action):
    """Runs `action`, recording 0 or the NTSTATUS of the SessionError it raised."""
    try:
        action()
        results[name] = 0
    except (SessionError, smb3.SessionError) as e:
        results[name] = e.get_error_code() if hasattr(e, "get_error_code") else e.getErrorCode()


def must(name, action):
    """A step of the scene: it has to succeed."""
    attempt(name, action)
    if results[name] != 0:
        sys.exit("setup step %s failed: 0x%08x" % (name, results[name]))


def grant_read(port, creds, name):
    user, password = creds.split(":", 1)
    owner = Client(port, user, password)
    fid = owner.create(name, READ_CONTROL | WRITE_DAC)
    sid = owner.owner_of(fid)
    dacl = acl([ace(FILE_ALL_ACCESS, sid), ace(FILE_ALL_ACCESS, SYSTEM),
                ace(FILE_GENERIC_READ, EVERYONE)])
    owner.set_security(fid, DACL_SECURITY_INFORMATION, descriptor(dacl=dacl))
    owner.close(fid)


def main():
    if sys.argv[1] == "grant-read":
        grant_read(int(sys.argv[2]), sys.argv[3], sys.argv[4])
        return
    port = int(sys.argv[1])
    alice_user, alice_pass = sys.argv[2].split(":", 1)
    bob_user, bob_pass = sys.argv[3].split(":", 1)

    alice = Client(port, alice_user, alice_pass)
    # The scene: victim.txt, which everyone may read; private/, which only alice may add
    # to; her own files are hers alone.
    fid = alice.create("victim.txt", GENERIC_ALL, FILE_CREATE)
    alice.write(fid, b"alice's secret")
    alice_sid = alice.owner_of(fid)
    readable = acl([ace(FILE_ALL_ACCESS, alice_sid), ace(FILE_ALL_ACCESS, SYSTEM),
                    ace(FILE_GENERIC_READ, EVERYONE)])
    print("alice_sid", alice_sid)
    must("alice_shares_victim", lambda: alice.set_security(
        fid, DACL_SECURITY_INFORMATION, descriptor(dacl=readable)))
    alice.close(fid)
    fid = alice.create("private", GENERIC_ALL, FILE_CREATE, FILE_DIRECTORY_FILE,
                       attrs=FILE_ATTRIBUTE_DIRECTORY)
    private = acl([ace(FILE_ALL_ACCESS, alice_sid, flags=0x3),
                   ace(0x1200A9, EVERYONE)])
    must("alice_guards_private", lambda: alice.set_security(
        fid, DACL_SECURITY_INFORMATION, descriptor(dacl=private)))
    alice.close(fid)
    fid = alice.create("hers.txt", GENERIC_ALL, FILE_CREATE)
    alice.write(fid, b"alice's own")
    alice.close(fid)

    bob = Client(port, bob_user, bob_pass)
    # Bob's own pieces: a file to move around, one he keeps open, one read-only, a dir.
    evil = bob.create("evil.txt", DELETE | FILE_WRITE_ATTRIBUTES | GENERIC_READ | FILE_WRITE_DATA,
                      FILE_CREATE)
    bob.write(evil, b"bob's payload")
    held = bob.create("bob_open.txt", GENERIC_ALL, FILE_CREATE)
    ro = bob.create("bob_ro.txt", GENERIC_ALL, FILE_CREATE, attrs=FILE_ATTRIBUTE_READONLY)
    bob.close(ro)
    bob.close(bob.create("bob_dir", GENERIC_ALL, FILE_CREATE, FILE_DIRECTORY_FILE,
                         attrs=FILE_ATTRIBUTE_DIRECTORY))

    # Over alice's file, every form.
    attempt("rename_over_victim", lambda: bob.set_info(evil, RENAME, target_info("victim.txt", True)))
    attempt("rename_ex_over_victim", lambda: bob.set_info(
        evil, RENAME_EX, target_info("VICTIM.TXT", flags=0x41, ex=True)))
    attempt("link_over_victim", lambda: bob.set_info(evil, LINK, target_info("victim.txt", True)))
    attempt("link_ex_over_victim", lambda: bob.set_info(
        evil, LINK_EX, target_info("victim.txt", flags=0x1, ex=True)))
    attempt("rename_over_victim_no_replace", lambda: bob.set_info(
        evil, RENAME, target_info("victim.txt")))
    # A RootDirectory from the network, in any class (it names in-process handles).
    for cls, ex in ((RENAME, False), (RENAME_EX, True), (LINK, False), (LINK_EX, True)):
        attempt("root_directory_%d" % cls, lambda cls=cls, ex=ex: bob.set_info(
            evil, cls, target_info("x.txt", ex=ex, root=1)))
    # Into alice's directory.
    attempt("rename_into_private", lambda: bob.set_info(
        evil, RENAME, target_info("private\\planted.txt")))
    attempt("link_into_private", lambda: bob.set_info(
        evil, LINK, target_info("private\\planted.txt")))
    # Over his own open, read-only file and directory.
    attempt("rename_over_open", lambda: bob.set_info(evil, RENAME, target_info("bob_open.txt", True)))
    attempt("rename_over_readonly", lambda: bob.set_info(evil, RENAME, target_info("bob_ro.txt", True)))
    attempt("rename_over_directory", lambda: bob.set_info(evil, RENAME, target_info("bob_dir", True)))
    bob.close(held)

    # Reading alice's private file, deleting her shared one.
    attempt("read_hers", lambda: bob.close(bob.create("hers.txt", GENERIC_READ)))
    attempt("open_victim_for_delete", lambda: bob.close(bob.create("victim.txt", DELETE)))
    attempt("delete_on_close_max_allowed", lambda: bob.close(bob.create(
        "victim.txt", MAXIMUM_ALLOWED, options=FILE_DELETE_ON_CLOSE | FILE_NON_DIRECTORY_FILE)))
    attempt("overwrite_victim", lambda: bob.close(bob.create("victim.txt", GENERIC_READ, 5)))
    attempt("open_victim_write_dac", lambda: bob.close(bob.create("victim.txt", WRITE_DAC)))

    # Every changing class through a handle that may only read.
    reader = bob.create("victim.txt", GENERIC_READ)
    attempt("read_handle_disposition", lambda: bob.set_info(reader, DISPOSITION, b"\x01"))
    attempt("read_handle_disposition_ex", lambda: bob.set_info(
        reader, DISPOSITION_EX, struct.pack("<I", 1)))
    attempt("read_handle_basic", lambda: bob.set_info(
        reader, BASIC, struct.pack("<qqqqI4x", 0, 0, 0, 0, FILE_ATTRIBUTE_READONLY)))
    attempt("read_handle_end_of_file", lambda: bob.set_info(reader, END_OF_FILE, struct.pack("<q", 0)))
    attempt("read_handle_allocation", lambda: bob.set_info(reader, ALLOCATION, struct.pack("<q", 0)))
    attempt("read_handle_valid_data_length", lambda: bob.set_info(
        reader, VALID_DATA_LENGTH, struct.pack("<q", 0)))
    ea = struct.pack("<IBBH", 0, 0, 3, 1) + b"BAD\0x"
    attempt("read_handle_full_ea", lambda: bob.set_info(reader, FULL_EA, ea + b"\0" * 3))
    attempt("read_handle_rename", lambda: bob.set_info(reader, RENAME, target_info("taken.txt")))
    attempt("read_handle_link", lambda: bob.set_info(reader, LINK, target_info("taken.txt")))
    attempt("read_handle_set_sparse", lambda: bob.fsctl(reader, FSCTL_SET_SPARSE, b"\x01"))
    attempt("read_handle_set_zero_data", lambda: bob.fsctl(
        reader, FSCTL_SET_ZERO_DATA, struct.pack("<qq", 0, 100)))
    attempt("read_handle_set_reparse_point", lambda: bob.fsctl(
        reader, FSCTL_SET_REPARSE_POINT, struct.pack("<IHH", 0xA000000C, 0, 0)))
    bob.close(reader)

    # An owner or a SACL given at create.
    owned = descriptor(owner=alice_sid, dacl=acl([ace(FILE_ALL_ACCESS, EVERYONE)]))
    attempt("create_owned_by_alice", lambda: bob.close(bob.create(
        "owned.txt", GENERIC_ALL, FILE_CREATE, contexts=[SecD(owned)])))
    by_everyone = descriptor(owner=EVERYONE, dacl=acl([ace(FILE_ALL_ACCESS, EVERYONE)]))
    attempt("create_owned_by_everyone", lambda: bob.close(bob.create(
        "everyones.txt", GENERIC_ALL, FILE_CREATE, contexts=[SecD(by_everyone)])))
    audited = descriptor(dacl=acl([ace(FILE_ALL_ACCESS, EVERYONE)]),
                         sacl=acl([ace(FILE_ALL_ACCESS, EVERYONE, flags=0x40, kind=2)]))
    attempt("create_with_sacl", lambda: bob.close(bob.create(
        "audited.txt", GENERIC_ALL, FILE_CREATE, contexts=[SecD(audited)])))

    # A share that lets everyone read and delete but not add: the target directory's open
    # is refused by the share permissions, whatever the directory allows.
    noadd = bob.tree("noadd")
    movable = bob.create("movable.txt", DELETE | GENERIC_READ, tid=noadd)
    attempt("noadd_rename", lambda: bob.set_info(movable, RENAME, target_info("moved.txt"), tid=noadd))
    bob.close(movable, tid=noadd)
    # A read-only share refuses DELETE at the open.
    ro_tree = bob.tree("ro")
    attempt("ro_open_for_delete", lambda: bob.close(bob.create("fixed.txt", DELETE, tid=ro_tree), tid=ro_tree))
    fixed = bob.create("fixed.txt", MAXIMUM_ALLOWED, tid=ro_tree)
    attempt("ro_rename", lambda: bob.set_info(fixed, RENAME, target_info("moved.txt"), tid=ro_tree))
    bob.close(fixed, tid=ro_tree)

    # Bob may still do what is his to do.
    attempt("rename_own_file", lambda: bob.set_info(evil, RENAME, target_info("evil2.txt")))
    bob.close(evil)

    for name, status in results.items():
        print(name, "0x%08x" % status)


if __name__ == "__main__":
    main()
