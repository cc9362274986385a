//! Named pipes and DCE/RPC through the SMB server, proven with Samba's tools: `smbclient -L`
//! lists the shares (srvsvc over IPC$), and `rpcclient` runs srvinfo, netshareenumall and
//! netsharegetinfo, with the srvsvc level rules: levels 2 and 502 need an administrator;
//! and netsessenum, netfileenum, netconnenum, netdiskenum and netremotetod, which read the
//! server's live sessions and opens (rpcclient's own session and its `\PIPE\srvsvc` open).
#![allow(clippy::unwrap_used)]

mod common;

use common::run;

#[test]
fn smbclient_lists_the_shares() {
    let srv = common::start(&[]);
    let port = srv.port.to_string();
    let (ok, out) = run(
        "smbclient",
        &["-L", "//127.0.0.1", "-p", &port, "-U", "user%pass"],
    );
    assert!(ok, "{out}");
    assert!(out.contains("share") && out.contains("Disk"), "{out}");
    assert!(out.contains("IPC$") && out.contains("IPC"), "{out}");
}

#[test]
fn rpcclient_server_and_share_information() {
    let srv = common::start(&["--admin", "boss:B0ss!pw"]);
    let port = srv.port.to_string();
    let cmds = "srvinfo; netshareenumall; netsharegetinfo share";
    let (ok, out) = run(
        "rpcclient",
        &["-p", &port, "127.0.0.1", "-U", "boss%B0ss!pw", "-c", cmds],
    );
    assert!(ok, "{out}");
    assert!(out.contains("platform_id") && out.contains("500"), "{out}");
    assert!(out.contains("netname: share"), "{out}");
    assert!(out.contains("netname: IPC$"), "{out}");
    assert!(!out.contains("WERR_"), "{out}");

    // An ordinary user may read levels 0 and 1, not 2 (rpcclient's default level).
    let (_, out) = run(
        "rpcclient",
        &[
            "-p",
            &port,
            "127.0.0.1",
            "-U",
            "user%pass",
            "-c",
            "netshareenumall 1; netshareenumall 2",
        ],
    );
    assert!(out.contains("netname: share"), "{out}");
    assert!(out.contains("WERR_ACCESS_DENIED"), "{out}");

    // No anonymous access to srvsvc.
    let (_, out) = run(
        "rpcclient",
        &["-p", &port, "127.0.0.1", "-U", "%", "-N", "-c", "srvinfo"],
    );
    assert!(!out.contains("platform_id"), "{out}");
}

#[test]
fn rpcclient_sees_its_own_session_and_pipe_open() {
    let srv = common::start(&["--admin", "boss:B0ss!pw"]);
    let port = srv.port.to_string();
    let cmds = "netsessenum; netfileenum; netconnenum 1 IPC$; netdiskenum; netremotetod";
    let (ok, out) = run(
        "rpcclient",
        &["-p", &port, "127.0.0.1", "-U", "boss%B0ss!pw", "-c", cmds],
    );
    assert!(ok, "{out}");
    // One session (rpcclient's), one open file (its srvsvc pipe), no errors.
    assert!(out.contains("Received 1 entries."), "{out}");
    assert!(out.contains(r"\PIPE\srvsvc"), "{out}");
    assert!(!out.contains("WERR_"), "{out}");

    // Sessions at level 1, open files and disks are for administrators; the time of
    // day is for everyone.
    for cmd in ["netsessenum", "netfileenum", "netdiskenum"] {
        let (_, out) = run(
            "rpcclient",
            &["-p", &port, "127.0.0.1", "-U", "user%pass", "-c", cmd],
        );
        assert!(out.contains("WERR_ACCESS_DENIED"), "{cmd}: {out}");
    }
    let (ok, out) = run(
        "rpcclient",
        &[
            "-p",
            &port,
            "127.0.0.1",
            "-U",
            "user%pass",
            "-c",
            "netremotetod",
        ],
    );
    assert!(ok && !out.contains("WERR_"), "{out}");
}
