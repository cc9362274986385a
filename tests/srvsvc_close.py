"""NetrFileClose and NetrSessionDel against lwiod, with impacket's srvsvc client.

Usage: srvsvc_close.py PORT ADMIN PASSWORD USER PASSWORD

The administrator opens share/held.txt on one connection; the ordinary user logs on
over a second connection. Prints one `NAME: outcome` line per step for the Rust test.
"""
import sys

from impacket.dcerpc.v5 import srvs, transport
from impacket.dcerpc.v5.dtypes import NULL
from impacket.dcerpc.v5.rpcrt import DCERPCException
from impacket.smbconnection import SMBConnection, SessionError

port = int(sys.argv[1])
admin, admin_pw, user, user_pw = sys.argv[2:6]


def connect(name, password):
    c = SMBConnection("127.0.0.1", "127.0.0.1", sess_port=port)
    c.login(name, password)
    return c


def srvsvc(conn):
    t = transport.SMBTransport("127.0.0.1", port, r"\srvsvc", smb_connection=conn)
    dce = t.get_dce_rpc()
    dce.connect()
    dce.bind(srvs.MSRPC_UUID_SRVS)
    return dce


def code(call):
    try:
        call()
        return 0
    except DCERPCException as e:
        return e.get_error_code()


holder = connect(admin, admin_pw)
tid = holder.connectTree("share")
fid = holder.openFile(tid, "held.txt")
other = connect(user, user_pw)
other_tid = other.connectTree("share")

dce = srvsvc(holder)
files = srvs.hNetrFileEnum(dce, NULL, NULL, 3)["InfoStruct"]["FileInfo"]["Level3"]["Buffer"]
ids = [f["fi3_id"] for f in files if f["fi3_path_name"].rstrip("\x00").endswith("held.txt")]
print("held ids:", ids)

# Not an administrator: refused.
plain = srvsvc(other)
print("user FileClose:", code(lambda: srvs.hNetrFileClose(plain, ids[0])))
print("user SessionDel:", code(lambda: srvs.hNetrSessionDel(plain, r"\\127.0.0.1" + "\x00", admin + "\x00")))
plain.disconnect()

print("bogus FileClose:", code(lambda: srvs.hNetrFileClose(dce, 0x7FFFFFF0)))
print("FileClose:", code(lambda: srvs.hNetrFileClose(dce, ids[0])))
try:
    holder.readFile(tid, fid, 0, 4)
    print("read after close: ok")
except SessionError as e:
    print("read after close:", e.getErrorString()[0])

print("SessionDel bad name:", code(lambda: srvs.hNetrSessionDel(dce, "127.0.0.1\x00", user + "\x00")))
print("SessionDel nobody:", code(lambda: srvs.hNetrSessionDel(dce, r"\\127.0.0.1" + "\x00", "nosuch\x00")))
print("SessionDel:", code(lambda: srvs.hNetrSessionDel(dce, r"\\127.0.0.1" + "\x00", user + "\x00")))
try:
    other.listPath("share", "*")
    print("user after SessionDel: ok")
except Exception as e:  # the connection is gone: impacket raises its socket error
    print("user after SessionDel: dropped", type(e).__name__)
