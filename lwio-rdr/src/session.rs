//! Setting up a connection (MS-SMB2 3.2.4.2): NEGOTIATE, SESSION_SETUP with NTLMv2 inside
//! SPNEGO (`lwio-auth`'s initiator), the signing key, and TREE_CONNECTs, cached per share.
//!
//! ```text
//! NEGOTIATE   dialects 2.0.2..3.1.1; 3.1.1 adds the preauth integrity context (SHA-512)
//! SESSION_SETUP  NegTokenInit(NTLM NEGOTIATE)  ◀ MORE_PROCESSING_REQUIRED + CHALLENGE
//! SESSION_SETUP  AUTHENTICATE + mechListMIC    ◀ SUCCESS (signed), the server's MIC
//! signing key: the session key (2.x, HMAC-SHA256), or derived from it (3.0/3.0.2
//!              constant labels, AES-CMAC; 3.1.1 the preauth hash, AES-GMAC when the
//!              server answers the signing capabilities context with it, else AES-CMAC)
//! TREE_CONNECT \\server\share (signed)         ◀ tree id, share flags, maximal access
//! ```
//!
//! Encryption (MS-SMB2 3.2.4.2.2.2, 3.2.5.3.1, 3.2.5.5): at 3.0 and 3.0.2 the client
//! announces SMB2_GLOBAL_CAP_ENCRYPTION and the cipher is AES-128-CCM when the server
//! answers with it; at 3.1.1 the encryption capabilities context offers
//! [`RdrConfig::ciphers`] and the server picks one. After the logon the session's keys are
//! derived at that cipher's length; the session then seals every request when the server
//! flags it SMB2_SESSION_FLAG_ENCRYPT_DATA or [`RdrConfig::encrypt`] asks, else only the
//! requests on trees whose share has SMB2_SHAREFLAG_ENCRYPT_DATA. Encryption that is
//! required but impossible (a 2.x dialect, no common cipher, a guest session without a
//! key) is refused with [`RdrError::EncryptionRequired`].

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use lwio_auth::initiator::Initiator;
use lwio_auth::ntlm::{NtlmCredentials, nt_hash};
use lwio_auth::smb2sign::{KeyDerivation, PreauthHash, SigningAlgorithm, derive_smb3_keys};
use lwio_auth::smb3crypt::Cipher;
use lwio_smb2::negotiate::{
    Cipher as WireCipher, HashAlgorithm, PreauthIntegrity, SigningAlgorithm as WireSigning,
};
use lwio_smb2::session::SessionSecurityMode;
use lwio_smb2::{
    Capabilities, Command, Dialect, NegotiateContext, NegotiateRequest, NegotiateResponse,
    SecurityMode, SessionFlags, SessionSetupRequest, SessionSetupResponse, ShareFlags, ShareType,
    TreeConnectRequest, TreeConnectResponse,
};
use lwio_types::{AccessMask, NtStatus};
use parking_lot::Mutex;

use crate::config::RdrConfig;
use crate::conn::Connection;
use crate::creds::Credentials;
use crate::engine::{Outgoing, Reply, Sealer};
use crate::error::RdrError;

/// What NEGOTIATE settled.
#[derive(Debug, Clone, Copy)]
pub struct Negotiated {
    /// The dialect.
    pub dialect: Dialect,
    /// The largest READ this client sends.
    pub max_read: u32,
    /// The largest WRITE this client sends.
    pub max_write: u32,
    /// The largest IOCTL, QUERY_INFO, QUERY_DIRECTORY output.
    pub max_transact: u32,
    /// True when 3.1.1 settled on AES-GMAC signing (else AES-CMAC at 3.x).
    pub gmac: bool,
    /// The cipher the session can encrypt with (3.x only), if any.
    pub cipher: Option<Cipher>,
}

/// A tree connect.
#[derive(Debug, Clone, Copy)]
pub struct Tree {
    /// Its id.
    pub id: u32,
    /// The share's type.
    pub share_type: ShareType,
    /// What the user may do on the share.
    pub maximal_access: AccessMask,
}

