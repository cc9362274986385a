#![allow(clippy::unwrap_used)]
//! SMB 3 encryption in the connection engine, in-process: a 3.0 client that announces
//! SMB2_GLOBAL_CAP_ENCRYPTION gets AES-128-CCM keys for its session; a request sent
//! under a TRANSFORM_HEADER is answered under one (and unsigned, MS-SMB2 3.3.4.1.1), and
//! every hostile transform (3.3.5.2.1.1) drops the connection without a panic.

use std::time::Duration;

use lwio_auth::smb2sign::{KeyDerivation, derive_smb3_keys};
use lwio_auth::smb3crypt::{self, Cipher};
use lwio_core::NtStatus;
use lwio_smb2::{Capabilities, Command, Dialect, EchoRequest, Header, HeaderFlags};
use lwio_srv::testing::client::{ClientError, Msg, RawClient, body};
use lwio_srv::testing::{Harness, USER, small_config};
use tokio::io::DuplexStream;

const WAIT: Duration = Duration::from_secs(5);

/// A logged-on 3.0 client that can encrypt, its keys (to server, to client) and the task
/// serving it.
async fn encrypting_client(
    h: &Harness,
) -> (
    RawClient<DuplexStream>,
    Vec<u8>,
    Vec<u8>,
    tokio::task::JoinHandle<Result<(), lwio_srv::endpoint::Refused>>,
) {
    let (mut c, task) = h.connect(None);
    let neg = c
        .negotiate_caps(&[Dialect::SMB_3_0], Capabilities::ENCRYPTION)
        .await
        .unwrap();
    assert!(neg.capabilities.contains(Capabilities::ENCRYPTION));
    let sid = c.logon(USER.0, USER.1).await.unwrap();
    let key = c.session_key(sid).unwrap();
    let keys = derive_smb3_keys(&key, KeyDerivation::Smb30, Cipher::Aes128Ccm);
    (c, keys.client_to_server, keys.server_to_client, task)
}

fn echo() -> Msg {
    Msg::new(Command::ECHO, body(|o| EchoRequest.encode(o)))
}

fn seal(key: &[u8], session_id: u64, plain: &[u8]) -> Vec<u8> {
    let nonce = smb3crypt::random_nonce(Cipher::Aes128Ccm).unwrap();
    smb3crypt::encrypt_message(Cipher::Aes128Ccm, key, nonce, session_id, plain).unwrap()
}

