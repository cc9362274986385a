#![allow(clippy::unwrap_used)]
//! srvsvc's share administration over a real pipe: NetrShareAdd (opnum 14),
//! NetrShareSetInfo (17) and NetrShareDel (18) against a [`MemoryShares`] over real
//! directories, every level of each and of NetrShareGetInfo and NetrShareEnum after them,
//! every refusal with its status and ParmErr (MS-SRVS 3.1.4.7, 3.1.4.11, 3.1.4.12), and
//! the callers refused: users, the anonymous logon, and administrators of a server that
//! offers no administration.

use std::sync::Arc;

use lwio_core::security::well_known as wk;
use lwio_core::{AccessToken, IoManager, SecurityDescriptor, Sid, block_on};
use lwio_npfs::{Npfs, NpfsDevice};
use lwio_rpc::interfaces::ServerIdentity;
use lwio_rpc::interfaces::mgmt::Endpoint;
use lwio_rpc::interfaces::srvsvc::admin::{ShareAdminResponse, parmnum};
use lwio_rpc::interfaces::srvsvc::{
    MemoryShares, NERR_DUPLICATE_SHARE, NERR_UNKNOWN_DEV_DIR, SRVSVC_SYNTAX, ShareEnumResponse,
    ShareEnumStruct, ShareEnumUnion, ShareGetInfoResponse, ShareInfo, ShareInfo2, ShareInfo502,
    ShareInfo503, ShareInfo1004, ShareInfo1005, ShareInfo1006, ShareInfo1501, ShareRecord,
    ShareType, SrvsvcInterface, opnum, shi1005,
};
use lwio_rpc::interfaces::win32::*;
use lwio_rpc::ndr::{self, Ndr, WStrPtr, WString};
use lwio_rpc::pdu::FaultStatus;
use lwio_rpc::server::{PipeServer, serve_pipe};
use lwio_rpc::{ClientError, RpcClient};

// ---- environment ----

struct Env {
    io: IoManager,
    shares: Arc<MemoryShares>,
    dir: tempfile::TempDir,
    _servers: Vec<PipeServer>,
}

/// IPC$ and `data` (a real directory), srvsvc with administration on `\pipe\srvsvc` and
/// without it on `\pipe\readonly`.
fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("data")).unwrap();
    std::fs::create_dir(dir.path().join("more")).unwrap();
    std::fs::write(dir.path().join("file.txt"), b"x").unwrap();
    let io = IoManager::new();
    io.add_device("npfs", Arc::new(Npfs::new()), NpfsDevice::default())
        .unwrap();
    let shares = Arc::new(MemoryShares::new(vec![
        ShareRecord::new("IPC$", ShareType::IPC.special(), "Remote IPC", ""),
        ShareRecord::new("data", ShareType::DISK, "", &path(&dir, "data")),
    ]));
    let identity = ServerIdentity::default();
    let managed = SrvsvcInterface::new(identity.clone(), shares.clone()).with_admin(shares.clone());
    let readonly = SrvsvcInterface::new(identity, shares.clone());
    let serve = |name: &str, srvsvc: SrvsvcInterface| {
        let server = Endpoint::new().serve(Arc::new(srvsvc)).into_server();
        serve_pipe(&io, "npfs", name, Arc::new(server)).unwrap()
    };
    let servers = vec![serve("srvsvc", managed), serve("readonly", readonly)];
    Env {
        io,
        shares,
        dir,
        _servers: servers,
    }
}

fn path(dir: &tempfile::TempDir, name: &str) -> String {
    dir.path().join(name).display().to_string()
}

fn token(rid: u32, admin: bool) -> Arc<AccessToken> {
    let user: Sid = format!("S-1-5-21-1-2-3-{rid}").parse().unwrap();
    let mut groups = vec![wk::WORLD, wk::AUTHENTICATED_USERS];
    if admin {
        groups.push(wk::BUILTIN_ADMINISTRATORS);
    }
    Arc::new(AccessToken::new(user).with_groups(groups))
}

fn admin() -> Arc<AccessToken> {
    token(500, true)
}

fn user() -> Arc<AccessToken> {
    token(1001, false)
}

fn anonymous() -> Arc<AccessToken> {
    Arc::new(AccessToken::new(wk::ANONYMOUS).with_groups([wk::WORLD]))
}

