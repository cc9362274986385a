//! MS-NLMP 4.2.4 NTLMv2 vectors and in-process handshakes.
#![allow(missing_docs, clippy::unwrap_used)]

mod common;
use common::hex;

use lwio_auth::ntlm::*;
use lwio_core::NtStatus;

const SERVER_CHALLENGE: [u8; 8] = [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef];
const CLIENT_CHALLENGE: [u8; 8] = [0xaa; 8];

/// MS-NLMP 4.2.4.1.3: the server's AV pairs: NbDomainName "Domain", NbComputerName "Server".
fn vector_pairs() -> AvPairs {
    AvPairs(vec![
        AvPair::name(AvId::NB_DOMAIN_NAME, "Domain"),
        AvPair::name(AvId::NB_COMPUTER_NAME, "Server"),
    ])
}

#[test]
fn ms_nlmp_4_2_4_ntlmv2_vectors() {
    let nt = nt_hash("Password");
    let key = ntowfv2(&nt, "User", "Domain");
    assert_eq!(
        key.to_vec(),
        hex("0c868a403bfd7a93a3001ef22ef02e3f"),
        "NTOWFv2"
    );

    let lm = lmv2_response(&key, &SERVER_CHALLENGE, &CLIENT_CHALLENGE);
    assert_eq!(
        lm.to_vec(),
        hex("86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa"),
        "LMv2 response"
    );

    let pairs = vector_pairs().encode();
    assert_eq!(
        pairs,
        hex("02000c0044006f006d00610069006e0001000c005300650072007600650072000000 0000")
    );
    let blob = ntlmv2_client_blob(0, &CLIENT_CHALLENGE, &pairs);
    assert_eq!(
        blob,
        hex("01010000000000000000000000000000aaaaaaaaaaaaaaaa00000000\
             02000c0044006f006d00610069006e0001000c005300650072007600650072000000000000000000")
    );
    let proof = nt_proof_str(&key, &SERVER_CHALLENGE, &blob);
    assert_eq!(
        proof.to_vec(),
        hex("68cd0ab851e51c96aabc927bebef6a1c"),
        "NTProofStr"
    );
    let resp = ntv2_response(&key, &SERVER_CHALLENGE, &blob);
    assert_eq!(&resp[..16], &proof);
    assert_eq!(&resp[16..], &blob[..]);

    let base = session_base_key(&key, &proof);
    assert_eq!(
        base.to_vec(),
        hex("8de40ccadbc14a82f15cb0ad0de95ca3"),
        "SessionBaseKey"
    );

    let enc = rc4_16(&base, &[0x55; 16]);
    assert_eq!(
        enc.to_vec(),
        hex("c5dad2544fc9799094ce1ce90bc9d03e"),
        "EncryptedRandomSessionKey"
    );
    assert_eq!(rc4_16(&base, &enc), [0x55; 16]);
}

#[test]
fn nt_hash_known_value() {
    // MS-NLMP 4.2.2.1.2 NTOWFv1("Password").
    assert_eq!(
        nt_hash("Password").0.to_vec(),
        hex("a4f49c406510bdcab6824ee7c30fd852")
    );
}

/// The server's CHALLENGE from a Windows 10 capture published with the SMB 3.1.1 preauth
/// walkthrough (flags 0xE28A8215, TargetName "SUT311", a timestamp AV pair).
const CAPTURED_CHALLENGE: &str = "4E544C4D53535000020000000C000C003800000015828AE20D1D8BA31179D008\
    000000000000000050005000440000000A0092270000000F53005500540033003100310002000C00530055005400\
    330031003100 01000C0053005500540033003100310004000C0053005500540033003100310003000C0053005500\
    540033003100310007000800A1A1F5ADCBAED00100000000";