/// A connection with its logged-on session and its tree connects.
pub struct Session {
    conn: Connection,
    negotiated: Negotiated,
    signed: bool,
    trees: tokio::sync::Mutex<HashMap<String, Tree>>,
    last_used: Mutex<Instant>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("negotiated", &self.negotiated)
            .finish_non_exhaustive()
    }
}

/// The current time as a FILETIME (100 ns since 1601).
pub(crate) fn filetime_now() -> u64 {
    let unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO);
    116_444_736_000_000_000 + unix.as_nanos() as u64 / 100
}

fn random<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    // Without the OS's randomness a GUID or salt is merely predictable, not unsafe.
    let _ = getrandom::fill(&mut b);
    b
}

/// The status of a reply as an error, unless it is one of `ok`.
pub(crate) fn check(reply: &Reply, ok: &[NtStatus]) -> Result<(), RdrError> {
    let s = reply.status();
    if s.is_success() || ok.contains(&s) {
        Ok(())
    } else {
        Err(RdrError::Status(s))
    }
}

impl Session {
    /// Connects to `host:port`, negotiates and logs on as `creds`.
    pub async fn connect(
        host: &str,
        port: u16,
        creds: &Credentials,
        config: &RdrConfig,
    ) -> Result<Session, RdrError> {
        let server = format!("{host}:{port}");
        let connect = tokio::net::TcpStream::connect((host, port));
        let stream = match tokio::time::timeout(config.connect_timeout, connect).await {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => {
                return Err(RdrError::Connect {
                    server,
                    reason: e.to_string(),
                });
            }
            Err(_) => {
                return Err(RdrError::Connect {
                    server,
                    reason: "timed out".into(),
                });
            }
        };
        let _ = stream.set_nodelay(true);
        let max_frame = config.max_io as usize + 64 * 1024;
        let conn = Connection::start(stream, config.max_credits, max_frame);
        let setup = async {
            let (negotiated, hash) = negotiate(&conn, config).await?;
            let signed = logon(&conn, negotiated, hash, creds, config).await?;
            Ok::<_, RdrError>((negotiated, signed))
        };
        let (negotiated, signed) = match tokio::time::timeout(config.connect_timeout, setup).await {
            Ok(r) => r?,
            Err(_) => return Err(RdrError::Disconnected("logon timed out".into())),
        };
        Ok(Session {
            conn,
            negotiated,
            signed,
            trees: tokio::sync::Mutex::new(HashMap::new()),
            last_used: Mutex::new(Instant::now()),
        })
    }

    /// What NEGOTIATE settled.
    pub fn negotiated(&self) -> Negotiated {
        self.negotiated
    }

    /// True when the session signs its requests and verifies every response.
    pub fn is_signed(&self) -> bool {
        self.signed
    }

    /// True when the session seals every request and opens every response.
    pub fn is_encrypted(&self) -> bool {
        self.conn.with_engine(|e| e.encrypts_all())
    }

    /// The connection.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// True while the connection works.
    pub fn is_alive(&self) -> bool {
        self.conn.failure().is_none()
    }

    /// True when the network lost the connection (its files may reconnect).
    pub fn was_lost(&self) -> bool {
        self.conn.was_lost()
    }

    /// Records a use (for the reaper's idle timeout).
    pub fn touch(&self) {
        *self.last_used.lock() = Instant::now();
    }

    /// How long since the last use.
    pub fn idle_for(&self) -> Duration {
        self.last_used.lock().elapsed()
    }