impl Env {
    fn client(&self, pipe: &str, token: Arc<AccessToken>) -> RpcClient {
        let mut c = block_on(RpcClient::open(&self.io, &format!("/npfs/{pipe}"), token)).unwrap();
        assert_eq!(block_on(c.bind(SRVSVC_SYNTAX)).unwrap(), 0);
        c
    }

    fn path(&self, name: &str) -> String {
        path(&self.dir, name)
    }

    fn names(&self) -> Vec<String> {
        use lwio_rpc::interfaces::srvsvc::ShareDatabase;
        self.shares.shares().into_iter().map(|s| s.name).collect()
    }
}

fn call<I: Ndr, O: Ndr>(c: &mut RpcClient, op: u16, input: &I) -> O {
    ndr::from_bytes(&block_on(c.call(op, &ndr::to_bytes(input))).unwrap()).unwrap()
}

fn fault<I: Ndr>(c: &mut RpcClient, op: u16, input: &I) -> FaultStatus {
    match block_on(c.call(op, &ndr::to_bytes(input))) {
        Err(ClientError::Fault(f)) => f,
        other => panic!("expected a fault, got {other:?}"),
    }
}

fn unc() -> WStrPtr {
    Some(WString::from(r"\\LWIO"))
}

fn w(s: &str) -> WStrPtr {
    (!s.is_empty()).then(|| WString::from(s))
}

fn text(p: &WStrPtr) -> &str {
    p.as_ref().map_or("<null>", |s| s.0.as_str())
}

/// NetrShareAdd with ParmErr asked for.
fn add(c: &mut RpcClient, info: ShareInfo) -> ShareAdminResponse {
    call(
        c,
        opnum::SHARE_ADD,
        &(unc(), info.level(), info, Some(0u32)),
    )
}

/// NetrShareSetInfo with ParmErr asked for.
fn set(c: &mut RpcClient, name: &str, info: ShareInfo) -> ShareAdminResponse {
    let level = info.level();
    call(
        c,
        opnum::SHARE_SET_INFO,
        &(unc(), WString::from(name), level, info, Some(0u32)),
    )
}

fn del(c: &mut RpcClient, name: &str) -> u32 {
    call(c, opnum::SHARE_DEL, &(unc(), WString::from(name), 0u32))
}

fn get(c: &mut RpcClient, name: &str, level: u32) -> ShareGetInfoResponse {
    call(
        c,
        opnum::SHARE_GET_INFO,
        &(unc(), WString::from(name), level),
    )
}

fn list(c: &mut RpcClient, op: u16, level: u32) -> ShareEnumResponse {
    let info = ShareEnumStruct {
        level,
        info: ShareEnumUnion::null(level),
    };
    call(c, op, &(unc(), info, u32::MAX, None::<u32>))
}

/// The names a share enumeration returned, at any level.
fn listed(out: &ShareEnumResponse) -> Vec<String> {
    fn names<T>(b: &Option<Vec<T>>, f: fn(&T) -> &WStrPtr) -> Vec<String> {
        b.iter().flatten().map(|i| text(f(i)).to_owned()).collect()
    }
    match &out.0.info {
        ShareEnumUnion::Level0(Some(c)) => names(&c.buffer, |i| &i.netname),
        ShareEnumUnion::Level1(Some(c)) => names(&c.buffer, |i| &i.netname),
        ShareEnumUnion::Level2(Some(c)) => names(&c.buffer, |i| &i.netname),
        ShareEnumUnion::Level501(Some(c)) => names(&c.buffer, |i| &i.netname),
        ShareEnumUnion::Level502(Some(c)) => names(&c.buffer, |i| &i.netname),
        ShareEnumUnion::Level503(Some(c)) => names(&c.buffer, |i| &i.netname),
        other => panic!("no container: {other:?}"),
    }
}

fn info2(name: &str, share_type: u32, remark: &str, path: &str) -> ShareInfo2 {
    ShareInfo2 {
        netname: w(name),
        share_type,
        remark: w(remark),
        permissions: 0,
        max_uses: u32::MAX,
        current_uses: 0,
        path: w(path),
        passwd: None,
    }
}

fn info502(i: ShareInfo2, sd: Option<Vec<u8>>) -> ShareInfo502 {
    ShareInfo502 {
        netname: i.netname,
        share_type: i.share_type,
        remark: i.remark,
        permissions: i.permissions,
        max_uses: i.max_uses,
        current_uses: i.current_uses,
        path: i.path,
        passwd: None,
        reserved: sd.as_ref().map_or(0, |d| d.len() as u32),
        security_descriptor: sd,
    }
}

