//! The client side of one SMB2 connection as a pure state machine (after quinn-proto):
//! requests in, message bytes out; response frames in, matched replies out. No sockets,
//! no tasks, no clock.
//!
//! What it keeps, per connection:
//! - the credit window ([`credits`]): message ids, CreditCharge, CreditRequest;
//! - the requests in flight, keyed by message id, with the async id an interim response
//!   gave them (for SMB2 CANCEL, MS-SMB2 3.2.4.24);
//! - the session id and its signing key once the session is set up;
//! - its encryption ([`seal`]) once the session has keys: every request sealed when the
//!   session encrypts (the server's SMB2_SESSION_FLAG_ENCRYPT_DATA or the caller's wish),
//!   or those on a tree whose share has SMB2_SHAREFLAG_ENCRYPT_DATA (MS-SMB2 3.2.4.1.8).
//!
//! What it checks of every response (MS-SMB2 3.2.5.1): the protocol id and header, the
//! response flag, a message id it sent and has not seen answered, the command it sent, the
//! signature of every response to a signed request (3.2.5.1.3), that the response to an
//! encrypted request is encrypted and opens (3.2.5.1.1.1), the NextCommand chain of a
//! compounded response, and that the server leaves it some credit. Any failure is a
//! [`ProtocolError`], after which the connection is dropped: a server that lies once is
//! not believed again.

pub mod check;
pub mod credits;
pub mod seal;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use bytes::Bytes;

use lwio_auth::smb2sign::{self, SigningAlgorithm};
use lwio_smb2::header::{HeaderFlags, HeaderId};
use lwio_smb2::{Command, HEADER_LEN, Header};
use lwio_types::NtStatus;

pub use check::{Checked, Checks};
use check::{Part, Signer};
pub use credits::CreditWindow;
pub use seal::Sealer;

/// The message id of an unsolicited oplock or lease break (MS-SMB2 3.2.5.19).
pub const UNSOLICITED_MESSAGE_ID: u64 = u64::MAX;

/// The largest request or response payload one credit covers (MS-SMB2 3.1.5.2).
pub const CREDIT_UNIT: usize = 65536;

/// Why a server's bytes were refused; the connection is dropped after any of these.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// A message does not decode.
    #[error("malformed response: {0}")]
    Malformed(String),
    /// A message is not a response.
    #[error("the server sent a request (command {0:?})")]
    NotAResponse(Command),
    /// A response names a message id that was never sent or was already answered.
    #[error("response to message id {0}, which is not outstanding")]
    UnknownMessageId(u64),
    /// A response answers with another command than the request's.
    #[error("response command {got:?} to a {sent:?} request")]
    WrongCommand {
        /// The request's command.
        sent: Command,
        /// The response's.
        got: Command,
    },
    /// A response that must be signed is not, or its signature does not verify.
    #[error("response to message id {0} is unsigned or its signature does not verify")]
    BadSignature(u64),
    /// STATUS_PENDING without an async id.
    #[error("interim response without an async id")]
    BadInterim,
    /// The server left the client without credits.
    #[error("the server granted no credits")]
    NoCredits,
    /// An encrypted or compressed message, which this client did not negotiate.
    #[error("encrypted or compressed message, not negotiated")]
    Transform,
    /// An encrypted message that does not open (MS-SMB2 3.2.5.1.1.1).
    #[error("encrypted response refused: {0}")]
    Decrypt(String),
    /// A response in clear to an encrypted request.
    #[error("response to message id {0} in clear, its request was encrypted")]
    NotEncrypted(u64),
}

/// Why [`Engine::prepare`] did not prepare a request.
#[derive(Debug)]
pub enum NotPrepared {
    /// Too few credits: the request back, to send once a response grants some.
    Credits(Outgoing),
    /// The request cannot be encrypted (the session's nonces are spent): the connection
    /// must close.
    Seal,
}

/// A request to send: its header fields and its encoded message.
#[derive(Debug)]
pub struct Outgoing {
    /// The command.
    pub command: Command,
    /// The tree connect it is for (0 before one).
    pub tree_id: u32,
    /// The message: 64 bytes reserved for the header, then the body. The engine
    /// writes the header over the first 64 bytes.
    pub message: Vec<u8>,
    /// The end of the message kept in the caller's buffer (a WRITE's data): signed with
    /// the message and sent right after it, never copied unless the message is sealed.
    pub data: Bytes,
    /// The larger of the bytes sent and the bytes expected back (for CreditCharge).
    pub payload: usize,
}

