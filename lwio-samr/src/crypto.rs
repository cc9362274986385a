//! The password encryptions of MS-SAMR (pure functions, no state):
//!
//! - SAMPR_USER_PASSWORD (2.2.6.21): 512 bytes with the UTF-16LE password at their end,
//!   then its length in bytes; sent RC4-encrypted as SAMPR_ENCRYPTED_USER_PASSWORD (516
//!   bytes) with the session key (levels 23, 24) or an old NT hash (the change calls),
//!   or as SAMPR_ENCRYPTED_USER_PASSWORD_NEW (532 bytes: 16 bytes of clear salt after it)
//!   with MD5(salt ‖ session key) as the RC4 key (levels 25, 26) (3.2.2.1, 3.2.2.2);
//! - a 16-byte hash encrypted with a 16-byte key (2.2.11.1.1 and 2.2.11.1.2): two DES
//!   blocks under the key's first and second 7 bytes (levels 18 and 21, the change
//!   calls' cross-encrypted hashes);
//! - SAMPR_ENCRYPTED_PASSWORD_AES (2.2.6.32, levels 31 and 32, UnicodeChangePasswordUser4):
//!   AES-256-CBC then HMAC-SHA512 (AEAD-AES-256-CBC-HMAC-SHA512, MS-LSAD 2.2.1.4 gives
//!   the constants), keys derived from the session key, or for a change from
//!   PBKDF2-HMAC-SHA512 of the old NT hash.
//!
//! A buffer that does not decrypt to a well-formed password (a length past the buffer, or
//! odd) is STATUS_WRONG_PASSWORD, as Windows answers. The password itself is any run of
//! 16-bit units, well-formed UTF-16 or not ([`ClearPassword`]): Windows hashes the units
//! as they come, so a password of random bytes set by one client works from another.

use aes::cipher::{BlockDecryptMut, BlockEncrypt, BlockEncryptMut, KeyInit, KeyIvInit};
use hmac::{Hmac, Mac};
use lwio_core::NtStatus;
use md5::{Digest, Md5};
use rc4::{Rc4, StreamCipher};
use sha2::Sha512;

/// Length of SAMPR_ENCRYPTED_USER_PASSWORD.
pub const USER_PASSWORD_LEN: usize = 516;
/// Length of SAMPR_ENCRYPTED_USER_PASSWORD_NEW.
pub const USER_PASSWORD_NEW_LEN: usize = 532;

/// RC4 over `data` with a 16-byte key (session keys and NT hashes are 16 bytes).
pub fn rc4(key: &[u8; 16], data: &mut [u8]) {
    let mut c = Rc4::<rc4::consts::U16>::new(key.into());
    c.apply_keystream(data);
}

/// A cleartext password as it came off the wire: UTF-16LE code units, not necessarily
/// well-formed UTF-16 (a client may send random bytes, and Windows takes them).
#[derive(Clone, PartialEq, Eq)]
pub struct ClearPassword(pub Vec<u16>);

impl ClearPassword {
    /// From little-endian bytes (an even count).
    fn from_le(bytes: &[u8]) -> ClearPassword {
        ClearPassword(
            bytes
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect(),
        )
    }

    /// The units as little-endian bytes: what the NT hash is taken over.
    pub fn to_le_bytes(&self) -> Vec<u8> {
        self.0.iter().flat_map(|u| u.to_le_bytes()).collect()
    }

    /// The text, unpaired surrogates replaced (one unit for one unit, so lengths hold).
    pub fn to_string_lossy(&self) -> String {
        String::from_utf16_lossy(&self.0)
    }
}

impl std::fmt::Debug for ClearPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the password itself, in logs or panics.
        write!(f, "ClearPassword({} units)", self.0.len())
    }
}

impl PartialEq<&str> for ClearPassword {
    fn eq(&self, other: &&str) -> bool {
        self.0.iter().copied().eq(other.encode_utf16())
    }
}

/// Reads the password out of a decrypted 516-byte SAMPR_USER_PASSWORD.
pub fn password_from_buffer(buf: &[u8; USER_PASSWORD_LEN]) -> Result<ClearPassword, NtStatus> {
    let len = u32::from_le_bytes([buf[512], buf[513], buf[514], buf[515]]) as usize;
    if len > 512 || len % 2 != 0 {
        return Err(NtStatus::WRONG_PASSWORD);
    }
    Ok(ClearPassword::from_le(&buf[512 - len..512]))
}

/// Builds a 516-byte SAMPR_USER_PASSWORD holding `password` (random fill before it).
pub fn password_to_buffer(password: &str) -> [u8; USER_PASSWORD_LEN] {
    clear_to_buffer(&ClearPassword(password.encode_utf16().collect()))
}