    /// The tree connect of `share`, made on first use and kept.
    pub async fn tree(&self, server: &str, share: &str) -> Result<Tree, RdrError> {
        let key = share.to_lowercase();
        let mut trees = self.trees.lock().await;
        if let Some(t) = trees.get(&key) {
            return Ok(*t);
        }
        let req = TreeConnectRequest {
            path: format!("\\\\{server}\\{share}"),
            ..TreeConnectRequest::default()
        };
        let reply = self
            .conn
            .call(Outgoing::new(Command::TREE_CONNECT, 0, |o| req.encode(o)))
            .await?;
        check(&reply, &[])?;
        let resp = self.decode(&reply, TreeConnectResponse::decode)?;
        let id = reply.header.tree_id().unwrap_or(0);
        let tree = Tree {
            id,
            share_type: resp.share_type,
            maximal_access: resp.maximal_access,
        };
        if resp.share_flags.contains(ShareFlags::ENCRYPT_DATA)
            && !self.conn.with_engine(|e| e.encrypt_tree(id))
        {
            self.disconnect_tree(id).await;
            return Err(RdrError::EncryptionRequired);
        }
        trees.insert(key, tree);
        Ok(tree)
    }

    async fn disconnect_tree(&self, id: u32) {
        self.conn.with_engine(|e| e.forget_tree(id));
        let _ = self
            .conn
            .call(Outgoing::new(Command::TREE_DISCONNECT, id, |o| {
                lwio_smb2::header::encode_reserved4(o)
            }))
            .await;
    }

    /// Disconnects every tree and logs off (the reaper's goodbye; errors are ignored, the
    /// connection closes next).
    pub async fn close(&self) {
        let trees: Vec<u32> = self.trees.lock().await.drain().map(|(_, t)| t.id).collect();
        for id in trees {
            self.disconnect_tree(id).await;
        }
        let _ = self
            .conn
            .call(Outgoing::new(Command::LOGOFF, 0, |o| {
                lwio_smb2::header::encode_reserved4(o)
            }))
            .await;
    }

    /// Decodes a reply's body; a body that does not decode fails the connection.
    pub fn decode<T, E: std::fmt::Display>(
        &self,
        reply: &Reply,
        decode: impl FnOnce(&[u8]) -> Result<T, E>,
    ) -> Result<T, RdrError> {
        decode(&reply.message).map_err(|e| {
            let reason = format!("malformed {:?} response: {e}", reply.header.command);
            self.conn.fail(reason.clone());
            RdrError::Disconnected(reason)
        })
    }
}

