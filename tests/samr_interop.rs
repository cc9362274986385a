//! SAMR on `\pipe\samr`, proven with real clients against lwiod run with a state
//! directory: Samba's rpcclient (domains, users, display information, lookups, create,
//! password set and change, aliases), impacket (its net.py user management, alias
//! membership through its samr module, samrdump.py), and smbclient logging on as the
//! users made that way (and being refused once one is disabled or deleted). The
//! durability test (lwiod killed while a client creates accounts) is
//! `lwiod/tests/sam_kill.rs`: it runs the `lwiod` binary.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;

use common::run;

const ADMIN: &str = "tadmin%T0rture!admin";

struct Sam {
    srv: common::Running,
    state: tempfile::TempDir,
}

/// lwiod with a SAM in a fresh state directory, seeded (by `common::start`) with the
/// ordinary user `user` (RID 1000) and the administrator `tadmin` (RID 1001).
fn start() -> Sam {
    let state = tempfile::tempdir().unwrap();
    let dir = state.path().join("state").display().to_string();
    let srv = common::start(&["--state-dir", &dir, "--admin", "tadmin:T0rture!admin"]);
    Sam { srv, state }
}

fn rpcclient(port: u16, cmds: &str) -> String {
    let port = port.to_string();
    let (_, out) = run(
        "rpcclient",
        &["-p", &port, "127.0.0.1", "-U", ADMIN, "-c", cmds],
    );
    out
}

fn smbclient_ls(port: u16, user: &str) -> (bool, String) {
    let port = port.to_string();
    run(
        "smbclient",
        &["//127.0.0.1/share", "-p", &port, "-U", user, "-c", "ls"],
    )
}

fn impacket(port: u16, args: &[&str]) -> (bool, String) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/samr_client.py");
    let port = port.to_string();
    let mut all = vec![script, &port, "tadmin", "T0rture!admin"];
    all.extend_from_slice(args);
    let out = Command::new(common::python()).args(&all).output().unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn rpcclient_reads_the_sam() {
    let s = start();
    let p = s.srv.port;
    let out = rpcclient(p, "enumdomains");
    assert!(out.contains("name:[Builtin]"), "{out}");
    let out = rpcclient(p, "lookupdomain builtin");
    assert!(out.contains("S-1-5-32"), "{out}");
    let out = rpcclient(p, "querydominfo");
    assert!(
        out.contains("Total Users:\t4") && out.contains("Server Role:\tROLE_DOMAIN_PDC"),
        "{out}"
    );
    let out = rpcclient(p, "enumdomusers");
    for u in [
        "Administrator] rid:[0x1f4]",
        "Guest] rid:[0x1f5]",
        "user] rid:[0x3e8]",
        "tadmin] rid:[0x3e9]",
    ] {
        assert!(out.contains(u), "{out}");
    }
    let out = rpcclient(p, "queryuser 500");
    assert!(out.contains("User Name   :\tAdministrator"), "{out}");
    assert!(out.contains("acb_info :\t0x00000211"), "{out}");
    let out = rpcclient(p, "querydispinfo");
    assert!(
        out.contains("Account: tadmin") && out.contains("Account: Guest"),
        "{out}"
    );
    let out = rpcclient(p, "enumalsgroups builtin");
    for a in [
        "Administrators] rid:[0x220]",
        "Users] rid:[0x221]",
        "Remote Desktop Users] rid:[0x22b]",
    ] {
        assert!(out.contains(a), "{out}");
    }
    let out = rpcclient(p, "samlookupnames domain nosuch");
    assert!(out.contains("NONE_MAPPED"), "{out}");
    let out = rpcclient(p, "samlookupnames domain tadmin Guest");
    assert!(
        out.contains("name tadmin: 0x3e9 (1)") && out.contains("name Guest: 0x1f5 (1)"),
        "{out}"
    );
    let out = rpcclient(p, "samlookuprids builtin 544 545");
    assert!(out.contains("rid 0x220: Administrators (4)"), "{out}");
    let out = rpcclient(p, "queryusergroups 1001");
    assert!(out.contains("group rid:[0x201] attr:[0x7]"), "{out}");
    let out = rpcclient(p, "getdompwinfo");
    assert!(out.contains("min_password_length: 0"), "{out}");
    drop(s.state);
}

