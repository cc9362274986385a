//! Small fixed-size classes: FileInternalInformation (MS-FSCC 2.4.22), FileEaInformation
//! (2.4.13), FileAccessInformation (2.4.1), FilePositionInformation (2.4.35),
//! FileModeInformation (2.4.26), FileAlignmentInformation (2.4.3),
//! FileEndOfFileInformation (2.4.14), FileAllocationInformation (2.4.4),
//! FileValidDataLengthInformation (2.4.49), FileDispositionInformation (2.4.11),
//! FileDispositionInformationEx (2.4.12), FileCompressionInformation (2.4.9) and
//! FileIdInformation (2.4.21).

use bytes::BufMut;
use lwio_types::{AccessMask, CreateOptions};

use crate::FsccError;
use crate::codec::{Reader, boolean};

/// Declares a one-field class with its codec.
macro_rules! one_field {
    (
        $(#[$meta:meta])*
        $name:ident { $(#[$fmeta:meta])* $field:ident : $fty:ty },
        $class:ident, $size:expr,
        put($o:ident, $v:ident) $put:block,
        parse($i:ident) $parse:block
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
        pub struct $name {
            $(#[$fmeta])*
            pub $field: $fty,
        }

        impl $name {
            pub(crate) fn put(&self, $o: &mut Vec<u8>) {
                let $v = self.$field;
                $put
            }

            pub(crate) fn parse($i: &mut Reader<'_>) -> Result<Self, FsccError> {
                let $field = $parse;
                Ok($name { $field })
            }
        }
        info_codec!($name, FileInfo, FileInfoClass::$class, fixed = $size, variable = false);
    };
}

one_field!(
    /// FILE_INTERNAL_INFORMATION (MS-FSCC 2.4.22): the 64-bit file id.
    FileInternalInformation { /// The file's id (index number) on its volume.
        index_number: u64 },
    INTERNAL, 8, put(o, v) { o.put_u64_le(v) }, parse(r) { r.u64()? }
);

one_field!(
    /// FILE_EA_INFORMATION (MS-FSCC 2.4.13): the size of the file's EA list.
    FileEaInformation { /// Bytes needed to hold the EAs as a FILE_FULL_EA_INFORMATION list
        /// (MS-FSA 2.1.5.12.10: the stored length plus 4 when non-zero).
        ea_size: u32 },
    EA, 4, put(o, v) { o.put_u32_le(v) }, parse(r) { r.u32()? }
);

one_field!(
    /// FILE_ACCESS_INFORMATION (MS-FSCC 2.4.1): the access granted to the handle.
    FileAccessInformation { /// The granted access mask.
        access_flags: AccessMask },
    ACCESS, 4, put(o, v) { o.put_u32_le(v.0) },
    parse(r) { AccessMask(r.u32()?) }
);

one_field!(
    /// FILE_POSITION_INFORMATION (MS-FSCC 2.4.35): the handle's current byte offset.
    FilePositionInformation { /// The current byte offset.
        current_byte_offset: u64 },
    POSITION, 8, put(o, v) { o.put_u64_le(v) }, parse(r) { r.u64()? }
);

one_field!(
    /// FILE_MODE_INFORMATION (MS-FSCC 2.4.26): the handle's mode, a subset of the create
    /// options (WRITE_THROUGH, SEQUENTIAL_ONLY, NO_INTERMEDIATE_BUFFERING,
    /// SYNCHRONOUS_IO_ALERT/NONALERT, DELETE_ON_CLOSE). Which bits a set may change is the
    /// driver's check (MS-FSA 2.1.5.14.9).
    FileModeInformation { /// The mode bits.
        mode: CreateOptions },
    MODE, 4, put(o, v) { o.put_u32_le(v.0) },
    parse(r) { CreateOptions(r.u32()?) }
);

one_field!(
    /// FILE_ALIGNMENT_INFORMATION (MS-FSCC 2.4.3): the buffer alignment the device needs.
    FileAlignmentInformation { /// 0 byte, 1 word, 3 long, 7 quad, ... (alignment - 1).
        alignment_requirement: u32 },
    ALIGNMENT, 4, put(o, v) { o.put_u32_le(v) }, parse(r) { r.u32()? }
);

one_field!(
    /// FILE_END_OF_FILE_INFORMATION (MS-FSCC 2.4.14): set the file size.
    FileEndOfFileInformation { /// The new end of file.
        end_of_file: u64 },
    END_OF_FILE, 8, put(o, v) { o.put_u64_le(v) }, parse(r) { r.u64()? }
);

one_field!(
    /// FILE_ALLOCATION_INFORMATION (MS-FSCC 2.4.4): set the allocation size.
    FileAllocationInformation { /// The new allocation size.
        allocation_size: u64 },
    ALLOCATION, 8, put(o, v) { o.put_u64_le(v) }, parse(r) { r.u64()? }
);

one_field!(
    /// FILE_VALID_DATA_LENGTH_INFORMATION (MS-FSCC 2.4.49): set the valid data length.
    FileValidDataLengthInformation { /// The new valid data length.
        valid_data_length: u64 },
    VALID_DATA_LENGTH, 8, put(o, v) { o.put_u64_le(v) }, parse(r) { r.u64()? }
);

one_field!(
    /// FILE_DISPOSITION_INFORMATION (MS-FSCC 2.4.11): one BOOLEAN byte; non-zero marks the
    /// file for deletion when the last handle closes (decoded as `true`).
    FileDispositionInformation { /// Delete on last close.
        delete_pending: bool },
    DISPOSITION, 1, put(o, v) { o.put_u8(u8::from(v)) }, parse(r) { boolean(r)? }
);

lwio_types::open_flags! {
    /// FileDispositionInformationEx flags (MS-FSCC 2.4.12).
    pub struct DispositionFlags(u32) {
        /// Delete the file (without it: clear a pending delete).
        const DELETE = 0x0000_0001;
        /// Unlink the name at once, POSIX style, even while other handles are open.
        const POSIX_SEMANTICS = 0x0000_0002;
        /// Check for a mapped image section before deleting.
        const FORCE_IMAGE_SECTION_CHECK = 0x0000_0004;
        /// Apply the DELETE bit at close rather than now.
        const ON_CLOSE = 0x0000_0008;
        /// Delete even if the file is read-only.
        const IGNORE_READONLY_ATTRIBUTE = 0x0000_0010;
    }
}

impl DispositionFlags {
    /// No flag: do not delete (FILE_DISPOSITION_DO_NOT_DELETE).
    pub const DO_NOT_DELETE: DispositionFlags = DispositionFlags(0);
}

one_field!(
    /// FILE_DISPOSITION_INFORMATION_EX (MS-FSCC 2.4.12): 4 bytes of flags.
    FileDispositionInformationEx { /// The flags.
        flags: DispositionFlags },
    DISPOSITION_EX, 4, put(o, v) { o.put_u32_le(v.0) },
    parse(r) { DispositionFlags(r.u32()?) }
);

lwio_types::open_enum! {
    /// Compression formats (MS-FSCC 2.4.9 CompressionFormat).
    pub struct CompressionFormat(u16) {
        /// Not compressed.
        const NONE = 0x0000;
        /// The file system's default format.
        const DEFAULT = 0x0001;
        /// LZNT1 (MS-XCA 2.5).
        const LZNT1 = 0x0002;
    }
}

/// FILE_COMPRESSION_INFORMATION (MS-FSCC 2.4.9): 16 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FileCompressionInformation {
    /// Compressed size in bytes.
    pub compressed_file_size: u64,
    /// The format.
    pub compression_format: CompressionFormat,
    /// log2 of the compression unit size.
    pub compression_unit_shift: u8,
    /// log2 of the chunk size.
    pub chunk_shift: u8,
    /// log2 of the cluster size.
    pub cluster_shift: u8,
}

impl FileCompressionInformation {
    pub(crate) fn put(&self, out: &mut Vec<u8>) {
        out.put_u64_le(self.compressed_file_size);
        out.put_u16_le(self.compression_format.0);
        out.put_u8(self.compression_unit_shift);
        out.put_u8(self.chunk_shift);
        out.put_u8(self.cluster_shift);
        out.put_bytes(0, 3);
    }

    pub(crate) fn parse(r: &mut Reader<'_>) -> Result<Self, FsccError> {
        let compressed_file_size = r.u64()?;
        let format = r.u16()?;
        let compression_unit_shift = r.u8()?;
        let chunk_shift = r.u8()?;
        let cluster_shift = r.u8()?;
        r.skip(3)?;
        Ok(FileCompressionInformation {
            compressed_file_size,
            compression_format: CompressionFormat(format),
            compression_unit_shift,
            chunk_shift,
            cluster_shift,
        })
    }
}
info_codec!(
    FileCompressionInformation,
    FileInfo,
    FileInfoClass::COMPRESSION,
    fixed = 16,
    variable = false
);

/// FILE_ID_INFORMATION (MS-FSCC 2.4.21): the volume serial number and the 128-bit file id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FileIdInformation {
    /// The volume's 64-bit serial number.
    pub volume_serial_number: u64,
    /// The 128-bit file id, as its 16 wire bytes.
    pub file_id: [u8; 16],
}

impl FileIdInformation {
    pub(crate) fn put(&self, out: &mut Vec<u8>) {
        out.put_u64_le(self.volume_serial_number);
        out.put_slice(&self.file_id);
    }

    pub(crate) fn parse(r: &mut Reader<'_>) -> Result<Self, FsccError> {
        let volume_serial_number = r.u64()?;
        let file_id = r.array::<16>()?;
        Ok(FileIdInformation {
            volume_serial_number,
            file_id,
        })
    }
}
info_codec!(
    FileIdInformation,
    FileInfo,
    FileInfoClass::ID,
    fixed = 24,
    variable = false
);
