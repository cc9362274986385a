"""Holds an SMB2 byte-range lock for a test, through smbprotocol (smbclient's `lock`
command needs SMB1's POSIX extensions, so it cannot lock over SMB2).

usage: smbprotocol_lock.py PORT USER PASSWORD SHARE NAME OFFSET LENGTH

Opens NAME on SHARE, takes an exclusive lock of LENGTH bytes at OFFSET (failing at once
on conflict) and prints "locked"; on a line from stdin releases it and prints
"unlocked"; on end of input closes the file and exits. Errors print "error STATUS"."""

import sys
import uuid

from smbprotocol.connection import Connection
from smbprotocol.exceptions import SMBResponseException
from smbprotocol.open import (
    CreateDisposition,
    CreateOptions,
    FilePipePrinterAccessMask,
    ImpersonationLevel,
    LockFlags,
    Open,
    ShareAccess,
    SMB2LockElement,
)
from smbprotocol.session import Session
from smbprotocol.tree import TreeConnect


def element(offset, length, flags):
    e = SMB2LockElement()
    e["offset"] = offset
    e["length"] = length
    e["flags"] = flags
    return e


def main():
    port, user, password, share, name = sys.argv[1:6]
    offset, length = int(sys.argv[6]), int(sys.argv[7])
    conn = Connection(uuid.uuid4(), "127.0.0.1", int(port))
    conn.connect()
    session = Session(conn, user, password, require_encryption=False)
    session.connect()
    tree = TreeConnect(session, r"\\127.0.0.1\%s" % share)
    tree.connect()
    f = Open(tree, name)
    f.create(
        ImpersonationLevel.Impersonation,
        FilePipePrinterAccessMask.GENERIC_READ | FilePipePrinterAccessMask.GENERIC_WRITE,
        0,
        ShareAccess.FILE_SHARE_READ | ShareAccess.FILE_SHARE_WRITE,
        CreateDisposition.FILE_OPEN_IF,
        CreateOptions.FILE_NON_DIRECTORY_FILE,
    )
    try:
        flags = LockFlags.SMB2_LOCKFLAG_EXCLUSIVE_LOCK | LockFlags.SMB2_LOCKFLAG_FAIL_IMMEDIATELY
        f.lock([element(offset, length, flags)])
        print("locked", flush=True)
        sys.stdin.readline()
        f.lock([element(offset, length, LockFlags.SMB2_LOCKFLAG_UNLOCK)])
        print("unlocked", flush=True)
        sys.stdin.readline()
    except SMBResponseException as e:
        print("error 0x%08x" % e.status, flush=True)
    f.close()
    tree.disconnect()
    session.disconnect()
    conn.disconnect()


if __name__ == "__main__":
    main()
