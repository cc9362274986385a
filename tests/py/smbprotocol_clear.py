"""Sends requests in clear where lwiod requires encryption, through smbprotocol's
low-level API with its encryption turned off after the server asked for it.

usage: smbprotocol_clear.py PORT USER PASSWORD SHARE

Prints, one a line: "session-flag True|False" (SMB2_SESSION_FLAG_ENCRYPT_DATA), then
"tree-flag True|False" (SMB2_SHAREFLAG_ENCRYPT_DATA) and "clear-create STATUS" for a CREATE
sent unencrypted on that tree, or "clear-tree STATUS" when the unencrypted TREE_CONNECT
itself was refused; then "encrypted-create ok" for the same CREATE sent encrypted."""

import sys
import uuid

from smbprotocol.connection import Connection
from smbprotocol.exceptions import SMBResponseException
from smbprotocol.open import (
    CreateDisposition,
    CreateOptions,
    FilePipePrinterAccessMask,
    ImpersonationLevel,
    Open,
    ShareAccess,
)
from smbprotocol.session import Session
from smbprotocol.tree import TreeConnect


def create(tree, name):
    f = Open(tree, name)
    f.create(
        ImpersonationLevel.Impersonation,
        FilePipePrinterAccessMask.GENERIC_READ | FilePipePrinterAccessMask.GENERIC_WRITE,
        0,
        ShareAccess.FILE_SHARE_READ,
        CreateDisposition.FILE_OVERWRITE_IF,
        CreateOptions.FILE_NON_DIRECTORY_FILE,
    )
    f.close()


def status(e):
    return "0x%08x" % e.status


def main():
    port, user, password, share = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    conn = Connection(uuid.uuid4(), "127.0.0.1", port)
    conn.connect()
    session = Session(conn, user, password, require_encryption=False)
    session.connect()
    asked = session.encrypt_data
    print("session-flag", asked)
    # In clear, signed (smbprotocol stops signing on a session it encrypts; lwiod requires
    # signing, so an unsigned request would be refused for that alone).
    session.encrypt_data = False
    session.signing_required = True
    tree = TreeConnect(session, r"\\127.0.0.1\%s" % share)
    try:
        tree.connect()
    except SMBResponseException as e:
        print("clear-tree", status(e))
        session.encrypt_data = True
        tree.connect()
    print("tree-flag", tree.encrypt_data)
    tree.encrypt_data = False
    try:
        create(tree, "clear.txt")
        print("clear-create ok")
    except SMBResponseException as e:
        print("clear-create", status(e))
    tree.encrypt_data = True
    create(tree, "sealed.txt")
    print("encrypted-create ok")
    conn.disconnect()


if __name__ == "__main__":
    main()
