//! Authentication and message-security primitives for the lwio SMB2/3 server (and, later,
//! its redirector), as pure code: bytes in, bytes out, no sockets, no tasks, no locks.
//!
//! What it does:
//!
//! - [`ntlm`]: NTLMSSP messages (MS-NLMP 2.2.1), the NTLMv2 computations (MS-NLMP 3.3.2),
//!   key exchange (3.4.5) and the MIC (3.1.5.1.2); a server-side state machine that
//!   accepts NTLMv2 only, a client used by the tests and the future redirector, and
//!   session security ([`ntlm::NtlmSession`], MS-NLMP 3.4: signing with HMAC-MD5 and
//!   sequence numbers, sealing with RC4) as DCE/RPC and SPNEGO use it.
//! - [`acceptor`]: the one server-side NTLMSSP-over-SPNEGO state machine that SMB2 session
//!   setup and authenticated DCE/RPC binds share (mechListMIC verified, accounts asked
//!   through [`accounts::AccountSource`]); [`initiator`] is its client side.
//! - [`spnego`]: the subset of SPNEGO (RFC 4178, MS-SPNG) DER that SMB2 session setup
//!   carries, read with a bounded DER reader; raw NTLMSSP tokens are recognised too.
//! - [`smb2sign`]: SMB 3.x key derivation (MS-SMB2 3.1.4.2), message signing and
//!   verification (HMAC-SHA256, AES-CMAC, AES-GMAC; MS-SMB2 3.1.4.1) and the SMB 3.1.1
//!   pre-authentication integrity hash.
//! - [`smb3crypt`]: SMB 3.x message encryption under the transform header (MS-SMB2 3.1.4.3,
//!   2.2.41) with AES-CCM and AES-GCM, 128 and 256 bits.
//!
//! What it does not do: talk to a domain controller, keep users (the caller supplies an
//! [`accounts::AccountSource`]), decide policy (whether anonymous or guest logons are
//! allowed is the caller's [`acceptor::AcceptorPolicy`]; whether signing is required), or
//! build a user's `AccessToken` (the account store does).
//! NTLMv1 and LM responses are refused, by design.
//!
//! Every decoder reads through the family's one checked reader (`lwio_types::Reader`);
//! `lwio-core` is needed only where a logon meets the I/O model: the `AccessToken` an
//! [`accounts::AccountSource`] returns and the [`acceptor`] hands out, and the well-known
//! SIDs of the anonymous and guest tokens.

#![forbid(unsafe_code)]

pub mod acceptor;
pub mod accounts;
pub mod initiator;
pub mod ntlm;
pub mod smb2sign;
pub mod smb3crypt;
pub mod spnego;
