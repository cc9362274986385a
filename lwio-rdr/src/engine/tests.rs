//! The engine against a scripted server: matching, credits, signing, interim responses,
//! compounds, and the lies that drop a connection.

use super::*;
use lwio_smb2::{CloseRequest, FileId};

fn close(tree: u32) -> Outgoing {
    Outgoing::new(Command::CLOSE, tree, |o| {
        CloseRequest {
            file_id: FileId::default(),
            ..CloseRequest::default()
        }
        .encode(o)
    })
}

/// A response to `mid` with `status`, granting `credits`, with an empty body.
fn response(command: Command, mid: u64, status: NtStatus, credits: u16) -> Vec<u8> {
    let h = Header {
        command,
        status,
        credits,
        flags: HeaderFlags::SERVER_TO_REDIR,
        message_id: mid,
        ..Header::default()
    };
    let mut m = Vec::new();
    h.encode(&mut m);
    lwio_smb2::header::encode_reserved4(&mut m);
    m
}

#[test]
fn a_response_is_matched_and_grants_credits() {
    let mut e = Engine::new(64);
    let p = e.prepare(close(5)).unwrap();
    assert_eq!(p.message_id, 0);
    let h = Header::decode(&p.message).unwrap();
    assert_eq!(h.tree_id(), Some(5));
    assert_eq!(h.credits, 63, "enough to fill the window");
    assert!(e.prepare(close(5)).is_err(), "one credit only");
    let got = e
        .receive(response(Command::CLOSE, 0, NtStatus::SUCCESS, 10))
        .unwrap();
    assert!(matches!(&got[..], [Incoming::Reply(r)] if r.message_id == 0));
    assert_eq!(e.credits(), 10);
    assert_eq!(e.in_flight(), 0);
}

#[test]
fn lies_are_protocol_errors() {
    let mut e = Engine::new(64);
    let _ = e.prepare(close(1)).unwrap();
    assert_eq!(
        e.receive(response(Command::CLOSE, 7, NtStatus::SUCCESS, 1))
            .unwrap_err(),
        ProtocolError::UnknownMessageId(7)
    );
    assert!(matches!(
        e.receive(response(Command::READ, 0, NtStatus::SUCCESS, 1)),
        Err(ProtocolError::WrongCommand { .. })
    ));
    assert_eq!(
        e.receive(response(Command::CLOSE, 0, NtStatus::SUCCESS, 0))
            .unwrap_err(),
        ProtocolError::NoCredits
    );
    let mut e = Engine::new(64);
    let _ = e.prepare(close(1)).unwrap();
    let mut req = response(Command::CLOSE, 0, NtStatus::SUCCESS, 1);
    req[16] = 0; // not SERVER_TO_REDIR
    assert!(matches!(
        e.receive(req),
        Err(ProtocolError::NotAResponse(_))
    ));
    assert!(matches!(
        e.receive(vec![0xFE, b'S', b'M']),
        Err(ProtocolError::Malformed(_))
    ));
    assert_eq!(
        e.receive(vec![0xFD, b'S', b'M', b'B']).unwrap_err(),
        ProtocolError::Transform
    );
}

#[test]
fn answered_ids_cannot_be_answered_twice() {
    let mut e = Engine::new(64);
    let _ = e.prepare(close(1)).unwrap();
    e.receive(response(Command::CLOSE, 0, NtStatus::SUCCESS, 4))
        .unwrap();
    assert_eq!(
        e.receive(response(Command::CLOSE, 0, NtStatus::SUCCESS, 4))
            .unwrap_err(),
        ProtocolError::UnknownMessageId(0)
    );
}

#[test]
fn signed_requests_need_signed_responses() {
    let key = vec![7u8; 16];
    let mut e = Engine::new(64);
    e.set_signing(SigningAlgorithm::AesCmac, key.clone());
    let p = e.prepare(close(1)).unwrap();
    smb2sign::verify(SigningAlgorithm::AesCmac, &key, &p.message).unwrap();
    let unsigned = response(Command::CLOSE, 0, NtStatus::SUCCESS, 1);
    assert_eq!(
        e.receive(unsigned.clone()).unwrap_err(),
        ProtocolError::BadSignature(0)
    );
    let mut e = Engine::new(64);
    e.set_signing(SigningAlgorithm::AesCmac, key.clone());
    let _ = e.prepare(close(1)).unwrap();
    let mut signed = unsigned;
    signed[16] |= 0x08;
    smb2sign::sign(SigningAlgorithm::AesCmac, &key, &mut signed).unwrap();
    let mut forged = signed.clone();
    forged[8] ^= 1; // the status changes under the signature
    assert_eq!(
        e.receive(forged).unwrap_err(),
        ProtocolError::BadSignature(0)
    );
    let mut e = Engine::new(64);
    e.set_signing(SigningAlgorithm::AesCmac, key);
    let _ = e.prepare(close(1)).unwrap();
    assert!(e.receive(signed).is_ok());
}