fn info503(i: ShareInfo2, server: &str, sd: Option<Vec<u8>>) -> ShareInfo503 {
    let i = info502(i, sd);
    ShareInfo503 {
        netname: i.netname,
        share_type: i.share_type,
        remark: i.remark,
        permissions: i.permissions,
        max_uses: i.max_uses,
        current_uses: i.current_uses,
        path: i.path,
        passwd: None,
        servername: w(server),
        reserved: i.reserved,
        security_descriptor: i.security_descriptor,
    }
}

/// A valid self-relative descriptor: Everyone may read.
fn sd(sddl: &str) -> Vec<u8> {
    let sd: SecurityDescriptor = sddl.parse().unwrap();
    sd.try_encode().unwrap()
}

const DISK: u32 = 0;

// ---- NetrShareAdd ----

#[test]
fn share_add_at_levels_2_502_503_then_every_read_level_shows_it() {
    let env = env();
    let mut a = env.client("srvsvc", admin());
    let read_only = sd("O:BAG:BAD:(A;;0x1200a9;;;WD)");

    let mut two = info2("two", DISK, "level two", &env.path("data"));
    two.max_uses = 10;
    two.current_uses = 99; // ignored on receipt
    two.permissions = 7; // ignored on receipt
    assert_eq!(
        add(&mut a, ShareInfo::Info2(Some(two))),
        (Some(0), ERROR_SUCCESS)
    );
    let five = info502(
        info2("five", DISK, "level 502", &env.path("more")),
        Some(read_only.clone()),
    );
    assert_eq!(
        add(&mut a, ShareInfo::Info502(Some(five))),
        (Some(0), ERROR_SUCCESS)
    );
    // Level 503 with no scoping name (`*`), temporary: not sticky.
    let three = info503(
        info2("temp", DISK | ShareType::TEMPORARY, "", &env.path("more")),
        "*",
        None,
    );
    assert_eq!(
        add(&mut a, ShareInfo::Info503(Some(three))),
        (Some(0), ERROR_SUCCESS)
    );
    assert_eq!(env.names(), ["IPC$", "data", "two", "five", "temp"]);

    // Every enumeration level lists them, in the order they were added.
    for level in [0, 1, 2, 501, 502, 503] {
        let out = list(&mut a, opnum::SHARE_ENUM, level);
        assert_eq!(out.3, ERROR_SUCCESS, "level {level}");
        assert_eq!(listed(&out), ["IPC$", "data", "two", "five", "temp"]);
    }
    // NetrShareEnumSticky leaves out the special and the temporary shares.
    let out = list(&mut a, opnum::SHARE_ENUM_STICKY, 503);
    assert_eq!(listed(&out), ["data", "two", "five"]);

    // NetrShareGetInfo at every level it serves.
    let (info, status) = get(&mut a, "TWO", 2);
    assert_eq!(status, ERROR_SUCCESS);
    let ShareInfo::Info2(Some(i)) = info else {
        panic!("{info:?}")
    };
    assert_eq!(
        (text(&i.netname), text(&i.remark), text(&i.path)),
        ("two", "level two", env.path("data").as_str())
    );
    assert_eq!((i.max_uses, i.current_uses, i.permissions), (10, 0, 0));
    let (info, _) = get(&mut a, "five", 502);
    let ShareInfo::Info502(Some(i)) = info else {
        panic!("{info:?}")
    };
    assert_eq!(i.security_descriptor.as_deref(), Some(&read_only[..]));
    assert_eq!(i.reserved as usize, read_only.len());
    let (info, _) = get(&mut a, "five", 503);
    let ShareInfo::Info503(Some(i)) = info else {
        panic!("{info:?}")
    };
    assert_eq!((text(&i.servername), text(&i.remark)), ("*", "level 502"));
    assert_eq!(i.security_descriptor.as_deref(), Some(&read_only[..]));
    let (info, _) = get(&mut a, "temp", 1);
    let ShareInfo::Info1(Some(i)) = info else {
        panic!("{info:?}")
    };
    assert_eq!(i.share_type, ShareType::TEMPORARY);
    for (level, want) in [(0, 0), (501, 501), (1005, 1005)] {
        let (info, status) = get(&mut a, "temp", level);
        assert_eq!((info.level(), status), (want, ERROR_SUCCESS));
    }
    // A new share's flags are 0 (3.1.4.7: Share.CscFlags = 0).
    assert_eq!(
        get(&mut a, "two", 1005).0,
        ShareInfo::Info1005(Some(ShareInfo1005 { flags: 0 }))
    );
}