impl Outgoing {
    /// A message for `command`: the header room, then the body `encode` appends (the
    /// codecs of `lwio-smb2` expect the header at `out[0]`).
    pub fn new(command: Command, tree_id: u32, encode: impl FnOnce(&mut Vec<u8>)) -> Self {
        let mut message = vec![0u8; HEADER_LEN];
        encode(&mut message);
        let payload = message.len() - HEADER_LEN;
        Outgoing {
            command,
            tree_id,
            message,
            data: Bytes::new(),
            payload,
        }
    }

    /// A message for `command` whose body is what `encode` appends followed by `data`
    /// (a WRITE: the fixed part, then the data from the caller's buffer).
    pub fn with_data(
        command: Command,
        tree_id: u32,
        encode: impl FnOnce(&mut Vec<u8>),
        data: Bytes,
    ) -> Self {
        let mut out = Outgoing::new(command, tree_id, encode);
        out.payload += data.len();
        out.data = data;
        out
    }

    /// Sets the payload the credit charge is computed from (a read's length).
    pub fn expecting(mut self, bytes: usize) -> Self {
        self.payload = self.payload.max(bytes);
        self
    }
}

/// A request ready for the transport.
#[derive(Debug)]
pub struct Prepared {
    /// Its message id.
    pub message_id: u64,
    /// The signed message, or the transform message that seals it (the transport adds
    /// the 4-byte Direct TCP header).
    pub message: Vec<u8>,
    /// The rest of the message, sent right after `message` (empty when sealed: the
    /// transform holds it all).
    pub data: Bytes,
}

impl Prepared {
    /// The length of the frame's payload: `message` and `data`.
    pub fn len(&self) -> usize {
        self.message.len() + self.data.len()
    }

    /// True for an empty message (never prepared: a message has a header).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The cryptography a reserved request still needs.
#[derive(Debug)]
enum Protect {
    Nothing,
    Sign(Arc<Signer>),
    Seal(seal::SealJob),
}

/// A request given its message id, credits and header by [`Engine::reserve`], still to be
/// signed or sealed by [`Reserved::finish`].
#[derive(Debug)]
pub struct Reserved {
    /// Its message id.
    pub message_id: u64,
    message: Vec<u8>,
    data: Bytes,
    protect: Protect,
}

impl Reserved {
    /// Signs or seals the request (the CPU-heavy part, needing no engine). `None` when a
    /// sealed message cannot be sealed (over 4 GiB); the connection must close, since the
    /// message id was spent.
    pub fn finish(self) -> Option<Prepared> {
        let Reserved {
            message_id,
            mut message,
            data,
            protect,
        } = self;
        let (message, data) = match protect {
            Protect::Nothing => (message, data),
            Protect::Sign(s) => {
                // A message is at least a header and the key has its algorithm's length.
                let _ = smb2sign::sign_with_data(s.algorithm, &s.key, &mut message, &data);
                (message, data)
            }
            Protect::Seal(job) => (job.seal(message, &data)?, Bytes::new()),
        };
        Some(Prepared {
            message_id,
            message,
            data,
        })
    }
}

/// What a response frame carried.
#[derive(Debug)]
pub enum Incoming {
    /// An interim STATUS_PENDING: the request went async; the final response follows.
    Interim {
        /// The request's message id.
        message_id: u64,
        /// The id to cancel it by.
        async_id: u64,
    },
    /// The final response to a request.
    Reply(Reply),
    /// An oplock break notification (MS-SMB2 2.2.23.1): the open's oplock drops to the
    /// level given, and the client acknowledges it (it caches nothing, so at once).
    OplockBreak(lwio_smb2::OplockBreak),
    /// A lease break notification (MS-SMB2 2.2.23.2): the lease drops to the new state;
    /// the connection hands it to the lease's holder ([`crate::lease`]), which gives up
    /// what the break takes away and acknowledges it when the server asks.
    LeaseBreak(lwio_smb2::LeaseBreakNotification),
    /// Another unsolicited notification (one that does not decode), ignored.
    Notification,
}

/// The final response to one request.
#[derive(Debug)]
pub struct Reply {
    /// The request's message id.
    pub message_id: u64,
    /// The decoded header.
    pub header: Header,
    /// The whole message, header first (the codecs' input): a slice of the frame it
    /// arrived in, never a copy.
    pub message: Bytes,
}

impl Reply {
    /// The response's status.
    pub fn status(&self) -> NtStatus {
        self.header.status
    }
}

#[derive(Debug)]
struct InFlight {
    command: Command,
    charge: u16,
    tree_id: u32,
    async_id: Option<u64>,
    signed: bool,
    sealed: bool,
}

/// One connection's client state.
#[derive(Debug)]
pub struct Engine {
    window: CreditWindow,
    in_flight: HashMap<u64, InFlight>,
    session_id: u64,
    signer: Option<Arc<Signer>>,
    multi_credit: bool,
    sealer: Option<Sealer>,
    encrypt_all: bool,
    encrypted_trees: HashSet<u32>,
}

impl Engine {
    /// A new connection's engine keeping at most `max_credits` credits.
    pub fn new(max_credits: u16) -> Self {
        Engine {
            window: CreditWindow::new(max_credits),
            in_flight: HashMap::new(),
            session_id: 0,
            signer: None,
            multi_credit: false,
            sealer: None,
            encrypt_all: false,
            encrypted_trees: HashSet::new(),
        }
    }

