//! Errors of the security module: decoding the binary forms of MS-DTYP 2.4 and parsing the
//! text forms (SID strings, MS-DTYP 2.4.2.1; SDDL, MS-DTYP 2.5.1).
//!
//! Access-check failures are not here: they are [`super::AccessCheckError`], which maps to
//! an NTSTATUS.

/// A malformed SID, ACE, ACL or security descriptor, in binary or text form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SecurityError {
    /// The buffer ends before the structure does.
    #[error("{what}: truncated, needs {needed} bytes, {available} available")]
    Truncated {
        /// The structure being read.
        what: &'static str,
        /// Bytes the structure needs.
        needed: usize,
        /// Bytes that were left.
        available: usize,
    },
    /// A revision field holds a value this implementation does not know.
    #[error("{what}: unsupported revision {revision}")]
    BadRevision {
        /// The structure being read.
        what: &'static str,
        /// The revision found.
        revision: u8,
    },
    /// A SID with more than 15 sub-authorities (MS-DTYP 2.4.2).
    #[error("SID has {0} sub-authorities, at most 15 are allowed")]
    TooManySubAuthorities(usize),
    /// An identifier authority that does not fit in 48 bits.
    #[error("SID identifier authority {0:#x} does not fit in 48 bits")]
    AuthorityTooLarge(u64),
    /// A security descriptor without SE_SELF_RELATIVE: the absolute form has pointers and
    /// cannot come from a buffer.
    #[error("security descriptor is not self-relative")]
    NotSelfRelative,
    /// An offset in a security descriptor points into its header or past its end.
    #[error("{what}: offset {offset} is outside the {len}-byte buffer")]
    OffsetOutOfRange {
        /// Which offset.
        what: &'static str,
        /// The offset found.
        offset: u32,
        /// The buffer length.
        len: usize,
    },
    /// An AceSize that is too small for the ACE, not a multiple of 4, or runs past the ACL.
    #[error("ACE size {size} is invalid ({reason})")]
    BadAceSize {
        /// The AceSize field.
        size: u16,
        /// Why it is rejected.
        reason: &'static str,
    },
    /// An AclSize smaller than the ACL header or than its ACEs.
    #[error("ACL size {size} is invalid ({reason})")]
    BadAclSize {
        /// The AclSize field (or the computed size, when encoding).
        size: usize,
        /// Why it is rejected.
        reason: &'static str,
    },
    /// A raw ACE was built with a type that has a typed form, or a body whose length is
    /// not a multiple of 4.
    #[error("invalid raw ACE: {0}")]
    BadRawAce(&'static str),
    /// A SID string that is not `S-1-<authority>(-<sub>)*`.
    #[error("invalid SID string {0:?}")]
    BadSidString(String),
    /// An SDDL string this parser rejects; `pos` is the byte offset of the bad token.
    #[error("SDDL error at byte {pos}: {reason}")]
    Sddl {
        /// Byte offset in the SDDL string.
        pos: usize,
        /// What is wrong there.
        reason: String,
    },
    /// The descriptor holds something SDDL cannot express (an ACE type other than A, D, AU,
    /// or bytes after an ACE's SID).
    #[error("cannot express in SDDL: {0}")]
    NotExpressibleInSddl(&'static str),
}
