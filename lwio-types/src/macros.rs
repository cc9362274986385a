//! The two macros behind the family's open number spaces (STYLE.md, "open number spaces").
//!
//! `open_flags!` declares a `u32`/`u8` bit-set newtype whose unknown bits survive, and
//! `open_enum!` a value newtype whose unknown values survive; both print known names in
//! `Debug` and keep the raw value reachable as `.0`.

/// Declares a bit-set newtype with named constants, set operations and a `Debug` that names
/// the bits it knows. Shared by the family's codec crates (`lwio_types::open_flags!`, also
/// reachable as `lwio_core::open_flags!`).
#[macro_export]
macro_rules! open_flags {
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
            #[inline]
            pub const fn empty() -> Self {
                $name(0)
            }
            /// The raw bits.
            #[inline]
            pub const fn bits(self) -> $ty {
                self.0
            }
            /// True when every bit of `other` is set.
            #[inline]
            pub const fn contains(self, other: $name) -> bool {
                self.0 & other.0 == other.0
            }
            /// True when any bit of `other` is set.
            #[inline]
            pub const fn intersects(self, other: $name) -> bool {
                self.0 & other.0 != 0
            }
            /// True when no bit is set.
            #[inline]
            pub const fn is_empty(self) -> bool {
                self.0 == 0
            }
            /// `self` without the bits of `other`.
            #[inline]
            pub const fn without(self, other: $name) -> $name {
                $name(self.0 & !other.0)
            }
        }

        impl ::std::ops::BitOr for $name {
            type Output = $name;
            #[inline]
            fn bitor(self, rhs: $name) -> $name {
                $name(self.0 | rhs.0)
            }
        }
        impl ::std::ops::BitOrAssign for $name {
            #[inline]
            fn bitor_assign(&mut self, rhs: $name) {
                self.0 |= rhs.0;
            }
        }
        impl ::std::ops::BitAnd for $name {
            type Output = $name;
            #[inline]
            fn bitand(self, rhs: $name) -> $name {
                $name(self.0 & rhs.0)
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
/// Shared by the family's codec crates (`lwio_types::open_enum!`, also reachable as
/// `lwio_core::open_enum!`).
#[macro_export]
macro_rules! open_enum {
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
                    Some(n) => write!(f, "{}", n),
                    None => write!(f, "{}({:#x})", stringify!($name), self.0),
                }
            }
        }
    };
}