/// Builds a 516-byte SAMPR_USER_PASSWORD holding any units (at most 256 kept).
pub fn clear_to_buffer(password: &ClearPassword) -> [u8; USER_PASSWORD_LEN] {
    let mut buf = [0u8; USER_PASSWORD_LEN];
    let _ = getrandom::fill(&mut buf[..512]);
    let bytes: Vec<u8> = password
        .0
        .iter()
        .take(256)
        .flat_map(|u| u.to_le_bytes())
        .collect();
    buf[512 - bytes.len()..512].copy_from_slice(&bytes);
    buf[512..].copy_from_slice(&(bytes.len() as u32).to_le_bytes());
    buf
}

/// Decrypts SAMPR_ENCRYPTED_USER_PASSWORD with `key` (session key, or old NT hash).
pub fn decrypt_user_password(
    enc: &[u8; USER_PASSWORD_LEN],
    key: &[u8],
) -> Result<ClearPassword, NtStatus> {
    if key.is_empty() {
        return Err(NtStatus::WRONG_PASSWORD);
    }
    let mut buf = *enc;
    rc4(&key16(key), &mut buf);
    password_from_buffer(&buf)
}

/// Decrypts SAMPR_ENCRYPTED_USER_PASSWORD_NEW with the session key.
pub fn decrypt_user_password_new(
    enc: &[u8; USER_PASSWORD_NEW_LEN],
    session_key: &[u8],
) -> Result<ClearPassword, NtStatus> {
    if session_key.is_empty() {
        return Err(NtStatus::WRONG_PASSWORD);
    }
    let mut h = Md5::new();
    h.update(&enc[516..]);
    h.update(session_key);
    let key: [u8; 16] = h.finalize().into();
    let mut buf = [0u8; USER_PASSWORD_LEN];
    buf.copy_from_slice(&enc[..516]);
    rc4(&key, &mut buf);
    password_from_buffer(&buf)
}

/// Encrypts `password` as SAMPR_ENCRYPTED_USER_PASSWORD with `key` (clients, tests).
pub fn encrypt_user_password(password: &str, key: &[u8]) -> [u8; USER_PASSWORD_LEN] {
    let mut buf = password_to_buffer(password);
    rc4(&key16(key), &mut buf);
    buf
}

/// Encrypts any units as SAMPR_ENCRYPTED_USER_PASSWORD with `key` (clients, tests).
pub fn encrypt_clear_password(password: &ClearPassword, key: &[u8]) -> [u8; USER_PASSWORD_LEN] {
    let mut buf = clear_to_buffer(password);
    rc4(&key16(key), &mut buf);
    buf
}

/// Expands 7 key bytes to a DES key (the parity bits left zero).
fn des_key(k: &[u8]) -> [u8; 8] {
    let mut out = [0u8; 8];
    out[0] = k[0] >> 1;
    out[1] = ((k[0] & 0x01) << 6) | (k[1] >> 2);
    out[2] = ((k[1] & 0x03) << 5) | (k[2] >> 3);
    out[3] = ((k[2] & 0x07) << 4) | (k[3] >> 4);
    out[4] = ((k[3] & 0x0F) << 3) | (k[4] >> 5);
    out[5] = ((k[4] & 0x1F) << 2) | (k[5] >> 6);
    out[6] = ((k[5] & 0x3F) << 1) | (k[6] >> 7);
    out[7] = k[6] & 0x7F;
    for b in &mut out {
        *b <<= 1;
    }
    out
}

fn des_block(key7: &[u8], block: &[u8], decrypt: bool) -> [u8; 8] {
    use des::cipher::BlockDecrypt;
    let cipher = des::Des::new(&des_key(key7).into());
    let mut b = des::cipher::generic_array::GenericArray::clone_from_slice(block);
    if decrypt {
        cipher.decrypt_block(&mut b);
    } else {
        cipher.encrypt_block(&mut b);
    }
    let mut out = [0u8; 8];
    out.copy_from_slice(&b);
    out
}

fn hash_des(hash: &[u8; 16], key: &[u8; 16], decrypt: bool) -> [u8; 16] {
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&des_block(&key[..7], &hash[..8], decrypt));
    out[8..].copy_from_slice(&des_block(&key[7..14], &hash[8..], decrypt));
    out
}

/// Encrypts a 16-byte hash with a 16-byte key (MS-SAMR 2.2.11.1.1).
pub fn encrypt_hash(hash: &[u8; 16], key: &[u8; 16]) -> [u8; 16] {
    hash_des(hash, key, false)
}

/// Decrypts a 16-byte hash encrypted with a 16-byte key.
pub fn decrypt_hash(enc: &[u8; 16], key: &[u8; 16]) -> [u8; 16] {
    hash_des(enc, key, true)
}

