#![allow(clippy::unwrap_used)]
//! The redirector against lwiod: 1 GiB each way at every dialect (signed, and sealed under
//! every cipher of each 3.x dialect), listings with a pattern, rename and delete,
//! passed-through statuses, waiting and cancelled locks, pipes, restarts.

mod common;
#[path = "common/proxy.rs"]
#[allow(dead_code)] // the tests here do not cut connections
mod proxy;
#[path = "common/rdr.rs"]
mod rdr;

use lwio::rdr::Credentials;
use lwio_smb2::Dialect;
use rdr::Target;

fn target(server: &common::Running) -> Target {
    Target {
        host: "127.0.0.1".into(),
        port: server.port,
        share: "share".into(),
        creds: Credentials::new("user", "pass", ""),
    }
}

/// 1 GiB each way, byte for byte, at 2.0.2, 2.1, 3.0, 3.0.2 and 3.1.1, signed (the
/// encrypted gibibytes: `encrypted_sessions_every_cipher_at_3_x`).
#[test]
fn gib_each_way_at_every_dialect_signed() {
    let server = common::start_in(rdr::memory_dir(), &[]);
    rdr::round_trips_at_every_dialect(&target(&server));
}

/// lwiod with `--encrypt-data` (every session must encrypt): see
/// [`rdr::required_encryption`].
#[test]
fn encrypted_sessions_every_cipher_at_3_x() {
    let server = common::start_in(rdr::memory_dir(), &["--encrypt-data"]);
    rdr::required_encryption(&target(&server));
}

/// The client asks for encryption of a server that does not require it (`RdrConfig::
/// encrypt`, `lwio --encrypt`); and a share that requires it (`--encrypt-share`) gets its
/// tree's requests sealed while the session itself stays in clear.
#[test]
fn encryption_asked_by_the_client_or_a_share() {
    let server = common::start(&[]);
    rdr::encryption_asked(&target(&server));
    drop(server);
    let server = common::start(&["--encrypt-share", "share"]);
    let m = target(&server).mount(&[Dialect::SMB_3_1_1]);
    let session = rdr::only_session(&m);
    assert!(!session.is_encrypted(), "the session is not encrypted");
    assert_eq!(
        session.negotiated().cipher,
        Some(lwio::rdr::Cipher::Aes128Gcm)
    );
    rdr::transfer(&m, "share-sealed.bin", 8 << 20, 3);
}

#[test]
fn listing_rename_delete_and_statuses() {
    let server = common::start(&[]);
    rdr::names_and_statuses(&target(&server));
}

#[test]
fn waiting_and_cancelled_locks() {
    let server = common::start(&[]);
    rdr::locks(&target(&server), Dialect::SMB_3_0_2);
    rdr::locks(&target(&server), Dialect::SMB_2_1);
    rdr::locks(&target(&server), Dialect::SMB_3_1_1);
}

#[test]
fn sessions_are_shared_and_reaped() {
    let server = common::start(&[]);
    rdr::sessions_shared_and_reaped(&target(&server));
}

/// `/rdr/SERVER/IPC$/srvsvc` opens the named pipe; an RPC bind goes through
/// FSCTL_PIPE_TRANSCEIVE (an FSCTL passed through as SMB2 IOCTL) and the bind_ack comes
/// back; a control the server does not know passes its status through.
#[test]
fn pipes_and_fsctl_pass_through() {
    use lwio::core::{AccessToken, CreateDisposition, CreateRequest, IoManager, block_on};
    use lwio::rpc::pdu::{Bind, Pdu, PduBody, PfcFlags, PresentationContext};
    use lwio::types::{AccessMask, CtlCode, NtStatus, ShareAccess};
    use std::sync::Arc;

    let server = common::start(&[]);
    let t = target(&server);
    let io = IoManager::new();
    let _rdr =
        lwio::rdr::mount(&io, "rdr", lwio::rdr::RdrConfig::default(), t.creds.clone()).unwrap();
    let req = CreateRequest::new(
        Arc::new(AccessToken::system()),
        AccessMask::GENERIC_READ | AccessMask::GENERIC_WRITE,
        CreateDisposition::OPEN,
    )
    .share(ShareAccess::READ | ShareAccess::WRITE);
    let pipe =
        block_on(io.create_file(&format!("/rdr/127.0.0.1:{}/IPC$/srvsvc", server.port), req))
            .unwrap();
    let bind = Pdu::new(
        1,
        PfcFlags::FIRST_AND_LAST,
        PduBody::Bind(Bind {
            max_xmit_frag: 4280,
            max_recv_frag: 4280,
            assoc_group_id: 0,
            contexts: vec![PresentationContext {
                context_id: 0,
                abstract_syntax: lwio::rpc::interfaces::srvsvc::SRVSVC_SYNTAX,
                transfer_syntaxes: vec![lwio::rpc::NDR20_SYNTAX],
            }],
        }),
    );
    let out = block_on(pipe.fs_control(
        CtlCode::FSCTL_PIPE_TRANSCEIVE.0,
        lwio::rpc::pdu::encode(&bind),
        4280,
    ))
    .unwrap();
    let ack = lwio::rpc::pdu::decode(&out).unwrap();
    assert!(matches!(ack.body, PduBody::BindAck(_)), "{ack:?}");
    assert_eq!(
        block_on(pipe.fs_control(0x0009_0000, Vec::new(), 16)).err(),
        Some(NtStatus::INVALID_DEVICE_REQUEST),
        "an unknown FSCTL is the server's answer"
    );
    assert_eq!(block_on(pipe.close()), NtStatus::SUCCESS);
    block_on(io.shutdown());
}

