//! SMB2/3 message signing (MS-SMB2 3.1.4.1), key derivation (3.1.4.2) and the SMB 3.1.1
//! pre-authentication integrity hash (3.2.5.2, 3.3.5.4).
//!
//! A signature covers one SMB2 message (one element of a compound chain) with its
//! 16-byte Signature field, at offset 48 of the header, taken as zero.

use aes::Aes128;
use cmac::Cmac;
use hmac::Hmac;
use sha2::{Digest, Sha256, Sha512};
use subtle::ConstantTimeEq;

use crate::smb3crypt::Cipher;
use lwio_types::Reader;

/// Size of an SMB2 header; every signed message is at least this long.
pub const SMB2_HEADER_LEN: usize = 64;
/// Offset of the Signature field in the SMB2 header.
pub const SIGNATURE_OFFSET: usize = 48;
const FLAGS_SERVER_TO_REDIR: u32 = 0x0000_0001;
const COMMAND_CANCEL: u16 = 0x000C;

/// Why a message could not be signed or did not verify.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// The message is shorter than an SMB2 header.
    #[error("message shorter than an SMB2 header")]
    MessageTooShort,
    /// The key has the wrong length for the algorithm.
    #[error("bad signing key length")]
    BadKeyLength,
    /// The signature does not match.
    #[error("signature does not verify")]
    SignatureMismatch,
}

/// The signing algorithm of a session (MS-SMB2 3.1.4.1, 2.2.3.1.7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SigningAlgorithm {
    /// HMAC-SHA256 truncated to 16 bytes: dialects 2.0.2 and 2.1; the key is the session key.
    HmacSha256,
    /// AES-128-CMAC: dialects 3.0, 3.0.2, and 3.1.1 unless GMAC is negotiated.
    AesCmac,
    /// AES-128-GMAC: 3.1.1 with the signing capabilities context.
    AesGmac,
}

type HmacSha256 = Hmac<Sha256>;

/// SP800-108 counter-mode KDF with HMAC-SHA256, one block, as MS-SMB2 3.1.4.2 uses it:
/// `HMAC-SHA256(key, i=1 (BE32) || label || 0x00 || context || L (BE32))`, truncated to
/// `out.len()` bytes (at most 32). `label` and `context` are passed with any NUL they
/// carry (the SMB labels include their terminating NUL).
pub fn kdf(key: &[u8], label: &[u8], context: &[u8], out: &mut [u8]) {
    use hmac::Mac;
    let bits = (out.len() as u32) * 8;
    // HMAC accepts keys of any length.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(&1u32.to_be_bytes());
    mac.update(label);
    mac.update(&[0]);
    mac.update(context);
    mac.update(&bits.to_be_bytes());
    let full = mac.finalize().into_bytes();
    let n = out.len().min(full.len());
    out[..n].copy_from_slice(&full[..n]);
}

/// Which key-derivation inputs a dialect uses (MS-SMB2 3.3.5.5.3, 3.2.5.3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyDerivation {
    /// Dialects 3.0 and 3.0.2: constant labels and contexts.
    Smb30,
    /// Dialect 3.1.1: the preauth integrity hash of the session is the context.
    Smb311 {
        /// `Session.PreauthIntegrityHashValue` after the last SESSION_SETUP request.
        preauth_hash: [u8; 64],
    },
}

/// The keys of an SMB 3.x session, named by direction rather than by role.
#[derive(Clone, PartialEq, Eq)]
pub struct Smb3Keys {
    /// Signing key (16 bytes).
    pub signing_key: [u8; 16],
    /// Application key, handed to DCE/RPC over named pipes (16 bytes).
    pub application_key: [u8; 16],
    /// Encrypts client-to-server traffic: the client's EncryptionKey, the server's
    /// DecryptionKey. 16 or 32 bytes by cipher.
    pub client_to_server: Vec<u8>,
    /// Encrypts server-to-client traffic: the server's EncryptionKey, the client's
    /// DecryptionKey. 16 or 32 bytes by cipher.
    pub server_to_client: Vec<u8>,
}

