//! Declarative macros that implement [`Ndr`](crate::ndr::Ndr) for structures, unions,
//! enums and newtypes, so interface code stays a transcription of its IDL.

/// Declares a structure and implements [`Ndr`](crate::ndr::Ndr) for it: members in order,
/// aligned to the largest member's alignment, embedded pointees after the structure.
///
/// Attributes (docs, derives) pass through. Members must all implement `Ndr`. A
/// conformant structure (last member a conformant array) needs a hand-written
/// implementation instead (see [`crate::ndr`]).
///
/// ```
/// lwio_rpc::ndr_struct! {
///     /// A point.
///     #[derive(Debug, Clone, PartialEq, Default)]
///     pub struct Point {
///         /// X.
///         pub x: u32,
///         /// Y.
///         pub y: u16,
///     }
/// }
/// assert_eq!(lwio_rpc::ndr::to_bytes(&Point { x: 1, y: 2 }), [1, 0, 0, 0, 2, 0]);
/// ```
#[macro_export]
macro_rules! ndr_struct {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $( $(#[$fmeta:meta])* $fvis:vis $field:ident : $fty:ty ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis struct $name {
            $( $(#[$fmeta])* $fvis $field: $fty, )*
        }

        impl $crate::ndr::Ndr for $name {
            const ALIGN: usize =
                $crate::ndr::max_align(&[ $( <$fty as $crate::ndr::Ndr>::ALIGN ),* ]);
            const MIN_SIZE: usize = 0 $( + <$fty as $crate::ndr::Ndr>::MIN_SIZE )*;

            fn encode_flat(&self, w: &mut $crate::ndr::NdrWriter) {
                w.align(<Self as $crate::ndr::Ndr>::ALIGN);
                $( $crate::ndr::Ndr::encode_flat(&self.$field, w); )*
            }

            fn encode_deferred(&self, w: &mut $crate::ndr::NdrWriter) {
                let _ = &w;
                $( $crate::ndr::Ndr::encode_deferred(&self.$field, w); )*
            }

            fn decode_flat(
                r: &mut $crate::ndr::NdrReader<'_>,
            ) -> ::core::result::Result<Self, $crate::NdrError> {
                r.align(<Self as $crate::ndr::Ndr>::ALIGN)?;
                $( let $field = <$fty as $crate::ndr::Ndr>::decode_flat(r)?; )*
                ::core::result::Result::Ok($name { $( $field, )* })
            }

            fn decode_deferred(
                &mut self,
                r: &mut $crate::ndr::NdrReader<'_>,
            ) -> ::core::result::Result<(), $crate::NdrError> {
                let _ = &r;
                $( $crate::ndr::Ndr::decode_deferred(&mut self.$field, r)?; )*
                ::core::result::Result::Ok(())
            }
        }
    };
}

/// Declares a discriminated union and implements [`Ndr`](crate::ndr::Ndr) for it: the
/// discriminant (`u8`, `u16` or `u32`), then the selected arm (C706 14.3.8). Each arm is a
/// tuple variant with one field (`()` for an empty arm). An unknown discriminant decodes as
/// [`NdrError::BadUnionArm`](crate::NdrError::BadUnionArm).
///
/// For a non-encapsulated union whose discriminant is also a separate parameter
/// (`[switch_is(Level)]`), marshal `Level` yourself and then this union, which repeats it —
/// as the NDR representation does.
///
/// ```
/// lwio_rpc::ndr_union! {
///     /// An info union.
///     #[derive(Debug, Clone, PartialEq)]
///     pub enum Info: u32 {
///         /// Level 0.
///         0 => Zero(u16),
///         /// Level 1.
///         1 => One(Option<u32>),
///     }
/// }
/// assert_eq!(lwio_rpc::ndr::to_bytes(&Info::Zero(7)), [0, 0, 0, 0, 7, 0]);
/// ```
#[macro_export]
macro_rules! ndr_union {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident : $tag:ty {
            $( $(#[$vmeta:meta])* $val:literal => $variant:ident ( $vty:ty ) ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis enum $name {
            $( $(#[$vmeta])* $variant($vty), )*
        }

        impl $crate::ndr::Ndr for $name {
            const ALIGN: usize = $crate::ndr::max_align(&[
                <$tag as $crate::ndr::Ndr>::ALIGN
                $(, <$vty as $crate::ndr::Ndr>::ALIGN )*
            ]);
            const MIN_SIZE: usize = <$tag as $crate::ndr::Ndr>::MIN_SIZE;

            fn encode_flat(&self, w: &mut $crate::ndr::NdrWriter) {
                w.align(<Self as $crate::ndr::Ndr>::ALIGN);
                match self {
                    $( $name::$variant(v) => {
                        let tag: $tag = $val;
                        $crate::ndr::Ndr::encode_flat(&tag, w);
                        $crate::ndr::Ndr::encode_flat(v, w);
                    } )*
                }
            }

            fn encode_deferred(&self, w: &mut $crate::ndr::NdrWriter) {
                match self {
                    $( $name::$variant(v) => $crate::ndr::Ndr::encode_deferred(v, w), )*
                }
            }

            fn decode_flat(
                r: &mut $crate::ndr::NdrReader<'_>,
            ) -> ::core::result::Result<Self, $crate::NdrError> {
                r.align(<Self as $crate::ndr::Ndr>::ALIGN)?;
                let tag = <$tag as $crate::ndr::Ndr>::decode_flat(r)?;
                match tag {
                    $( $val => ::core::result::Result::Ok($name::$variant(
                        <$vty as $crate::ndr::Ndr>::decode_flat(r)?,
                    )), )*
                    #[allow(unreachable_patterns)]
                    other => ::core::result::Result::Err(
                        $crate::NdrError::BadUnionArm(::core::primitive::u32::from(other)),
                    ),
                }
            }

            fn decode_deferred(
                &mut self,
                r: &mut $crate::ndr::NdrReader<'_>,
            ) -> ::core::result::Result<(), $crate::NdrError> {
                match self {
                    $( $name::$variant(v) => $crate::ndr::Ndr::decode_deferred(v, r), )*
                }
            }
        }
    };
}

/// Declares a closed enum and implements [`Ndr`](crate::ndr::Ndr) for it as an NDR `enum`:
/// 16 bits on the wire (C706 14.2.9). An unknown value decodes as
/// [`NdrError::EnumOutOfRange`](crate::NdrError::EnumOutOfRange). For open number spaces
/// (info levels, flags) prefer [`ndr_newtype!`](crate::ndr_newtype!) over an integer.
///
/// ```
/// lwio_rpc::ndr_enum! {
///     /// A colour.
///     #[derive(Debug, Clone, Copy, PartialEq)]
///     pub enum Colour { Red = 0, Green = 1 }
/// }
/// assert_eq!(lwio_rpc::ndr::from_bytes::<Colour>(&[1, 0]).unwrap(), Colour::Green);
/// ```
#[macro_export]
macro_rules! ndr_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $val:literal ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis enum $name {
            $( $(#[$vmeta])* $variant = $val, )*
        }

        impl $crate::ndr::Ndr for $name {
            const ALIGN: usize = 2;
            const MIN_SIZE: usize = 2;

            fn encode_flat(&self, w: &mut $crate::ndr::NdrWriter) {
                let v: u16 = match self {
                    $( $name::$variant => $val, )*
                };
                w.u16(v);
            }

            fn decode_flat(
                r: &mut $crate::ndr::NdrReader<'_>,
            ) -> ::core::result::Result<Self, $crate::NdrError> {
                match r.u16()? {
                    $( $val => ::core::result::Result::Ok($name::$variant), )*
                    other => ::core::result::Result::Err(
                        $crate::NdrError::EnumOutOfRange(::core::primitive::u32::from(other)),
                    ),
                }
            }
        }
    };
}

/// Implements [`Ndr`](crate::ndr::Ndr) for a tuple newtype by delegating to its field: the
/// way to marshal an open number space (`struct InfoLevel(pub u32)`).
///
/// ```
/// /// An info level.
/// #[derive(Debug, Clone, Copy, PartialEq)]
/// pub struct Level(pub u32);
/// lwio_rpc::ndr_newtype!(Level(u32));
/// assert_eq!(lwio_rpc::ndr::to_bytes(&Level(2)), [2, 0, 0, 0]);
/// ```
#[macro_export]
macro_rules! ndr_newtype {
    ($name:ident($inner:ty)) => {
        impl $crate::ndr::Ndr for $name {
            const ALIGN: usize = <$inner as $crate::ndr::Ndr>::ALIGN;
            const MIN_SIZE: usize = <$inner as $crate::ndr::Ndr>::MIN_SIZE;

            fn encode_flat(&self, w: &mut $crate::ndr::NdrWriter) {
                $crate::ndr::Ndr::encode_flat(&self.0, w);
            }

            fn encode_deferred(&self, w: &mut $crate::ndr::NdrWriter) {
                $crate::ndr::Ndr::encode_deferred(&self.0, w);
            }

            fn decode_flat(
                r: &mut $crate::ndr::NdrReader<'_>,
            ) -> ::core::result::Result<Self, $crate::NdrError> {
                <$inner as $crate::ndr::Ndr>::decode_flat(r).map($name)
            }

            fn decode_deferred(
                &mut self,
                r: &mut $crate::ndr::NdrReader<'_>,
            ) -> ::core::result::Result<(), $crate::NdrError> {
                $crate::ndr::Ndr::decode_deferred(&mut self.0, r)
            }
        }
    };
}