#[test]
fn share_add_refusals_with_their_status_and_parm_err() {
    let env = env();
    let mut a = env.client("srvsvc", admin());
    let dir = env.path("more");
    let ok = |name: &str| info2(name, DISK, "", &dir);
    let two = |i: ShareInfo2| ShareInfo::Info2(Some(i));
    let invalid = |parm| (Some(parm), ERROR_INVALID_PARAMETER);

    // The level: NetrShareAdd takes 2, 502 and 503 only.
    let one = lwio_rpc::interfaces::srvsvc::ShareInfo1 {
        netname: w("one"),
        share_type: DISK,
        remark: None,
    };
    assert_eq!(
        add(&mut a, ShareInfo::Info1(Some(one))),
        (Some(0), ERROR_INVALID_LEVEL)
    );
    assert_eq!(
        add(
            &mut a,
            ShareInfo::Info1005(Some(ShareInfo1005 { flags: 0 }))
        ),
        (Some(0), ERROR_INVALID_LEVEL)
    );
    // A level SHARE_INFO has no arm for: only its discriminant on the wire.
    assert_eq!(
        add(&mut a, ShareInfo::Unknown(7)),
        (Some(0), ERROR_INVALID_LEVEL)
    );
    // A null structure.
    assert_eq!(
        add(&mut a, ShareInfo::Info2(None)),
        (Some(0), ERROR_INVALID_PARAMETER)
    );

    // The name.
    assert_eq!(add(&mut a, two(ok(""))), invalid(parmnum::NETNAME));
    assert_eq!(
        add(&mut a, two(ok(&"n".repeat(81)))),
        invalid(parmnum::NETNAME)
    );
    for bad in ["a:b", "a\\b", "a/b", "a?b", "a|b", "...", "a\u{1}b"] {
        assert_eq!(
            add(&mut a, two(ok(bad))),
            (Some(0), ERROR_INVALID_NAME),
            "{bad:?}"
        );
    }
    for reserved in ["pipe", "MAILSLOT"] {
        assert_eq!(
            add(&mut a, two(ok(reserved))),
            (Some(0), ERROR_ACCESS_DENIED)
        );
    }
    assert_eq!(
        add(&mut a, two(ok("DATA"))),
        (Some(0), NERR_DUPLICATE_SHARE)
    );
    assert_eq!(
        add(&mut a, two(ok("ipc$"))),
        (Some(0), NERR_DUPLICATE_SHARE)
    );

    // The type.
    assert_eq!(
        add(&mut a, two(info2("t", 7, "", &dir))),
        invalid(parmnum::TYPE)
    );
    assert_eq!(
        add(&mut a, two(info2("t", 0x0100_0000, "", &dir))),
        invalid(parmnum::TYPE)
    );
    // The cluster bits are ignored on receipt (and never reported).
    assert_eq!(
        add(&mut a, two(info2("cluster", 0x0200_0000, "", &dir))),
        (Some(0), ERROR_SUCCESS)
    );
    assert_eq!(get(&mut a, "cluster", 1).0.level(), 1);
    let ShareInfo::Info1(Some(i)) = get(&mut a, "cluster", 1).0 else {
        panic!()
    };
    assert_eq!(i.share_type, DISK);

    // The descriptor.
    let garbage = info502(ok("sd"), Some(vec![1, 0, 4, 0x80, 0xff, 0xff, 0, 0]));
    assert_eq!(
        add(&mut a, ShareInfo::Info502(Some(garbage))),
        invalid(parmnum::FILE_SD)
    );

    // The path.
    assert_eq!(
        add(&mut a, two(info2("ADMIN$", DISK, "", &dir))),
        invalid(parmnum::PATH)
    );
    assert_eq!(
        add(&mut a, two(info2("nopath", DISK, "", ""))),
        invalid(parmnum::PATH)
    );
    for p in [
        format!("{dir}/../more"),
        format!("{dir}/./x"),
        "relative/dir".to_owned(),
        "C:data".to_owned(),
    ] {
        assert_eq!(
            add(&mut a, two(info2("p", DISK, "", &p))),
            invalid(parmnum::PATH),
            "{p}"
        );
    }

    // The remark: 48 characters at most.
    assert_eq!(
        add(&mut a, two(info2("r", DISK, &"r".repeat(49), &dir))),
        invalid(parmnum::REMARK)
    );
    assert_eq!(
        add(&mut a, two(info2("r48", DISK, &"r".repeat(48), &dir))),
        (Some(0), ERROR_SUCCESS)
    );

    // Level 503: no scoped shares, only `*` or this server's own name.
    let scoped = info503(ok("scoped"), "OTHER", None);
    assert_eq!(
        add(&mut a, ShareInfo::Info503(Some(scoped))),
        invalid(parmnum::SERVER)
    );
    let own = info503(ok("own"), r"\\lwio", None);
    assert_eq!(
        add(&mut a, ShareInfo::Info503(Some(own))),
        (Some(0), ERROR_SUCCESS)
    );

    // What lwio does not serve: print queues, devices, IPC shares but IPC$.
    for t in [1, 2, 3] {
        assert_eq!(
            add(&mut a, two(info2("kind", t, "", "LPT1"))),
            (Some(0), ERROR_NOT_SUPPORTED),
            "type {t}"
        );
    }

    // The directory must exist (the ShareAdmin's answer).
    let missing = env.path("missing");
    assert_eq!(
        add(&mut a, two(info2("gone", DISK, "", &missing))),
        (Some(0), NERR_UNKNOWN_DEV_DIR)
    );
    let file = env.path("file.txt");
    assert_eq!(
        add(&mut a, two(info2("file", DISK, "", &file))),
        (Some(0), NERR_UNKNOWN_DEV_DIR)
    );

    // Without ParmErr the error still comes, with a null ParmErr.
    let r: ShareAdminResponse = call(
        &mut a,
        opnum::SHARE_ADD,
        &(unc(), 2u32, two(ok("")), None::<u32>),
    );
    assert_eq!(r, (None, ERROR_INVALID_PARAMETER));

    // Not valid NDR for the call: a structure of another level than Level, a descriptor
    // longer than its shi502_reserved.
    assert_eq!(
        fault(
            &mut a,
            opnum::SHARE_ADD,
            &(unc(), 502u32, two(ok("x")), None::<u32>)
        ),
        FaultStatus::BAD_STUB_DATA
    );
    let mut lying = info502(ok("x"), Some(sd("O:BAG:BAD:(A;;FA;;;WD)")));
    lying.reserved = 4;
    assert_eq!(
        fault(
            &mut a,
            opnum::SHARE_ADD,
            &(unc(), 502u32, ShareInfo::Info502(Some(lying)), None::<u32>)
        ),
        FaultStatus::BAD_STUB_DATA
    );

    // Only the three accepted adds happened.
    assert_eq!(env.names(), ["IPC$", "data", "cluster", "r48", "own"]);
}