impl std::fmt::Debug for Smb3Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Smb3Keys(..)")
    }
}

/// Derives the session keys of dialect 3.x from the session key (the NTLM exported
/// session key or the Kerberos subkey). `cipher` sets the length of the encryption keys;
/// for 3.0/3.0.2 it is AES-128-CCM.
pub fn derive_smb3_keys(session_key: &[u8], how: KeyDerivation, cipher: Cipher) -> Smb3Keys {
    let mut k = Smb3Keys {
        signing_key: [0; 16],
        application_key: [0; 16],
        client_to_server: vec![0; cipher.key_len()],
        server_to_client: vec![0; cipher.key_len()],
    };
    match how {
        KeyDerivation::Smb30 => {
            kdf(
                session_key,
                b"SMB2AESCMAC\0",
                b"SmbSign\0",
                &mut k.signing_key,
            );
            kdf(
                session_key,
                b"SMB2APP\0",
                b"SmbRpc\0",
                &mut k.application_key,
            );
            kdf(
                session_key,
                b"SMB2AESCCM\0",
                b"ServerIn \0",
                &mut k.client_to_server,
            );
            kdf(
                session_key,
                b"SMB2AESCCM\0",
                b"ServerOut\0",
                &mut k.server_to_client,
            );
        }
        KeyDerivation::Smb311 { preauth_hash } => {
            let h = &preauth_hash[..];
            kdf(session_key, b"SMBSigningKey\0", h, &mut k.signing_key);
            kdf(session_key, b"SMBAppKey\0", h, &mut k.application_key);
            kdf(
                session_key,
                b"SMBC2SCipherKey\0",
                h,
                &mut k.client_to_server,
            );
            kdf(
                session_key,
                b"SMBS2CCipherKey\0",
                h,
                &mut k.server_to_client,
            );
        }
    }
    k
}

/// Computes the signature of `message` with its Signature field taken as zero.
pub fn compute_signature(
    alg: SigningAlgorithm,
    key: &[u8],
    message: &[u8],
) -> Result<[u8; 16], SignError> {
    compute_signature_with_data(alg, key, message, &[])
}

/// Computes the signature of `message` followed by `data` (one message whose payload is
/// kept apart, a WRITE's data sent from the caller's buffer), with the Signature field of
/// `message`'s header taken as zero.
pub fn compute_signature_with_data(
    alg: SigningAlgorithm,
    key: &[u8],
    message: &[u8],
    data: &[u8],
) -> Result<[u8; 16], SignError> {
    compute_signature_with_parts(alg, key, message, &[data])
}

/// Computes the signature of `message` followed by every part of `data` in order (a
/// response whose payload stays in the buffer it was read into, then the padding that
/// aligns the next response of a compound), with the Signature field of `message`'s
/// header taken as zero. Nothing is joined. A session signing many messages keeps a
/// [`SigningKey`] instead, which prepares the key once.
pub fn compute_signature_with_parts(
    alg: SigningAlgorithm,
    key: &[u8],
    message: &[u8],
    data: &[&[u8]],
) -> Result<[u8; 16], SignError> {
    SigningKey::new(alg, key)?.signature(message, data)
}

/// A signing key made ready once (MS-SMB2 3.1.4.1): the HMAC with its key hashed in,
/// the CMAC or the AES-GMAC with its AES key schedule and, for GMAC, the GHASH key
/// H = E_K(0) and its powers. A session keeps one for all its messages; each message
/// then costs only its own bytes.
#[derive(Clone)]
pub struct SigningKey {
    state: KeyState,
}

