//! # lwio-types
//!
//! The number spaces of the Windows I/O model that the lwio I/O manager and its codecs
//! share, and the one byte reader every lwio decoder uses. A leaf: it depends on nothing
//! but std, so a codec (`lwio-fscc`, `lwio-smb2`, the wire parts of `lwio-auth` and
//! `lwio-rpc`) builds without the I/O manager, and the I/O manager (`lwio-core`, which
//! re-exports everything here) and the codecs speak the same types.
//!
//! ## What is here
//! - [`NtStatus`] (MS-ERREF 2.3): the open newtype with the names of every status lwio
//!   returns or meets.
//! - [`AccessMask`] (MS-DTYP 2.4.3), [`GenericMapping`] and [`FILE_GENERIC_MAPPING`].
//! - The create number spaces ([`CreateDisposition`], [`CreateOptions`], [`ShareAccess`],
//!   [`CreateAction`]), [`FileAttributes`] (MS-FSCC 2.6), the information classes
//!   ([`FileInfoClass`], [`FsInfoClass`]), [`QueryDirectoryFlags`], [`NotifyFilter`] and
//!   [`SecurityInformation`] (MS-DTYP 2.4.7).
//! - [`CtlCode`]: FSCTL and IOCTL codes (MS-FSCC 2.3), with their device type, function,
//!   method and access bits, the named pipe codes among them.
//! - [`open_enum!`] and [`open_flags!`], the macros behind every open number space of the
//!   family: unknown values survive a round trip and `Debug` names the known ones.
//! - [`Reader`] and [`ReadError`]: the checked little-endian cursor, and the [`utf16`]
//!   helpers for the text of the wire formats.
//!
//! ## What it is not
//! No I/O, no structures with layouts of their own (those are the codec crates'), no
//! allocation on behalf of a peer.
//!
//! ```
//! use lwio_types::{CtlCode, FileInfoClass, NtStatus, Reader};
//!
//! assert_eq!(format!("{:?}", FileInfoClass(4)), "BASIC");
//! assert_eq!(NtStatus::ACCESS_DENIED.to_string(), "STATUS_ACCESS_DENIED");
//! assert_eq!(CtlCode::FSCTL_PIPE_TRANSCEIVE.device_type(), 0x11);
//! let mut r = Reader::new(&[0x22, 0x00, 0x00, 0xc0]);
//! assert_eq!(NtStatus(r.u32().unwrap()), NtStatus::ACCESS_DENIED);
//! ```
#![forbid(unsafe_code)]

#[macro_use]
mod macros;

pub mod access;
pub mod create;
pub mod ctl_code;
pub mod directory;
pub mod info_class;
pub mod reader;
pub mod security_info;
pub mod status;
pub mod utf16;

pub use access::{AccessMask, FILE_GENERIC_MAPPING, GenericMapping};
pub use create::{CreateAction, CreateDisposition, CreateOptions, FileAttributes, ShareAccess};
pub use ctl_code::{CtlCode, TransferMethod};
pub use directory::{NotifyFilter, QueryDirectoryFlags};
pub use info_class::{FileInfoClass, FsInfoClass};
pub use reader::{ReadError, Reader, read_all};
pub use security_info::SecurityInformation;
pub use status::NtStatus;
