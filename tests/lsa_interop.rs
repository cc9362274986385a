//! The LSA on `\pipe\lsarpc`, proven with real clients against lwiod run with a state
//! directory: Samba's rpcclient (lsaquery, getusername, lookupnames and lookupsids of
//! well-known, Builtin and SAM accounts including one made over SAMR, enumprivs,
//! lsaenumsid, lsaenumacctrights, lsaaddacctrights/lsaremoveacctrights with their effect
//! on the next logon, and the refusals for an ordinary user), impacket's lookupsid.py
//! (RID brute force through LsarLookupSids) and net.py localgroup (LsarLookupNames3 and
//! LsarLookupSids2 beside SAMR), and the anonymous logon under both RestrictAnonymous
//! settings.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;

use common::run;

const ADMIN: &str = "tadmin%T0rture!admin";

struct Server {
    srv: common::Running,
    _state: tempfile::TempDir,
}

/// lwiod with a SAM in a fresh state directory, seeded with the ordinary user `user`
/// (RID 1000, password `pass`) and the administrator `tadmin` (RID 1001).
fn start(extra: &[&str]) -> Server {
    let state = tempfile::tempdir().unwrap();
    let dir = state.path().join("state").display().to_string();
    let mut args = vec!["--state-dir", &dir, "--admin", "tadmin:T0rture!admin"];
    args.extend_from_slice(extra);
    Server {
        srv: common::start(&args),
        _state: state,
    }
}

fn rpcclient(port: u16, user: &str, cmds: &str) -> String {
    let port = port.to_string();
    let mut args = vec!["-p", &port, "127.0.0.1", "-U", user, "-c", cmds];
    if user == "%" {
        args.push("-N");
    }
    run("rpcclient", &args).1
}

fn smbclient_ls(port: u16, user: &str) -> (bool, String) {
    let port = port.to_string();
    run(
        "smbclient",
        &["//127.0.0.1/share", "-p", &port, "-U", user, "-c", "ls"],
    )
}