fn harness() -> (Harness, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    (Harness::new(small_config(dir.path())).unwrap(), dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_encrypted_request_is_answered_encrypted() {
    let (h, _dir) = harness();
    let (mut c, to_server, to_client, _task) = encrypting_client(&h).await;
    let sid = c.session_id;
    let (plain, _) = c.frame(vec![echo()]);
    c.send_raw(&seal(&to_server, sid, &plain)).await.unwrap();
    let frame = c.recv_raw(WAIT).await.unwrap();
    let (th, resp) = smb3crypt::decrypt_message(Cipher::Aes128Ccm, &to_client, &frame).unwrap();
    assert_eq!(th.session_id, sid);
    let hdr = Header::decode(&resp).unwrap();
    assert_eq!(
        (hdr.command, hdr.status, hdr.session_id),
        (Command::ECHO, NtStatus::SUCCESS, sid)
    );
    assert!(
        !hdr.flags.contains(HeaderFlags::SIGNED),
        "encrypted, not signed"
    );
    // The same session still answers in clear what comes in clear.
    assert_eq!(c.echo().await.unwrap(), NtStatus::SUCCESS);
}

/// A compound chain sent encrypted is answered as one transform holding every response.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_encrypted_compound_is_answered_in_one_transform() {
    let (h, _dir) = harness();
    let (mut c, to_server, to_client, _task) = encrypting_client(&h).await;
    let sid = c.session_id;
    let (plain, mids) = c.frame(vec![echo(), echo(), echo()]);
    c.send_raw(&seal(&to_server, sid, &plain)).await.unwrap();
    let frame = c.recv_raw(WAIT).await.unwrap();
    let (_, resp) = smb3crypt::decrypt_message(Cipher::Aes128Ccm, &to_client, &frame).unwrap();
    let parts = lwio_smb2::split_compound(&resp).unwrap();
    let got: Vec<u64> = parts
        .iter()
        .map(|p| Header::decode(p).unwrap().message_id)
        .collect();
    assert_eq!(got, mids);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_transforms_drop_the_connection() {
    let (h, _dir) = harness();
    type Make = fn(&mut RawClient<DuplexStream>, &[u8]) -> Vec<u8>;
    let cases: [(&str, Make); 8] = [
        ("a flipped tag bit", |c, k| {
            let sid = c.session_id;
            let (p, _) = c.frame(vec![echo()]);
            let mut f = seal(k, sid, &p);
            f[4] ^= 1;
            f
        }),
        ("a flipped ciphertext bit", |c, k| {
            let sid = c.session_id;
            let (p, _) = c.frame(vec![echo()]);
            let mut f = seal(k, sid, &p);
            *f.last_mut().unwrap() ^= 0x80;
            f
        }),
        ("an unknown session", |c, k| {
            let (p, _) = c.frame(vec![echo()]);
            seal(k, 0xdead_beef, &p)
        }),
        ("OriginalMessageSize beyond the frame", |c, k| {
            let sid = c.session_id;
            let (p, _) = c.frame(vec![echo()]);
            let mut f = seal(k, sid, &p);
            f[36..40].copy_from_slice(&u32::MAX.to_le_bytes());
            f
        }),
        ("a truncated header", |c, k| {
            let sid = c.session_id;
            let (p, _) = c.frame(vec![echo()]);
            seal(k, sid, &p)[..40].to_vec()
        }),
        ("a nested transform", |c, k| {
            let sid = c.session_id;
            let (p, _) = c.frame(vec![echo()]);
            seal(k, sid, &seal(k, sid, &p))
        }),
        ("a message of another session inside", |c, k| {
            let sid = c.session_id;
            let mut m = echo();
            m.session_id = Some(sid + 1);
            let (p, _) = c.frame(vec![m]);
            seal(k, sid, &p)
        }),
        ("an unknown flag", |c, k| {
            let sid = c.session_id;
            let (p, _) = c.frame(vec![echo()]);
            let mut f = seal(k, sid, &p);
            f[42..44].copy_from_slice(&2u16.to_le_bytes());
            f
        }),
    ];
    for (what, make) in cases {
        let (mut c, to_server, _, task) = encrypting_client(&h).await;
        let frame = make(&mut c, &to_server);
        c.send_raw(&frame).await.unwrap();
        let r = c.recv_raw(WAIT).await;
        assert!(matches!(r, Err(ClientError::Closed)), "{what}: {r:?}");
        drop(c);
        assert!(task.await.is_ok(), "{what}: the connection task panicked");
    }
    // The server serves on.
    let (mut c, _, _, _task) = encrypting_client(&h).await;
    assert_eq!(c.echo().await.unwrap(), NtStatus::SUCCESS);
}

/// A client that did not announce encryption gets no keys: its transform is dropped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_without_keys_takes_no_transform() {
    let (h, _dir) = harness();
    let (mut c, task) = h.connect(None);
    let neg = c.negotiate(&[Dialect::SMB_3_0]).await.unwrap();
    assert!(!neg.capabilities.contains(Capabilities::ENCRYPTION));
    let sid = c.logon(USER.0, USER.1).await.unwrap();
    let key = c.session_key(sid).unwrap();
    let k = derive_smb3_keys(&key, KeyDerivation::Smb30, Cipher::Aes128Ccm);
    let (p, _) = c.frame(vec![echo()]);
    c.send_raw(&seal(&k.client_to_server, sid, &p))
        .await
        .unwrap();
    assert!(matches!(c.recv_raw(WAIT).await, Err(ClientError::Closed)));
    drop(c);
    assert!(task.await.is_ok());
}

/// A 3.1.1 NEGOTIATE with these contexts: the status and the cipher answered, if any.
async fn negotiate_311(
    contexts: Vec<lwio_smb2::NegotiateContext>,
) -> (NtStatus, Option<Vec<lwio_smb2::negotiate::Cipher>>) {
    use lwio_smb2::{NegotiateContext, NegotiateRequest, NegotiateResponse, SecurityMode};
    let (h, _dir) = harness();
    let (mut c, _task) = h.connect(None);
    let m = c
        .call(Msg::new(
            Command::NEGOTIATE,
            body(|o| {
                NegotiateRequest {
                    security_mode: SecurityMode::SIGNING_ENABLED,
                    dialects: vec![Dialect::SMB_3_1_1],
                    contexts,
                    ..NegotiateRequest::default()
                }
                .encode(o)
            }),
        ))
        .await
        .unwrap();
    let status = Header::decode(&m).unwrap().status;
    let cipher = NegotiateResponse::decode(&m).ok().and_then(|r| {
        r.contexts.into_iter().find_map(|c| match c {
            NegotiateContext::Encryption(v) => Some(v),
            _ => None,
        })
    });
    (status, cipher)
}

/// MS-SMB2 3.3.5.4: the server's cipher order (GCM first), cipher 0 when none is
/// common, and STATUS_INVALID_PARAMETER for two encryption or preauth contexts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn negotiate_contexts_pick_a_cipher_or_refuse_duplicates() {
    use lwio_smb2::NegotiateContext as N;
    use lwio_smb2::negotiate::{Cipher as C, HashAlgorithm, PreauthIntegrity};
    let preauth = || {
        N::PreauthIntegrity(PreauthIntegrity {
            hash_algorithms: vec![HashAlgorithm::SHA512],
            salt: vec![1; 32],
        })
    };
    let all = vec![
        C::AES_256_CCM,
        C::AES_128_CCM,
        C::AES_256_GCM,
        C::AES_128_GCM,
    ];
    let (s, c) = negotiate_311(vec![preauth(), N::Encryption(all.clone())]).await;
    assert_eq!((s, c), (NtStatus::SUCCESS, Some(vec![C::AES_128_GCM])));
    let (s, c) = negotiate_311(vec![preauth(), N::Encryption(vec![C::AES_256_CCM])]).await;
    assert_eq!((s, c), (NtStatus::SUCCESS, Some(vec![C::AES_256_CCM])));
    let (s, c) = negotiate_311(vec![preauth(), N::Encryption(vec![C(0x99)])]).await;
    assert_eq!((s, c), (NtStatus::SUCCESS, Some(vec![C::NONE])));
    let (s, _) = negotiate_311(vec![
        preauth(),
        N::Encryption(all.clone()),
        N::Encryption(all),
    ])
    .await;
    assert_eq!(s, NtStatus::INVALID_PARAMETER);
    let (s, _) = negotiate_311(vec![preauth(), preauth()]).await;
    assert_eq!(s, NtStatus::INVALID_PARAMETER);
}
