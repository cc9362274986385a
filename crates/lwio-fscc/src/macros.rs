//! Open number spaces (STYLE.md): `fscc_flags!` declares a bit-set newtype whose unknown bits
//! survive, `fscc_enum!` a value newtype whose unknown values survive. Both print known names
//! in `Debug` and keep the raw value in `.0`.

/// Declares a bit-set newtype with named constants and a `Debug` that names known bits.
macro_rules! fscc_flags {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident($ty:ty) {
            $( $(#[$doc:meta])* const $flag:ident = $value:expr; )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
        $vis struct $name(pub $ty);

        impl $name {
            $( $(#[$doc])* pub const $flag: $name = $name($value); )*
            const NAMES: &'static [(&'static str, $ty)] = &[ $( (stringify!($flag), $value) ),* ];

            /// The empty set.
            pub const fn empty() -> Self {
                $name(0)
            }
            /// The raw bits.
            pub const fn bits(self) -> $ty {
                self.0
            }
            /// True when every bit of `other` is set.
            pub const fn contains(self, other: $name) -> bool {
                self.0 & other.0 == other.0
            }
            /// True when any bit of `other` is set.
            pub const fn intersects(self, other: $name) -> bool {
                self.0 & other.0 != 0
            }
        }

        impl ::std::ops::BitOr for $name {
            type Output = $name;
            fn bitor(self, rhs: $name) -> $name {
                $name(self.0 | rhs.0)
            }
        }

        impl ::std::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                let mut rest = self.0;
                let mut first = true;
                write!(f, "{}(", stringify!($name))?;
                for &(name, bit) in Self::NAMES {
                    if bit != 0 && rest & bit == bit {
                        if !first {
                            f.write_str("|")?;
                        }
                        f.write_str(name)?;
                        rest &= !bit;
                        first = false;
                    }
                }
                if rest != 0 || first {
                    if !first {
                        f.write_str("|")?;
                    }
                    write!(f, "{:#x}", rest)?;
                }
                f.write_str(")")
            }
        }
    };
}

/// Declares a value newtype with named constants and a `Debug` that names known values.
macro_rules! fscc_enum {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident($ty:ty) {
            $( $(#[$doc:meta])* const $variant:ident = $value:expr; )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        $vis struct $name(pub $ty);

        impl $name {
            $( $(#[$doc])* pub const $variant: $name = $name($value); )*

            /// The constant's name, when the value is one this crate knows.
            pub const fn name(self) -> Option<&'static str> {
                match self.0 {
                    $( $value => Some(stringify!($variant)), )*
                    _ => None,
                }
            }
        }

        impl ::std::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                match self.name() {
                    Some(n) => f.write_str(n),
                    None => write!(f, "{}({:#x})", stringify!($name), self.0),
                }
            }
        }
    };
}

/// Implements the inherent `encode`/`decode` pair and the [`crate::FileInfo`] or
/// [`crate::FsInfo`] trait for a type that has crate-private `put(&self, &mut Vec<u8>)` and
/// `parse(&[u8]) -> PResult<Self>`.
macro_rules! info_codec {
    ($ty:ty, $trait:ident, $class_ty:ident :: $class:ident, fixed = $fixed:expr, variable = $var:expr) => {
        impl $ty {
            /// Encodes the structure in its MS-FSCC wire layout.
            pub fn encode(&self) -> Vec<u8> {
                let mut out = Vec::new();
                self.put(&mut out);
                out
            }

            /// Decodes the structure; the buffer must hold exactly one structure (trailing
            /// bytes are an error, except the padding the class defines).
            pub fn decode(input: &[u8]) -> Result<Self, $crate::FsccError> {
                $crate::codec::run(input, Self::parse)
            }
        }

        impl $crate::$trait for $ty {
            const CLASS: lwio_core::irp::$class_ty = lwio_core::irp::$class_ty::$class;
            const FIXED_SIZE: usize = $fixed;
            const VARIABLE: bool = $var;
            fn encode(&self) -> Vec<u8> {
                <$ty>::encode(self)
            }
            fn decode(input: &[u8]) -> Result<Self, $crate::FsccError> {
                <$ty>::decode(input)
            }
        }
    };
}