    /// Whether requests may carry more than one credit (dialect 2.1 and later with
    /// SMB2_GLOBAL_CAP_LARGE_MTU).
    pub fn set_multi_credit(&mut self, on: bool) {
        self.multi_credit = on;
    }

    /// The session id every later request carries.
    pub fn set_session_id(&mut self, id: u64) {
        self.session_id = id;
    }

    /// The session id.
    pub fn session_id(&self) -> u64 {
        self.session_id
    }

    /// Signs every later request and verifies every response to one.
    pub fn set_signing(&mut self, algorithm: SigningAlgorithm, key: Vec<u8>) {
        self.signer = Some(Arc::new(Signer { algorithm, key }));
    }

    /// Gives the session its encryption keys; `all` seals every later request (the
    /// session encrypts), else only those on trees named by [`Engine::encrypt_tree`].
    pub fn set_encryption(&mut self, sealer: Sealer, all: bool) {
        self.sealer = Some(sealer);
        self.encrypt_all = all;
    }

    /// Seals every later request on tree `tree_id` (its share requires encryption);
    /// false when the session has no keys to seal with.
    pub fn encrypt_tree(&mut self, tree_id: u32) -> bool {
        if self.sealer.is_none() {
            return false;
        }
        self.encrypted_trees.insert(tree_id);
        true
    }

    /// Forgets a tree (disconnected).
    pub fn forget_tree(&mut self, tree_id: u32) {
        self.encrypted_trees.remove(&tree_id);
    }

    /// True when every request of the session is sealed.
    pub fn encrypts_all(&self) -> bool {
        self.sealer.is_some() && self.encrypt_all
    }

    /// The session's cipher, once it has encryption keys.
    pub fn cipher(&self) -> Option<lwio_auth::smb3crypt::Cipher> {
        self.sealer.as_ref().map(Sealer::cipher)
    }

    fn seals(&self, command: Command, tree_id: u32) -> bool {
        self.sealer.is_some()
            && command != Command::NEGOTIATE
            && command != Command::SESSION_SETUP
            && (self.encrypt_all || self.encrypted_trees.contains(&tree_id))
    }

    /// Verifies the signature of `message` with the session's key (the final
    /// SESSION_SETUP response, which arrives before the key is known to the engine).
    pub fn verify(&self, message: &[u8]) -> bool {
        self.signer.as_ref().is_some_and(|s| s.verifies(message))
    }

    /// The keys a response frame is checked with now ([`check`]): cheap to take under
    /// the connection's lock, used without it.
    pub fn checks(&self) -> Checks {
        Checks {
            signer: self.signer.clone(),
            opener: self.sealer.as_ref().map(Sealer::opener),
        }
    }

    /// The CreditCharge of a request of `payload` bytes (MS-SMB2 3.2.4.1.5).
    pub fn charge(&self, payload: usize) -> u16 {
        if !self.multi_credit {
            return 1;
        }
        let units = payload.saturating_sub(1) / CREDIT_UNIT + 1;
        u16::try_from(units).unwrap_or(u16::MAX)
    }