async fn negotiate(
    conn: &Connection,
    config: &RdrConfig,
) -> Result<(Negotiated, Option<PreauthHash>), RdrError> {
    let dialects = config.dialects.clone();
    let smb311 = dialects.contains(&Dialect::SMB_3_1_1);
    let smb3 = dialects.iter().any(|d| d.0 >= 0x0300);
    let ciphers = &config.ciphers;
    let mut capabilities = Capabilities::empty();
    if smb3 {
        capabilities |= Capabilities::LARGE_MTU;
        if !ciphers.is_empty() {
            capabilities |= Capabilities::ENCRYPTION;
        }
    }
    let mut contexts = Vec::new();
    if smb311 {
        contexts.push(NegotiateContext::PreauthIntegrity(PreauthIntegrity {
            hash_algorithms: vec![HashAlgorithm::SHA512],
            salt: random::<32>().to_vec(),
        }));
        if !ciphers.is_empty() {
            contexts.push(NegotiateContext::Encryption(
                ciphers.iter().map(|c| WireCipher(c.id())).collect(),
            ));
        }
        // AES-GMAC first: it signs several times faster than AES-CMAC, whose block chain
        // cannot be parallelised (MS-SMB2 2.2.3.1.7).
        contexts.push(NegotiateContext::Signing(vec![
            WireSigning::AES_GMAC,
            WireSigning::AES_CMAC,
        ]));
    }
    let req = NegotiateRequest {
        security_mode: SecurityMode::SIGNING_ENABLED,
        capabilities,
        client_guid: config.client_guid,
        dialects: dialects.clone(),
        contexts,
    };
    let (sent, bytes) = conn
        .send_keep(Outgoing::new(Command::NEGOTIATE, 0, |o| req.encode(o)))
        .await?;
    let reply = sent.reply().await?;
    check(&reply, &[])?;
    let resp = NegotiateResponse::decode(&reply.message).map_err(|e| {
        let reason = format!("malformed NEGOTIATE response: {e}");
        conn.fail(reason.clone());
        RdrError::Disconnected(reason)
    })?;
    if !dialects.contains(&resp.dialect) {
        let reason = format!("the server chose {:?}, which was not offered", resp.dialect);
        conn.fail(reason.clone());
        return Err(RdrError::Negotiate(reason));
    }
    let mut hash = None;
    let mut gmac = false;
    let mut cipher = None;
    let fail = |reason: String| {
        conn.fail(reason.clone());
        RdrError::Negotiate(reason)
    };
    if resp.dialect == Dialect::SMB_3_0 || resp.dialect == Dialect::SMB_3_0_2 {
        // 3.0.x: AES-128-CCM, when both sides announce the capability (3.2.5.2).
        if resp.capabilities.contains(Capabilities::ENCRYPTION)
            && ciphers.contains(&Cipher::Aes128Ccm)
        {
            cipher = Some(Cipher::Aes128Ccm);
        }
    }
    if resp.dialect == Dialect::SMB_3_1_1 {
        // The server names one cipher of those offered, or 0 for none in common.
        cipher = match resp.contexts.iter().find_map(|c| match c {
            NegotiateContext::Encryption(ids) => Some(ids.as_slice()),
            _ => None,
        }) {
            None | Some([WireCipher::NONE]) => None,
            Some([id]) => match Cipher::from_id(id.0).filter(|c| ciphers.contains(c)) {
                Some(c) => Some(c),
                None => return Err(fail(format!("the server chose cipher {id:?}, not offered"))),
            },
            Some(other) => {
                return Err(fail(format!(
                    "the server answered ciphers {other:?}, not one of those offered"
                )));
            }
        };
        let sha512 = resp.contexts.iter().any(|c| {
            matches!(c, NegotiateContext::PreauthIntegrity(p)
                if p.hash_algorithms == [HashAlgorithm::SHA512])
        });
        if !sha512 {
            let reason = "3.1.1 without a SHA-512 preauth integrity context".to_string();
            conn.fail(reason.clone());
            return Err(RdrError::Negotiate(reason));
        }
        gmac = match resp.contexts.iter().find_map(|c| match c {
            NegotiateContext::Signing(algs) => Some(algs.as_slice()),
            _ => None,
        }) {
            None | Some([WireSigning::AES_CMAC]) => false,
            Some([WireSigning::AES_GMAC]) => true,
            Some(other) => {
                let reason =
                    format!("the server chose signing algorithms {other:?}, not one offered");
                conn.fail(reason.clone());
                return Err(RdrError::Negotiate(reason));
            }
        };
        let mut h = PreauthHash::new();
        h.update(&bytes);
        h.update(&reply.message);
        hash = Some(h);
    }
    let large =
        resp.dialect != Dialect::SMB_2_0_2 && resp.capabilities.contains(Capabilities::LARGE_MTU);
    conn.with_engine(|e| e.set_multi_credit(large));
    let cap = if large { config.max_io } else { 65536 };
    let bound = |server: u32| server.clamp(4096, cap.max(4096));
    Ok((
        Negotiated {
            dialect: resp.dialect,
            max_read: bound(resp.max_read_size),
            max_write: bound(resp.max_write_size),
            max_transact: bound(resp.max_transact_size),
            gmac,
            cipher,
        },
        hash,
    ))
}