#[test]
fn decode_captured_messages() {
    let neg =
        hex("4E544C4D5353500001000000978208E200000000000000000000000000000000060380250000000F");
    let n = NegotiateMessage::decode(&neg).unwrap();
    assert_eq!(n.flags, NegotiateFlags(0xE208_8297));
    assert_eq!(n.version.unwrap().build, 9600);
    assert_eq!(n.encode(), neg);

    let chal = hex(CAPTURED_CHALLENGE);
    let c = ChallengeMessage::decode(&chal).unwrap();
    assert_eq!(c.target_name_string(), "SUT311");
    assert_eq!(c.server_challenge.to_vec(), hex("0D1D8BA31179D008"));
    let info = c.target_info.as_ref().unwrap();
    assert_eq!(
        info.get_name(AvId::DNS_DOMAIN_NAME).as_deref(),
        Some("SUT311")
    );
    assert_eq!(info.timestamp(), Some(0x01D0_AECB_ADF5_A1A1));
    assert_eq!(c.encode(), chal);
}

fn names() -> ServerNames {
    ServerNames {
        nb_computer: "SERVER".into(),
        nb_domain: "DOMAIN".into(),
        dns_computer: "server.example.test".into(),
        dns_domain: "example.test".into(),
        dns_tree: "example.test".into(),
    }
}

fn clock() -> Box<dyn Fn() -> u64 + Send + Sync> {
    Box::new(|| 133_000_000_000_000_000)
}

fn client(password: &str) -> NtlmClient {
    NtlmClient::new(NtlmCredentials {
        user: "alice".into(),
        domain: "DOMAIN".into(),
        workstation: "WS1".into(),
        nt_hash: nt_hash(password),
    })
}

fn lookup(user: &str, domain: &str) -> Option<NtHash> {
    (user.eq_ignore_ascii_case("alice") && domain == "DOMAIN").then(|| nt_hash("s3cret!"))
}

#[test]
fn handshake_right_password() {
    let mut c = client("s3cret!");
    let mut s = NtlmServer::new(names(), clock());
    let chal = s.challenge(&c.negotiate()).unwrap();
    let auth = c.authenticate(&chal, 0).unwrap();
    let ok = s.authenticate(&auth.message, &lookup).unwrap();
    assert_eq!(ok.user, "alice");
    assert_eq!(ok.domain, "DOMAIN");
    assert_eq!(ok.workstation, "WS1");
    assert!(!ok.anonymous && !ok.guest);
    assert!(ok.mic_verified);
    assert!(ok.flags.contains(NegotiateFlags::KEY_EXCH));
    assert_eq!(ok.session_key, auth.session_key);
    assert_eq!(ok.timestamp_skew_secs, Some(0));
    // The exchange is over.
    assert_eq!(
        s.authenticate(&auth.message, &lookup),
        Err(AuthError::WrongState)
    );
}

#[test]
fn handshake_wrong_password() {
    let mut c = client("wrong");
    let mut s = NtlmServer::new(names(), clock());
    let chal = s.challenge(&c.negotiate()).unwrap();
    let auth = c.authenticate(&chal, 0).unwrap();
    let err = s.authenticate(&auth.message, &lookup).unwrap_err();
    assert_eq!(err, AuthError::BadResponse);
    assert_eq!(err.status(), NtStatus::LOGON_FAILURE);
}

#[test]
fn unknown_user_and_guest_fallback() {
    let unknown = |_: &str, _: &str| None;
    let mut c = client("x");
    let mut s = NtlmServer::new(names(), clock());
    let chal = s.challenge(&c.negotiate()).unwrap();
    let auth = c.authenticate(&chal, 0).unwrap();
    assert_eq!(
        s.authenticate(&auth.message, &unknown),
        Err(AuthError::NoSuchUser)
    );

    let mut c = client("x");
    let mut s = NtlmServer::new(names(), clock()).with_guest_fallback(true);
    let chal = s.challenge(&c.negotiate()).unwrap();
    let auth = c.authenticate(&chal, 0).unwrap();
    let g = s.authenticate(&auth.message, &unknown).unwrap();
    assert!(g.guest);
    assert_eq!(g.session_key, [0; 16]);
}

#[test]
fn mic_tampering_detected() {
    let mut c = client("s3cret!");
    let mut s = NtlmServer::new(names(), clock());
    let chal = s.challenge(&c.negotiate()).unwrap();
    let mut auth = c.authenticate(&chal, 0).unwrap().message;
    auth[MIC_OFFSET] ^= 1;
    assert_eq!(s.authenticate(&auth, &lookup), Err(AuthError::MicMismatch));

    // Tampering with the flags (covered by the MIC only) is caught too.
    let mut c = client("s3cret!");
    let mut s = NtlmServer::new(names(), clock());
    let chal = s.challenge(&c.negotiate()).unwrap();
    let auth = c.authenticate(&chal, 0).unwrap().message;
    let mut m = AuthenticateMessage::decode(&auth).unwrap();
    m.flags = NegotiateFlags(m.flags.0 & !NegotiateFlags::SEAL.0);
    assert_eq!(
        s.authenticate(&m.encode(), &lookup),
        Err(AuthError::MicMismatch)
    );
}

