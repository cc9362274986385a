//! NEGOTIATE (MS-SMB2 3.3.5.3, 3.3.5.4), the SMB1 multi-protocol negotiate (3.3.5.3.1),
//! and FSCTL_VALIDATE_NEGOTIATE_INFO (3.3.5.15.12), which needs the connection's state
//! and so is answered here rather than by the file handlers.

use std::sync::Arc;

use lwio_auth::ntlm::server::system_filetime;
use lwio_core::NtStatus;
use lwio_smb2::frame::Smb1Negotiate;
use lwio_smb2::ioctl::{ValidateNegotiateInfoRequest, ValidateNegotiateInfoResponse};
use lwio_smb2::negotiate::{Cipher, HashAlgorithm, PreauthIntegrity, SigningAlgorithm};
use lwio_smb2::{
    Capabilities, Command, CtlCode, Dialect, HEADER_LEN, Header, HeaderFlags, HeaderId,
    IoctlRequest, IoctlResponse, NegotiateContext, NegotiateRequest, NegotiateResponse,
    SecurityMode,
};

use crate::conn::chain::{Outcome, Response, Target};
use crate::conn::{Conn, Negotiated};
use crate::signing::Signer;

/// The dialects this server speaks, most preferred first.
pub(crate) const DIALECTS: [Dialect; 5] = [
    Dialect::SMB_3_1_1,
    Dialect::SMB_3_0_2,
    Dialect::SMB_3_0,
    Dialect::SMB_2_1,
    Dialect::SMB_2_0_2,
];

fn security_mode(conn: &Conn) -> SecurityMode {
    if conn.srv.config.signing_required {
        SecurityMode::SIGNING_ENABLED | SecurityMode::SIGNING_REQUIRED
    } else {
        SecurityMode::SIGNING_ENABLED
    }
}

fn capabilities(dialect: Dialect) -> Capabilities {
    if dialect == Dialect::SMB_2_0_2 || dialect == Dialect::SMB_2_WILDCARD {
        Capabilities::empty()
    } else {
        Capabilities::LARGE_MTU
    }
}

fn response(conn: &Conn, dialect: Dialect, contexts: Vec<NegotiateContext>) -> NegotiateResponse {
    let max = if dialect == Dialect::SMB_2_0_2 {
        65536
    } else {
        conn.srv.config.max_read_write
    };
    NegotiateResponse {
        security_mode: security_mode(conn),
        dialect,
        server_guid: conn.srv.server_guid,
        capabilities: capabilities(dialect),
        max_transact_size: max,
        max_read_size: max,
        max_write_size: max,
        system_time: system_filetime(),
        server_start_time: 0,
        security_buffer: lwio_auth::spnego::server_negotiate_token(),
        contexts,
    }
}

/// An SMB1 NEGOTIATE: answered with an SMB2 NEGOTIATE response when it offers SMB2
/// (0x02FF for "SMB 2.???", else 0x0202 for "SMB 2.002"); anything else closes. Returns
/// false to close the connection.
pub(crate) fn smb1(conn: &Arc<Conn>, msg: &[u8]) -> bool {
    let Ok(req) = Smb1Negotiate::decode(msg) else {
        return false;
    };
    let dialect = if req.offers_smb2_wildcard() {
        Dialect::SMB_2_WILDCARD
    } else if req.offers_smb2_002() {
        Dialect::SMB_2_0_2
    } else {
        return false;
    };
    {
        let mut st = conn.st.lock();
        if st.negotiated.is_some() || st.wildcard_sent {
            return false;
        }
        if conn.credits.lock().consume(0, 1).is_err() {
            return false;
        }
        if dialect == Dialect::SMB_2_WILDCARD {
            st.wildcard_sent = true;
        } else {
            st.negotiated = Some(Arc::new(Negotiated {
                dialect,
                client_guid: [0; 16],
                client_caps: Capabilities::empty(),
                client_security_mode: SecurityMode::empty(),
                client_dialects: vec![Dialect::SMB_2_0_2],
                server_security_mode: security_mode(conn),
                server_caps: capabilities(dialect),
                gmac: false,
            }));
        }
    }
    let h = Header {
        command: Command::NEGOTIATE,
        credits: conn.grant(1),
        flags: HeaderFlags::SERVER_TO_REDIR,
        id: HeaderId::default(),
        ..Header::default()
    };
    let mut out = Vec::new();
    h.encode(&mut out);
    response(conn, dialect, Vec::new()).encode(&mut out);
    conn.send(out);
    true
}

