//! SMB 3.x key derivation, signing, preauth hash and encryption against the vectors
//! Microsoft published on its Open Specifications blog ("SMB 2 and SMB 3 security in
//! Windows 10: the anatomy of signing and cryptographic keys", "SMB 3.1.1
//! Pre-authentication integrity in Windows 10", "Encryption in SMB 3.0: a protocol
//! perspective", "SMB 3.1.1 Encryption in Windows 10").
#![allow(missing_docs, clippy::unwrap_used)]

mod common;
use common::hex;

use lwio_auth::smb2sign::*;
use lwio_auth::smb3crypt::*;

const PREAUTH_311: &str = "0DD13628CC3ED218EF9DF9772D436D0887AB9814BFAE63A80AA845F36909DB79\
    28622DDDAD522D9751640A459762C5A9D6BB084CBB3CE6BDADEF5D5BCE3C6C01";

fn h64(s: &str) -> [u8; 64] {
    hex(s).try_into().unwrap()
}

#[test]
fn kdf_smb30_vector() {
    let k = derive_smb3_keys(
        &hex("7CD451825D0450D235424E44BA6E78CC"),
        KeyDerivation::Smb30,
        Cipher::Aes128Ccm,
    );
    assert_eq!(
        k.signing_key.to_vec(),
        hex("0B7E9C5CAC36C0F6EA9AB275298CEDCE")
    );
    assert_eq!(k.client_to_server, hex("FAD27796665B313EBB578F388632B4F7"));
    assert_eq!(k.server_to_client, hex("B0F0427F7CEB416D1D9DCC0CD4F99447"));
    assert_eq!(
        k.application_key.to_vec(),
        hex("BB23A4575AA26C721AF525AF15A87B4F")
    );
}

#[test]
fn kdf_smb311_vector() {
    let k = derive_smb3_keys(
        &hex("270E1BA896585EEB7AF3472D3B4C75A7"),
        KeyDerivation::Smb311 {
            preauth_hash: h64(PREAUTH_311),
        },
        Cipher::Aes128Gcm,
    );
    assert_eq!(
        k.signing_key.to_vec(),
        hex("73FE7A9A77BEF0BDE49C650D8CCB5F76")
    );
    assert_eq!(k.client_to_server, hex("629BCBC54422A0F572B97F45989B6073"));
    assert_eq!(k.server_to_client, hex("E2AF0DCEFAC68DA71A0DFBD0D1350D74"));
    assert_eq!(
        k.application_key.to_vec(),
        hex("6D7AD7954E9EC61E907B4D473DC178FF")
    );
}

#[test]
fn kdf_aes256_lengths() {
    let k = derive_smb3_keys(
        &[7; 32],
        KeyDerivation::Smb311 {
            preauth_hash: [1; 64],
        },
        Cipher::Aes256Gcm,
    );
    assert_eq!(k.client_to_server.len(), 32);
    assert_eq!(k.server_to_client.len(), 32);
    assert_ne!(k.client_to_server, k.server_to_client);
    // L is part of the input, so a 256-bit key does not start with the 128-bit one.
    let k128 = derive_smb3_keys(
        &[7; 32],
        KeyDerivation::Smb311 {
            preauth_hash: [1; 64],
        },
        Cipher::Aes128Gcm,
    );
    assert_ne!(k.client_to_server[..16], k128.client_to_server[..]);
}