#[test]
fn mic_stripped_detected() {
    let mut c = client("s3cret!");
    let mut s = NtlmServer::new(names(), clock());
    let chal = s.challenge(&c.negotiate()).unwrap();
    let auth = c.authenticate(&chal, 0).unwrap().message;
    let mut m = AuthenticateMessage::decode(&auth).unwrap();
    m.mic = None;
    assert_eq!(
        s.authenticate(&m.encode(), &lookup),
        Err(AuthError::MicMissing)
    );
}

#[test]
fn ntlmv1_and_lm_refused() {
    let mut c = client("s3cret!");
    let mut s = NtlmServer::new(names(), clock());
    let chal = s.challenge(&c.negotiate()).unwrap();
    let auth = c.authenticate(&chal, 0).unwrap().message;
    let mut m = AuthenticateMessage::decode(&auth).unwrap();
    m.nt_response = vec![0x11; 24];
    m.lm_response = vec![0x22; 24];
    m.mic = None;
    let err = s.authenticate(&m.encode(), &lookup).unwrap_err();
    assert_eq!(err, AuthError::NtlmV1Refused);
    assert_eq!(err.status(), NtStatus::LOGON_FAILURE);

    let mut s = NtlmServer::new(names(), clock());
    let mut c = client("s3cret!");
    s.challenge(&c.negotiate()).unwrap();
    m.nt_response.clear();
    assert_eq!(
        s.authenticate(&m.encode(), &lookup),
        Err(AuthError::NtlmV1Refused)
    );
}

#[test]
fn anonymous_reported() {
    let mut c = client("");
    let mut s = NtlmServer::new(names(), clock());
    let _ = s.challenge(&c.negotiate()).unwrap();
    let m = AuthenticateMessage {
        lm_response: vec![0],
        nt_response: vec![],
        domain: vec![],
        user: vec![],
        workstation: vec![],
        encrypted_random_session_key: vec![],
        flags: NegotiateFlags::UNICODE | NegotiateFlags::ANONYMOUS | NegotiateFlags::NTLM,
        version: None,
        mic: None,
    };
    let a = s.authenticate(&m.encode(), &lookup).unwrap();
    assert!(a.anonymous);
    assert_eq!(a.session_key, [0; 16]);
}

#[test]
fn authenticate_before_challenge_is_wrong_state() {
    let mut s = NtlmServer::new(names(), clock());
    assert_eq!(
        s.authenticate(b"NTLMSSP\0", &lookup),
        Err(AuthError::WrongState)
    );
}

#[test]
fn client_with_fixed_inputs_matches_vector_response() {
    // The client's blob carries the server's pairs plus MsvAvFlags; with a fixed client
    // challenge and key, the encrypted session key follows from the session base key.
    let chal = ChallengeMessage {
        target_name: "Server".encode_utf16().flat_map(u16::to_le_bytes).collect(),
        flags: NegotiateFlags(0xe28a_8233),
        server_challenge: SERVER_CHALLENGE,
        reserved: [0; 8],
        target_info: Some(vector_pairs()),
        version: None,
    };
    let mut c = NtlmClient::new(NtlmCredentials {
        user: "User".into(),
        domain: "Domain".into(),
        workstation: "COMPUTER".into(),
        nt_hash: nt_hash("Password"),
    })
    .with_client_challenge(CLIENT_CHALLENGE)
    .with_exported_session_key([0x55; 16]);
    c.negotiate();
    let out = c.authenticate(&chal.encode(), 0).unwrap();
    let m = AuthenticateMessage::decode(&out.message).unwrap();
    assert_eq!(
        m.lm_response,
        hex("86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa")
    );
    assert_eq!(out.session_key, [0x55; 16]);
    assert_eq!(m.user_name(), "User");
}
