#![allow(clippy::unwrap_used)]
//! Nothing outlives a connection: whatever requests a client sent, once its connection
//! is gone the server holds none of its opens, sessions, logon table entries, pending
//! IRPs, requests, buffered bytes or tasks, and its connection object is freed. Driven
//! over in-memory streams (no socket), as a property over generated request sequences and
//! as a fixed sequence that reaches every kind of state first.

use std::sync::OnceLock;
use std::time::Duration;

use lwio_core::{AccessMask, CreateDisposition, CreateOptions, NtStatus};
use lwio_smb2::{ChangeNotifyFlags, ChangeNotifyRequest, Command, Dialect, LockFlags};
use lwio_srv::testing::client::{Msg, RawClient, body, header, is_interim};
use lwio_srv::testing::script::{Ending, Request, Step};
use lwio_srv::testing::{Harness, open_to_everyone, small_config};
use proptest::prelude::*;
use tokio::io::DuplexStream;

const SETTLE: Duration = Duration::from_secs(10);

/// One server for every case (its share in a directory kept for the test's life).
fn harness() -> &'static Harness {
    static H: OnceLock<Harness> = OnceLock::new();
    H.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        std::fs::write(dir.join("a.txt"), vec![7u8; 100_000]).unwrap();
        std::fs::create_dir(dir.join("dir")).unwrap();
        open_to_everyone(&dir).unwrap();
        Harness::new(small_config(&dir)).unwrap()
    })
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    })
}

/// Every test of this file uses the one server: one at a time.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static M: std::sync::Mutex<()> = std::sync::Mutex::new(());
    M.lock().unwrap_or_else(|e| e.into_inner())
}

#[test]
fn a_connection_holding_every_kind_of_state_leaves_nothing_when_dropped() {
    let _one = serial();
    let h = harness();
    runtime().block_on(async {
        h.settle(SETTLE).await.unwrap();
        let (mut run, task) = h.session(Dialect::SMB_3_0_2).await.unwrap();
        let c = &mut run.client;
        // Opens: a file, a directory with a notify waiting on it, a blocking lock waiting
        // behind another handle's lock, and a named pipe.
        let f1 = c
            .create(
                "a.txt",
                AccessMask::GENERIC_READ | AccessMask::GENERIC_WRITE,
                CreateDisposition::OPEN_IF,
                CreateOptions::default(),
            )
            .await
            .unwrap();
        let f2 = c
            .create(
                "a.txt",
                AccessMask::GENERIC_READ | AccessMask::GENERIC_WRITE,
                CreateDisposition::OPEN,
                CreateOptions::default(),
            )
            .await
            .unwrap();
        let lock = |file_id, flags| RawClient::<DuplexStream>::lock_msg(file_id, 0, 10, flags);
        let held = c.call_ok(lock(f1, LockFlags::EXCLUSIVE)).await.unwrap();
        assert_eq!(header(&held).unwrap().status, NtStatus::SUCCESS);
        c.send(vec![lock(f2, LockFlags::EXCLUSIVE)]).await.unwrap();
        let interim = c.recv(Duration::from_secs(10)).await.unwrap();
        assert!(is_interim(&interim[0]), "the second lock waits");
        let dir = c
            .create(
                "dir",
                AccessMask::GENERIC_READ,
                CreateDisposition::OPEN,
                CreateOptions::DIRECTORY_FILE,
            )
            .await
            .unwrap();
        c.send(vec![Msg::new(
            Command::CHANGE_NOTIFY,
            body(|o| {
                ChangeNotifyRequest {
                    flags: ChangeNotifyFlags::default(),
                    output_buffer_length: 4096,
                    file_id: dir,
                    completion_filter: lwio_core::irp::NotifyFilter::FILE_NAME,
                }
                .encode(o)
            }),
        )])
        .await
        .unwrap();
        assert!(is_interim(
            &c.recv(Duration::from_secs(10)).await.unwrap()[0]
        ));
        let tree = c.tree_id;
        c.tree_connect("IPC$").await.unwrap();
        c.create(
            "srvsvc",
            AccessMask::GENERIC_READ | AccessMask::GENERIC_WRITE,
            CreateDisposition::OPEN,
            CreateOptions::default(),
        )
        .await
        .unwrap();
        c.tree_id = tree;
        // A second session, and a third left half done.
        let first = c.session_id;
        c.logon("user", "pass").await.unwrap();
        c.half_logon().await.unwrap();
        c.session_id = first;

        let s = h.endpoint().stats();
        assert_eq!(s.connections, 1);
        assert_eq!(s.sessions, 3);
        assert_eq!(s.session_setups_in_progress, 1);
        assert_eq!(s.opens, 4);
        assert_eq!(s.pending_requests, 2, "the lock and the notify");
        assert!(
            s.tasks >= 3,
            "the writer and the two waiting requests: {s:?}"
        );
        assert_eq!(s.logons, 2);
        assert!(h.server().io().rundown().pending_irps >= 2);
        assert!(h.leftovers().is_some());

        drop(run);
        task.await.unwrap().unwrap();
        if let Err(leak) = h.settle(SETTLE).await {
            panic!("{leak}");
        }
    });
}