#[test]
fn preauth_hash_chain_vector() {
    let msgs_and_hashes = [
        (
            "FE534D4240000100000000000000800000000000000000000100000000000000FFFE000000000000\
             00000000000000000000000000000000000000000000000024000500000000003F000000ECD86F32\
             6276024F9F7752B89BB33F3A70000000020000000202100200030203110300000100260000000000\
             010020000100FA49E6578F1F3A9F4CD3E9CC14A67AA884B3D05844E0E5A118225C15887F32FF0000\
             0200060000000000020002000100",
            "DD94EFC5321BB618A2E208BA8920D2F422992526947A409B5037DE1E0FE8C7362B8C47122594CDE0\
             CE26AA9DFC8BCDBDE0621957672623351A7540F1E54A0426",
        ),
        (
            "FE534D4240000100000000000000010001000000000000000100000000000000FFFE000000000000\
             000000000000000000000000000000000000000000000000410001001103020039CBCAF329714942\
             BDCE5D60F09AB3FB2F000000000080000000800000008000D8DAE5ADCBAED00109094AB095AED001\
             80004001C00100006082013C06062B0601050502A08201303082012CA01A3018060A2B0601040182\
             3702021E060A2B06010401823702020AA282010C048201084E45474F455854530100000000000000\
             60000000700000007C7CC0FD06D6362D02DDE1CF343BFE292900F49750B4AA97934D9C4296B26E51\
             FD370471B235E15A50DAE15BD5489C87000000000000000060000000010000000000000000000000\
             5C33530DEAF90D4DB2EC4AE3786EC3084E45474F4558545303000000010000004000000098000000\
             7C7CC0FD06D6362D02DDE1CF343BFE295C33530DEAF90D4DB2EC4AE3786EC3084000000058000000\
             3056A05430523027802530233121301F06035504031318546F6B656E205369676E696E6720507562\
             6C6963204B65793027802530233121301F06035504031318546F6B656E205369676E696E67205075\
             626C6963204B6579010026000000000001002000010060A3C3B95C3C7CCD51EC536648D9B3AC74C4\
             83CA5B65385A251117BEB30712E50000020004000000000001000200",
            "324BFA92A4F3A190E466EBEA08D9C110DC88BFED758D9846ECC6F541CC1D02AE3C94A79F36011E99\
             7E13F841B91B50957AD07B19C8E2539C0B23FDAE09D2C513",
        ),
        (
            "FE534D4240000100000000000100800000000000000000000200000000000000FFFE000000000000\
             00000000000000000000000000000000000000000000000019000001010000000000000058004A00\
             0000000000000000604806062B0601050502A03E303CA00E300C060A2B06010401823702020AA22A\
             04284E544C4D5353500001000000978208E200000000000000000000000000000000060380250000\
             000F",
            "AC0B0F2B9986257700365E416D142A6EDC96DF03594A19E52A15F6BD0D041CD5D432F8ED42C55E33\
             197A50C9EC00F1462B50C592211B1471A04B56088FDFD5F9",
        ),
        (
            "FE534D4240000100160000C00100010001000000000000000200000000000000FFFE000000000000\
             190000000010000000000000000000000000000000000000090000004800B300A181B03081ADA003\
             0A0101A10C060A2B06010401823702020AA281970481944E544C4D53535000020000000C000C0038\
             00000015828AE20D1D8BA31179D008000000000000000050005000440000000A0092270000000F53\
             005500540033003100310002000C0053005500540033003100310001000C00530055005400330031\
             00310004000C0053005500540033003100310003000C0053005500540033003100310007000800A1\
             A1F5ADCBAED00100000000",
            "2729E3440DFDDD839E37193F6E8F20C20CEFB3469E453A70CD980EEC06B8835740A7376008563336\
             4C8989895ECE81BF102DEEB14D4B7D48AFA76901A7A38387",
        ),
        (
            "FE534D4240000100000000000100800000000000000000000300000000000000FFFE000000000000\
             1900000000100000000000000000000000000000000000001900000101000000000000005800CF01\
             0000000000000000A18201CB308201C7A0030A0101A28201AA048201A64E544C4D53535000030000\
             001800180090000000EE00EE00A80000000C000C00580000001A001A0064000000120012007E0000\
             001000100096010000158288E2060380250000000FECAC77A5F385A8BF9C38C706EEEDDCD3530055\
             005400330031003100610064006D0069006E006900730074007200610074006F0072004400520049\
             0056004500520033003100310000000000000000000000000000000000000000000000000063078E\
             B639FE03E20A231C3AE3BF23080101000000000000A1A1F5ADCBAED001BC4AD05F223CC90F000000\
             0002000C0053005500540033003100310001000C0053005500540033003100310004000C00530055\
             00540033003100310003000C0053005500540033003100310007000800A1A1F5ADCBAED001060004\
             00020000000800300030000000000000000000000000300000B61FEFCAA857EA57BF1EDCEBF8974B\
             8E0EBA5A6DFD9D07A31D11B548F8C9D0CC0A00100000000000000000000000000000000000090016\
             0063006900660073002F005300550054003300310031000000000000000000000000003B9BDFF38F\
             5EE8F9663F11A0F4C03A78A31204100100000063775A9A5FD97F0600000000",
            PREAUTH_311,
        ),
    ];
    let mut h = PreauthHash::new();
    for (i, (msg, want)) in msgs_and_hashes.iter().enumerate() {
        h.update(&hex(msg));
        assert_eq!(h.value().to_vec(), hex(want), "after message {i}");
    }
}

