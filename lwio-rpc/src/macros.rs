//! Crate-private helper macros.

/// An open number space: a newtype over an integer with named constants; unknown values
/// still decode, and `Debug` prints the name when there is one.
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident($ty:ty) {
            $( $(#[$cmeta:meta])* $c:ident = $v:expr, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        $vis struct $name(pub $ty);

        impl $name {
            $( $(#[$cmeta])* pub const $c: $name = $name($v); )*

            /// The constant's name, if this value has one.
            pub fn name(self) -> Option<&'static str> {
                match self {
                    $( $name::$c => Some(stringify!($c)), )*
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
