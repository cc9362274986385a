//! RPC interfaces served on named pipes with [`crate::server`]:
//!
//! * [`dssetup`] — the machine's role (MS-DSSP), served on `\pipe\lsarpc` beside the
//!   LSA (which is lwio-samr's: the LSA answers from the account database);
//! * [`echo`] — rpcecho on `\pipe\rpcecho` (Samba's test interface);
//! * [`mgmt`] — the DCE/RPC management interface every endpoint answers, and
//!   [`mgmt::Endpoint`], which builds an endpoint's server with it;
//! * [`srvsvc`] — share and server information (MS-SRVS) on `\pipe\srvsvc`, over a
//!   [`srvsvc::ShareDatabase`] the SMB server implements;
//! * [`wkssvc`] — workstation information (MS-WKST) on `\pipe\wkssvc`.
//!
//! srvsvc and wkssvc describe the same machine, a [`ServerIdentity`].

pub mod dssetup;
pub mod echo;
pub mod mgmt;
pub mod srvsvc;
pub mod wkssvc;

/// The Win32 errors these interfaces return (MS-ERREF 2.2).
pub mod win32 {
    /// ERROR_SUCCESS / NERR_Success.
    pub const ERROR_SUCCESS: u32 = 0;
    /// ERROR_ACCESS_DENIED.
    pub const ERROR_ACCESS_DENIED: u32 = 5;
    /// ERROR_NOT_SUPPORTED.
    pub const ERROR_NOT_SUPPORTED: u32 = 50;
    /// ERROR_DUP_NAME: the name is already in use.
    pub const ERROR_DUP_NAME: u32 = 52;
    /// ERROR_TOO_MANY_NAMES: the computer's name limit was reached.
    pub const ERROR_TOO_MANY_NAMES: u32 = 68;
    /// ERROR_INVALID_PARAMETER.
    pub const ERROR_INVALID_PARAMETER: u32 = 87;
    /// ERROR_INSUFFICIENT_BUFFER.
    pub const ERROR_INSUFFICIENT_BUFFER: u32 = 122;
    /// ERROR_INVALID_NAME.
    pub const ERROR_INVALID_NAME: u32 = 123;
    /// ERROR_INVALID_LEVEL.
    pub const ERROR_INVALID_LEVEL: u32 = 124;
    /// ERROR_NO_SUCH_LOGON_SESSION.
    pub const ERROR_NO_SUCH_LOGON_SESSION: u32 = 1312;
    /// NERR_UseNotFound / ERROR_NOT_CONNECTED: no such network connection.
    pub const NERR_USE_NOT_FOUND: u32 = 2250;
    /// RPC_E_REMOTE_DISABLED (an HRESULT): the operation may not be called remotely.
    pub const RPC_E_REMOTE_DISABLED: u32 = 0x8001_011C;
    /// NERR_NetNameNotFound: no share of that name.
    pub const NERR_NET_NAME_NOT_FOUND: u32 = 2310;
}

/// The machine srvsvc and wkssvc describe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerIdentity {
    /// NetBIOS computer name (`LWIO`).
    pub name: String,
    /// Domain or workgroup (`WORKGROUP`).
    pub domain: String,
    /// Server comment.
    pub comment: String,
    /// Major and minor OS version reported (6.1 or 10.0).
    pub version: (u32, u32),
    /// SV_TYPE_* flags (MS-SRVS 2.2.2.7).
    pub server_type: u32,
    /// Whether the anonymous logon (S-1-5-7) may call; refused with ERROR_ACCESS_DENIED
    /// otherwise.
    pub allow_anonymous: bool,
}

/// PLATFORM_ID_NT (MS-SRVS 2.2.2.6).
pub const PLATFORM_ID_NT: u32 = 500;

/// SV_TYPE_WORKSTATION.
pub const SV_TYPE_WORKSTATION: u32 = 0x0000_0001;
/// SV_TYPE_SERVER.
pub const SV_TYPE_SERVER: u32 = 0x0000_0002;
/// SV_TYPE_NT.
pub const SV_TYPE_NT: u32 = 0x0000_1000;
/// SV_TYPE_SERVER_NT.
pub const SV_TYPE_SERVER_NT: u32 = 0x0000_8000;

