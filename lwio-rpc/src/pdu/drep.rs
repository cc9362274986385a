//! Big-endian PDUs (C706 14.2.5, 12.6.3.1): the `drep` of the common header says in which
//! byte order the sender wrote every integer of the PDU — header, body, sec_trailer — and
//! of the stub data.
//!
//! The PDU codec reads little-endian. A big-endian fragment from a client is first
//! rewritten into the little-endian form of the same PDU by [`to_little_endian`], which
//! swaps each fixed integer field in place (the stub is left alone: its byte order goes
//! to the NDR reader of the interface, [`crate::ndr::ByteOrder`]). This server always
//! answers little-endian and says so in its `drep`, which C706 allows: each side reads
//! the other's representation ("receiver makes it right").
//!
//! Only the PDU types a client sends are rewritten (request, bind, alter_context,
//! rpc_auth_3, co_cancel, orphaned, shutdown); a big-endian PDU of a type only servers
//! send is refused with [`RpcError::UnsupportedDataRepresentation`].

use super::{HEADER_LEN, PduType, PfcFlags, SEC_TRAILER_LEN};
use crate::RpcError;
use crate::ndr::ByteOrder;

/// The integer byte order a fragment's `drep` announces, if it has a header at all.
pub fn byte_order(frag: &[u8]) -> Option<ByteOrder> {
    let b = frag.get(4)?;
    Some(if b & 0xF0 == 0 {
        ByteOrder::BigEndian
    } else {
        ByteOrder::LittleEndian
    })
}

/// Rewrites a whole big-endian fragment into the little-endian encoding of the same PDU,
/// in place; a little-endian fragment is left as it is.
///
/// Errors: a fragment too short for the fields its type has, or a type only a server
/// sends.
pub fn to_little_endian(frag: &mut [u8]) -> Result<(), RpcError> {
    match byte_order(frag) {
        Some(ByteOrder::BigEndian) => rewrite(frag, ByteOrder::BigEndian),
        _ => Ok(()),
    }
}

/// Rewrites a little-endian fragment of a type a client sends into its big-endian
/// encoding, in place (what a big-endian client puts on the wire; for tests and
/// clients). A big-endian fragment is left as it is.
pub fn to_big_endian(frag: &mut [u8]) -> Result<(), RpcError> {
    match byte_order(frag) {
        Some(ByteOrder::LittleEndian) => rewrite(frag, ByteOrder::LittleEndian),
        _ => Ok(()),
    }
}

/// Swaps every fixed integer field of `frag`, which is in byte order `from`, and sets its
/// `drep` to the other order.
fn rewrite(frag: &mut [u8], from: ByteOrder) -> Result<(), RpcError> {
    let mut s = Swapper { frag };
    let ptype = PduType(s.byte(2)?);
    let flags = PfcFlags(s.byte(3)?);
    let frag_length = usize::from(from.u16([s.byte(8)?, s.byte(9)?]));
    let auth_length = usize::from(from.u16([s.byte(10)?, s.byte(11)?]));
    if frag_length != s.frag.len() {
        return Err(RpcError::FragLength {
            frag_length: u16::try_from(frag_length).unwrap_or(u16::MAX),
            actual: s.frag.len(),
        });
    }
    // Common header: frag_length, auth_length, call_id.
    s.swap(8, 2)?;
    s.swap(10, 2)?;
    s.swap(12, 4)?;
    match ptype {
        PduType::REQUEST => {
            s.swap(16, 4)?; // alloc_hint
            s.swap(20, 2)?; // p_cont_id
            s.swap(22, 2)?; // opnum
            if flags.contains(PfcFlags::OBJECT_UUID) {
                s.uuid(24)?;
            }
        }
        PduType::BIND | PduType::ALTER_CONTEXT => s.bind()?,
        PduType::AUTH3 | PduType::CO_CANCEL | PduType::ORPHANED | PduType::SHUTDOWN => {}
        _ => {
            let d = &s.frag[4..8];
            return Err(RpcError::UnsupportedDataRepresentation([
                d[0], d[1], d[2], d[3],
            ]));
        }
    }
    if auth_length != 0 {
        // sec_trailer: auth_type, auth_level, auth_pad_length, reserved, auth_context_id.
        let at = frag_length
            .checked_sub(auth_length + SEC_TRAILER_LEN)
            .filter(|at| *at >= HEADER_LEN)
            .ok_or(RpcError::BadAuthLength(
                u16::try_from(auth_length).unwrap_or(0),
            ))?;
        s.swap(at + 4, 4)?;
    }
    s.frag[4] = match from {
        ByteOrder::BigEndian => (s.frag[4] & 0x0F) | 0x10,
        ByteOrder::LittleEndian => s.frag[4] & 0x0F,
    };
    Ok(())
}

struct Swapper<'a> {
    frag: &'a mut [u8],
}