/// The connection checks a frame without the engine (outside its lock), then the engine
/// accepts it: a forged signature found by the check is refused by the engine, with the
/// keys of the moment the check was taken; a good one is matched to its request.
#[test]
fn frames_are_checked_apart_then_accepted() {
    let key = vec![3u8; 16];
    let mut e = Engine::new(64);
    let before = e.checks();
    e.set_signing(SigningAlgorithm::HmacSha256, key.clone());
    let checks = e.checks();
    let _ = e.prepare(close(1)).unwrap();
    let mut signed = response(Command::CLOSE, 0, NtStatus::SUCCESS, 1);
    signed[16] |= 0x08;
    smb2sign::sign(SigningAlgorithm::HmacSha256, &key, &mut signed).unwrap();
    let mut forged = signed.clone();
    forged[8] ^= 1; // the status changes under the signature
    let checked = checks.check(forged.clone()).unwrap();
    assert!(checked.parts[0].bad_signature);
    assert_eq!(
        e.accept(checked).unwrap_err(),
        ProtocolError::BadSignature(0)
    );
    // Keys taken before signing began verify nothing (the session setup's last response
    // is verified by the session itself).
    assert!(!before.check(forged).unwrap().parts[0].bad_signature);
    let mut e = Engine::new(64);
    e.set_signing(SigningAlgorithm::HmacSha256, key);
    let _ = e.prepare(close(1)).unwrap();
    let checked = e.checks().check(signed).unwrap();
    match &e.accept(checked).unwrap()[..] {
        [Incoming::Reply(r)] => assert_eq!(r.message_id, 0),
        other => panic!("{other:?}"),
    }
}

#[test]
fn interim_then_cancel_by_async_id_then_final() {
    let mut e = Engine::new(64);
    let p = e.prepare(close(3)).unwrap();
    let sync_cancel = e.cancel(p.message_id).unwrap();
    assert_eq!(Header::decode(&sync_cancel).unwrap().tree_id(), Some(3));
    let mut interim = Vec::new();
    Header {
        command: Command::CLOSE,
        status: NtStatus::PENDING,
        credits: 2,
        flags: HeaderFlags::SERVER_TO_REDIR,
        id: HeaderId::Async { async_id: 99 },
        ..Header::default()
    }
    .encode(&mut interim);
    lwio_smb2::header::encode_reserved4(&mut interim);
    let got = e.receive(interim).unwrap();
    assert!(matches!(
        got[..],
        [Incoming::Interim {
            message_id: 0,
            async_id: 99
        }]
    ));
    let cancel = Header::decode(&e.cancel(0).unwrap()).unwrap();
    assert_eq!(cancel.command, Command::CANCEL);
    assert_eq!(cancel.async_id(), Some(99));
    assert_eq!(cancel.message_id, 0);
    e.receive(response(Command::CLOSE, 0, NtStatus::CANCELLED, 1))
        .unwrap();
    assert!(e.cancel(0).is_none());
    assert_eq!(e.credits(), 3);
}

#[test]
fn pending_without_async_id_is_refused() {
    let mut e = Engine::new(64);
    let _ = e.prepare(close(3)).unwrap();
    assert_eq!(
        e.receive(response(Command::CLOSE, 0, NtStatus::PENDING, 1))
            .unwrap_err(),
        ProtocolError::BadInterim
    );
}

