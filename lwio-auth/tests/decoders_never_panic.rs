//! Random bytes into every decoder: errors are fine, panics are not; whatever decodes
//! re-encodes to something that decodes to the same value.
#![allow(missing_docs, clippy::unwrap_used)]

use lwio_auth::ntlm::*;
use lwio_auth::smb2sign::{SigningAlgorithm, compute_signature};
use lwio_auth::smb3crypt::{Cipher, TransformHeader, decrypt_message};
use lwio_auth::spnego::GssToken;
use proptest::prelude::*;

fn with_prefix(kind: u8, rest: &[u8]) -> Vec<u8> {
    let mut v = b"NTLMSSP\0".to_vec();
    v.extend_from_slice(&[kind, 0, 0, 0]);
    v.extend_from_slice(rest);
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn ntlm_decoders(kind in 1u8..4, rest in proptest::collection::vec(any::<u8>(), 0..200)) {
        let b = with_prefix(kind, &rest);
        let _ = message_type(&b);
        if let Ok(m) = NegotiateMessage::decode(&b) {
            prop_assert_eq!(NegotiateMessage::decode(&m.encode()).unwrap(), m);
        }
        if let Ok(m) = ChallengeMessage::decode(&b) {
            prop_assert_eq!(ChallengeMessage::decode(&m.encode()).unwrap(), m);
        }
        if let Ok(m) = AuthenticateMessage::decode(&b) {
            prop_assert_eq!(AuthenticateMessage::decode(&m.encode()).unwrap(), m);
        }
        let _ = AvPairs::decode(&rest);
    }

    #[test]
    fn server_never_panics(auth in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut c = NtlmClient::new(NtlmCredentials {
            user: "u".into(), domain: "d".into(), workstation: "w".into(), nt_hash: nt_hash("p"),
        });
        let mut s = NtlmServer::new(ServerNames::default(), Box::new(|| 0));
        s.challenge(&c.negotiate()).unwrap();
        let _ = s.authenticate(&with_prefix(3, &auth), &|_, _| Some(nt_hash("p")));
    }

    #[test]
    fn spnego_decoder(b in proptest::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(t) = GssToken::decode(&b) {
            prop_assert_eq!(GssToken::decode(&t.encode()).unwrap(), t);
        }
    }

    #[test]
    fn spnego_decoder_der_shaped(tag in prop::sample::select(vec![0x60u8, 0xa0, 0xa1]),
                                 b in proptest::collection::vec(prop::sample::select(vec![0x30u8, 0xa0, 0xa1, 0xa2, 0xa3, 0x04, 0x06, 0x0a, 0x01, 0x02, 0x03, 0x81, 0x00]), 0..60)) {
        let mut v = vec![tag, b.len() as u8];
        v.extend_from_slice(&b);
        if let Ok(t) = GssToken::decode(&v) {
            prop_assert_eq!(GssToken::decode(&t.encode()).unwrap(), t);
        }
    }

    #[test]
    fn crypto_inputs(b in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = TransformHeader::decode(&b);
        let _ = decrypt_message(Cipher::Aes128Gcm, &[0; 16], &b);
        let _ = decrypt_message(Cipher::Aes256Ccm, &[0; 32], &b);
        let _ = compute_signature(SigningAlgorithm::AesGmac, &[0; 16], &b);
    }
}