/// A change notify through the driver completes when smbclient creates a file.
#[test]
fn change_notify_sees_another_client() {
    let server = common::start(&[]);
    rdr::notify_from_another_client(&target(&server));
}

/// The redirector survives server restarts: an open file whose connection the restart
/// dropped reconnects on its next request and is reopened by name (what was written
/// before and after is there); a request made while the server is down waits for it to
/// come back; a directory listing restarted after a reconnect works, one continued from
/// before fails with STATUS_CONNECTION_DISCONNECTED.
#[test]
fn files_survive_a_server_restart() {
    use lwio::core::irp::request::QueryDirectoryRequest;
    use lwio::core::{FileInfoClass, NtStatus, QueryDirectoryFlags, block_on};
    use std::time::Duration;

    let server = common::start(&[]);
    let t = target(&server);
    let m = t.mount(&[Dialect::SMB_3_1_1]);
    let f = m.create("kept.bin");
    assert_eq!(block_on(f.write(0, b"before".to_vec())).unwrap(), 6);
    let dir = m.mkdir("d");
    rdr::close(m.create("d/one.txt"));
    let list = |flags| {
        block_on(dir.query_directory(QueryDirectoryRequest {
            class: FileInfoClass::NAMES,
            flags,
            file_index: 0,
            pattern: Some("*".into()),
            length: 100, // one or two names at a time: the enumeration has a place
            only_accessible: None,
        }))
    };
    list(QueryDirectoryFlags::RESTART_SCANS).unwrap();

    let server = server.restart();
    assert_eq!(block_on(f.write(6, b" after".to_vec())).unwrap(), 6);
    assert_eq!(block_on(f.read(0, 100)).unwrap(), b"before after");
    assert_eq!(
        list(QueryDirectoryFlags::empty()),
        Err(NtStatus::CONNECTION_DISCONNECTED),
        "the enumeration's place died with the old handle"
    );
    list(QueryDirectoryFlags::RESTART_SCANS).unwrap();

    // Down for a while: a read issued meanwhile waits for the server to return.
    let server = std::thread::scope(|s| {
        let reader = s.spawn(|| {
            std::thread::sleep(Duration::from_millis(300));
            block_on(f.read(0, 100))
        });
        let server = server.restart_after(Duration::from_millis(1500));
        assert_eq!(reader.join().unwrap().unwrap(), b"before after");
        server
    });
    rdr::close(f);
    rdr::close(dir);
    assert_eq!(
        std::fs::read(server.dir.path().join("kept.bin")).unwrap(),
        b"before after"
    );
}

/// Reads under a lease against lwiod, counted on the wire by a proxy: see
/// [`rdr::reads_under_a_lease`].
#[test]
fn reads_are_cached_under_a_lease_and_breaks_drop_the_cache() {
    let server = common::start_in(rdr::memory_dir(), &[]);
    let proxy = proxy::Proxy::start(server.port);
    let t = Target {
        port: proxy.port,
        ..target(&server)
    };
    rdr::reads_under_a_lease(&t, &|| proxy.sent_count(rdr::READ_HEADER));
}

/// Handle caching under a lease's H against lwiod, CREATEs counted on the wire by a proxy:
/// see [`rdr::handles_under_a_lease`].
#[test]
fn closed_handles_are_parked_under_h_and_reused() {
    let server = common::start_in(rdr::memory_dir(), &[]);
    let proxy = proxy::Proxy::start(server.port);
    let t = Target {
        port: proxy.port,
        ..target(&server)
    };
    rdr::handles_under_a_lease(&t, &|| proxy.sent_count(rdr::CREATE_HEADER));
}

/// Write-behind under a lease's W against lwiod, WRITEs counted on the wire by a proxy:
/// see [`rdr::writes_behind_under_a_lease`] and
/// [`rdr::deferred_write_failure_is_reported`]; a cut connection is reconnected to send
/// them: [`rdr::gathered_writes_survive_a_cut`].
#[test]
fn writes_are_gathered_under_w_and_flushed_before_a_break() {
    let server = common::start_in(rdr::memory_dir(), &[]);
    let proxy = proxy::Proxy::start(server.port);
    let t = Target {
        port: proxy.port,
        ..target(&server)
    };
    rdr::writes_behind_under_a_lease(&t, &|| proxy.sent_count(rdr::WRITE_HEADER));
    rdr::deferred_write_failure_is_reported(&t, &|| proxy.cut());
    rdr::gathered_writes_survive_a_cut(&t, &|| proxy.cut());
}

/// Creates without a lease, reopens with one, reads cached: see
/// [`rdr::creates_without_a_lease_reopen_with_one`].
#[test]
fn creates_without_a_lease_reopen_with_one() {
    let server = common::start_in(rdr::memory_dir(), &[]);
    let proxy = proxy::Proxy::start(server.port);
    let t = Target {
        port: proxy.port,
        ..target(&server)
    };
    rdr::creates_without_a_lease_reopen_with_one(&t, &|| proxy.sent_count(b"RqLs"), &|| {
        proxy.sent_count(rdr::READ_HEADER)
    });
}
