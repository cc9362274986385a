//! Connection-oriented DCE/RPC: pure wire codecs (the PDUs of C706 chapter 12 with the
//! MS-RPCE 2.2.2 extensions, and an NDR 2.0 marshalling runtime, C706 chapter 14 and
//! MS-RPCE 2.2.5), and on top of them a server framework over named pipes, a client, and
//! the rpcecho, srvsvc and wkssvc interfaces.
//!
//! The codecs read through the family's one checked reader (`lwio_types::Reader`). The
//! server and the client reach their pipes only by sending IRPs through an `IoManager`,
//! with the pipe interface the I/O model defines (`lwio_core::pipe`: the pipe FSCTLs, the
//! pipe-create and client-information ECPs); this crate does not depend on the pipe file
//! system that answers them (lwio-npfs).
//!
//! # What is here
//!
//! * [`pdu`] — one whole fragment ⇄ [`pdu::Pdu`]: the 16-byte common header
//!   ([`pdu::PduHeader`]; little- or big-endian integers, ASCII, IEEE — a big-endian
//!   fragment is rewritten to little-endian first, [`pdu::to_little_endian`]),
//!   the bodies of request, response, fault, bind, bind_ack, bind_nak, alter_context,
//!   alter_context_resp, auth3, shutdown, co_cancel and orphaned, and the auth verifier
//!   (sec_trailer) split off any PDU with a non-zero `auth_length`. Around the codec:
//!   [`pdu::fragment_response`] and [`pdu::Reassembler`] for multi-fragment calls, and
//!   [`pdu::negotiate_contexts`], which turns a bind's presentation contexts into the
//!   bind_ack result list (NDR 2.0 accepted, NDR64 refused, bind time feature
//!   negotiation answered). [`pdu::protect_fragment`] and [`pdu::unprotect_fragment`]
//!   sign, seal and check request and response fragments with an NTLMSSP session
//!   (MS-RPCE 3.3.1.5.2.2).
//! * [`ndr`] — the [`ndr::Ndr`] trait, [`ndr::NdrWriter`] and [`ndr::NdrReader`], the
//!   primitive, array, pointer and string representations, the common types
//!   (RPC_UNICODE_STRING, RPC_SID, policy handles, `[string] wchar_t*`), and the
//!   [`ndr_struct!`], [`ndr_union!`], [`ndr_enum!`] and [`ndr_newtype!`] macros with which
//!   interface code (srvsvc, wkssvc, samr, lsarpc) is written.
//! * [`Uuid`] and [`SyntaxId`] with the well-known transfer syntaxes [`NDR20_SYNTAX`],
//!   [`NDR64_SYNTAX`] and the bind time feature negotiation form ([`BindTimeFeatures`]).
//! * [`server`] — [`server::RpcServer`] (registered [`server::Interface`]s), the sans-IO
//!   [`server::Connection`] (bind, alter_context, authenticated binds with NTLMSSP or
//!   SPNEGO checked against [`server::AccountSource`], reassembly, dispatch, signing and
//!   sealing, fragmentation, faults), typed context handles shared by an association group
//!   ([`server::HandleTable`]), and the named-pipe transport [`server::serve_pipe`] (a
//!   thread per connected instance, calls that wait run side by side).
//! * [`client`] — [`RpcClient`]: open `/npfs/NAME`, bind (plain or authenticated),
//!   alter_context, call, or send calls and collect answers as they come.
//! * [`interfaces`] — rpcecho, srvsvc (over a [`interfaces::srvsvc::ShareDatabase`]) and
//!   wkssvc.
//!
//! Everything decodes hostile input without panicking: lengths, counts and offsets are
//! checked before use, nothing is allocated from an unchecked count, nesting is bounded,
//! and trailing bytes after a fixed-layout body are an error. Errors map to NTSTATUS
//! ([`RpcError::to_status`], [`NdrError::to_status`]).
//!
//! # What is not
//!
//! * The codecs ([`pdu`], [`ndr`]) do no I/O; only [`server::serve_pipe`] and
//!   [`client`] touch pipes, through the I/O manager. No TCP transport, no tokio.
//! * No NDR64 (it is recognised only to be refused), no EBCDIC or non-IEEE data.
//!   Answers are always little-endian.
//! * No Kerberos, schannel or NTLMv1 in binds; the NTLMSSP and SPNEGO machinery itself
//!   (messages, keys, session security) lives in lwio-auth.
//!
//! # Example
//!
//! ```
//! use lwio_rpc::pdu::{self, Pdu, PduBody, PfcFlags, Request};
//!
//! let request = Pdu::new(
//!     7,
//!     PfcFlags::FIRST_AND_LAST,
//!     PduBody::Request(Request { opnum: 15, stub: vec![1, 2, 3, 4], ..Request::default() }),
//! );
//! let bytes = pdu::encode(&request);
//! assert_eq!(bytes.len(), 28);
//! assert_eq!(pdu::decode(&bytes).unwrap(), request);
//! ```

#![forbid(unsafe_code)]

#[macro_use]
mod macros;

pub mod client;
mod error;
pub mod interfaces;
pub mod ndr;
pub mod pdu;
pub mod server;
mod uuid;

pub use client::{ClientError, RpcClient};
pub use error::{NdrError, RpcError};
pub use uuid::{
    BindTimeFeatures, NDR20_SYNTAX, NDR64_SYNTAX, SYNTAX_ID_LEN, SyntaxId, Uuid, UuidParseError,
};