    /// The number of requests in flight.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// Credits available now.
    pub fn credits(&self) -> u32 {
        self.window.available()
    }

    /// Gives `out` a message id, a header and a signature, or seals it under a transform
    /// header; [`NotPrepared::Credits`] gives it back when the window has too few credits
    /// (the caller waits for a response and tries again). [`Engine::reserve`] then
    /// [`Reserved::finish`] in one step.
    pub fn prepare(&mut self, out: Outgoing) -> Result<Prepared, NotPrepared> {
        self.reserve(out)?.finish().ok_or(NotPrepared::Seal)
    }

    /// Everything of [`Engine::prepare`] but the cryptography: the message id, credits,
    /// header, the nonce of a sealed request, the request recorded in flight. The
    /// signature or the sealing is left to [`Reserved::finish`], which needs no engine,
    /// so a connection signs and seals outside its lock (several requests at once, while
    /// the reader goes on delivering responses). The request must be finished and sent
    /// in message-id order with the others reserved.
    pub fn reserve(&mut self, mut out: Outgoing) -> Result<Reserved, NotPrepared> {
        let charge = self.charge(out.payload);
        let credits = self.window.request(charge);
        let Some(message_id) = self.window.take(charge) else {
            return Err(NotPrepared::Credits(out));
        };
        let sealed = self.seals(out.command, out.tree_id);
        let signed = !sealed && self.signer.is_some() && out.command != Command::SESSION_SETUP;
        let header = Header {
            credit_charge: if self.multi_credit { charge } else { 0 },
            command: out.command,
            credits,
            flags: if signed {
                HeaderFlags::SIGNED
            } else {
                HeaderFlags::empty()
            },
            message_id,
            id: HeaderId::Sync {
                reserved: 0xFEFF,
                tree_id: out.tree_id,
            },
            session_id: self.session_id,
            ..Header::default()
        };
        write_header(&header, &mut out.message);
        let protect = if sealed {
            let job = self.sealer.as_mut().and_then(Sealer::reserve);
            match job {
                Some(job) => Protect::Seal(job),
                None => {
                    self.window.grant(0, charge);
                    return Err(NotPrepared::Seal);
                }
            }
        } else if signed {
            match &self.signer {
                Some(s) => Protect::Sign(Arc::clone(s)),
                None => Protect::Nothing,
            }
        } else {
            Protect::Nothing
        };
        self.in_flight.insert(
            message_id,
            InFlight {
                command: out.command,
                charge,
                tree_id: out.tree_id,
                async_id: None,
                signed,
                sealed,
            },
        );
        Ok(Reserved {
            message_id,
            message: out.message,
            data: out.data,
            protect,
        })
    }

    fn sign(&self, message: &mut [u8], data: &[u8]) {
        if let Some(s) = &self.signer {
            // A message is at least a header and the key has its algorithm's length.
            let _ = smb2sign::sign_with_data(s.algorithm, &s.key, message, data);
        }
    }

    /// An SMB2 CANCEL for the request `message_id` (MS-SMB2 3.2.4.24), or `None` when it is
    /// no longer in flight. CANCEL spends no credit and has no response.
    pub fn cancel(&mut self, message_id: u64) -> Option<Vec<u8>> {
        let f = self.in_flight.get(&message_id)?;
        let id = match f.async_id {
            Some(async_id) => HeaderId::Async { async_id },
            None => HeaderId::Sync {
                reserved: 0xFEFF,
                tree_id: f.tree_id,
            },
        };
        let signed = f.signed;
        let sealed = f.sealed;
        let header = Header {
            command: Command::CANCEL,
            flags: if signed {
                HeaderFlags::SIGNED
            } else {
                HeaderFlags::empty()
            },
            message_id,
            id,
            session_id: self.session_id,
            ..Header::default()
        };
        let mut message = Vec::with_capacity(HEADER_LEN + 4);
        header.encode(&mut message);
        lwio_smb2::header::encode_reserved4(&mut message);
        if signed {
            self.sign(&mut message, &[]);
        }
        if sealed {
            // A CANCEL is encrypted as its request was (MS-SMB2 3.2.4.24).
            return self.sealer.as_mut()?.seal(message, &[]);
        }
        Some(message)
    }