#[test]
fn compound_responses_are_split_and_matched() {
    let mut e = Engine::new(64);
    let _ = e.prepare(close(1)).unwrap();
    e.receive(response(Command::CLOSE, 0, NtStatus::SUCCESS, 3))
        .unwrap();
    let a = e.prepare(close(1)).unwrap().message_id;
    let b = e.prepare(close(1)).unwrap().message_id;
    let mut first = response(Command::CLOSE, a, NtStatus::SUCCESS, 1);
    first.resize(72, 0);
    first[20..24].copy_from_slice(&72u32.to_le_bytes());
    let second = response(Command::CLOSE, b, NtStatus::ACCESS_DENIED, 1);
    let mut frame = first;
    frame.extend_from_slice(&second);
    let got = e.receive(frame).unwrap();
    assert_eq!(got.len(), 2);
    assert!(matches!(&got[1], Incoming::Reply(r) if r.status() == NtStatus::ACCESS_DENIED));
    let mut bad = response(Command::CLOSE, 9, NtStatus::SUCCESS, 1);
    bad[20..24].copy_from_slice(&12u32.to_le_bytes());
    assert!(matches!(e.receive(bad), Err(ProtocolError::Malformed(_))));
}

#[test]
fn large_requests_charge_one_credit_per_64k() {
    let mut e = Engine::new(512);
    assert_eq!(e.charge(1 << 20), 1, "no LARGE_MTU: one credit");
    e.set_multi_credit(true);
    assert_eq!(e.charge(0), 1);
    assert_eq!(e.charge(65536), 1);
    assert_eq!(e.charge(65537), 2);
    assert_eq!(e.charge(8 << 20), 128);
    let _ = e.prepare(close(1)).unwrap();
    e.receive(response(Command::CLOSE, 0, NtStatus::SUCCESS, 200))
        .unwrap();
    let big = close(1).expecting(1 << 20);
    let p = e.prepare(big).unwrap();
    let h = Header::decode(&p.message).unwrap();
    assert_eq!(h.credit_charge, 16);
    assert_eq!(e.credits(), 184);
    let p2 = e.prepare(close(1)).unwrap();
    assert_eq!(p2.message_id, 17);
}

#[test]
fn oplock_and_lease_breaks_are_passed_on() {
    let mut e = Engine::new(8);
    let _ = e.prepare(close(1)).unwrap();
    let mut brk = response(
        Command::OPLOCK_BREAK,
        UNSOLICITED_MESSAGE_ID,
        NtStatus::SUCCESS,
        0,
    );
    brk.truncate(HEADER_LEN);
    let file_id = FileId {
        persistent: 7,
        volatile: 9,
    };
    lwio_smb2::OplockBreak {
        oplock_level: lwio_smb2::OplockLevel::II,
        file_id,
    }
    .encode(&mut brk);
    match &e.receive(brk).unwrap()[..] {
        [Incoming::OplockBreak(b)] => assert_eq!(b.file_id, file_id),
        other => panic!("{other:?}"),
    }
    let mut brk = response(
        Command::OPLOCK_BREAK,
        UNSOLICITED_MESSAGE_ID,
        NtStatus::SUCCESS,
        0,
    );
    brk.truncate(HEADER_LEN);
    let lease = lwio_smb2::LeaseBreakNotification {
        lease_key: [4; 16],
        flags: lwio_smb2::LeaseBreakFlags::ACK_REQUIRED,
        current_lease_state: lwio_smb2::LeaseState::READ | lwio_smb2::LeaseState::HANDLE,
        new_lease_state: lwio_smb2::LeaseState::READ,
        ..Default::default()
    };
    lease.encode(&mut brk);
    match &e.receive(brk).unwrap()[..] {
        [Incoming::LeaseBreak(b)] => assert_eq!(*b, lease),
        other => panic!("{other:?}"),
    }
}

/// Signing and sealing happen outside the engine: what `reserve` leaves is finished into
/// the same bytes `prepare` makes in one step.
#[test]
fn reserved_requests_finish_as_prepared_ones() {
    let mut a = Engine::new(8);
    let mut b = Engine::new(8);
    for e in [&mut a, &mut b] {
        e.set_session_id(5);
        e.set_signing(lwio_auth::smb2sign::SigningAlgorithm::AesCmac, vec![3; 16]);
    }
    let one = a.prepare(close(1)).unwrap();
    let reserved = b.reserve(close(1)).unwrap();
    assert_eq!(b.in_flight(), 1, "in flight from the reservation");
    let two = reserved.finish().unwrap();
    assert_eq!(one.message_id, two.message_id);
    assert_eq!(one.message, two.message);
    assert!(a.verify(&two.message));
}