#[test]
fn rpcclient_creates_a_user_who_then_logs_on() {
    let s = start();
    let p = s.srv.port;
    let out = rpcclient(p, "createdomuser alice");
    assert!(!out.contains("NT_STATUS"), "{out}");
    let out = rpcclient(p, "setuserinfo2 alice 23 Al1ce!first");
    assert!(!out.contains("NT_STATUS"), "{out}");
    // Created disabled, as Windows creates accounts: the password verifies, the account
    // is refused.
    let (ok, out) = smbclient_ls(p, "alice%Al1ce!first");
    assert!(!ok && out.contains("NT_STATUS_ACCOUNT_DISABLED"), "{out}");
    let (ok, out) = impacket(p, &["enable", "alice"]);
    assert!(ok, "{out}");
    // Over SMB 3.x (impacket has the 3.x session key because the server offers encryption).
    assert!(out.contains("dialect 0x03"), "{out}");
    let (ok, out) = smbclient_ls(p, "alice%Al1ce!first");
    assert!(ok, "{out}");

    // The user changes the password, with each change call.
    let out = rpcclient(p, "chgpasswd2 alice Al1ce!first Al1ce!second");
    assert!(!out.contains("NT_STATUS"), "{out}");
    let out = rpcclient(p, "chgpasswd3 alice Al1ce!second Al1ce!third");
    assert!(!out.contains("NT_STATUS"), "{out}");
    let (ok, out) = smbclient_ls(p, "alice%Al1ce!second");
    assert!(!ok && out.contains("NT_STATUS_LOGON_FAILURE"), "{out}");
    let (ok, out) = smbclient_ls(p, "alice%Al1ce!third");
    assert!(ok, "{out}");
    let out = rpcclient(p, "chgpasswd2 alice wrong Al1ce!fourth");
    assert!(out.contains("NT_STATUS_WRONG_PASSWORD"), "{out}");

    // Aliases: a new account-domain alias, and alice's memberships.
    let out = rpcclient(p, "createdomalias staff");
    assert!(!out.contains("NT_STATUS"), "{out}");
    let (ok, out) = impacket(p, &["addmem", "staff", "alice"]);
    assert!(ok, "{out}");
    let out = rpcclient(p, "queryaliasmem domain 1003");
    assert!(out.contains("-1002"), "{out}");
    let (ok, out) = impacket(p, &["delmem", "staff", "alice"]);
    assert!(ok, "{out}");
    let out = rpcclient(p, "queryaliasmem domain 1003");
    assert!(!out.contains("-1002"), "{out}");
    let sid = rpcclient(p, "samlookupnames domain alice");
    assert!(sid.contains("0x3ea (1)"), "{sid}");

    // Disabled, then deleted: refused.
    let (ok, out) = impacket(p, &["disable", "alice"]);
    assert!(ok, "{out}");
    let (ok, out) = smbclient_ls(p, "alice%Al1ce!third");
    assert!(!ok && out.contains("NT_STATUS_ACCOUNT_DISABLED"), "{out}");
    let out = rpcclient(p, "deletedomuser alice");
    assert!(!out.contains("NT_STATUS"), "{out}");
    let out = rpcclient(p, "enumdomusers");
    assert!(!out.contains("alice"), "{out}");
    let (ok, out) = smbclient_ls(p, "alice%Al1ce!third");
    assert!(!ok && out.contains("NT_STATUS_LOGON_FAILURE"), "{out}");
}

#[test]
fn impacket_net_user_and_localgroup_and_samrdump() {
    let s = start();
    let p = s.srv.port;
    let (ok, out) = impacket(p, &["net", "user", "create=bob", "newPasswd=B0b!secret"]);
    assert!(ok && out.contains("created succesfully"), "{out}");
    // The password went encrypted with the SMB 3.x session key: bob logs on with it.
    assert!(out.contains("dialect 0x03"), "{out}");
    let (ok, out) = smbclient_ls(p, "bob%B0b!secret");
    assert!(ok, "{out}");
    let (ok, out) = impacket(p, &["net", "user", "disable=bob"]);
    assert!(ok, "{out}");
    let (ok, out) = smbclient_ls(p, "bob%B0b!secret");
    assert!(!ok && out.contains("NT_STATUS_ACCOUNT_DISABLED"), "{out}");
    let (ok, out) = impacket(p, &["net", "user", "enable=bob"]);
    assert!(ok, "{out}");
    let (ok, out) = smbclient_ls(p, "bob%B0b!secret");
    assert!(ok, "{out}");

    // The alias membership calls through impacket's samr module (net.py localgroup, which
    // resolves the names over LSA first, is tests/lsa_interop.rs).
    let (ok, out) = impacket(p, &["addmem", "Administrators", "bob"]);
    assert!(ok, "{out}");
    let (ok, out) = impacket(p, &["members", "Administrators"]);
    assert!(
        ok && out.lines().filter(|l| l.starts_with("member ")).count() == 3,
        "{out}"
    );
    // bob is an administrator now: SAMR writes work with his own logon.
    let port = p.to_string();
    let (_, out) = run(
        "rpcclient",
        &[
            "-p",
            &port,
            "127.0.0.1",
            "-U",
            "bob%B0b!secret",
            "-c",
            "createdomuser carol",
        ],
    );
    assert!(!out.contains("NT_STATUS"), "{out}");
    let (ok, out) = impacket(p, &["delmem", "Administrators", "bob"]);
    assert!(ok, "{out}");
    let (_, out) = run(
        "rpcclient",
        &[
            "-p",
            &port,
            "127.0.0.1",
            "-U",
            "bob%B0b!secret",
            "-c",
            "createdomuser dave",
        ],
    );
    assert!(out.contains("NT_STATUS_ACCESS_DENIED"), "{out}");

    let (ok, out) = impacket(p, &["useradd", "erin", "Er1n!pass"]);
    assert!(ok, "{out}");
    let (ok, out) = smbclient_ls(p, "erin%Er1n!pass");
    assert!(ok, "{out}");

    let (ok, out) = impacket(p, &["samrdump"]);
    assert!(ok, "{out}");
    assert!(out.contains("bob (1002)/AccountIsDisabled: False"), "{out}");
    assert!(
        out.contains("carol (1003)/AccountIsDisabled: True"),
        "{out}"
    );
    assert!(
        out.contains("Administrator (500)/AccountIsDisabled: True"),
        "{out}"
    );

    let (ok, out) = impacket(p, &["net", "user", "remove=bob"]);
    assert!(ok, "{out}");
    let (ok, out) = smbclient_ls(p, "bob%B0b!secret");
    assert!(!ok && out.contains("NT_STATUS_LOGON_FAILURE"), "{out}");
}