/// The final SESSION_SETUP response of the 3.1.1 walkthrough, signed with AES-CMAC under
/// the derived signing key.
const SIGNED_311_RESPONSE: &str = "FE534D4240000100000000000100800009000000000000000300000000000000\
    FFFE0000000000001900000000100000EBE146DA120BA25FC3376A49DFE31BC10900000048001D00A11B3019\
    A0030A0100A3120410010000003B453CDC3524164200000000";

#[test]
fn cmac_signature_vector() {
    let key = hex("73FE7A9A77BEF0BDE49C650D8CCB5F76");
    let msg = hex(SIGNED_311_RESPONSE);
    assert_eq!(
        compute_signature(SigningAlgorithm::AesCmac, &key, &msg)
            .unwrap()
            .to_vec(),
        hex("EBE146DA120BA25FC3376A49DFE31BC1")
    );
    verify(SigningAlgorithm::AesCmac, &key, &msg).unwrap();
    let mut bad = msg.clone();
    *bad.last_mut().unwrap() ^= 1;
    assert_eq!(
        verify(SigningAlgorithm::AesCmac, &key, &bad),
        Err(SignError::SignatureMismatch)
    );
}

#[test]
fn sign_verify_all_algorithms() {
    let mut msg = hex(SIGNED_311_RESPONSE);
    for alg in [
        SigningAlgorithm::HmacSha256,
        SigningAlgorithm::AesCmac,
        SigningAlgorithm::AesGmac,
    ] {
        let key = [0x42u8; 16];
        let sig = sign(alg, &key, &mut msg).unwrap();
        assert_eq!(&msg[48..64], &sig);
        verify(alg, &key, &msg).unwrap();
        let mut t = msg.clone();
        t[70] ^= 0x80;
        assert_eq!(
            verify(alg, &key, &t),
            Err(SignError::SignatureMismatch),
            "{alg:?}"
        );
        assert_eq!(
            verify(alg, &[0x43; 16], &msg),
            Err(SignError::SignatureMismatch)
        );
    }
    assert_eq!(
        compute_signature(SigningAlgorithm::AesCmac, &[0; 16], &[0; 63]),
        Err(SignError::MessageTooShort)
    );
}

#[test]
fn hmac_sha256_signature_independent() {
    // HMAC-SHA256 over the message with a zeroed signature, truncated to 16 bytes,
    // checked against the hmac crate used directly.
    use hmac::{Hmac, Mac};
    let msg = hex(SIGNED_311_RESPONSE);
    let mut zeroed = msg.clone();
    zeroed[48..64].fill(0);
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(b"0123456789abcdef").unwrap();
    mac.update(&zeroed);
    let want = mac.finalize().into_bytes();
    let got = compute_signature(SigningAlgorithm::HmacSha256, b"0123456789abcdef", &msg).unwrap();
    assert_eq!(got[..], want[..16]);
}

#[test]
fn gmac_nonce_depends_on_role() {
    let key = [9u8; 16];
    let mut req = hex(SIGNED_311_RESPONSE);
    let resp_sig = compute_signature(SigningAlgorithm::AesGmac, &key, &req).unwrap();
    req[16] &= !1; // clear SMB2_FLAGS_SERVER_TO_REDIR
    let req_sig = compute_signature(SigningAlgorithm::AesGmac, &key, &req).unwrap();
    assert_ne!(resp_sig, req_sig);
}

