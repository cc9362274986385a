//! The information classes (MS-FSCC 2.4 file classes, 2.5 volume classes): the number a
//! query/set-information or directory query names its buffer layout with. The layouts
//! themselves are `lwio-fscc`'s.

open_enum! {
    /// File information classes (MS-FSCC 2.4), for query/set information and directory queries.
    pub struct FileInfoClass(u8) {
        /// FileDirectoryInformation.
        const DIRECTORY = 1;
        /// FileFullDirectoryInformation.
        const FULL_DIRECTORY = 2;
        /// FileBothDirectoryInformation.
        const BOTH_DIRECTORY = 3;
        /// FileBasicInformation.
        const BASIC = 4;
        /// FileStandardInformation.
        const STANDARD = 5;
        /// FileInternalInformation.
        const INTERNAL = 6;
        /// FileEaInformation.
        const EA = 7;
        /// FileAccessInformation.
        const ACCESS = 8;
        /// FileNameInformation.
        const NAME = 9;
        /// FileRenameInformation.
        const RENAME = 10;
        /// FileLinkInformation.
        const LINK = 11;
        /// FileNamesInformation.
        const NAMES = 12;
        /// FileDispositionInformation.
        const DISPOSITION = 13;
        /// FilePositionInformation.
        const POSITION = 14;
        /// FileFullEaInformation.
        const FULL_EA = 15;
        /// FileModeInformation.
        const MODE = 16;
        /// FileAlignmentInformation.
        const ALIGNMENT = 17;
        /// FileAllInformation.
        const ALL = 18;
        /// FileAllocationInformation.
        const ALLOCATION = 19;
        /// FileEndOfFileInformation.
        const END_OF_FILE = 20;
        /// FileAlternateNameInformation.
        const ALTERNATE_NAME = 21;
        /// FileStreamInformation.
        const STREAM = 22;
        /// FilePipeInformation.
        const PIPE = 23;
        /// FilePipeLocalInformation.
        const PIPE_LOCAL = 24;
        /// FilePipeRemoteInformation.
        const PIPE_REMOTE = 25;
        /// FileCompressionInformation.
        const COMPRESSION = 28;
        /// FileObjectIdInformation.
        const OBJECT_ID = 29;
        /// FileQuotaInformation.
        const QUOTA = 32;
        /// FileReparsePointInformation.
        const REPARSE_POINT = 33;
        /// FileNetworkOpenInformation.
        const NETWORK_OPEN = 34;
        /// FileAttributeTagInformation.
        const ATTRIBUTE_TAG = 35;
        /// FileIdBothDirectoryInformation.
        const ID_BOTH_DIRECTORY = 37;
        /// FileIdFullDirectoryInformation.
        const ID_FULL_DIRECTORY = 38;
        /// FileValidDataLengthInformation.
        const VALID_DATA_LENGTH = 39;
        /// FileShortNameInformation.
        const SHORT_NAME = 40;
        /// FileNormalizedNameInformation.
        const NORMALIZED_NAME = 48;
        /// FileIdInformation.
        const ID = 59;
        /// FileIdExtdDirectoryInformation.
        const ID_EXTD_DIRECTORY = 60;
        /// FileDispositionInformationEx.
        const DISPOSITION_EX = 64;
        /// FileRenameInformationEx.
        const RENAME_EX = 65;
        /// FileLinkInformationEx.
        const LINK_EX = 72;
    }
}

open_enum! {
    /// File system (volume) information classes (MS-FSCC 2.5).
    pub struct FsInfoClass(u8) {
        /// FileFsVolumeInformation.
        const VOLUME = 1;
        /// FileFsLabelInformation.
        const LABEL = 2;
        /// FileFsSizeInformation.
        const SIZE = 3;
        /// FileFsDeviceInformation.
        const DEVICE = 4;
        /// FileFsAttributeInformation.
        const ATTRIBUTE = 5;
        /// FileFsControlInformation.
        const CONTROL = 6;
        /// FileFsFullSizeInformation.
        const FULL_SIZE = 7;
        /// FileFsObjectIdInformation.
        const OBJECT_ID = 8;
        /// FileFsDriverPathInformation.
        const DRIVER_PATH = 9;
        /// FileFsVolumeFlagsInformation.
        const VOLUME_FLAGS = 10;
        /// FileFsSectorSizeInformation.
        const SECTOR_SIZE = 11;
    }
}
