#!/usr/bin/env python3
"""Named streams over SMB2/3 with impacket's raw requests.

usage: streams_client.py PORT USER:PASS

On the share `share`: makes `doc.txt` with 5 bytes of data, then the stream
`doc.txt:meta` (written through its own handle), lists the streams with
FileStreamInformation (MS-FSCC 2.4.44), reads the stream back, renames it to `:Renamed`,
deletes it by delete-on-close, and tries the names Windows refuses.

Prints one line per step: its name and what it got (a status as 0x........, or a value).
The Rust test (tests/streams_smb.rs) asserts each line and checks the share on disk.
"""

import struct
import sys

from impacket import smb3
from impacket.smbconnection import SMBConnection, SessionError

FILE_READ_DATA = 0x1
FILE_WRITE_DATA = 0x2
FILE_READ_ATTRIBUTES = 0x80
DELETE = 0x10000
SYNCHRONIZE = 0x100000
SHARE_ALL = 0x7

FILE_OPEN = 1
FILE_CREATE = 2
FILE_OPEN_IF = 3
FILE_OVERWRITE_IF = 5
FILE_NON_DIRECTORY_FILE = 0x40
FILE_DELETE_ON_CLOSE = 0x1000
FILE_ATTRIBUTE_NORMAL = 0x80

INFO_FILE = 1
FILE_RENAME_INFORMATION = 10
FILE_STREAM_INFORMATION = 22


def status_of(action):
    """Runs `action`: 0 or the NTSTATUS of the SessionError it raised, and its value."""
    try:
        return 0, action()
    except (SessionError, smb3.SessionError) as e:
        code = e.get_error_code() if hasattr(e, "get_error_code") else e.getErrorCode()
        return code, None


def parse_streams(buf):
    """FILE_STREAM_INFORMATION entries: (name, size, allocation) each."""
    out = []
    off = 0
    while off + 24 <= len(buf):
        nxt, name_len, size, alloc = struct.unpack_from("<IIqq", buf, off)
        name = buf[off + 24:off + 24 + name_len].decode("utf-16-le")
        out.append((name, size, alloc))
        if nxt == 0:
            break
        off += nxt
    return out


def main():
    port = int(sys.argv[1])
    user, password = sys.argv[2].split(":", 1)
    conn = SMBConnection("127.0.0.1", "127.0.0.1", sess_port=port)
    conn.login(user, password)
    smb = conn.getSMBServer()
    tid = conn.connectTree("share")

    def create(name, access, disposition, options=0):
        return smb.create(tid, name, access, SHARE_ALL, options, disposition,
                          FILE_ATTRIBUTE_NORMAL)

    def report(step, value):
        if isinstance(value, int):
            print("%s 0x%08x" % (step, value & 0xFFFFFFFF))
        else:
            print("%s %s" % (step, value))

    f = create("doc.txt", FILE_READ_DATA | FILE_WRITE_DATA, FILE_OVERWRITE_IF)
    smb.write(tid, f, b"hello", 0, 5)
    smb.close(tid, f)

    status, s = status_of(lambda: create("doc.txt:meta", FILE_READ_DATA | FILE_WRITE_DATA,
                                         FILE_CREATE))
    report("create-stream", status)
    if status != 0:
        sys.exit("creating the stream failed")
    smb.write(tid, s, b"stream data, longer than the file", 0, 33)
    smb.close(tid, s)

    f = create("doc.txt", FILE_READ_ATTRIBUTES, FILE_OPEN)
    listing = smb.queryInfo(tid, f, infoType=INFO_FILE, fileInfoClass=FILE_STREAM_INFORMATION)
    smb.close(tid, f)
    report("list", ",".join("%s=%d" % (n, size) for n, size, _ in parse_streams(listing)))

    s = create("doc.txt:META:$DATA", FILE_READ_DATA, FILE_OPEN)
    report("read", smb.read(tid, s, 0, 100).decode())
    smb.close(tid, s)

    f = create("doc.txt", FILE_READ_DATA, FILE_OPEN)
    report("file-data", smb.read(tid, f, 0, 100).decode())
    smb.close(tid, f)

    s = create("doc.txt:meta", DELETE | FILE_READ_DATA, FILE_OPEN)
    name = ":Renamed:$DATA".encode("utf-16-le")
    blob = struct.pack("<B7xQI", 0, 0, len(name)) + name
    status, _ = status_of(lambda: smb.setInfo(tid, s, inputBlob=blob, infoType=INFO_FILE,
                                              fileInfoClass=FILE_RENAME_INFORMATION))
    report("rename", status)
    smb.close(tid, s)

    status, _ = status_of(lambda: create("doc.txt:meta", FILE_READ_DATA, FILE_OPEN))
    report("open-old-name", status)

    s = create("doc.txt:renamed", DELETE, FILE_OPEN, FILE_DELETE_ON_CLOSE)
    smb.close(tid, s)
    f = create("doc.txt", FILE_READ_ATTRIBUTES, FILE_OPEN)
    listing = smb.queryInfo(tid, f, infoType=INFO_FILE, fileInfoClass=FILE_STREAM_INFORMATION)
    smb.close(tid, f)
    report("list-after-delete", ",".join(n for n, _, _ in parse_streams(listing)))

    for step, name in [("bad-type", "doc.txt:x:$FOO"), ("empty-name", "doc.txt:"),
                       ("store", ".lwio:streams"), ("store-escape", "doc.txt:..")]:
        status, h = status_of(lambda: create(name, FILE_READ_DATA, FILE_OPEN))
        if status == 0:
            smb.close(tid, h)
        report(step, status)

    entries = [e.get_longname() for e in conn.listPath("share", "*")]
    report("root-listing", ",".join(sorted(entries)))
    conn.logoff()


if __name__ == "__main__":
    main()