// ---- NetrShareSetInfo ----

#[test]
fn share_set_info_at_every_level() {
    let env = env();
    let mut a = env.client("srvsvc", admin());
    let full = sd("O:BAG:BAD:(A;;FA;;;WD)");
    let read = sd("O:BAG:BAD:(A;;0x1200a9;;;WD)");
    let get502 = |c: &mut RpcClient| -> ShareInfo502 {
        match get(c, "data", 502) {
            (ShareInfo::Info502(Some(i)), ERROR_SUCCESS) => i,
            other => panic!("{other:?}"),
        }
    };
    let one = lwio_rpc::interfaces::srvsvc::ShareInfo1 {
        netname: w("ignored"),
        share_type: 3,
        remark: w("one"),
    };
    assert_eq!(
        set(&mut a, "DATA", ShareInfo::Info1(Some(one))),
        (Some(0), ERROR_SUCCESS)
    );
    let i = get502(&mut a);
    // Name, type and path in the structure are ignored.
    assert_eq!(
        (text(&i.netname), i.share_type, text(&i.remark)),
        ("data", DISK, "one")
    );
    assert_eq!(text(&i.path), env.path("data"));

    let mut two = info2("ignored", 1, "two", "/elsewhere");
    two.max_uses = 5;
    assert_eq!(
        set(&mut a, "data", ShareInfo::Info2(Some(two))),
        (Some(0), ERROR_SUCCESS)
    );
    let i = get502(&mut a);
    assert_eq!(
        (text(&i.remark), i.max_uses, text(&i.path)),
        ("two", 5, env.path("data").as_str())
    );

    let mut five = info502(info2("x", DISK, "five", ""), Some(full.clone()));
    five.max_uses = 6;
    assert_eq!(
        set(&mut a, "data", ShareInfo::Info502(Some(five))),
        (Some(0), ERROR_SUCCESS)
    );
    let i = get502(&mut a);
    assert_eq!((text(&i.remark), i.max_uses), ("five", 6));
    assert_eq!(i.security_descriptor.as_deref(), Some(&full[..]));

    let mut three = info503(info2("x", DISK, "three", ""), "*", Some(read.clone()));
    three.max_uses = 7;
    assert_eq!(
        set(&mut a, "data", ShareInfo::Info503(Some(three))),
        (Some(0), ERROR_SUCCESS)
    );
    let i = get502(&mut a);
    assert_eq!((text(&i.remark), i.max_uses), ("three", 7));
    assert_eq!(i.security_descriptor.as_deref(), Some(&read[..]));

    let remark = ShareInfo1004 { remark: w("1004") };
    assert_eq!(
        set(&mut a, "data", ShareInfo::Info1004(Some(remark))),
        (Some(0), ERROR_SUCCESS)
    );
    let limit = ShareInfo1006 { max_uses: 8 };
    assert_eq!(
        set(&mut a, "data", ShareInfo::Info1006(Some(limit))),
        (Some(0), ERROR_SUCCESS)
    );
    let i = get502(&mut a);
    assert_eq!((text(&i.remark), i.max_uses), ("1004", 8));
    assert_eq!(i.security_descriptor.as_deref(), Some(&read[..]), "kept");

    // Level 1005: the flags; the DFS bits are ignored.
    let flags = shi1005::ACCESS_BASED_DIRECTORY_ENUM | 0x10 | shi1005::DFS_ROOT;
    let f = ShareInfo1005 { flags };
    assert_eq!(
        set(&mut a, "data", ShareInfo::Info1005(Some(f))),
        (Some(0), ERROR_SUCCESS)
    );
    let want = shi1005::ACCESS_BASED_DIRECTORY_ENUM | 0x10;
    assert_eq!(
        get(&mut a, "data", 1005).0,
        ShareInfo::Info1005(Some(ShareInfo1005 { flags: want }))
    );
    let ShareInfo::Info501(Some(i)) = get(&mut a, "data", 501).0 else {
        panic!()
    };
    assert_eq!(i.flags, want);

    // Level 1501: the descriptor alone; a null one removes it.
    let d = ShareInfo1501 {
        reserved: full.len() as u32,
        security_descriptor: Some(full.clone()),
    };
    assert_eq!(
        set(&mut a, "data", ShareInfo::Info1501(Some(d))),
        (Some(0), ERROR_SUCCESS)
    );
    assert_eq!(
        get502(&mut a).security_descriptor.as_deref(),
        Some(&full[..])
    );
    let none = ShareInfo1501::default();
    assert_eq!(
        set(&mut a, "data", ShareInfo::Info1501(Some(none))),
        (Some(0), ERROR_SUCCESS)
    );
    let i = get502(&mut a);
    assert_eq!((i.reserved, i.security_descriptor), (0, None));
    assert_eq!((text(&i.remark), i.max_uses), ("1004", 8), "kept");
}