#[derive(Clone)]
enum KeyState {
    HmacSha256(HmacSha256),
    AesCmac(Cmac<Aes128>),
    AesGmac(GmacKey),
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("alg", &self.algorithm())
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Prepares `key` for `alg`: HMAC-SHA256 takes any length, the AES algorithms 16
    /// bytes ([`SignError::BadKeyLength`] otherwise).
    pub fn new(alg: SigningAlgorithm, key: &[u8]) -> Result<SigningKey, SignError> {
        let state = match alg {
            SigningAlgorithm::HmacSha256 => {
                use hmac::Mac;
                KeyState::HmacSha256(
                    <HmacSha256 as Mac>::new_from_slice(key)
                        .map_err(|_| SignError::BadKeyLength)?,
                )
            }
            SigningAlgorithm::AesCmac => KeyState::AesCmac(
                <Cmac<Aes128> as cmac::Mac>::new_from_slice(key)
                    .map_err(|_| SignError::BadKeyLength)?,
            ),
            SigningAlgorithm::AesGmac => KeyState::AesGmac(GmacKey::new(key)?),
        };
        Ok(SigningKey { state })
    }

    /// The algorithm this key signs with.
    pub fn algorithm(&self) -> SigningAlgorithm {
        match self.state {
            KeyState::HmacSha256(_) => SigningAlgorithm::HmacSha256,
            KeyState::AesCmac(_) => SigningAlgorithm::AesCmac,
            KeyState::AesGmac(_) => SigningAlgorithm::AesGmac,
        }
    }

    /// The signature of `message` followed by every part of `data`, with the Signature
    /// field of `message`'s header taken as zero (see [`compute_signature_with_parts`]).
    pub fn signature(&self, message: &[u8], data: &[&[u8]]) -> Result<[u8; 16], SignError> {
        if message.len() < SMB2_HEADER_LEN {
            return Err(SignError::MessageTooShort);
        }
        let (head, tail) = message.split_at(SIGNATURE_OFFSET);
        let tail = &tail[16..];
        let zero = [0u8; 16];
        let mut out = [0u8; 16];
        match &self.state {
            KeyState::HmacSha256(keyed) => {
                use hmac::Mac;
                let mut mac = keyed.clone();
                mac.update(head);
                mac.update(&zero);
                mac.update(tail);
                data.iter().for_each(|d| mac.update(d));
                out.copy_from_slice(&mac.finalize().into_bytes()[..16]);
            }
            KeyState::AesCmac(keyed) => {
                use cmac::Mac;
                let mut mac = keyed.clone();
                mac.update(head);
                mac.update(&zero);
                mac.update(tail);
                data.iter().for_each(|d| mac.update(d));
                out.copy_from_slice(&mac.finalize().into_bytes());
            }
            KeyState::AesGmac(keyed) => {
                let nonce = gmac_nonce(message).ok_or(SignError::MessageTooShort)?;
                let mut parts = Vec::with_capacity(3 + data.len());
                parts.extend([head, &zero[..], tail]);
                parts.extend_from_slice(data);
                out = keyed.tag(&nonce, &parts);
            }
        }
        Ok(out)
    }

    /// Signs `message` followed by every part of `data`: writes the signature into
    /// `message`'s header (the caller sets SMB2_FLAGS_SIGNED first, the flags are
    /// covered).
    pub fn sign(&self, message: &mut [u8], data: &[&[u8]]) -> Result<[u8; 16], SignError> {
        let sig = self.signature(message, data)?;
        message[SIGNATURE_OFFSET..SIGNATURE_OFFSET + 16].copy_from_slice(&sig);
        Ok(sig)
    }

    /// Verifies the signature in `message`'s header, comparing in constant time.
    pub fn verify(&self, message: &[u8]) -> Result<(), SignError> {
        let sig = self.signature(message, &[])?;
        let got = &message[SIGNATURE_OFFSET..SIGNATURE_OFFSET + 16];
        if bool::from(sig.ct_eq(got)) {
            Ok(())
        } else {
            Err(SignError::SignatureMismatch)
        }
    }
}

/// An AES-128-GMAC key: the AES key schedule and GHASH keyed with H = E_K(0).
#[derive(Clone)]
struct GmacKey {
    aes: Aes128,
    ghash: Ghash,
}

