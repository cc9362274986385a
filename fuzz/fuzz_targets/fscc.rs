//! Feeds arbitrary bytes to every lwio-fscc decoder (whatever decodes must re-encode and
//! decode to the same value; the lock list when it holds every match; the object id
//! buffer), and splits the input in two to drive `is_in_expression`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lwio_core::FileInfoClass;
use lwio_fscc::*;

fn decoders(data: &[u8]) {
    macro_rules! each {
        ($($t:ty),* $(,)?) => {$(
            if let Ok(v) = <$t>::decode(data) {
                let again = <$t>::decode(&v.encode()).expect("re-encoded value decodes");
                assert_eq!(again, v);
            }
        )*};
    }
    each!(
        FileBasicInformation,
        FileStandardInformation,
        FileInternalInformation,
        FileEaInformation,
        FileAccessInformation,
        FilePositionInformation,
        FileModeInformation,
        FileAlignmentInformation,
        FileNameInformation,
        FileNormalizedNameInformation,
        FileAllInformation,
        FileNetworkOpenInformation,
        FileAttributeTagInformation,
        FileStreamInformation,
        FileCompressionInformation,
        FileRenameInformation,
        FileRenameInformationEx,
        FileLinkInformation,
        FileDispositionInformation,
        FileDispositionInformationEx,
        FileEndOfFileInformation,
        FileAllocationInformation,
        FileValidDataLengthInformation,
        FileFullEaInformation,
        FileGetEaInformation,
        FileIdInformation,
        FileFsVolumeInformation,
        FileFsSizeInformation,
        FileFsFullSizeInformation,
        FileFsDeviceInformation,
        FileFsAttributeInformation,
        FileFsSectorSizeInformation,
        FileFsObjectIdInformation,
        FileFsControlInformation,
    );
    for class in [
        FileInfoClass::DIRECTORY,
        FileInfoClass::FULL_DIRECTORY,
        FileInfoClass::BOTH_DIRECTORY,
        FileInfoClass::ID_BOTH_DIRECTORY,
        FileInfoClass::ID_FULL_DIRECTORY,
        FileInfoClass::NAMES,
        FileInfoClass::ID_EXTD_DIRECTORY,
    ] {
        if let Ok(v) = decode_dir_entries(class, data) {
            let bytes = encode_dir_entries(class, &v).expect("directory class");
            assert_eq!(
                decode_dir_entries(class, &bytes).expect("re-encoded entries"),
                v
            );
        }
    }
    // FSCTL_LWIO_QUERY_LOCKS: its input, and its answer (when every matching lock was
    // returned, re-encoding gives the same list).
    let _ = lock_list::decode_query(data);
    if let Ok(v) = lock_list::decode(data) {
        assert!(v.entries.len() <= v.total as usize);
        if v.entries.len() == v.total as usize {
            let (bytes, _) = lock_list::encode_within(v.owner, v.entries.clone(), u32::MAX)
                .expect("a buffer of any size holds the header");
            assert_eq!(lock_list::decode(&bytes).expect("re-encoded lock list"), v);
        }
    }
    // The object id FSCTLs' FILE_OBJECTID_BUFFER and SET_OBJECT_ID_EXTENDED's input.
    if let Ok(v) = ObjectIdBuffer::decode(data) {
        assert_eq!(
            ObjectIdBuffer::decode(&v.encode()).expect("re-encoded object id"),
            v
        );
        assert_eq!(v.encode(), data);
    }
    if let Ok(v) = object_id::decode_extended_info(data) {
        assert_eq!(&v[..], data);
    }
    // The sparse FSCTLs' buffers: a decoded range re-encodes to the bytes it came from.
    let _ = sparse::decode_set_sparse(data);
    if let Ok(v) = sparse::ZeroData::decode(data) {
        assert_eq!(v.encode(), data[..sparse::RANGE_LEN]);
    }
    if let Ok(v) = sparse::decode_ranges(data) {
        let mut bytes = Vec::new();
        for r in &v {
            r.encode_into(&mut bytes);
        }
        assert_eq!(bytes, data);
    }
    if let Ok(v) = decode_notify(data) {
        assert_eq!(
            decode_notify(&encode_notify(&v)).expect("re-encoded notify"),
            v
        );
    }
}

fuzz_target!(|data: &[u8]| {
    decoders(data);
    let cut = data.first().map_or(0, |&b| b as usize % data.len().max(1));
    let (expr, name) = data.split_at(cut);
    let expr = String::from_utf8_lossy(expr);
    let name = String::from_utf8_lossy(name);
    let _ = is_in_expression(&expr, &name, true);
    let _ = is_in_expression(&expr, &name, false);
    let _ = split_path(&name);
    let _ = validate_component(&name);
});
