#![allow(clippy::unwrap_used)]
//! The READ path's answers, byte for byte, now that a READ's data is sent from the
//! driver's buffer as a piece of its own (`conn/pieces.rs`): signed by every algorithm
//! over the pieces as they lie, alone and inside compounds (padded to 8 bytes behind
//! the data), short reads at the end of the file included. The raw client checks every
//! signature and the alignment of every compounded response.

use std::time::Duration;

use lwio_core::{AccessMask, CreateDisposition, CreateOptions, NtStatus};
use lwio_smb2::{Dialect, FileId, Header, HeaderFlags, ReadResponse};
use lwio_srv::testing::client::{RawClient, status_of};
use lwio_srv::testing::{Harness, USER, open_to_everyone, small_config};
use tokio::io::DuplexStream;

const WAIT: Duration = Duration::from_secs(10);

/// The file every test reads: no two neighbouring bytes alike over long stretches.
fn content(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

const LEN: usize = 300_001;

/// A signed-on client of `dialect` with `LEN` bytes written to `r.dat`, its file id.
async fn client(
    h: &Harness,
    dialect: Dialect,
) -> (
    RawClient<DuplexStream>,
    FileId,
    tokio::task::JoinHandle<Result<(), lwio_srv::endpoint::Refused>>,
) {
    let (mut c, task) = h.connect(None);
    c.negotiate(&[dialect]).await.unwrap();
    let sid = c.logon(USER.0, USER.1).await.unwrap();
    assert!(c.signer(sid).is_some(), "the session can sign");
    c.tree_connect("share").await.unwrap();
    let fid = c
        .create(
            "r.dat",
            AccessMask::GENERIC_READ | AccessMask::GENERIC_WRITE,
            CreateDisposition::OVERWRITE_IF,
            CreateOptions::default(),
        )
        .await
        .unwrap();
    let data = content(LEN);
    for (i, chunk) in data.chunks(65536).enumerate() {
        let n = c.write(fid, (i * 65536) as u64, chunk).await.unwrap();
        assert_eq!(n as usize, chunk.len());
    }
    (c, fid, task)
}

fn signed(m: &[u8]) -> bool {
    Header::decode(m)
        .unwrap()
        .flags
        .contains(HeaderFlags::SIGNED)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_reads_of_every_size_carry_the_data_under_a_valid_signature() {
    let dir = tempfile::tempdir().unwrap();
    open_to_everyone(dir.path()).unwrap();
    let h = Harness::new(small_config(dir.path())).unwrap();
    let want = content(LEN);
    // HMAC-SHA256, AES-CMAC. (AES-GMAC, 3.1.1's: smbclient's tests and lwio-auth's.)
    for dialect in [Dialect::SMB_2_1, Dialect::SMB_3_0, Dialect::SMB_3_0_2] {
        let (mut c, fid, task) = client(&h, dialect).await;
        for (offset, length) in [
            (0usize, 100u32),   // copied behind its header
            (5, 4095),          // just under a piece of its own
            (0, 4096),          // a piece of its own
            (1, 70_001),        // odd length
            (0, LEN as u32),    // the whole file
            (250_000, 200_000), // short: ends at the end of the file
            (LEN - 1, 1 << 20), // one byte, from a buffer sized for 1 MiB
        ] {
            let mids = c
                .send(vec![RawClient::<DuplexStream>::read_msg(
                    fid,
                    offset as u64,
                    length,
                )])
                .await
                .unwrap();
            // `response` checks the signature of every signed message it receives.
            let m = c.response(mids[0]).await.unwrap();
            assert_eq!(
                status_of(&m),
                NtStatus::SUCCESS,
                "{dialect:?} {offset}+{length}"
            );
            assert!(
                signed(&m),
                "{dialect:?}: the response to a signed READ is signed"
            );
            let end = (offset + length as usize).min(LEN);
            let r = ReadResponse::decode(&m).unwrap();
            assert_eq!(r.data.len(), end - offset, "{dialect:?} {offset}+{length}");
            assert!(r.data == want[offset..end], "{dialect:?} {offset}+{length}");
            // Nothing after the data.
            assert_eq!(m.len(), 80 + r.data.len());
        }
        drop(c);
        let _ = task.await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_inside_compounds_are_aligned_signed_and_whole() {
    let dir = tempfile::tempdir().unwrap();
    open_to_everyone(dir.path()).unwrap();
    let h = Harness::new(small_config(dir.path())).unwrap();
    let want = content(LEN);
    for dialect in [Dialect::SMB_2_1, Dialect::SMB_3_0_2] {
        let (mut c, fid, task) = client(&h, dialect).await;
        // Unrelated reads of the open file: a long one of odd length (its padding
        // follows its data), a short one, another long one, and one at the end.
        let reads: [(usize, u32); 4] = [(3, 5001), (10, 3), (7, 70_003), (LEN - 2, 9)];
        let msgs = reads
            .iter()
            .map(|&(o, l)| RawClient::<DuplexStream>::read_msg(fid, o as u64, l))
            .collect();
        c.send(msgs).await.unwrap();
        // One frame answers them all; `recv` checks alignment and signatures.
        let parts = c.recv(WAIT).await.unwrap();
        assert_eq!(parts.len(), reads.len(), "{dialect:?}");
        for (m, &(offset, length)) in parts.iter().zip(&reads) {
            assert_eq!(status_of(m), NtStatus::SUCCESS);
            assert!(signed(m));
            let end = (offset + length as usize).min(LEN);
            let r = ReadResponse::decode(m).unwrap();
            assert!(r.data == want[offset..end], "{dialect:?} {offset}+{length}");
        }
        // The padding is zeros and is counted by NextCommand.
        let first = &parts[0];
        assert_eq!(first.len(), (80 + 5001usize).div_ceil(8) * 8);
        assert!(first[80 + 5001..].iter().all(|&b| b == 0));

        // A related chain: CREATE, READ and CLOSE of the file the CREATE opened.
        let related = FileId::RELATED;
        c.send(vec![
            RawClient::<DuplexStream>::create_msg(
                "r.dat",
                AccessMask::GENERIC_READ,
                CreateDisposition::OPEN,
                CreateOptions::default(),
            ),
            RawClient::<DuplexStream>::read_msg(related, 11, 65_537).related(),
            RawClient::<DuplexStream>::close_msg(related).related(),
        ])
        .await
        .unwrap();
        let parts = c.recv(WAIT).await.unwrap();
        assert_eq!(parts.len(), 3);
        assert!(parts.iter().all(|m| status_of(m) == NtStatus::SUCCESS));
        assert!(parts.iter().all(|m| signed(m)));
        let r = ReadResponse::decode(&parts[1]).unwrap();
        assert!(r.data == want[11..11 + 65_537]);
        drop(c);
        let _ = task.await;
    }
}

/// A READ past the end and one the client may not make answer errors as before, in a
/// compound with a READ that succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_reads_beside_data_keep_their_status() {
    let dir = tempfile::tempdir().unwrap();
    open_to_everyone(dir.path()).unwrap();
    let h = Harness::new(small_config(dir.path())).unwrap();
    let (mut c, fid, task) = client(&h, Dialect::SMB_3_0_2).await;
    let bad = FileId {
        persistent: 1,
        volatile: 2,
    };
    c.send(vec![
        RawClient::<DuplexStream>::read_msg(fid, LEN as u64 + 10, 100),
        RawClient::<DuplexStream>::read_msg(fid, 0, 8192),
        RawClient::<DuplexStream>::read_msg(bad, 0, 10),
    ])
    .await
    .unwrap();
    let parts = c.recv(WAIT).await.unwrap();
    let statuses: Vec<NtStatus> = parts.iter().map(|m| status_of(m)).collect();
    assert_eq!(
        statuses,
        [
            NtStatus::END_OF_FILE,
            NtStatus::SUCCESS,
            NtStatus::FILE_CLOSED
        ]
    );
    assert!(ReadResponse::decode(&parts[1]).unwrap().data == content(LEN)[..8192]);
    drop(c);
    let _ = task.await;
}