impl GmacKey {
    fn new(key: &[u8]) -> Result<GmacKey, SignError> {
        use aes::cipher::{BlockEncrypt, KeyInit};
        let aes = Aes128::new_from_slice(key).map_err(|_| SignError::BadKeyLength)?;
        let mut h = aes::Block::default();
        aes.encrypt_block(&mut h);
        Ok(GmacKey {
            aes,
            ghash: Ghash::new(h.into()),
        })
    }

    /// AES-GMAC (NIST SP 800-38D: GCM with the message as additional data and no
    /// plaintext) over `parts` taken as one string, without joining them (a part that
    /// ends inside a 16-byte block is completed from the next). The tag is GHASH_H(A
    /// padded, then the bit lengths of A and of the empty ciphertext) XOR E_K(J0), with
    /// J0 = the 12-byte nonce, then 1.
    fn tag(&self, nonce: &[u8; 12], parts: &[&[u8]]) -> [u8; 16] {
        use aes::cipher::BlockEncrypt;
        let mut ghash = self.ghash.clone();
        let mut bits = 0u64;
        // The start of a block a part left unfinished.
        let mut carry = [0u8; 16];
        let mut carried = 0usize;
        for part in parts {
            bits = bits.wrapping_add((part.len() as u64).wrapping_mul(8));
            let mut part: &[u8] = part;
            if carried > 0 {
                let n = part.len().min(16 - carried);
                carry[carried..carried + n].copy_from_slice(&part[..n]);
                carried += n;
                part = &part[n..];
                if carried < 16 {
                    continue;
                }
                ghash.update_blocks(&carry);
            }
            let whole = part.len() - part.len() % 16;
            ghash.update_blocks(&part[..whole]);
            let rest = &part[whole..];
            carry[..rest.len()].copy_from_slice(rest);
            carried = rest.len();
        }
        if carried > 0 {
            carry[carried..].fill(0);
            ghash.update_blocks(&carry);
        }
        let mut lengths = [0u8; 16];
        lengths[..8].copy_from_slice(&bits.to_be_bytes());
        ghash.update_blocks(&lengths);
        let mut j0 = aes::Block::default();
        j0[..12].copy_from_slice(nonce);
        j0[15] = 1;
        self.aes.encrypt_block(&mut j0);
        let mut tag = ghash.finalize();
        for (t, e) in tag.iter_mut().zip(j0.iter()) {
            *t ^= e;
        }
        tag
    }
}

/// AES-GMAC of `parts` under `key` ([`GmacKey::tag`]).
#[cfg(test)]
fn gmac(key: &[u8], nonce: &[u8; 12], parts: &[&[u8]]) -> Result<[u8; 16], SignError> {
    Ok(GmacKey::new(key)?.tag(nonce, parts))
}

/// GHASH (SP 800-38D 6.4) computed with POLYVAL (RFC 8452 appendix A: GHASH_H(X) =
/// ByteReverse(POLYVAL_{mulX(ByteReverse(H))}(ByteReverse(X_1), ...))), as the `ghash`
/// crate does, but reversing the blocks in batches with byte swaps of 128-bit words and
/// handing POLYVAL many blocks per call: its carry-less multiply then runs four blocks
/// at a time without a copy and a byte loop per block between.
#[derive(Clone)]
struct Ghash(polyval::Polyval);

/// Blocks reversed and hashed per POLYVAL call (2 KiB on the stack).
const GHASH_BATCH: usize = 128;

impl Ghash {
    fn new(h: [u8; 16]) -> Ghash {
        use polyval::hazmat::FieldElement;
        let key = FieldElement::from(h).reverse().mulx();
        Ghash(polyval::Polyval::new(&key.into()))
    }