/// The session key as a 16-byte DES/RC4 key (the SMB and NTLM session keys are 16 bytes;
/// a shorter key is zero-padded, a longer one cut).
pub fn key16(session_key: &[u8]) -> [u8; 16] {
    let mut k = [0u8; 16];
    let n = session_key.len().min(16);
    k[..n].copy_from_slice(&session_key[..n]);
    k
}

type HmacSha512 = Hmac<Sha512>;

const ENC_KEY_LABEL: &[u8] = b"Microsoft SAM encryption key AEAD-AES-256-CBC-HMAC-SHA512 16\0";
const MAC_KEY_LABEL: &[u8] = b"Microsoft SAM MAC key AEAD-AES-256-CBC-HMAC-SHA512 16\0";
const VERSION_BYTE: u8 = 1;
const VERSION_BYTE_LEN: u8 = 1;

fn hmac512(key: &[u8], parts: &[&[u8]]) -> [u8; 64] {
    let Ok(mut m) = <HmacSha512 as Mac>::new_from_slice(key) else {
        return [0; 64];
    };
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().into()
}

/// SAMPR_ENCRYPTED_PASSWORD_AES (MS-SAMR 2.2.6.32), decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AesPassword {
    /// AuthData: the HMAC-SHA512 over version, salt, cipher text and version length.
    pub auth_data: [u8; 64],
    /// Salt: the CBC initialisation vector (and the PBKDF2 salt of a change).
    pub salt: [u8; 16],
    /// The cipher text.
    pub cipher: Vec<u8>,
    /// PBKDF2Iterations (changes only).
    pub iterations: u64,
}

/// The most PBKDF2 iterations a change may ask for (Windows accepts 5,000 to 1,000,000).
pub const MAX_PBKDF2_ITERATIONS: u64 = 1_000_000;
/// The fewest.
pub const MIN_PBKDF2_ITERATIONS: u64 = 5_000;

/// Decrypts an AES password with the content-encryption key `cek` (the session key for
/// levels 31/32; PBKDF2 of the old hash for a change), checking its MAC first.
pub fn decrypt_aes_password(p: &AesPassword, cek: &[u8]) -> Result<ClearPassword, NtStatus> {
    if p.cipher.is_empty() || p.cipher.len() % 16 != 0 || p.cipher.len() > 1024 {
        return Err(NtStatus::WRONG_PASSWORD);
    }
    let enc_key = hmac512(cek, &[ENC_KEY_LABEL]);
    let mac_key = hmac512(cek, &[MAC_KEY_LABEL]);
    let mac = hmac512(
        &mac_key,
        &[&[VERSION_BYTE], &p.salt, &p.cipher, &[VERSION_BYTE_LEN]],
    );
    use subtle::ConstantTimeEq;
    if !bool::from(mac.ct_eq(&p.auth_data)) {
        return Err(NtStatus::WRONG_PASSWORD);
    }
    let mut buf = p.cipher.clone();
    let dec = cbc::Decryptor::<aes::Aes256>::new_from_slices(&enc_key[..32], &p.salt)
        .map_err(|_| NtStatus::WRONG_PASSWORD)?;
    let plain = dec
        .decrypt_padded_mut::<aes::cipher::block_padding::Pkcs7>(&mut buf)
        .map_err(|_| NtStatus::WRONG_PASSWORD)?;
    // SAMPR_USER_PASSWORD_AES: a 2-byte length, then that many bytes of UTF-16LE.
    if plain.len() < 2 {
        return Err(NtStatus::WRONG_PASSWORD);
    }
    let len = usize::from(u16::from_le_bytes([plain[0], plain[1]]));
    if len % 2 != 0 || len > 512 || plain.len() < 2 + len {
        return Err(NtStatus::WRONG_PASSWORD);
    }
    Ok(ClearPassword::from_le(&plain[2..2 + len]))
}

/// Encrypts `password` as an AES password under `cek` with `salt` (clients, tests).
pub fn encrypt_aes_password(
    password: &str,
    cek: &[u8],
    salt: [u8; 16],
    iterations: u64,
) -> AesPassword {
    let enc_key = hmac512(cek, &[ENC_KEY_LABEL]);
    let mac_key = hmac512(cek, &[MAC_KEY_LABEL]);
    let units: Vec<u8> = password.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let mut plain = (units.len() as u16).to_le_bytes().to_vec();
    plain.extend_from_slice(&units);
    let enc = cbc::Encryptor::<aes::Aes256>::new_from_slices(&enc_key[..32], &salt);
    let cipher = match enc {
        Ok(e) => {
            let n = plain.len();
            let mut buf = plain;
            buf.resize(n + 16 - n % 16, 0);
            e.encrypt_padded_mut::<aes::cipher::block_padding::Pkcs7>(&mut buf, n)
                .map(<[u8]>::to_vec)
                .unwrap_or_default()
        }
        Err(_) => Vec::new(),
    };
    let auth = hmac512(
        &mac_key,
        &[&[VERSION_BYTE], &salt, &cipher, &[VERSION_BYTE_LEN]],
    );
    AesPassword {
        auth_data: auth,
        salt,
        cipher,
        iterations,
    }
}