fn request() -> impl Strategy<Value = Request> {
    // Weighted toward the commands that make state: opens, locks, notifies, setups.
    let command = prop_oneof![
        4 => Just(0u8), // CREATE
        2 => Just(1u8), // CLOSE
        2 => 2u8..4,    // READ, WRITE
        2 => Just(6u8), // LOCK
        2 => Just(7u8), // CHANGE_NOTIFY
        3 => any::<u8>(),
    ];
    (
        command,
        any::<bool>(),
        prop::option::weighted(0.05, prop_oneof![8 => 0u16..4, 1 => any::<u16>()]),
        prop_oneof![8 => 8u16..64, 1 => 0u16..8],
        prop_oneof![8 => Just(0u8), 1 => any::<u8>()],
        prop_oneof![8 => Just(0u8), 1 => any::<u8>()],
        prop_oneof![4 => Just(0u8), 2 => Just(1u8), 1 => any::<u8>()],
        prop_oneof![40 => Just(0u8), 1 => 1u8..4],
        (0u32..70_000, 0u64..8192, any::<u32>(), any::<u8>(), 0u8..12),
        prop::collection::vec(any::<u8>(), 0..256),
    )
        .prop_map(
            |(command, related, charge, credits, session, tree, file, mid, args, data)| {
                let (length, offset, flags, class, name) = args;
                Request {
                    command,
                    related,
                    charge,
                    credits,
                    session,
                    tree,
                    file,
                    mid,
                    unsigned: false,
                    length,
                    offset,
                    flags,
                    class,
                    name,
                    data,
                }
            },
        )
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        8 => prop::collection::vec(request(), 1..4).prop_map(Step::Frame),
        1 => (any::<u8>(), any::<bool>())
            .prop_map(|(nth, by_message_id)| Step::Cancel { nth, by_message_id }),
        1 => (0u8..3, any::<bool>()).prop_map(|(legs, bad)| Step::Logon { legs, bad }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn no_request_sequence_leaves_state_behind(
        steps in prop::collection::vec(step(), 1..20),
        smb3 in any::<bool>(),
    ) {
        let _one = serial();
        let h = harness();
        runtime().block_on(async {
            h.settle(SETTLE).await.map_err(|l| TestCaseError::fail(format!("before: {l}")))?;
            let dialect = if smb3 { Dialect::SMB_3_0_2 } else { Dialect::SMB_2_1 };
            let (mut run, task) = h.session(dialect).await.unwrap();
            let ending = run.run(&steps).await.map_err(|v| TestCaseError::fail(v.to_string()))?;
            prop_assert!(matches!(ending, Ending::Open | Ending::Closed));
            drop(run);
            prop_assert!(task.await.unwrap().is_ok());
            h.settle(SETTLE).await.map_err(|l| TestCaseError::fail(l.to_string()))?;
            Ok(())
        })?;
    }
}