const WRITE_REQ_300: &str = "FE534D4240000100000000000900400008000000000000000400000000000000\
    FFFE0000010000001100001400E4080000000000000000000000000000000000\
    3100700017000000000000000000000015010000390000020100000039020000\
    00000000000000007000000000000000536D623320656E6372797074696F6E20\
    74657374696E67";

#[test]
fn ccm_encrypt_vector_smb300() {
    let keys = derive_smb3_keys(
        &hex("B4546771B515F766A86735532DD6C4F0"),
        KeyDerivation::Smb30,
        Cipher::Aes128Ccm,
    );
    assert_eq!(
        keys.client_to_server,
        hex("261B72350558F2E9DCF613070383EDBF")
    );
    assert_eq!(
        keys.server_to_client,
        hex("8FE2B57EC34D2DB5B1A9727F526BBDB5")
    );
    let nonce: [u8; 16] = hex("66E69A111892584FB5ED524A744DA3EE").try_into().unwrap();
    let out = encrypt_message(
        Cipher::Aes128Ccm,
        &keys.client_to_server,
        nonce,
        0x8E40014000011,
        &hex(WRITE_REQ_300),
    )
    .unwrap();
    let want = hex(
        "FD534D4281A286535415445DAE393921E44FA42E66E69A111892584FB5ED524A\
         744DA3EE87000000000001001100001400E4080025C8FEE16605A437832D1CD5\
         2DA9F4645333482A175FE5384563F45FCDAFAEF38BC62BA4D5C62897996625A4\
         4C29BE5658DE2E6117585779E7B59FFD971278D08580D7FA899E410E910EABF5\
         AA1DB43050B33B49182637759AC15D84BFCDF5B6B238993C0F4CF4D6012023F6\
         C627297075D84B7803912D0A9639634453595EF3E33FFE4E7AC2AB",
    );
    assert_eq!(out, want);
    let (h, plain) = decrypt_message(Cipher::Aes128Ccm, &keys.client_to_server, &out).unwrap();
    assert_eq!(h.session_id, 0x8E40014000011);
    assert_eq!(plain, hex(WRITE_REQ_300));
}

#[test]
fn ccm_decrypt_vector_smb300() {
    let key = hex("8FE2B57EC34D2DB5B1A9727F526BBDB5");
    let msg = hex(
        "FD534D42A6015530A18F6D9AFFE22AFAE8E66484860000000000000011000014\
         00E4080050000000000001001100001400E40800DBF46435C5F14169293CE079\
         E344479BF670227E49873F458672C3098DAC467DD5809F369D67409166515787\
         1483E01F7BECD02064EAC3E235F913668BBC2F097980D4B378F1993EFF6E60D1\
         77309E5B",
    );
    let (_, plain) = decrypt_message(Cipher::Aes128Ccm, &key, &msg).unwrap();
    assert_eq!(
        plain,
        hex(
            "FE534D4240000100000000000900210009000000000000000400000000000000\
             FFFE0000010000001100001400E4080000000000000000000000000000000000\
             11000000170000000000000000000000"
        )
    );
}

const WRITE_REQ_311: &str = "FE534D4240000100000000000900010008000000000000000500000000000000FFFE000001000000\
    25000000001000000000000000000000000000000000000031007000170000000000000000000000\
    0600000004000000010000000400000000000000000000007000000000000000536D623320656E63\
    72797074696F6E2074657374696E67";
const PREAUTH_ENC_311: &str = "B23F3CBFD69487D9832B79B1594A367CDD950909B774C3A4C412B4FCEA9EDDDBA7DB256BA2EA30E9\
    77F11F9B113247578E0E915C6D2A513B8F2FCA5707DC8770";