    /// Hashes whole blocks: `data.len()` is a multiple of 16 (anything after the last
    /// whole block is ignored). Up to four blocks (a header, a carried block, the
    /// lengths) go through a small buffer, the rest in batches.
    fn update_blocks(&mut self, data: &[u8]) {
        if data.len() <= 4 * 16 {
            let mut small = [polyval::Block::default(); 4];
            let n = Ghash::reverse_into(&mut small, data);
            self.hash(&small[..n]);
            return;
        }
        let mut batch = [polyval::Block::default(); GHASH_BATCH];
        for chunk in data.chunks(GHASH_BATCH * 16) {
            let n = Ghash::reverse_into(&mut batch, chunk);
            self.hash(&batch[..n]);
        }
    }

    /// Copies the whole blocks of `src` into `dst`, each byte-reversed; returns how many.
    fn reverse_into(dst: &mut [polyval::Block], src: &[u8]) -> usize {
        let mut n = 0;
        for (d, s) in dst.iter_mut().zip(src.chunks_exact(16)) {
            let mut b = [0u8; 16];
            b.copy_from_slice(s);
            *d = u128::from_be_bytes(b).to_le_bytes().into();
            n += 1;
        }
        n
    }

    fn hash(&mut self, blocks: &[polyval::Block]) {
        use polyval::universal_hash::UniversalHash as _;
        self.0.update(blocks);
    }

    fn finalize(self) -> [u8; 16] {
        use polyval::universal_hash::UniversalHash as _;
        let tag: [u8; 16] = self.0.finalize().into();
        u128::from_le_bytes(tag).to_be_bytes()
    }
}

/// The AES-GMAC nonce (MS-SMB2 3.1.4.1): MessageId, then a 32-bit little-endian word
/// whose bit 0 is set for a server-to-client message and bit 1 for a CANCEL request.
fn gmac_nonce(message: &[u8]) -> Option<[u8; 12]> {
    let mid = Reader::at(message, 24).u64().ok()?;
    let flags = Reader::at(message, 16).u32().ok()?;
    let command = Reader::at(message, 12).u16().ok()?;
    let mut role = 0u32;
    if flags & FLAGS_SERVER_TO_REDIR != 0 {
        role |= 1;
    }
    if command == COMMAND_CANCEL && flags & FLAGS_SERVER_TO_REDIR == 0 {
        role |= 2;
    }
    let mut n = [0u8; 12];
    n[..8].copy_from_slice(&mid.to_le_bytes());
    n[8..].copy_from_slice(&role.to_le_bytes());
    Some(n)
}

/// Signs `message` in place: computes the signature and writes it into the header. The
/// caller sets SMB2_FLAGS_SIGNED first, since the flags are covered.
pub fn sign(alg: SigningAlgorithm, key: &[u8], message: &mut [u8]) -> Result<[u8; 16], SignError> {
    sign_with_data(alg, key, message, &[])
}

/// Signs `message` followed by `data` (sent right after it, from another buffer): writes
/// the signature into `message`'s header.
pub fn sign_with_data(
    alg: SigningAlgorithm,
    key: &[u8],
    message: &mut [u8],
    data: &[u8],
) -> Result<[u8; 16], SignError> {
    sign_with_parts(alg, key, message, &[data])
}

/// Signs `message` followed by every part of `data` (sent right after it, each from its
/// own buffer): writes the signature into `message`'s header.
pub fn sign_with_parts(
    alg: SigningAlgorithm,
    key: &[u8],
    message: &mut [u8],
    data: &[&[u8]],
) -> Result<[u8; 16], SignError> {
    SigningKey::new(alg, key)?.sign(message, data)
}

/// Verifies the signature in `message`'s header, in constant time.
pub fn verify(alg: SigningAlgorithm, key: &[u8], message: &[u8]) -> Result<(), SignError> {
    SigningKey::new(alg, key)?.verify(message)
}

/// The SMB 3.1.1 preauth integrity hash: starts at 64 zero bytes, and each NEGOTIATE and
/// SESSION_SETUP message (header included) chains in as `H = SHA-512(H || message)`.
#[derive(Clone, PartialEq, Eq)]
pub struct PreauthHash([u8; 64]);