    /// Forgets a request whose response will never come (its send failed).
    pub fn abandon(&mut self, message_id: u64) {
        if let Some(f) = self.in_flight.remove(&message_id) {
            self.window.grant(0, f.charge);
        }
    }

    /// Reads one response frame (the Direct TCP payload): its parts, matched to their
    /// requests. [`Engine::checks`] then [`Engine::accept`] in one step (the connection
    /// does the checks outside its lock). The frame's bytes are never moved or copied: an
    /// encrypted one is opened in place, and each reply's message is a [`Bytes`] slice of
    /// the frame (a READ's data is sliced out of it in turn, [`Reply::message`]).
    pub fn receive<F>(&mut self, frame: F) -> Result<Vec<Incoming>, ProtocolError>
    where
        F: AsRef<[u8]> + AsMut<[u8]> + Send + 'static,
    {
        let checked = self.checks().check(frame)?;
        self.accept(checked)
    }

    /// Matches a frame [`Checks::check`] opened and verified to the requests in flight:
    /// the replies, interim responses and breaks it carried, or why it is refused.
    pub fn accept(&mut self, checked: Checked) -> Result<Vec<Incoming>, ProtocolError> {
        let encrypted = checked.encrypted;
        let mut out = Vec::with_capacity(checked.parts.len());
        for part in checked.parts {
            out.push(self.accept_one(part, encrypted)?);
        }
        if self.window.stalled() {
            return Err(ProtocolError::NoCredits);
        }
        Ok(out)
    }

    fn accept_one(&mut self, part: Part, encrypted: bool) -> Result<Incoming, ProtocolError> {
        let Part {
            header,
            message,
            bad_signature,
        } = part;
        if !header.is_response() {
            return Err(ProtocolError::NotAResponse(header.command));
        }
        if header.message_id == UNSOLICITED_MESSAGE_ID && header.command == Command::OPLOCK_BREAK {
            return Ok(match lwio_smb2::OplockBreakMessage::decode(&message) {
                Ok(lwio_smb2::OplockBreakMessage::Oplock(b)) => Incoming::OplockBreak(b),
                Ok(lwio_smb2::OplockBreakMessage::LeaseNotification(b)) => Incoming::LeaseBreak(b),
                _ => Incoming::Notification,
            });
        }
        let mid = header.message_id;
        let Some(f) = self.in_flight.get(&mid) else {
            return Err(ProtocolError::UnknownMessageId(mid));
        };
        if f.command != header.command {
            return Err(ProtocolError::WrongCommand {
                sent: f.command,
                got: header.command,
            });
        }
        let interim = header.status == NtStatus::PENDING;
        let signed_flag = header.flags.contains(HeaderFlags::SIGNED);
        if f.sealed && !encrypted && !interim {
            return Err(ProtocolError::NotEncrypted(mid));
        }
        // An encrypted response is authenticated by its tag and not signed (MS-SMB2
        // 3.2.5.1.3). Interim responses need not be signed (3.3.4.1.1); everything else
        // answering a signed request must be, and any signature present must verify (the
        // check did that).
        if !encrypted && ((f.signed && !interim && !signed_flag) || bad_signature) {
            return Err(ProtocolError::BadSignature(mid));
        }
        if interim {
            let Some(async_id) = header.async_id() else {
                return Err(ProtocolError::BadInterim);
            };
            if let Some(f) = self.in_flight.get_mut(&mid) {
                f.async_id = Some(async_id);
            }
            self.window.grant(header.credits, 0);
            return Ok(Incoming::Interim {
                message_id: mid,
                async_id,
            });
        }
        let charge = self.in_flight.remove(&mid).map_or(0, |f| f.charge);
        self.window.grant(header.credits, charge);
        Ok(Incoming::Reply(Reply {
            message_id: mid,
            header,
            message,
        }))
    }

    /// Every request in flight, forgotten (the connection is gone).
    pub fn drain(&mut self) -> Vec<u64> {
        self.in_flight.drain().map(|(mid, _)| mid).collect()
    }
}

/// Writes `header` over the first 64 bytes of `message`.
fn write_header(header: &Header, message: &mut [u8]) {
    let mut h = Vec::with_capacity(HEADER_LEN);
    header.encode(&mut h);
    message[..HEADER_LEN].copy_from_slice(&h);
}

#[cfg(test)]
mod tests;