fn python(script: &str, port: u16, user: &str, password: &str, args: &[&str]) -> (bool, String) {
    let script = format!("{}/tests/{script}", env!("CARGO_MANIFEST_DIR"));
    let port = port.to_string();
    let mut all = vec![script.as_str(), &port, user, password];
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

/// The machine's account domain name, as LsarQueryInformationPolicy reports it.
fn machine_name(port: u16) -> String {
    let out = rpcclient(port, ADMIN, "lsaquery 5");
    out.lines()
        .find_map(|l| l.strip_prefix("Domain Name: "))
        .unwrap_or_else(|| panic!("{out}"))
        .trim()
        .to_owned()
}

/// The SID of `name`, from rpcclient's lookupnames.
fn sid_of(port: u16, name: &str) -> String {
    let out = rpcclient(port, ADMIN, &format!("lookupnames {name}"));
    out.split_whitespace()
        .find(|w| w.starts_with("S-1-5-21-"))
        .unwrap_or_else(|| panic!("{out}"))
        .to_owned()
}

#[test]
fn rpcclient_translates_and_reports_policy() {
    let s = start(&[]);
    let p = s.srv.port;
    let machine = machine_name(p);
    let out = rpcclient(p, ADMIN, "lsaquery");
    assert!(
        out.contains("Domain Name: WORKGROUP") && out.contains("Domain Sid: (NULL SID)"),
        "{out}"
    );
    let out = rpcclient(p, ADMIN, "lsaquery 5");
    assert!(out.contains("Domain Sid: S-1-5-21-"), "{out}");
    let out = rpcclient(p, ADMIN, "getusername");
    assert!(
        out.contains(&format!("Account Name: tadmin, Authority Name: {machine}")),
        "{out}"
    );

    // A user made over SAMR resolves at once, both ways.
    let out = rpcclient(p, ADMIN, "createdomuser carol");
    assert!(!out.contains("NT_STATUS"), "{out}");
    let out = rpcclient(
        p,
        ADMIN,
        "lookupnames tadmin carol BUILTIN\\\\Administrators Everyone",
    );
    assert!(out.contains("-1001 (User: 1)"), "{out}");
    assert!(
        out.contains("carol S-1-5-21-") && out.contains("-1002 (User: 1)"),
        "{out}"
    );
    assert!(
        out.contains("BUILTIN\\Administrators S-1-5-32-544 (Local Group: 4)"),
        "{out}"
    );
    assert!(
        out.contains("Everyone S-1-1-0 (Well-known Group: 5)"),
        "{out}"
    );
    let carol = sid_of(p, "carol");
    let out = rpcclient(
        p,
        ADMIN,
        &format!("lookupsids {carol} S-1-5-32-545 S-1-5-18 S-1-5-21-1-2-3-4"),
    );
    assert!(
        out.contains(&format!("{carol} {machine}\\carol (1)")),
        "{out}"
    );
    assert!(out.contains("S-1-5-32-545 BUILTIN\\Users (4)"), "{out}");
    assert!(out.contains("S-1-5-18 NT AUTHORITY\\SYSTEM (5)"), "{out}");
    assert!(
        out.contains("S-1-5-21-1-2-3-4 *unknown*\\*unknown* (8)"),
        "{out}"
    );
    let out = rpcclient(p, ADMIN, "lookupnames nosuch");
    assert!(out.contains("NT_STATUS_NONE_MAPPED"), "{out}");

    let out = rpcclient(p, ADMIN, "enumprivs");
    assert!(out.contains("found 35 privileges"), "{out}");
    assert!(
        out.contains("SeBackupPrivilege \t\t0:17 (0x0:0x11)"),
        "{out}"
    );
    let out = rpcclient(p, ADMIN, "getdispname SeRestorePrivilege");
    assert!(out.contains("Restore files and directories"), "{out}");
}

#[test]
fn rpcclient_grants_and_revokes_rights_that_hold_at_the_next_logon() {
    let s = start(&[]);
    let p = s.srv.port;
    let out = rpcclient(p, ADMIN, "lsaenumsid");
    assert!(out.contains("found 4 SIDs"), "{out}");
    for sid in ["S-1-5-32-544", "S-1-5-32-551", "S-1-5-32-545", "S-1-1-0"] {
        assert!(out.contains(sid), "{out}");
    }
    let out = rpcclient(p, ADMIN, "lsaenumacctrights S-1-5-32-544");
    assert!(
        out.contains("found 7 privileges") && out.contains("SeTakeOwnershipPrivilege"),
        "{out}"
    );

    let user = sid_of(p, "user");
    assert!(smbclient_ls(p, "user%pass").0);
    // Denied the network logon right, the user cannot log on; given back, can.
    let out = rpcclient(
        p,
        ADMIN,
        &format!("lsaaddacctrights {user} SeDenyNetworkLogonRight SeBackupPrivilege"),
    );
    assert!(!out.contains("NT_STATUS"), "{out}");
    let out = rpcclient(p, ADMIN, &format!("lsaenumacctrights {user}"));
    assert!(
        out.contains("found 2 privileges")
            && out.contains("SeDenyNetworkLogonRight")
            && out.contains("SeBackupPrivilege"),
        "{out}"
    );
    let out = rpcclient(p, ADMIN, "lsaenumsid");
    assert!(out.contains("found 5 SIDs") && out.contains(&user), "{out}");
    let (ok, out) = smbclient_ls(p, "user%pass");
    assert!(
        !ok && out.contains("NT_STATUS_LOGON_TYPE_NOT_GRANTED"),
        "{out}"
    );
    let out = rpcclient(p, ADMIN, &format!("lsaenumprivsaccount {user}"));
    assert!(
        out.contains("found 1 privileges") && out.contains("0\t17\t0"),
        "{out}"
    );
    let out = rpcclient(
        p,
        ADMIN,
        &format!("lsaremoveacctrights {user} SeDenyNetworkLogonRight"),
    );
    assert!(!out.contains("NT_STATUS"), "{out}");
    let (ok, out) = smbclient_ls(p, "user%pass");
    assert!(ok, "{out}");

    // An ordinary user reads rights but changes none.
    let out = rpcclient(p, "user%pass", &format!("lsaenumacctrights {user}"));
    assert!(out.contains("SeBackupPrivilege"), "{out}");
    let out = rpcclient(
        p,
        "user%pass",
        &format!("lsaaddacctrights {user} SeRestorePrivilege"),
    );
    assert!(out.contains("NT_STATUS_ACCESS_DENIED"), "{out}");
    let out = rpcclient(p, "user%pass", "lsaquery 2");
    assert!(out.contains("NT_STATUS_ACCESS_DENIED"), "{out}");

    // Removing the last right deletes the account object.
    let out = rpcclient(
        p,
        ADMIN,
        &format!("lsaremoveacctrights {user} SeBackupPrivilege"),
    );
    assert!(!out.contains("NT_STATUS"), "{out}");
    let out = rpcclient(p, ADMIN, &format!("lsaenumacctrights {user}"));
    assert!(out.contains("NT_STATUS_OBJECT_NAME_NOT_FOUND"), "{out}");
    let out = rpcclient(p, ADMIN, "lsaaddacctrights S-1-5-32-545 SeNoSuchRight");
    assert!(out.contains("NT_STATUS_NO_SUCH_PRIVILEGE"), "{out}");
}

#[test]
fn impacket_lookupsid_lists_the_accounts_and_builtin_aliases() {
    let s = start(&[]);
    let p = s.srv.port;
    let machine = machine_name(p);
    for name in ["dave", "erin"] {
        let out = rpcclient(p, ADMIN, &format!("createdomuser {name}"));
        assert!(!out.contains("NT_STATUS"), "{out}");
    }
    let out = rpcclient(p, ADMIN, "createdomalias staff");
    assert!(!out.contains("NT_STATUS"), "{out}");
    let (ok, out) = python(
        "py/lsa_client.py",
        p,
        "tadmin",
        "T0rture!admin",
        &["lookupsid", "1100"],
    );
    assert!(ok, "{out}");
    for line in [
        format!("500: {machine}\\Administrator (SidTypeUser)"),
        format!("501: {machine}\\Guest (SidTypeUser)"),
        format!("513: {machine}\\None (SidTypeGroup)"),
        format!("1000: {machine}\\user (SidTypeUser)"),
        format!("1001: {machine}\\tadmin (SidTypeUser)"),
        format!("1002: {machine}\\dave (SidTypeUser)"),
        format!("1003: {machine}\\erin (SidTypeUser)"),
        format!("1004: {machine}\\staff (SidTypeAlias)"),
    ] {
        assert!(out.contains(&line), "{line}: {out}");
    }
    let (ok, out) = python(
        "py/lsa_client.py",
        p,
        "tadmin",
        "T0rture!admin",
        &["builtin", "600"],
    );
    assert!(ok, "{out}");
    for line in [
        "544: BUILTIN\\Administrators (SidTypeAlias)",
        "545: BUILTIN\\Users (SidTypeAlias)",
        "546: BUILTIN\\Guests (SidTypeAlias)",
        "551: BUILTIN\\Backup Operators (SidTypeAlias)",
        "555: BUILTIN\\Remote Desktop Users (SidTypeAlias)",
        "580: BUILTIN\\Remote Management Users (SidTypeAlias)",
    ] {
        assert!(out.contains(line), "{line}: {out}");
    }
}

#[test]
fn impacket_net_localgroup_adds_and_removes_members() {
    let s = start(&[]);
    let p = s.srv.port;
    let samr = |args: &[&str]| python("samr_client.py", p, "tadmin", "T0rture!admin", args);
    let (ok, out) = samr(&["net", "user", "create=bob", "newPasswd=B0b!secret"]);
    assert!(ok, "{out}");
    // net.py resolves bob over LsarLookupNames3, then adds him over SAMR.
    let (ok, out) = samr(&["net", "localgroup", "name=Administrators", "join=bob"]);
    assert!(
        ok && out.contains("added to Administrators succesfully"),
        "{out}"
    );
    // Its query names the members over LsarLookupSids2.
    let (ok, out) = samr(&["net", "localgroup", "name=Administrators"]);
    assert!(ok, "{out}");
    for member in ["Administrator", "tadmin", "bob"] {
        assert!(out.contains(&format!(". {member}\n")), "{member}: {out}");
    }
    // bob is an administrator at his next logon.
    let out = rpcclient(p, "bob%B0b!secret", "createdomuser carol");
    assert!(!out.contains("NT_STATUS"), "{out}");
    let (ok, out) = samr(&["net", "localgroup", "name=Administrators", "unjoin=bob"]);
    assert!(
        ok && out.contains("removed from Administrators succesfully"),
        "{out}"
    );
    let (ok, out) = samr(&["net", "localgroup", "name=Administrators"]);
    assert!(ok && !out.contains(". bob\n"), "{out}");
    let out = rpcclient(p, "bob%B0b!secret", "createdomuser dave");
    assert!(out.contains("NT_STATUS_ACCESS_DENIED"), "{out}");
    // A name nobody has: net.py gets STATUS_NONE_MAPPED and adds nothing.
    let (ok, out) = samr(&["net", "localgroup", "name=Administrators", "join=nobody"]);
    assert!(!ok && out.contains("STATUS_NONE_MAPPED"), "{out}");
}

#[test]
fn the_anonymous_logon_follows_restrict_anonymous() {
    // The default (RestrictAnonymous=1): no policy handle for the anonymous logon.
    let s = start(&["--allow-guest"]);
    let out = rpcclient(s.srv.port, "%", "lookupnames Everyone");
    assert!(out.contains("NT_STATUS_ACCESS_DENIED"), "{out}");
    drop(s);
    // RestrictAnonymous=0: well-known principals translate, accounts do not.
    let s = start(&["--allow-guest", "--anonymous-pipes"]);
    let p = s.srv.port;
    let out = rpcclient(p, "%", "lookupnames Everyone");
    assert!(
        out.contains("Everyone S-1-1-0 (Well-known Group: 5)"),
        "{out}"
    );
    let out = rpcclient(p, "%", "lookupnames tadmin");
    assert!(out.contains("NT_STATUS_NONE_MAPPED"), "{out}");
    let out = rpcclient(p, "%", "getusername");
    assert!(
        out.contains("Account Name: ANONYMOUS LOGON, Authority Name: NT AUTHORITY"),
        "{out}"
    );
    let out = rpcclient(p, "%", "lsaaddacctrights S-1-1-0 SeBackupPrivilege");
    assert!(out.contains("NT_STATUS_ACCESS_DENIED"), "{out}");
}
