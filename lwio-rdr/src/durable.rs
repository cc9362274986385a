//! Durable handles on the client (MS-SMB2 3.2.4.3.5, 3.2.4.4): an open that survives the
//! loss of its connection, reclaimed on the next one.
//!
//! | dialect | asked with (CREATE) | granted when the response has | reclaimed with |
//! |---|---|---|---|
//! | 2.0.2, 2.1 | DHnQ (2.2.13.2.3, 16 reserved bytes) | DHnQ (2.2.14.2.3) | DHnC: the old FileId |
//! | 3.0 to 3.1.1 | DH2Q (2.2.13.2.11): Timeout 0 (the server's), no flags, a fresh CreateGuid | DH2Q (2.2.14.2.12) | DH2C: the old FileId and the same CreateGuid |
//!
//! Either needs a batch oplock (the redirector asks for one with it; directories and pipes
//! get neither). The CreateGuid is 16 random bytes per open (3.2.4.3.5: "a newly generated
//! GUID"); a reconnect presents it again so the server knows the open is the same client's
//! (3.3.5.9.12). A persistent handle (SMB2_DHANDLE_FLAG_PERSISTENT, continuously available
//! shares) is never asked for.

use lwio_smb2::create_context::{CreateContext, DurableFlags, RequestContext, ResponseContext};
use lwio_smb2::{Dialect, FileId};

/// The durability of an open: asked for, or granted by the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durable {
    /// Not durable: a reconnect reopens the file by name.
    No,
    /// A durable handle v1 (DHnQ).
    V1,
    /// A durable handle v2 (DH2Q) and the CreateGuid that names it.
    V2 {
        /// The CreateGuid sent with DH2Q, presented again in DH2C.
        create_guid: [u8; 16],
    },
}

impl Durable {
    /// What to ask for at `dialect`: v2 with a fresh CreateGuid at 3.x, else v1.
    pub fn ask(dialect: Dialect) -> Durable {
        if dialect.0 >= Dialect::SMB_3_0.0 {
            let mut create_guid = [0u8; 16];
            // An all-zero GUID only if the system has no randomness: the server still
            // tells opens apart by FileId.
            let _ = getrandom::fill(&mut create_guid);
            Durable::V2 { create_guid }
        } else {
            Durable::V1
        }
    }

    /// The CREATE context that asks for this durability (none for [`Durable::No`]).
    pub fn request(self) -> Option<RequestContext> {
        match self {
            Durable::No => None,
            Durable::V1 => Some(RequestContext::DurableRequest),
            Durable::V2 { create_guid } => Some(RequestContext::DurableRequestV2 {
                timeout: 0,
                flags: DurableFlags::empty(),
                create_guid,
            }),
        }
    }

    /// The CREATE context that reclaims the open `file_id` after a reconnect (none for
    /// [`Durable::No`]).
    pub fn reconnect(self, file_id: FileId) -> Option<RequestContext> {
        match self {
            Durable::No => None,
            Durable::V1 => Some(RequestContext::DurableReconnect(file_id)),
            Durable::V2 { create_guid } => Some(RequestContext::DurableReconnectV2 {
                file_id,
                create_guid,
                flags: DurableFlags::empty(),
            }),
        }
    }

    /// What the server granted of this request: the same durability when the CREATE
    /// response's `contexts` carry the matching one (DHnQ for v1, DH2Q for v2), else
    /// [`Durable::No`].
    pub fn granted(self, contexts: &[CreateContext]) -> Durable {
        let answered = |want: fn(&ResponseContext) -> bool| {
            contexts
                .iter()
                .any(|c| ResponseContext::from_raw(c).is_ok_and(|r| want(&r)))
        };
        let yes = match self {
            Durable::No => false,
            Durable::V1 => answered(|r| matches!(r, ResponseContext::Durable)),
            Durable::V2 { .. } => answered(|r| matches!(r, ResponseContext::DurableV2 { .. })),
        };
        if yes { self } else { Durable::No }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(contexts: Vec<ResponseContext>) -> Vec<CreateContext> {
        contexts.iter().map(ResponseContext::to_raw).collect()
    }

    #[test]
    fn v2_at_3x_v1_before() {
        assert_eq!(Durable::ask(Dialect::SMB_2_1), Durable::V1);
        let (Durable::V2 { create_guid: a }, Durable::V2 { create_guid: b }) = (
            Durable::ask(Dialect::SMB_3_0),
            Durable::ask(Dialect::SMB_3_1_1),
        ) else {
            panic!("3.x asks for v2");
        };
        assert_ne!(a, b, "a fresh CreateGuid per open");
    }

    #[test]
    fn contexts_carry_the_guid_and_file_id() {
        let d = Durable::V2 {
            create_guid: [7; 16],
        };
        let raw = d.request().unwrap().to_raw();
        assert_eq!(&raw.name[..], b"DH2Q");
        let id = FileId {
            persistent: 1,
            volatile: 2,
        };
        assert_eq!(
            d.reconnect(id),
            Some(RequestContext::DurableReconnectV2 {
                file_id: id,
                create_guid: [7; 16],
                flags: DurableFlags::empty(),
            })
        );
        assert_eq!(
            Durable::V1.reconnect(id),
            Some(RequestContext::DurableReconnect(id))
        );
        assert_eq!(Durable::No.request(), None);
    }

    #[test]
    fn granted_only_with_the_matching_response() {
        let v2 = Durable::V2 {
            create_guid: [1; 16],
        };
        let dh2q = response(vec![ResponseContext::DurableV2 {
            timeout: 60_000,
            flags: DurableFlags::empty(),
        }]);
        let dhnq = response(vec![ResponseContext::Durable]);
        assert_eq!(v2.granted(&dh2q), v2);
        assert_eq!(
            v2.granted(&dhnq),
            Durable::No,
            "a v1 answer to a v2 request"
        );
        assert_eq!(Durable::V1.granted(&dhnq), Durable::V1);
        assert_eq!(Durable::V1.granted(&dh2q), Durable::No);
        assert_eq!(v2.granted(&response(vec![])), Durable::No);
    }
}