/// The content-encryption key of UnicodeChangePasswordUser4 (MS-SAMR 3.1.5.10.4):
/// PBKDF2-HMAC-SHA512 of the old NT hash with the salt, 32 bytes.
pub fn change_cek(old_nt_hash: &[u8; 16], salt: &[u8; 16], iterations: u64) -> [u8; 32] {
    let mut out = [0u8; 32];
    let rounds = u32::try_from(iterations).unwrap_or(u32::MAX);
    pbkdf2::pbkdf2_hmac::<Sha512>(old_nt_hash, salt, rounds, &mut out);
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn user_password_round_trips_with_either_key_form() {
        let key = [7u8; 16];
        let enc = encrypt_user_password("Sécret-1", &key);
        assert_eq!(decrypt_user_password(&enc, &key).unwrap(), "Sécret-1");
        // The wrong key makes a length that is out of range or garbage: never the text.
        assert!(
            decrypt_user_password(&enc, &[8u8; 16])
                .map(|p| p != "Sécret-1")
                .unwrap_or(true)
        );
        let salt = [3u8; 16];
        let mut h = Md5::new();
        h.update(salt);
        h.update(key);
        let k2: [u8; 16] = h.finalize().into();
        let inner = encrypt_user_password("pw", &k2);
        let mut new = [0u8; USER_PASSWORD_NEW_LEN];
        new[..516].copy_from_slice(&inner);
        new[516..].copy_from_slice(&salt);
        assert_eq!(decrypt_user_password_new(&new, &key).unwrap(), "pw");
    }

    #[test]
    fn a_password_of_any_units_round_trips() {
        // Unpaired surrogates and NULs: not UTF-16 text, still a password.
        let units = ClearPassword(vec![0xD800, 0x0041, 0x0000, 0xDFFF, 0xFFFF]);
        let key = [5u8; 16];
        let enc = encrypt_clear_password(&units, &key);
        let back = decrypt_user_password(&enc, &key).unwrap();
        assert_eq!(back, units);
        assert_eq!(back.to_string_lossy().encode_utf16().count(), 5);
        assert_eq!(
            back.to_le_bytes(),
            [0, 0xD8, 0x41, 0, 0, 0, 0xFF, 0xDF, 0xFF, 0xFF]
        );
        assert_eq!(format!("{back:?}"), "ClearPassword(5 units)");
    }

    #[test]
    fn a_length_past_the_buffer_is_a_wrong_password() {
        let mut buf = [0u8; USER_PASSWORD_LEN];
        buf[512..].copy_from_slice(&600u32.to_le_bytes());
        assert_eq!(password_from_buffer(&buf), Err(NtStatus::WRONG_PASSWORD));
        buf[512..].copy_from_slice(&3u32.to_le_bytes());
        assert_eq!(password_from_buffer(&buf), Err(NtStatus::WRONG_PASSWORD));
    }

    #[test]
    fn hash_encryption_is_des_in_two_halves() {
        // A known DES vector: key 0x133457799BBCDFF1 (parity form of the 7 bytes
        // 0x1234...), plaintext 0x0123456789ABCDEF -> 0x85E813540F0AB405.
        let key8: [u8; 8] = [0x13, 0x34, 0x57, 0x79, 0x9B, 0xBC, 0xDF, 0xF1];
        let c = des::Des::new(&key8.into());
        let mut b = des::cipher::generic_array::GenericArray::clone_from_slice(&[
            0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF,
        ]);
        c.encrypt_block(&mut b);
        assert_eq!(
            b.as_slice(),
            [0x85, 0xE8, 0x13, 0x54, 0x0F, 0x0A, 0xB4, 0x05]
        );
        let h = [0x5au8; 16];
        let k = *b"0123456789abcdef";
        let e = encrypt_hash(&h, &k);
        assert_ne!(e, h);
        assert_eq!(decrypt_hash(&e, &k), h);
    }

    #[test]
    fn aes_password_round_trips_and_checks_its_mac() {
        let cek = [9u8; 16];
        let mut p = encrypt_aes_password("Passw0rd!", &cek, [1; 16], 0);
        assert_eq!(decrypt_aes_password(&p, &cek).unwrap(), "Passw0rd!");
        p.cipher[0] ^= 1;
        assert_eq!(
            decrypt_aes_password(&p, &cek),
            Err(NtStatus::WRONG_PASSWORD)
        );
        let cek2 = change_cek(&[2; 16], &[1; 16], 5000);
        let q = encrypt_aes_password("x", &cek2, [1; 16], 5000);
        assert_eq!(decrypt_aes_password(&q, &cek2).unwrap(), "x");
    }
}
