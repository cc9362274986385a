//! Message signing of a session (MS-SMB2 3.1.4.1, 3.1.5.1): which key and algorithm a
//! dialect uses, signing responses and verifying requests. The primitives are
//! `lwio-auth`'s; the key is prepared once per session ([`SigningKey`]: the AES key
//! schedule, the GHASH key and its powers, the HMAC's hashed key), not per message.

use std::sync::Arc;

use lwio_auth::smb2sign::{self, KeyDerivation, SigningAlgorithm, SigningKey};
use lwio_auth::smb3crypt::Cipher;
use lwio_smb2::Dialect;

/// The offset of the Flags field in the SMB2 header.
const FLAGS_OFFSET: usize = 16;
/// SMB2_FLAGS_SIGNED.
const FLAG_SIGNED: u32 = 0x0000_0008;

/// A session's signing key and algorithm, prepared once; clones share it.
#[derive(Clone)]
pub struct Signer {
    key: Arc<SigningKey>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("alg", &self.key.algorithm())
            .finish_non_exhaustive()
    }
}

/// The session key a named pipe's server sees (MS-SMB2 3.3.5.5.3 Session.ApplicationKey,
/// what SAMR and LSA encrypt passwords with): the session key itself for 2.0.2 and 2.1,
/// the derived application key for 3.x (with the preauthentication hash for 3.1.1).
pub fn pipe_session_key(
    dialect: Dialect,
    session_key: &[u8; 16],
    preauth_hash: [u8; 64],
) -> [u8; 16] {
    let how = match dialect {
        Dialect::SMB_2_0_2 | Dialect::SMB_2_1 => return *session_key,
        Dialect::SMB_3_1_1 => KeyDerivation::Smb311 { preauth_hash },
        _ => KeyDerivation::Smb30,
    };
    smb2sign::derive_smb3_keys(session_key, how, Cipher::Aes128Ccm).application_key
}

impl Signer {
    /// The signer of a session of `dialect` with `session_key`. For 3.1.1,
    /// `preauth_hash` is the session's hash after its last SESSION_SETUP request and
    /// `gmac` says whether AES-GMAC was negotiated (else AES-CMAC); see
    /// [`Signer::with_algorithm`] for the others.
    pub fn new(
        dialect: Dialect,
        session_key: &[u8; 16],
        preauth_hash: [u8; 64],
        gmac: bool,
    ) -> Self {
        let alg = if gmac {
            SigningAlgorithm::AesGmac
        } else {
            SigningAlgorithm::AesCmac
        };
        Signer::with_algorithm(dialect, session_key, preauth_hash, alg)
    }

    /// The signer of a session of `dialect` with `session_key`. For 3.1.1,
    /// `preauth_hash` is the session's hash after its last SESSION_SETUP request and
    /// `alg` the algorithm negotiated (SMB2_SIGNING_CAPABILITIES; any of the three, keyed
    /// with the derived signing key); 2.x always uses HMAC-SHA256 with the session key,
    /// 3.0 and 3.0.2 AES-CMAC.
    pub fn with_algorithm(
        dialect: Dialect,
        session_key: &[u8; 16],
        preauth_hash: [u8; 64],
        alg: SigningAlgorithm,
    ) -> Self {
        let (alg, key) = match dialect {
            Dialect::SMB_2_0_2 | Dialect::SMB_2_1 => (SigningAlgorithm::HmacSha256, *session_key),
            Dialect::SMB_3_1_1 => {
                let k = smb2sign::derive_smb3_keys(
                    session_key,
                    KeyDerivation::Smb311 { preauth_hash },
                    Cipher::Aes128Ccm,
                );
                (alg, k.signing_key)
            }
            _ => {
                let k = smb2sign::derive_smb3_keys(
                    session_key,
                    KeyDerivation::Smb30,
                    Cipher::Aes128Ccm,
                );
                (SigningAlgorithm::AesCmac, k.signing_key)
            }
        };
        // Every algorithm takes a 16-byte key.
        let key = SigningKey::new(alg, &key).unwrap_or_else(|_| unreachable!());
        Signer { key: Arc::new(key) }
    }

    /// Sets SMB2_FLAGS_SIGNED in `msg`'s header and writes its signature.
    pub fn sign(&self, msg: &mut [u8]) {
        self.sign_with(msg, &[]);
    }

    /// Sets SMB2_FLAGS_SIGNED in `msg`'s header and writes the signature of `msg`
    /// followed by `data` (sent behind it from their own buffers, never joined).
    pub fn sign_with(&self, msg: &mut [u8], data: &[&[u8]]) {
        if let Some(f) = msg.get_mut(FLAGS_OFFSET..FLAGS_OFFSET + 4) {
            let flags = u32::from_le_bytes([f[0], f[1], f[2], f[3]]) | FLAG_SIGNED;
            f.copy_from_slice(&flags.to_le_bytes());
        }
        if self.key.sign(msg, data).is_err() {
            tracing::warn!("cannot sign a message of {} bytes", msg.len());
        }
    }

    /// True when `msg` carries a valid signature.
    pub fn verify(&self, msg: &[u8]) -> bool {
        self.key.verify(msg).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lwio_smb2::{Command, Header, HeaderFlags};

    #[test]
    fn sign_then_verify_every_dialect() {
        for d in [
            Dialect::SMB_2_0_2,
            Dialect::SMB_2_1,
            Dialect::SMB_3_0,
            Dialect::SMB_3_0_2,
            Dialect::SMB_3_1_1,
        ] {
            for alg in [
                SigningAlgorithm::HmacSha256,
                SigningAlgorithm::AesCmac,
                SigningAlgorithm::AesGmac,
            ] {
                let s = Signer::with_algorithm(d, &[7; 16], [3; 64], alg);
                let mut msg = Vec::new();
                Header {
                    command: Command::ECHO,
                    flags: HeaderFlags::SERVER_TO_REDIR,
                    message_id: 5,
                    ..Header::default()
                }
                .encode(&mut msg);
                msg.extend_from_slice(&[4, 0, 0, 0]);
                s.sign(&mut msg);
                assert!(
                    Header::decode(&msg)
                        .unwrap()
                        .flags
                        .contains(HeaderFlags::SIGNED)
                );
                assert!(s.verify(&msg), "{d:?}");
                msg[66] ^= 1;
                assert!(!s.verify(&msg));
            }
        }
    }
}