impl Default for PreauthHash {
    fn default() -> Self {
        PreauthHash([0; 64])
    }
}

impl std::fmt::Debug for PreauthHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PreauthHash(")?;
        for b in &self.0[..8] {
            write!(f, "{b:02x}")?;
        }
        write!(f, "..)")
    }
}

impl PreauthHash {
    /// The initial value, 64 zero bytes.
    pub fn new() -> PreauthHash {
        PreauthHash::default()
    }

    /// Starts from a value, such as the connection's hash when a session begins.
    pub fn from_value(v: [u8; 64]) -> PreauthHash {
        PreauthHash(v)
    }

    /// Chains one message in.
    pub fn update(&mut self, message: &[u8]) {
        let mut h = Sha512::new();
        h.update(self.0);
        h.update(message);
        self.0.copy_from_slice(&h.finalize());
    }

    /// The current value.
    pub fn value(&self) -> &[u8; 64] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aes_gcm::{AeadInOut, Aes128Gcm, KeyInit};

    /// The streaming GMAC against AES-GCM's own (the `aes-gcm` crate, with the message
    /// joined as additional data), for messages of every length around block edges.
    #[test]
    fn gmac_matches_aes_gcm_with_the_message_as_additional_data() {
        let key = [0x5au8; 16];
        let nonce = [7u8; 12];
        let gcm = Aes128Gcm::new_from_slice(&key).unwrap();
        let body: Vec<u8> = (0..70_000u32).map(|i| (i * 31 + 7) as u8).collect();
        for tail_len in (0..100).chain([1000, 4095, 4096, 65_537, 70_000]) {
            let head = &body[..48];
            let tail = &body[..tail_len];
            let zero = [0u8; 16];
            let mut joined = head.to_vec();
            joined.extend_from_slice(&zero);
            joined.extend_from_slice(tail);
            let want = gcm
                .encrypt_inout_detached((&nonce).into(), &joined, (&mut [][..]).into())
                .unwrap();
            let got = gmac(&key, &nonce, &[head, &zero, tail]).unwrap();
            assert_eq!(got.as_slice(), want.as_slice(), "tail of {tail_len} bytes");
            // The same string cut anywhere, into parts of any length.
            for cut in [0, 1, 15, 16, 17, 33, 63, 64, 65, 100].map(|c| c.min(joined.len())) {
                let (a, b) = joined.split_at(cut);
                let (b, c) = b.split_at(b.len() / 3);
                let got = gmac(&key, &nonce, &[a, b, &[], c]).unwrap();
                assert_eq!(
                    got.as_slice(),
                    want.as_slice(),
                    "cut at {cut} of {tail_len}"
                );
            }
        }
        assert_eq!(gmac(&[0; 15], &nonce, &[]), Err(SignError::BadKeyLength));
    }

    /// GCM Test Case 1 (McGrew and Viega, NIST's GCM submission): the zero key and
    /// nonce, no additional data and no plaintext, whose tag is E_K(J0) alone.
    #[test]
    fn gmac_of_nothing_is_the_gcm_test_case_1_tag() {
        let tag = gmac(&[0; 16], &[0; 12], &[]).unwrap();
        assert_eq!(
            tag,
            [
                0x58, 0xe2, 0xfc, 0xce, 0xfa, 0x7e, 0x30, 0x61, 0x36, 0x7f, 0x1d, 0x57, 0xa4, 0xe7,
                0x45, 0x5a
            ]
        );
    }

