//! The verification trailer (MS-RPCE 2.2.2.13, 3.3.3.5.4): what an authenticating client
//! appends to a request's stub data so that the server can check, under the request's
//! signature, the parts of the call that are not otherwise protected — the presentation
//! context (interface and transfer syntax), the header fields, and whether the client
//! supports header signing.
//!
//! ```text
//! stub ... | 0-3 zero octets to a 4-octet boundary | 8a e3 13 71 02 f4 36 71 |
//! command(2) length(2) data(length) | command ... (the last has SEC_VT_COMMAND_END)
//! ```
//!
//! The trailer ends the stub exactly. [`find`] looks for it from the end, at 4-octet
//! aligned offsets, as the stub itself gives no length for it; the interface then sees
//! the stub without it. Integers in the commands follow the request's byte order.

use super::PduType;
use crate::ndr::ByteOrder;
use crate::{SyntaxId, Uuid};

/// The eight octets that open a verification trailer.
pub const VERIFICATION_TRAILER_MAGIC: [u8; 8] = [0x8a, 0xe3, 0x13, 0x71, 0x02, 0xf4, 0x36, 0x71];

/// `SEC_VT_COMMAND_END`: the last command.
const COMMAND_END: u16 = 0x4000;
/// `SEC_VT_MUST_PROCESS_COMMAND`: a receiver that does not know the command must fail.
const MUST_PROCESS: u16 = 0x8000;
const COMMAND_MASK: u16 = 0x3FFF;

const BITMASK_1: u16 = 0x0001;
const PCONTEXT: u16 = 0x0002;
const HEADER2: u16 = 0x0003;

/// One command of a verification trailer (MS-RPCE 2.2.2.13.2 to 2.2.2.13.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrailerCommand {
    /// `rpc_sec_vt_bitmask`: bit 1 is CLIENT_SUPPORT_HEADER_SIGNING.
    Bitmask(u32),
    /// `rpc_sec_vt_pcontext`: the interface and transfer syntax of the call's context.
    PContext {
        /// The abstract syntax.
        interface: SyntaxId,
        /// The transfer syntax.
        transfer: SyntaxId,
    },
    /// `rpc_sec_vt_header2`: the request's header fields.
    Header2 {
        /// `PTYPE` (request).
        ptype: PduType,
        /// `drep`.
        drep: [u8; 4],
        /// `call_id`.
        call_id: u32,
        /// `p_cont_id`.
        context_id: u16,
        /// `opnum`.
        opnum: u16,
    },
    /// A command this code does not know, without the must-process flag.
    Other(u16),
}

/// A verification trailer found at the end of a stub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationTrailer {
    /// Where it starts in the stub (the stub proper is `stub[..offset]`).
    pub offset: usize,
    /// Its commands, in order.
    pub commands: Vec<TrailerCommand>,
}

/// Why a trailer that was found cannot be accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TrailerError {
    /// A command the receiver must process but does not know.
    #[error("verification trailer command {0:#06x} must be processed")]
    UnknownMustProcess(u16),
}

/// Looks for a verification trailer ending `stub`, whose integers are in `order` (the
/// request's) or, failing that, little-endian — what Samba's big-endian clients send.
/// `Ok(None)` when there is none.
///
/// Errors: a well-formed trailer with a must-process command this code does not know.
pub fn find(stub: &[u8], order: ByteOrder) -> Result<Option<VerificationTrailer>, TrailerError> {
    match find_in(stub, order)? {
        None if order != ByteOrder::LittleEndian => find_in(stub, ByteOrder::LittleEndian),
        found => Ok(found),
    }
}

fn find_in(stub: &[u8], order: ByteOrder) -> Result<Option<VerificationTrailer>, TrailerError> {
    // Magic plus at least one command header.
    let Some(last) = stub.len().checked_sub(VERIFICATION_TRAILER_MAGIC.len() + 4) else {
        return Ok(None);
    };
    let mut offset = last & !3;
    loop {
        if stub[offset..].starts_with(&VERIFICATION_TRAILER_MAGIC)
            && let Some(commands) =
                parse_commands(&stub[offset + VERIFICATION_TRAILER_MAGIC.len()..], order)
        {
            for c in &commands {
                if let Err(raw) = c {
                    return Err(TrailerError::UnknownMustProcess(*raw));
                }
            }
            return Ok(Some(VerificationTrailer {
                offset,
                commands: commands.into_iter().flatten().collect(),
            }));
        }
        if offset < 4 {
            return Ok(None);
        }
        offset -= 4;
    }
}

/// The commands, if `input` is exactly a list of them ending with SEC_VT_COMMAND_END. An
/// unknown must-process command comes back as `Err(command)`.
fn parse_commands(input: &[u8], order: ByteOrder) -> Option<Vec<Result<TrailerCommand, u16>>> {
    let mut r = lwio_types::Reader::new(input);
    let mut out = Vec::new();
    loop {
        // Command and Length, in the stub's byte order.
        let [c0, c1, l0, l1] = r.array().ok()?;
        let raw = order.u16([c0, c1]);
        let data = r.take(usize::from(order.u16([l0, l1]))).ok()?;
        out.push(command(raw, data, order));
        if raw & COMMAND_END != 0 {
            return r.at_end().then_some(out);
        }
    }
}