async fn logon(
    conn: &Connection,
    negotiated: Negotiated,
    mut hash: Option<PreauthHash>,
    creds: &Credentials,
    config: &RdrConfig,
) -> Result<bool, RdrError> {
    let dialect = negotiated.dialect;
    let mut initiator = Initiator::spnego(NtlmCredentials {
        user: creds.user.clone(),
        domain: creds.domain.clone(),
        workstation: config.workstation.clone(),
        nt_hash: nt_hash(&creds.password),
    });
    let mut token = initiator.first();
    let logon_error = |e: &dyn std::fmt::Display| RdrError::Logon(e.to_string());
    let (reply, resp) = loop {
        let req = SessionSetupRequest {
            security_mode: SessionSecurityMode::SIGNING_ENABLED,
            security_buffer: std::mem::take(&mut token),
            ..SessionSetupRequest::default()
        };
        let (sent, bytes) = conn
            .send_keep(Outgoing::new(Command::SESSION_SETUP, 0, |o| req.encode(o)))
            .await?;
        if let Some(h) = hash.as_mut() {
            h.update(&bytes);
        }
        let reply = sent.reply().await?;
        if conn.with_engine(|e| e.session_id()) == 0 {
            let id = reply.header.session_id;
            conn.with_engine(|e| e.set_session_id(id));
        }
        check(&reply, &[NtStatus::MORE_PROCESSING_REQUIRED])?;
        let resp = SessionSetupResponse::decode(&reply.message).map_err(|e| {
            let reason = format!("malformed SESSION_SETUP response: {e}");
            conn.fail(reason.clone());
            RdrError::Disconnected(reason)
        })?;
        if reply.status() != NtStatus::MORE_PROCESSING_REQUIRED {
            break (reply, resp);
        }
        if let Some(h) = hash.as_mut() {
            h.update(&reply.message);
        }
        token = initiator
            .step(&resp.security_buffer, filetime_now())
            .map_err(|e| logon_error(&e))?;
    };
    if !resp.security_buffer.is_empty() {
        initiator
            .finish(&resp.security_buffer)
            .map_err(|e| logon_error(&e))?;
    }
    let encrypt = config.encrypt || resp.session_flags.contains(SessionFlags::ENCRYPT_DATA);
    if encrypt && negotiated.cipher.is_none() {
        return Err(RdrError::EncryptionRequired);
    }
    if resp
        .session_flags
        .intersects(SessionFlags::IS_GUEST | SessionFlags::IS_NULL)
    {
        // No key to sign or encrypt with: a guest session is not signed (MS-SMB2
        // 3.2.5.3.1), and cannot encrypt.
        if encrypt {
            return Err(RdrError::EncryptionRequired);
        }
        return Ok(false);
    }
    let key = initiator
        .session_key()
        .ok_or_else(|| RdrError::Logon("no session key".into()))?;
    let derivation = match dialect {
        Dialect::SMB_2_0_2 | Dialect::SMB_2_1 => None,
        Dialect::SMB_3_1_1 => Some(KeyDerivation::Smb311 {
            preauth_hash: *hash.as_ref().map_or(&[0u8; 64], |h| h.value()),
        }),
        _ => Some(KeyDerivation::Smb30),
    };
    let (alg, signing_key) = match derivation {
        None => (SigningAlgorithm::HmacSha256, key.to_vec()),
        Some(how) => {
            let cipher = negotiated.cipher.unwrap_or(Cipher::Aes128Ccm);
            let k = derive_smb3_keys(&key, how, cipher);
            let alg = if negotiated.gmac {
                SigningAlgorithm::AesGmac
            } else {
                SigningAlgorithm::AesCmac
            };
            if let Some(cipher) = negotiated.cipher {
                let id = reply.header.session_id;
                let sealer =
                    Sealer::new(cipher, id, k.client_to_server, k.server_to_client, random());
                conn.with_engine(|e| e.set_encryption(sealer, encrypt));
            }
            (alg, k.signing_key.to_vec())
        }
    };
    conn.with_engine(|e| e.set_signing(alg, signing_key));
    let signed = reply.header.flags.contains(lwio_smb2::HeaderFlags::SIGNED);
    let must_sign = dialect == Dialect::SMB_3_1_1;
    if (signed || must_sign) && !conn.with_engine(|e| e.verify(&reply.message)) {
        let reason = "the final SESSION_SETUP response's signature does not verify".to_string();
        conn.fail(reason.clone());
        return Err(RdrError::Logon(reason));
    }
    Ok(true)
}