#[test]
fn gcm_vectors_smb311() {
    let keys = derive_smb3_keys(
        &hex("419FDDF34C1E001909D362AE7FB6AF79"),
        KeyDerivation::Smb311 {
            preauth_hash: h64(PREAUTH_ENC_311),
        },
        Cipher::Aes128Gcm,
    );
    assert_eq!(
        keys.client_to_server,
        hex("A2F5E80E5D59103034F32E52F698E5EC")
    );
    assert_eq!(
        keys.server_to_client,
        hex("748C50868C90F302962A5C35F5F9A8BF")
    );
    let mut nonce = [0u8; 16];
    nonce[..12].copy_from_slice(&hex("C7D6822D269CAF48904C664C"));
    let out = encrypt_message(
        Cipher::Aes128Gcm,
        &keys.client_to_server,
        nonce,
        0x100000000025,
        &hex(WRITE_REQ_311),
    )
    .unwrap();
    let want = hex(
        "FD534D42BD73D97D2BC9001BCAFAC0FDFF5FEEBCC7D6822D269CAF48904C664C0000000087000000\
         0000010025000000001000006ECDD2A7AFC7B47763057A041B8FD4DAFFE990B70C9E09D36C084E02\
         D14EF247F8BDE38ACF6256F8B1D3B56F77FBDEB312FEA5E92CBCC1ED8FB2EBBFAA75E49A4A394BB4\
         4576545567C24D4C014D47C9FBDFDAFD2C4F9B72F8D256452620A299F48E29E53D6B61D1C13A19E9\
         1AF013F00D17E3ABC2FC3D36C8C1B6B93973253852DBD442E46EE8",
    );
    assert_eq!(out, want);

    let resp = hex(
        "FD534D42ACBE1CB7ED343ADF1725EF144D90D4B0E06831DD2E8EB7B4000000000000000050000000\
         00000100250000000010000026BBBF949983A6C1C796559D0F2C510CB651D1F7B6AC8DED32A2A0B8\
         F2D793A815C6F6B848D69767A215841A42D400AE6DDB5F0B44173A014973321FDD7950DA6179159B\
         82E03C9E18A050FF0EA1C967",
    );
    let (_, plain) = decrypt_message(Cipher::Aes128Gcm, &keys.server_to_client, &resp).unwrap();
    assert_eq!(
        plain,
        hex(
            "FE534D4240000100000000000900010001000000000000000500000000000000FFFE000001000000\
             25000000001000000000000000000000000000000000000011000000170000000000000000000000"
        )
    );
}

#[test]
fn round_trips_and_tampering_all_ciphers() {
    let plain = hex(WRITE_REQ_311);
    for cipher in [
        Cipher::Aes128Ccm,
        Cipher::Aes128Gcm,
        Cipher::Aes256Ccm,
        Cipher::Aes256Gcm,
    ] {
        let key = vec![0x5a; cipher.key_len()];
        let nonce = random_nonce(cipher).unwrap();
        assert!(nonce[cipher.nonce_len()..].iter().all(|&b| b == 0));
        let msg = encrypt_message(cipher, &key, nonce, 77, &plain).unwrap();
        let (h, p) = decrypt_message(cipher, &key, &msg).unwrap();
        assert_eq!(p, plain);
        assert_eq!(h.original_message_size as usize, plain.len());
        // Flip a ciphertext bit, a header (AAD) bit, a tag bit: all refused.
        for at in [msg.len() - 1, 45, 4] {
            let mut t = msg.clone();
            t[at] ^= 1;
            assert_eq!(
                decrypt_message(cipher, &key, &t).unwrap_err(),
                CryptError::AuthenticationFailed,
                "{cipher:?} byte {at}"
            );
        }
        let mut wrong = key.clone();
        wrong[0] ^= 1;
        assert!(decrypt_message(cipher, &wrong, &msg).is_err());
        assert_eq!(
            decrypt_message(cipher, &key[..8], &msg).unwrap_err(),
            CryptError::BadKeyLength
        );
        assert_eq!(
            decrypt_message(cipher, &key, &msg[..msg.len() - 1]).unwrap_err(),
            CryptError::SizeMismatch
        );
    }
    assert_eq!(
        TransformHeader::decode(&[0xFD, b'S']).unwrap_err(),
        CryptError::Truncated
    );
    assert_eq!(
        TransformHeader::decode(&[0xFE, b'S', b'M', b'B']).unwrap_err(),
        CryptError::BadProtocolId
    );
}