#[test]
fn share_set_info_refusals_with_their_status_and_parm_err() {
    let env = env();
    let mut a = env.client("srvsvc", admin());
    let remark = |s: &str| ShareInfo::Info1004(Some(ShareInfo1004 { remark: w(s) }));

    assert_eq!(
        set(&mut a, "", remark("x")),
        (Some(0), ERROR_INVALID_PARAMETER)
    );
    // Levels NetrShareSetInfo does not take, known to SHARE_INFO or not.
    assert_eq!(
        set(&mut a, "data", ShareInfo::Info0(None)),
        (Some(0), ERROR_INVALID_LEVEL)
    );
    assert_eq!(
        set(&mut a, "data", ShareInfo::Info501(None)),
        (Some(0), ERROR_INVALID_LEVEL)
    );
    assert_eq!(
        set(&mut a, "data", ShareInfo::Unknown(7)),
        (Some(0), ERROR_INVALID_LEVEL)
    );
    assert_eq!(
        set(&mut a, "data", ShareInfo::Info1006(None)),
        (Some(0), ERROR_INVALID_PARAMETER)
    );
    assert_eq!(
        set(&mut a, "data", remark(&"r".repeat(49))),
        (Some(parmnum::REMARK), ERROR_INVALID_PARAMETER)
    );
    let bad = ShareInfo1501 {
        reserved: 3,
        security_descriptor: Some(vec![1, 2, 3]),
    };
    assert_eq!(
        set(&mut a, "data", ShareInfo::Info1501(Some(bad))),
        (Some(parmnum::FILE_SD), ERROR_INVALID_PARAMETER)
    );
    let hash = ShareInfo1005 {
        flags: shi1005::ENABLE_HASH,
    };
    assert_eq!(
        set(&mut a, "data", ShareInfo::Info1005(Some(hash))),
        (Some(0), ERROR_NOT_SUPPORTED)
    );
    let unknown = ShareInfo1005 { flags: 0x0004_0000 };
    assert_eq!(
        set(&mut a, "data", ShareInfo::Info1005(Some(unknown))),
        (Some(0), ERROR_INVALID_PARAMETER)
    );
    assert_eq!(
        set(&mut a, "nosuch", remark("x")),
        (Some(0), NERR_NET_NAME_NOT_FOUND)
    );
    // Special shares take no descriptor; only disk shares take flags.
    let full = sd("O:BAG:BAD:(A;;FA;;;WD)");
    let d = ShareInfo1501 {
        reserved: full.len() as u32,
        security_descriptor: Some(full),
    };
    assert_eq!(
        set(&mut a, "IPC$", ShareInfo::Info1501(Some(d))),
        (Some(parmnum::FILE_SD), ERROR_INVALID_PARAMETER)
    );
    let csc = ShareInfo1005 { flags: 0x10 };
    assert_eq!(
        set(&mut a, "ipc$", ShareInfo::Info1005(Some(csc))),
        (Some(0), ERROR_INVALID_PARAMETER)
    );
    // The remark of IPC$ may change.
    assert_eq!(
        set(&mut a, "IPC$", remark("pipes")),
        (Some(0), ERROR_SUCCESS)
    );

    // Structure and Level disagree: not valid NDR for the call.
    assert_eq!(
        fault(
            &mut a,
            opnum::SHARE_SET_INFO,
            &(
                unc(),
                WString::from("data"),
                1006u32,
                remark("x"),
                None::<u32>
            )
        ),
        FaultStatus::BAD_STUB_DATA
    );

    // Nothing but IPC$'s remark changed.
    let ShareInfo::Info502(Some(i)) = get(&mut a, "data", 502).0 else {
        panic!()
    };
    assert_eq!(
        (text(&i.remark), i.max_uses, i.security_descriptor),
        ("", u32::MAX, None)
    );
    assert_eq!(
        get(&mut a, "data", 1005).0,
        ShareInfo::Info1005(Some(ShareInfo1005 { flags: 0 }))
    );
}