/// An SMB2 NEGOTIATE.
pub(crate) fn smb2(conn: &Arc<Conn>, msg: &[u8], hdr: &Header) -> Outcome {
    let t = Target {
        req: hdr,
        session_id: 0,
        tree_id: 0,
        async_id: None,
    };
    if conn.st.lock().negotiated.is_some() {
        return Outcome::Close;
    }
    let Ok(req) = NegotiateRequest::decode(msg) else {
        return Outcome::Reply(t.error(conn, NtStatus::INVALID_PARAMETER, Vec::new(), None));
    };
    if hdr.flags.contains(HeaderFlags::SIGNED) {
        return Outcome::Reply(t.error(conn, NtStatus::INVALID_PARAMETER, Vec::new(), None));
    }
    let Some(dialect) = DIALECTS.into_iter().find(|d| req.dialects.contains(d)) else {
        return Outcome::Reply(t.error(conn, NtStatus::NOT_SUPPORTED, Vec::new(), None));
    };
    let mut contexts = Vec::new();
    let mut gmac = false;
    if dialect == Dialect::SMB_3_1_1 {
        let preauth = req.contexts.iter().find_map(|c| match c {
            NegotiateContext::PreauthIntegrity(p) => Some(p),
            _ => None,
        });
        match preauth {
            None => {
                return Outcome::Reply(t.error(
                    conn,
                    NtStatus::INVALID_PARAMETER,
                    Vec::new(),
                    None,
                ));
            }
            Some(p) if !p.hash_algorithms.contains(&HashAlgorithm::SHA512) => {
                return Outcome::Reply(t.error(
                    conn,
                    NtStatus(0xC000_05A0), // STATUS_SMB_NO_PREAUTH_INTEGRITY_HASH_OVERLAP
                    Vec::new(),
                    None,
                ));
            }
            Some(_) => {}
        }
        let mut salt = vec![0u8; 32];
        let _ = getrandom::fill(&mut salt);
        contexts.push(NegotiateContext::PreauthIntegrity(PreauthIntegrity {
            hash_algorithms: vec![HashAlgorithm::SHA512],
            salt,
        }));
        for c in &req.contexts {
            match c {
                // No cipher is offered: this server does not encrypt (yet).
                NegotiateContext::Encryption(_) => {
                    contexts.push(NegotiateContext::Encryption(vec![Cipher::NONE]));
                }
                NegotiateContext::Signing(algs) => {
                    let pick = if algs.contains(&SigningAlgorithm::AES_GMAC) {
                        gmac = true;
                        SigningAlgorithm::AES_GMAC
                    } else {
                        SigningAlgorithm::AES_CMAC
                    };
                    contexts.push(NegotiateContext::Signing(vec![pick]));
                }
                _ => {}
            }
        }
    }
    let body = response(conn, dialect, contexts);
    let bytes = t.encode(conn, NtStatus::SUCCESS, None, |out| body.encode(out));
    let mut st = conn.st.lock();
    if st.negotiated.is_some() {
        return Outcome::Close;
    }
    if dialect == Dialect::SMB_3_1_1 {
        st.preauth.update(msg);
        st.preauth.update(&bytes);
    }
    st.negotiated = Some(Arc::new(Negotiated {
        dialect,
        client_guid: req.client_guid,
        client_caps: req.capabilities,
        client_security_mode: req.security_mode,
        client_dialects: req.dialects,
        server_security_mode: body.security_mode,
        server_caps: body.capabilities,
        gmac,
    }));
    Outcome::Reply(Response {
        bytes,
        signer: None,
    })
}

/// FSCTL_VALIDATE_NEGOTIATE_INFO, if `msg` is one; `None` for any other IOCTL.
pub(crate) fn maybe_validate(
    conn: &Conn,
    neg: &Negotiated,
    msg: &[u8],
    t: &Target<'_>,
    signer: Option<Signer>,
) -> Option<Outcome> {
    // Every IOCTL passes here: look at its CtlCode (body offset 4) before decoding the
    // request, which copies the input buffer, so only VALIDATE_NEGOTIATE_INFO pays that.
    let ctl = msg.get(HEADER_LEN + 4..HEADER_LEN + 8)?;
    if ctl != CtlCode::VALIDATE_NEGOTIATE_INFO.0.to_le_bytes() {
        return None;
    }
    let req = IoctlRequest::decode(msg).ok()?;
    if neg.dialect == Dialect::SMB_3_1_1 {
        return Some(Outcome::Close);
    }
    let Ok(info) = ValidateNegotiateInfoRequest::decode(&req.input) else {
        return Some(Outcome::Close);
    };
    let out_len = ValidateNegotiateInfoResponse::LEN;
    if (req.max_output_response as usize) < out_len {
        return Some(Outcome::Reply(t.error(
            conn,
            NtStatus::INVALID_PARAMETER,
            Vec::new(),
            signer,
        )));
    }
    if info.capabilities != neg.client_caps
        || info.guid != neg.client_guid
        || info.security_mode != neg.client_security_mode
        || info.dialects != neg.client_dialects
    {
        tracing::warn!("VALIDATE_NEGOTIATE_INFO mismatch, closing");
        return Some(Outcome::Close);
    }
    let mut output = Vec::new();
    ValidateNegotiateInfoResponse {
        capabilities: neg.server_caps,
        guid: conn.srv.server_guid,
        security_mode: neg.server_security_mode,
        dialect: neg.dialect,
    }
    .encode(&mut output);
    let resp = IoctlResponse {
        ctl_code: req.ctl_code,
        file_id: req.file_id,
        input: Vec::new(),
        output,
        flags: 0,
    };
    let bytes = t.encode(conn, NtStatus::SUCCESS, None, |out| resp.encode(out));
    Some(Outcome::Reply(Response { bytes, signer }))
}