impl Default for ServerIdentity {
    fn default() -> Self {
        ServerIdentity {
            name: "LWIO".into(),
            domain: "WORKGROUP".into(),
            comment: "lwio server".into(),
            version: (10, 0),
            server_type: SV_TYPE_WORKSTATION | SV_TYPE_SERVER | SV_TYPE_NT | SV_TYPE_SERVER_NT,
            allow_anonymous: false,
        }
    }
}

/// A non-null `[string, unique] wchar_t*` holding `s`.
fn wstr(s: &str) -> crate::ndr::WStrPtr {
    Some(crate::ndr::WString::from(s))
}

/// A length as an NDR count, saturating at `u32::MAX`.
fn vec_len(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Where an enumeration resumes: a resume handle is the index of the next entry
/// (clamped to `len`); without one it starts at the first.
fn resume_index(resume: Option<u32>, len: usize) -> usize {
    resume.map_or(0, |r| r as usize).min(len)
}

/// A `[switch_is(Level)]` union whose arms are all unique pointers, plus `Unknown` for
/// any other level, so an unsupported level decodes and can be answered with
/// ERROR_INVALID_LEVEL instead of a fault. By default `Unknown` is a null pointer on the
/// wire; a union whose IDL has an empty `[default] ;` arm (MS-SRVS SHARE_INFO) is declared
/// with `default: empty;` first, and its `Unknown` carries nothing after the discriminant.
macro_rules! level_union {
    (default: empty; $($body:tt)*) => {
        $crate::interfaces::level_union!(@union empty; $($body)*);
    };
    (@unknown_encode null, $w:ident) => {
        $w.u32(0)
    };
    (@unknown_encode empty, $w:ident) => {};
    (@unknown_decode null, $r:ident, $other:ident) => {
        if $r.u32()? != 0 {
            return Err($crate::NdrError::BadUnionArm($other));
        }
    };
    (@unknown_decode empty, $r:ident, $other:ident) => {};
    (@min_size null) => { 8 };
    (@min_size empty) => { 4 };
    (
        @union $mode:ident;
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $val:literal => $variant:ident($ty:ty) ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis enum $name {
            $( $(#[$vmeta])* $variant(Option<$ty>), )*
            /// A level not served (a null pointer, or nothing for an empty default arm).
            Unknown(u32),
        }

        impl $name {
            /// The arm of `level` with a null pointer: what an operation that fails
            /// answers. A level with no arm gives `Unknown`.
            pub fn null(level: u32) -> Self {
                match level {
                    $( $val => $name::$variant(None), )*
                    other => $name::Unknown(other),
                }
            }

            /// The level (union discriminant).
            pub fn level(&self) -> u32 {
                match self {
                    $( $name::$variant(_) => $val, )*
                    $name::Unknown(l) => *l,
                }
            }
        }

        impl $crate::ndr::Ndr for $name {
            const ALIGN: usize = 4;
            const MIN_SIZE: usize = $crate::interfaces::level_union!(@min_size $mode);

            fn encode_flat(&self, w: &mut $crate::ndr::NdrWriter) {
                w.u32(self.level());
                match self {
                    $( $name::$variant(p) => $crate::ndr::Ndr::encode_flat(p, w), )*
                    $name::Unknown(_) => {
                        $crate::interfaces::level_union!(@unknown_encode $mode, w);
                    }
                }
            }

            fn encode_deferred(&self, w: &mut $crate::ndr::NdrWriter) {
                match self {
                    $( $name::$variant(p) => $crate::ndr::Ndr::encode_deferred(p, w), )*
                    $name::Unknown(_) => {}
                }
            }

            fn decode_flat(
                r: &mut $crate::ndr::NdrReader<'_>,
            ) -> Result<Self, $crate::NdrError> {
                match r.u32()? {
                    $( $val => Ok($name::$variant(
                        <Option<$ty> as $crate::ndr::Ndr>::decode_flat(r)?,
                    )), )*
                    other => {
                        $crate::interfaces::level_union!(@unknown_decode $mode, r, other);
                        Ok($name::Unknown(other))
                    }
                }
            }

            fn decode_deferred(
                &mut self,
                r: &mut $crate::ndr::NdrReader<'_>,
            ) -> Result<(), $crate::NdrError> {
                match self {
                    $( $name::$variant(p) => $crate::ndr::Ndr::decode_deferred(p, r), )*
                    $name::Unknown(_) => Ok(()),
                }
            }
        }
    };
    ($($body:tt)*) => {
        $crate::interfaces::level_union!(@union null; $($body)*);
    };
}
pub(crate) use level_union;