/// An unknown level is its discriminant alone on the wire (SHARE_INFO's empty `[default]`
/// arm), so the ParmErr pointer that follows it is read as ParmErr: the bytes a client
/// sends for NetrShareSetInfo("data", 7).
#[test]
fn share_set_info_unknown_level_on_the_wire() {
    let env = env();
    let mut a = env.client("srvsvc", admin());
    let mut stub = vec![0, 0, 0, 0]; // ServerName: null
    stub.extend_from_slice(&[5, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0]); // "data\0" counts
    stub.extend_from_slice(&[b'd', 0, b'a', 0, b't', 0, b'a', 0, 0, 0, 0, 0]); // + pad
    stub.extend_from_slice(&[7, 0, 0, 0]); // Level
    stub.extend_from_slice(&[7, 0, 0, 0]); // ShareInfo: discriminant, empty arm
    stub.extend_from_slice(&[0, 0, 2, 0, 9, 0, 0, 0]); // ParmErr: referent, 9
    let out = block_on(a.call(opnum::SHARE_SET_INFO, &stub)).unwrap();
    assert_eq!(out, [0, 0, 2, 0, 9, 0, 0, 0, 124, 0, 0, 0]);
}

// ---- NetrShareDel ----

#[test]
fn share_del_removes_and_then_knows_no_such_share() {
    let env = env();
    let mut a = env.client("srvsvc", admin());
    let mut u = env.client("srvsvc", user());
    let more = info2("more", DISK, "", &env.path("more"));
    assert_eq!(
        add(&mut a, ShareInfo::Info2(Some(more))),
        (Some(0), ERROR_SUCCESS)
    );
    assert_eq!(
        listed(&list(&mut u, opnum::SHARE_ENUM, 1)),
        ["IPC$", "data", "more"]
    );
    assert_eq!(del(&mut a, "MORE"), ERROR_SUCCESS);
    assert_eq!(
        listed(&list(&mut u, opnum::SHARE_ENUM, 1)),
        ["IPC$", "data"]
    );
    assert_eq!(get(&mut u, "more", 1).1, NERR_NET_NAME_NOT_FOUND);
    assert_eq!(del(&mut a, "more"), NERR_NET_NAME_NOT_FOUND);
    assert_eq!(del(&mut a, ""), NERR_NET_NAME_NOT_FOUND);
    // The name is free again.
    let again = info2("more", DISK, "back", &env.path("more"));
    assert_eq!(
        add(&mut a, ShareInfo::Info2(Some(again))),
        (Some(0), ERROR_SUCCESS)
    );
}