#[test]
fn unsolicited_breaks_are_ignored() {
    let mut e = Engine::new(8);
    let _ = e.prepare(close(1)).unwrap();
    let brk = response(
        Command::OPLOCK_BREAK,
        UNSOLICITED_MESSAGE_ID,
        NtStatus::SUCCESS,
        0,
    );
    assert!(matches!(
        e.receive(brk).unwrap()[..],
        [Incoming::Notification]
    ));
}

/// A session's sealer and the server's view of the same keys.
fn sealed_engine(cipher: lwio_auth::smb3crypt::Cipher, all: bool) -> (Engine, Vec<u8>, Vec<u8>) {
    let len = cipher.key_len();
    let (c2s, s2c) = (vec![1u8; len], vec![2u8; len]);
    let mut e = Engine::new(64);
    e.set_session_id(0x55);
    e.set_signing(SigningAlgorithm::AesCmac, vec![7u8; 16]);
    e.set_encryption(
        Sealer::new(cipher, 0x55, c2s.clone(), s2c.clone(), [9; 4]),
        all,
    );
    (e, c2s, s2c)
}

fn with_session(mut msg: Vec<u8>, session_id: u64) -> Vec<u8> {
    msg[40..48].copy_from_slice(&session_id.to_le_bytes());
    msg
}

#[test]
fn sealed_requests_and_responses_round_trip_under_every_cipher() {
    use lwio_auth::smb3crypt::{self, Cipher};
    for cipher in [
        Cipher::Aes128Ccm,
        Cipher::Aes128Gcm,
        Cipher::Aes256Ccm,
        Cipher::Aes256Gcm,
    ] {
        let (mut e, c2s, s2c) = sealed_engine(cipher, true);
        let a = e.prepare(close(1)).unwrap();
        assert_eq!(a.message[..4], [0xFD, b'S', b'M', b'B'], "sealed");
        let (th, plain) = smb3crypt::decrypt_message(cipher, &c2s, &a.message).unwrap();
        assert_eq!(th.session_id, 0x55);
        let h = Header::decode(&plain).unwrap();
        assert_eq!(h.command, Command::CLOSE);
        assert!(!h.flags.contains(HeaderFlags::SIGNED), "sealed, not signed");
        let reply = with_session(response(Command::CLOSE, 0, NtStatus::SUCCESS, 4), 0x55);
        let nonce = smb3crypt::random_nonce(cipher).unwrap();
        let wire = smb3crypt::encrypt_message(cipher, &s2c, nonce, 0x55, &reply).unwrap();
        let got = e.receive(wire).unwrap();
        assert!(matches!(&got[..], [Incoming::Reply(r)] if r.message_id == 0));
        let b = e.prepare(close(1)).unwrap();
        assert_ne!(a.message[20..36], b.message[20..36], "nonces never repeat");
        // The response to the second request comes in clear: the connection drops.
        let clear = with_session(response(Command::CLOSE, 1, NtStatus::SUCCESS, 4), 0x55);
        assert_eq!(
            e.receive(clear).unwrap_err(),
            ProtocolError::NotEncrypted(1)
        );
    }
}

#[test]
fn transforms_that_do_not_open_are_refused() {
    use lwio_auth::smb3crypt::{self, Cipher};
    let cipher = Cipher::Aes128Gcm;
    let (mut e, _, s2c) = sealed_engine(cipher, true);
    let _ = e.prepare(close(1)).unwrap();
    let reply = with_session(response(Command::CLOSE, 0, NtStatus::SUCCESS, 4), 0x55);
    let nonce = smb3crypt::random_nonce(cipher).unwrap();
    let good = smb3crypt::encrypt_message(cipher, &s2c, nonce, 0x55, &reply).unwrap();
    let refused = |frame: Vec<u8>| {
        let (mut e, _, _) = sealed_engine(cipher, true);
        let _ = e.prepare(close(1)).unwrap();
        matches!(e.receive(frame), Err(ProtocolError::Decrypt(_)))
    };
    let mut tampered = good.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    assert!(refused(tampered), "a ciphertext bit flipped");
    let mut resized = good.clone();
    resized[36] ^= 1;
    assert!(refused(resized), "OriginalMessageSize lies");
    let mut other = good.clone();
    other[44] ^= 1;
    assert!(refused(other), "another session");
    assert!(refused(good[..30].to_vec()), "truncated header");
    let wrong_key = smb3crypt::encrypt_message(cipher, &[3u8; 16], nonce, 0x55, &reply).unwrap();
    assert!(refused(wrong_key), "another key");
    let foreign = with_session(reply.clone(), 0x66);
    let foreign = smb3crypt::encrypt_message(cipher, &s2c, nonce, 0x55, &foreign).unwrap();
    assert!(refused(foreign), "the plaintext names another session");
    assert!(e.receive(good).is_ok());
}

