//! The crate's codec macro. Open number spaces use `lwio_types::open_flags!` and
//! `lwio_types::open_enum!`, shared by the family's codec crates.

/// Implements the inherent `encode`/`decode` pair and the [`crate::FileInfo`] or
/// [`crate::FsInfo`] trait for a type that has crate-private `put(&self, &mut Vec<u8>)` and
/// `parse(&mut Reader) -> Result<Self, FsccError>`.
macro_rules! info_codec {
    ($ty:ty, $trait:ident, $class_ty:ident :: $class:ident, fixed = $fixed:expr, variable = $var:expr) => {
        impl $ty {
            /// Encodes the structure in its MS-FSCC wire layout.
            pub fn encode(&self) -> Vec<u8> {
                // The fixed part at once: one allocation for fixed-size classes.
                let mut out = Vec::with_capacity($fixed);
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
            const CLASS: lwio_types::$class_ty = lwio_types::$class_ty::$class;
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