// ---- who may call ----

#[test]
fn share_administration_is_for_administrators_only() {
    let env = env();
    let dir = env.path("more");
    let new = || ShareInfo::Info2(Some(info2("new", DISK, "", &dir)));
    let remark = || ShareInfo::Info1004(Some(ShareInfo1004 { remark: w("x") }));
    for (who, token) in [("user", user()), ("anonymous", anonymous())] {
        let mut c = env.client("srvsvc", token);
        // Refused before any parameter is looked at: a bad level, a share that does not
        // exist, and valid requests all get ERROR_ACCESS_DENIED.
        assert_eq!(add(&mut c, new()), (Some(0), ERROR_ACCESS_DENIED), "{who}");
        assert_eq!(
            add(&mut c, ShareInfo::Unknown(9)),
            (Some(0), ERROR_ACCESS_DENIED)
        );
        assert_eq!(
            set(&mut c, "data", remark()),
            (Some(0), ERROR_ACCESS_DENIED)
        );
        assert_eq!(
            set(&mut c, "nosuch", remark()),
            (Some(0), ERROR_ACCESS_DENIED)
        );
        assert_eq!(del(&mut c, "data"), ERROR_ACCESS_DENIED, "{who}");
        assert_eq!(del(&mut c, "nosuch"), ERROR_ACCESS_DENIED, "{who}");
        // Nor may they read the levels that show paths and descriptors.
        for level in [2, 502, 503] {
            assert_eq!(get(&mut c, "data", level).1, ERROR_ACCESS_DENIED);
            assert_eq!(
                list(&mut c, opnum::SHARE_ENUM, level).3,
                ERROR_ACCESS_DENIED
            );
        }
    }
    assert_eq!(env.names(), ["IPC$", "data"]);

    // A server without share administration: administrators get ERROR_NOT_SUPPORTED,
    // everyone else still ERROR_ACCESS_DENIED.
    let mut a = env.client("readonly", admin());
    assert_eq!(add(&mut a, new()), (Some(0), ERROR_NOT_SUPPORTED));
    assert_eq!(
        set(&mut a, "data", remark()),
        (Some(0), ERROR_NOT_SUPPORTED)
    );
    assert_eq!(del(&mut a, "data"), ERROR_NOT_SUPPORTED);
    let mut u = env.client("readonly", user());
    assert_eq!(add(&mut u, new()), (Some(0), ERROR_ACCESS_DENIED));
    assert_eq!(del(&mut u, "data"), ERROR_ACCESS_DENIED);
    assert_eq!(env.names(), ["IPC$", "data"]);
}

// ---- hostile stubs ----

/// Random stubs for the three opnums: each call answers (a fault or a status), the server
/// never panics and goes on serving, and nothing is added or removed by garbage.
#[test]
fn random_stubs_never_panic_and_change_nothing() {
    use proptest::prelude::*;
    let env = env();
    let a = std::cell::RefCell::new(env.client("srvsvc", admin()));
    let config = ProptestConfig {
        cases: 128,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(op in prop_oneof![Just(opnum::SHARE_ADD), Just(opnum::SHARE_SET_INFO),
                                          Just(opnum::SHARE_DEL)],
                        bytes in prop::collection::vec(any::<u8>(), 0..160))| {
        let _ = block_on(a.borrow_mut().call(op, &bytes));
    });
    assert_eq!(env.names(), ["IPC$", "data"]);
    assert_eq!(get(&mut a.borrow_mut(), "data", 1).1, ERROR_SUCCESS);
}