fn command(raw: u16, d: &[u8], order: ByteOrder) -> Result<TrailerCommand, u16> {
    let u32_at = |at: usize| order.u32([d[at], d[at + 1], d[at + 2], d[at + 3]]);
    let syntax_at = |at: usize| {
        let uuid = Uuid::from_fields(
            u32_at(at),
            order.u16([d[at + 4], d[at + 5]]),
            order.u16([d[at + 6], d[at + 7]]),
            [
                d[at + 8],
                d[at + 9],
                d[at + 10],
                d[at + 11],
                d[at + 12],
                d[at + 13],
                d[at + 14],
                d[at + 15],
            ],
        );
        SyntaxId {
            uuid,
            version: u32_at(at + 16),
        }
    };
    match (raw & COMMAND_MASK, d.len()) {
        (BITMASK_1, 4) => Ok(TrailerCommand::Bitmask(u32_at(0))),
        (PCONTEXT, 40) => Ok(TrailerCommand::PContext {
            interface: syntax_at(0),
            transfer: syntax_at(20),
        }),
        (HEADER2, 16) => Ok(TrailerCommand::Header2 {
            ptype: PduType(d[0]),
            drep: [d[4], d[5], d[6], d[7]],
            call_id: u32_at(8),
            context_id: order.u16([d[12], d[13]]),
            opnum: order.u16([d[14], d[15]]),
        }),
        (cmd, _) if raw & MUST_PROCESS != 0 => Err(cmd),
        (cmd, _) => Ok(TrailerCommand::Other(cmd)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NDR20_SYNTAX;

    fn trailer(commands: &[(u16, Vec<u8>)]) -> Vec<u8> {
        let mut t = VERIFICATION_TRAILER_MAGIC.to_vec();
        for (i, (cmd, data)) in commands.iter().enumerate() {
            let mut c = *cmd;
            if i + 1 == commands.len() {
                c |= COMMAND_END;
            }
            t.extend_from_slice(&c.to_le_bytes());
            t.extend_from_slice(&(data.len() as u16).to_le_bytes());
            t.extend_from_slice(data);
        }
        t
    }

    fn syntax_bytes(s: &SyntaxId) -> Vec<u8> {
        let mut v = Vec::new();
        s.uuid.encode_into(&mut v);
        v.extend_from_slice(&s.version.to_le_bytes());
        v
    }

    #[test]
    fn finds_strips_and_reads_the_commands() {
        let mut stub = vec![1, 2, 3, 4, 5]; // a 5-octet stub, padded to 8
        stub.extend_from_slice(&[0, 0, 0]);
        let mut pctx = syntax_bytes(&NDR20_SYNTAX);
        pctx.extend(syntax_bytes(&NDR20_SYNTAX));
        let mut header2 = vec![0, 0, 0, 0, 0x10, 0, 0, 0];
        header2.extend_from_slice(&7u32.to_le_bytes());
        header2.extend_from_slice(&1u16.to_le_bytes());
        header2.extend_from_slice(&6u16.to_le_bytes());
        stub.extend(trailer(&[
            (BITMASK_1, 1u32.to_le_bytes().to_vec()),
            (PCONTEXT, pctx),
            (HEADER2, header2),
        ]));
        let t = find(&stub, ByteOrder::LittleEndian).unwrap().unwrap();
        assert_eq!(t.offset, 8);
        // A big-endian request may carry a little-endian trailer (Samba's clients do).
        assert_eq!(find(&stub, ByteOrder::BigEndian).unwrap().unwrap(), t);
        assert_eq!(t.commands[0], TrailerCommand::Bitmask(1));
        assert_eq!(
            t.commands[1],
            TrailerCommand::PContext {
                interface: NDR20_SYNTAX,
                transfer: NDR20_SYNTAX
            }
        );
        assert_eq!(
            t.commands[2],
            TrailerCommand::Header2 {
                ptype: PduType::REQUEST,
                drep: [0x10, 0, 0, 0],
                call_id: 7,
                context_id: 1,
                opnum: 6
            }
        );
    }

    #[test]
    fn no_trailer_and_broken_trailers() {
        assert_eq!(find(&[], ByteOrder::LittleEndian), Ok(None));
        assert_eq!(find(&[0; 40], ByteOrder::LittleEndian), Ok(None));
        // The magic without a terminated command list is stub data.
        let mut stub = VERIFICATION_TRAILER_MAGIC.to_vec();
        stub.extend_from_slice(&[1, 0, 4, 0, 0, 0, 0, 0]);
        assert_eq!(find(&stub, ByteOrder::LittleEndian), Ok(None));
        // A length running past the end.
        let mut stub = VERIFICATION_TRAILER_MAGIC.to_vec();
        stub.extend_from_slice(&[1, 0x40, 0xff, 0xff]);
        assert_eq!(find(&stub, ByteOrder::LittleEndian), Ok(None));
        // An unknown must-process command.
        let stub = trailer(&[(0x8000 | 0x0123, vec![])]);
        assert_eq!(
            find(&stub, ByteOrder::LittleEndian),
            Err(TrailerError::UnknownMustProcess(0x0123))
        );
        // An unknown optional command is kept.
        let stub = trailer(&[(0x0123, vec![9])]);
        let t = find(&stub, ByteOrder::LittleEndian).unwrap().unwrap();
        assert_eq!(t.commands, vec![TrailerCommand::Other(0x0123)]);
    }
}