    /// A prepared key signs as the one-shot functions do, for every algorithm and many
    /// lengths, and the GMAC equals ring's AES-GCM with the message (its signature
    /// zeroed) as additional data and the nonce of MS-SMB2 3.1.4.1; a prepared key
    /// verifies what it signed and refuses a flipped bit anywhere.
    #[test]
    fn a_prepared_key_signs_as_the_one_shot_functions_and_ring_do() {
        let key = [0x3cu8; 16];
        let ring_key = ring::aead::LessSafeKey::new(
            ring::aead::UnboundKey::new(&ring::aead::AES_128_GCM, &key).unwrap(),
        );
        let body: Vec<u8> = (0..20_000u32).map(|i| (i * 29 + 3) as u8).collect();
        for alg in [
            SigningAlgorithm::HmacSha256,
            SigningAlgorithm::AesCmac,
            SigningAlgorithm::AesGmac,
        ] {
            let prepared = SigningKey::new(alg, &key).unwrap();
            assert_eq!(prepared.algorithm(), alg);
            for len in (64..200).chain([255, 256, 257, 4096, 4097, 19_999, 20_000]) {
                let mut msg = body[..len].to_vec();
                // A response (bit 0 of the nonce's role) for odd lengths.
                msg[16] = (len % 2) as u8;
                let want = compute_signature(alg, &key, &msg).unwrap();
                assert_eq!(
                    prepared.signature(&msg, &[]).unwrap(),
                    want,
                    "{alg:?} {len}"
                );
                if alg == SigningAlgorithm::AesGmac {
                    let mut aad = msg.clone();
                    aad[SIGNATURE_OFFSET..SIGNATURE_OFFSET + 16].fill(0);
                    let nonce = gmac_nonce(&msg).unwrap();
                    let tag = ring_key
                        .seal_in_place_separate_tag(
                            ring::aead::Nonce::assume_unique_for_key(nonce),
                            ring::aead::Aad::from(&aad[..]),
                            &mut [],
                        )
                        .unwrap();
                    assert_eq!(tag.as_ref(), &want[..], "ring, {len}");
                }
                prepared.sign(&mut msg, &[]).unwrap();
                prepared.verify(&msg).unwrap();
                for bit in [0, 48 * 8, 63 * 8 + 7, len * 8 - 1] {
                    msg[bit / 8] ^= 1 << (bit % 8);
                    assert_eq!(
                        prepared.verify(&msg),
                        Err(SignError::SignatureMismatch),
                        "{alg:?} {len} bit {bit}"
                    );
                    msg[bit / 8] ^= 1 << (bit % 8);
                }
            }
            assert_eq!(
                prepared.verify(&body[..63]),
                Err(SignError::MessageTooShort)
            );
        }
        assert_eq!(
            SigningKey::new(SigningAlgorithm::AesGmac, &[0; 15]).map(|_| ()),
            Err(SignError::BadKeyLength)
        );
        assert_eq!(
            SigningKey::new(SigningAlgorithm::AesCmac, &[0; 17]).map(|_| ()),
            Err(SignError::BadKeyLength)
        );
    }

    /// A message signed with its data apart has the signature of the joined message.
    #[test]
    fn signing_with_data_apart_signs_the_joined_message() {
        let body: Vec<u8> = (0..5000u32).map(|i| (i * 13 + 1) as u8).collect();
        for alg in [
            SigningAlgorithm::HmacSha256,
            SigningAlgorithm::AesCmac,
            SigningAlgorithm::AesGmac,
        ] {
            for split in [64, 65, 112, 127, 5000] {
                let mut joined = body.clone();
                let want = sign(alg, &[3; 16], &mut joined).unwrap();
                let (head, data) = body.split_at(split);
                let mut head = head.to_vec();
                let got = sign_with_data(alg, &[3; 16], &mut head, data).unwrap();
                assert_eq!(got, want, "{alg:?} split at {split}");
                assert_eq!(head[..], joined[..split]);
                verify(alg, &[3; 16], &joined).unwrap();
                // The data in three parts (one of them empty): the same signature.
                let (a, b) = data.split_at(data.len() / 3);
                let mut head2 = body[..split].to_vec();
                let got = sign_with_parts(alg, &[3; 16], &mut head2, &[a, &[], b]).unwrap();
                assert_eq!(got, want, "{alg:?} in parts, split at {split}");
            }
        }
    }
}