impl Swapper<'_> {
    fn byte(&self, at: usize) -> Result<u8, RpcError> {
        self.frag.get(at).copied().ok_or(RpcError::Truncated)
    }

    /// Reverses the `len` octets at `at`: one integer turned to the other byte order.
    fn swap(&mut self, at: usize, len: usize) -> Result<(), RpcError> {
        let end = at.checked_add(len).ok_or(RpcError::Truncated)?;
        self.frag
            .get_mut(at..end)
            .ok_or(RpcError::Truncated)?
            .reverse();
        Ok(())
    }

    /// A UUID: `u32`, `u16`, `u16`, then eight octets.
    fn uuid(&mut self, at: usize) -> Result<(), RpcError> {
        self.swap(at, 4)?;
        self.swap(at + 4, 2)?;
        self.swap(at + 6, 2)?;
        if at + 16 > self.frag.len() {
            return Err(RpcError::Truncated);
        }
        Ok(())
    }

    /// A syntax id: a UUID and a `u32` version.
    fn syntax(&mut self, at: usize) -> Result<usize, RpcError> {
        self.uuid(at)?;
        self.swap(at + 16, 4)?;
        Ok(at + 20)
    }

    /// bind and alter_context (C706 12.6.4.3): max_xmit_frag, max_recv_frag,
    /// assoc_group_id, then the context list.
    fn bind(&mut self) -> Result<(), RpcError> {
        self.swap(16, 2)?;
        self.swap(18, 2)?;
        self.swap(20, 4)?;
        let n_contexts = self.byte(24)?;
        let mut at = 28; // n_context_elem, reserved, reserved2
        for _ in 0..n_contexts {
            self.swap(at, 2)?; // p_cont_id
            let n_transfer = self.byte(at + 2)?;
            at = self.syntax(at + 4)?;
            for _ in 0..n_transfer {
                at = self.syntax(at)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdu::{
        self, AuthLevel, AuthType, AuthVerifier, Bind, Pdu, PduBody, PresentationContext, Request,
    };
    use crate::{NDR20_SYNTAX, SyntaxId, Uuid};

    fn to_big_endian(mut le: Vec<u8>) -> Vec<u8> {
        super::to_big_endian(&mut le).unwrap();
        le
    }

    fn syntax() -> SyntaxId {
        SyntaxId::new(
            Uuid::from_fields(0x0102_0304, 0x0506, 0x0708, [9, 10, 11, 12, 13, 14, 15, 16]),
            0x0001,
            0x0002,
        )
    }

    #[test]
    fn big_endian_request_reads_as_little_endian() {
        // Hand-built big-endian request: call 0x01020304, opnum 6, context 1, alloc 8.
        let mut be = vec![5, 0, 0, 0x03, 0x00, 0, 0, 0];
        be.extend_from_slice(&[0, 32, 0, 0, 1, 2, 3, 4]);
        be.extend_from_slice(&[0, 0, 0, 8, 0, 1, 0, 6]);
        be.extend_from_slice(&[0, 0, 0, 2, 0, 0, 0, 3]);
        to_little_endian(&mut be).unwrap();
        let pdu = pdu::decode(&be).unwrap();
        assert_eq!(pdu.call_id, 0x0102_0304);
        let PduBody::Request(r) = pdu.body else {
            panic!("not a request")
        };
        assert_eq!((r.alloc_hint, r.context_id, r.opnum), (8, 1, 6));
        // The stub keeps its big-endian bytes for the NDR reader.
        assert_eq!(r.stub, [0, 0, 0, 2, 0, 0, 0, 3]);
    }

    #[test]
    fn big_endian_bind_with_verifier_round_trips() {
        let bind = Pdu {
            call_id: 0x0A0B_0C0D,
            flags: PfcFlags::FIRST_AND_LAST,
            body: PduBody::Bind(Bind {
                max_xmit_frag: 4280,
                max_recv_frag: 5840,
                assoc_group_id: 0x1122_3344,
                contexts: vec![
                    PresentationContext {
                        context_id: 0x0102,
                        abstract_syntax: syntax(),
                        transfer_syntaxes: vec![NDR20_SYNTAX, syntax()],
                    },
                    PresentationContext {
                        context_id: 7,
                        abstract_syntax: NDR20_SYNTAX,
                        transfer_syntaxes: vec![NDR20_SYNTAX],
                    },
                ],
            }),
            auth: Some(AuthVerifier {
                auth_type: AuthType::WINNT,
                auth_level: AuthLevel::PKT_PRIVACY,
                pad_length: 0,
                reserved: 0,
                context_id: 0x0506_0708,
                value: b"NTLMSSP\0token".to_vec(),
            }),
        };
        let le = pdu::encode(&bind);
        let mut be = to_big_endian(le.clone());
        assert_ne!(be, le);
        // A few fields checked by hand in their big-endian form.
        assert_eq!(&be[8..10], &u16::try_from(le.len()).unwrap().to_be_bytes());
        assert_eq!(&be[12..16], &0x0A0B_0C0Du32.to_be_bytes());
        assert_eq!(&be[16..18], &4280u16.to_be_bytes());
        to_little_endian(&mut be).unwrap();
        assert_eq!(be, le);
    }

    #[test]
    fn hostile_big_endian_fragments_do_not_panic() {
        let le = pdu::encode(&Pdu::new(
            1,
            PfcFlags::FIRST_AND_LAST,
            PduBody::Request(Request {
                object: Some(Uuid::NIL),
                ..Request::default()
            }),
        ));
        for cut in 0..le.len() {
            let mut f = le[..cut].to_vec();
            if f.len() > 4 {
                f[4] = 0;
            }
            let _ = to_little_endian(&mut f);
        }
        // A bind claiming many contexts in a short fragment.
        let mut bind = vec![5, 0, 11, 3, 0, 0, 0, 0, 0, 30, 0, 0, 0, 0, 0, 1];
        bind.extend_from_slice(&[0; 8]);
        bind.extend_from_slice(&[200, 0, 0, 0, 0, 0]);
        assert_eq!(to_little_endian(&mut bind), Err(RpcError::Truncated));
        // A response (only servers send those) is refused.
        let mut resp = vec![5, 0, 2, 3, 0, 0, 0, 0, 0, 24, 0, 0, 0, 0, 0, 1];
        resp.extend_from_slice(&[0; 8]);
        assert!(matches!(
            to_little_endian(&mut resp),
            Err(RpcError::UnsupportedDataRepresentation(_))
        ));
    }
}