#[test]
fn only_the_encrypted_tree_is_sealed_and_cancel_follows_its_request() {
    use lwio_auth::smb3crypt::Cipher;
    let (mut e, _, _) = sealed_engine(Cipher::Aes128Ccm, false);
    e.window.grant(8, 0);
    let clear = e.prepare(close(1)).unwrap();
    assert_eq!(clear.message[0], 0xFE, "tree 1 is not encrypted");
    assert!(
        Header::decode(&clear.message)
            .unwrap()
            .flags
            .contains(HeaderFlags::SIGNED)
    );
    assert!(e.encrypt_tree(2));
    let sealed = e.prepare(close(2)).unwrap();
    assert_eq!(sealed.message[0], 0xFD, "tree 2 is");
    assert_eq!(e.cancel(sealed.message_id).unwrap()[0], 0xFD);
    assert_eq!(e.cancel(clear.message_id).unwrap()[0], 0xFE);
    assert!(!Engine::new(8).encrypt_tree(2), "no keys, no encryption");
}

/// A WRITE of 200,000 bytes of data, kept apart from its 48-byte fixed part.
fn write_with_data(tree: u32) -> (Outgoing, Vec<u8>) {
    let data: Vec<u8> = (0..200_000u32).map(|i| (i * 7 + 3) as u8).collect();
    let req = lwio_smb2::WriteRequest {
        offset: 4096,
        file_id: FileId::default(),
        channel: lwio_smb2::Channel::NONE,
        remaining_bytes: 0,
        flags: lwio_smb2::WriteFlags::empty(),
        data: &[],
        channel_info: &[],
    };
    let out = Outgoing::with_data(
        Command::WRITE,
        tree,
        |o| req.encode_header_only(data.len(), o),
        Bytes::from(data.clone()),
    );
    (out, data)
}

#[test]
fn data_kept_apart_is_signed_with_its_message_and_charged() {
    let key = vec![7u8; 16];
    for alg in [
        SigningAlgorithm::HmacSha256,
        SigningAlgorithm::AesCmac,
        SigningAlgorithm::AesGmac,
    ] {
        let mut e = Engine::new(64);
        e.set_multi_credit(true);
        e.window.grant(63, 0);
        e.set_signing(alg, key.clone());
        let (out, data) = write_with_data(1);
        let p = e.prepare(out).unwrap();
        assert_eq!(
            p.data[..],
            data[..],
            "the data is not copied into the message"
        );
        assert_eq!(p.len(), HEADER_LEN + 48 + data.len());
        let mut joined = p.message.clone();
        joined.extend_from_slice(&p.data);
        smb2sign::verify(alg, &key, &joined).unwrap();
        assert!(smb2sign::verify(alg, &key, &p.message).is_err(), "{alg:?}");
        let w = lwio_smb2::WriteRequest::decode(&joined).unwrap();
        assert_eq!(w.data, &data[..]);
        let h = Header::decode(&joined).unwrap();
        assert_eq!(h.credit_charge, 4, "200,000 bytes are four 64 KiB units");
    }
}

#[test]
fn data_kept_apart_is_sealed_with_its_message() {
    use lwio_auth::smb3crypt::{self, Cipher};
    for cipher in [Cipher::Aes128Gcm, Cipher::Aes128Ccm] {
        let (mut e, c2s, _) = sealed_engine(cipher, true);
        e.set_multi_credit(true);
        e.window.grant(63, 0);
        let (out, data) = write_with_data(1);
        let p = e.prepare(out).unwrap();
        assert!(p.data.is_empty(), "the transform holds it all");
        let (_, plain) = smb3crypt::decrypt_message(cipher, &c2s, &p.message).unwrap();
        let w = lwio_smb2::WriteRequest::decode(&plain).unwrap();
        assert_eq!(w.data, &data[..]);
        assert_eq!(w.offset, 4096);
    }
}
