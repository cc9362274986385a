"""Writes FILE to the share over an encrypted smbprotocol session and reads it back.

usage: smbprotocol_encrypt.py PORT USER PASSWORD SHARE FILE NAME

smbprotocol (PyPI) negotiates its default dialect (3.1.1) and ciphers; the session is
registered with encrypt=True, so every request after the logon goes encrypted and the
client refuses a server that does not encrypt. Prints the dialect, the cipher and
"ok" when the bytes read back equal FILE's."""

import sys

import smbclient


def main():
    port, user, password, share, path, name = sys.argv[1:7]
    port = int(port)
    session = smbclient.register_session(
        "127.0.0.1", username=user, password=password, port=port, encrypt=True
    )
    conn = session.connection
    print("dialect 0x%04x cipher %s encrypt %s" % (
        conn.dialect, conn.cipher_id, session.encrypt_data))
    if not session.encrypt_data:
        sys.exit("the session does not encrypt")
    with open(path, "rb") as f:
        data = f.read()
    unc = r"\\127.0.0.1\%s\%s" % (share, name)
    with smbclient.open_file(unc, mode="wb", port=port) as f:
        for off in range(0, len(data), 1 << 20):
            f.write(data[off:off + (1 << 20)])
    back = bytearray()
    with smbclient.open_file(unc, mode="rb", port=port) as f:
        while True:
            chunk = f.read(1 << 20)
            if not chunk:
                break
            back += chunk
    if bytes(back) != data:
        sys.exit("read %d bytes that differ from the %d written" % (len(back), len(data)))
    smbclient.delete_session("127.0.0.1", port=port)
    print("ok")


if __name__ == "__main__":
    main()
