//! Round trips, hand-built vectors from the MS-FSCC layouts, hostile-input properties.

use lwio_types::{AccessMask, CreateOptions, FileAttributes, FileInfoClass, NtStatus};
use proptest::prelude::*;

use crate::*;

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn rt<T: FileInfo + PartialEq + std::fmt::Debug>(v: T) {
    let bytes = v.encode();
    if !T::VARIABLE {
        assert_eq!(bytes.len(), T::FIXED_SIZE);
    }
    assert_eq!(T::decode(&bytes).unwrap(), v);
    if !bytes.is_empty() {
        assert!(T::decode(&bytes[..bytes.len() - 1]).is_err());
    }
}

fn rt_fs<T: FsInfo + PartialEq + std::fmt::Debug>(v: T) {
    let bytes = v.encode();
    if !T::VARIABLE {
        assert_eq!(bytes.len(), T::FIXED_SIZE);
    }
    assert_eq!(T::decode(&bytes).unwrap(), v);
    assert!(T::decode(&bytes[..bytes.len() - 1]).is_err());
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(T::decode(&longer).is_err());
}

#[test]
fn basic_information_vector() {
    let v = FileBasicInformation {
        creation_time: FileTime(0x01D0_0000_0000_0001),
        last_access_time: FileTime(-1),
        last_write_time: FileTime(0),
        change_time: FileTime(-2),
        file_attributes: FileAttributes::ARCHIVE | FileAttributes::HIDDEN,
    };
    let want = hex(
        "0100000000 00D001 ffffffffffffffff 0000000000000000 feffffffffffffff 22000000 00000000",
    );
    assert_eq!(v.encode(), want);
    assert_eq!(FileBasicInformation::decode(&want).unwrap(), v);
    // Reserved bytes are ignored on receipt.
    let mut r = want.clone();
    r[36] = 0xAA;
    assert_eq!(FileBasicInformation::decode(&r).unwrap(), v);
    // A time below -2 is invalid in a set (MS-FSA 2.1.5.14.2).
    let mut bad = want.clone();
    bad[8..16].copy_from_slice(&(-3i64).to_le_bytes());
    assert_eq!(
        FileBasicInformation::decode(&bad).unwrap_err().to_status(),
        NtStatus::INVALID_PARAMETER
    );
    assert_eq!(
        FileBasicInformation::decode(&want[..36])
            .unwrap_err()
            .to_status(),
        NtStatus::INFO_LENGTH_MISMATCH
    );
    // Set-input leniency: a longer buffer is accepted for fixed-size classes.
    let mut longer = want.clone();
    longer.extend_from_slice(&[0; 8]);
    assert_eq!(FileBasicInformation::decode_set_input(&longer).unwrap(), v);
    assert!(FileBasicInformation::decode(&longer).is_err());
}

#[test]
fn name_information_vector() {
    let v = FileNameInformation {
        file_name: "\\a.b".into(),
    };
    assert_eq!(v.encode(), hex("08000000 5c00 6100 2e00 6200"));
    rt(v);
    // Odd length, a length past the buffer and an unpaired surrogate are refused.
    assert!(FileNameInformation::decode(&hex("03000000 610062")).is_err());
    assert!(FileNameInformation::decode(&hex("ffffffff 6100")).is_err());
    assert_eq!(
        FileNameInformation::decode(&hex("02000000 00d8")),
        Err(FsccError::BadName)
    );
}

#[test]
fn rename_vector_and_padding() {
    let v = FileRenameInformation {
        replace_if_exists: true,
        root_directory: 0,
        file_name: "x".into(),
    };
    let want = hex("01 00000000000000 0000000000000000 02000000 7800");
    assert_eq!(v.encode(), want);
    let mut padded = want.clone();
    padded.extend_from_slice(&[0; 6]);
    assert_eq!(FileRenameInformation::decode(&padded).unwrap(), v);
    rt(v);
    rt(FileRenameInformationEx {
        flags: RenameFlags::REPLACE_IF_EXISTS | RenameFlags::POSIX_SEMANTICS,
        root_directory: 0,
        file_name: "dir\\new".into(),
    });
    rt(FileLinkInformation {
        replace_if_exists: false,
        root_directory: 7,
        file_name: "link".into(),
    });
}

#[test]
fn every_file_class_round_trips() {
    rt(FileStandardInformation {
        allocation_size: 4096,
        end_of_file: 10,
        number_of_links: 2,
        delete_pending: true,
        directory: false,
    });
    rt(FileInternalInformation { index_number: 42 });
    rt(FileEaInformation { ea_size: 12 });
    rt(FileAccessInformation {
        access_flags: AccessMask(0x0012_019F),
    });
    rt(FilePositionInformation {
        current_byte_offset: 99,
    });
    rt(FileModeInformation {
        mode: CreateOptions::SYNCHRONOUS_IO_NONALERT,
    });
    rt(FileAlignmentInformation {
        alignment_requirement: 3,
    });
    rt(FileEndOfFileInformation {
        end_of_file: 1 << 40,
    });
    rt(FileAllocationInformation {
        allocation_size: 8192,
    });
    rt(FileValidDataLengthInformation {
        valid_data_length: 5,
    });
    rt(FileDispositionInformation {
        delete_pending: true,
    });
    rt(FileDispositionInformationEx {
        flags: DispositionFlags::DELETE | DispositionFlags::POSIX_SEMANTICS,
    });
    rt(FileCompressionInformation {
        compressed_file_size: 100,
        compression_format: CompressionFormat::LZNT1,
        compression_unit_shift: 16,
        chunk_shift: 12,
        cluster_shift: 12,
    });
    rt(FileIdInformation {
        volume_serial_number: 0x1122_3344,
        file_id: [7; 16],
    });
    rt(FileNetworkOpenInformation {
        creation_time: FileTime(1),
        last_access_time: FileTime(2),
        last_write_time: FileTime(3),
        change_time: FileTime(4),
        allocation_size: 5,
        end_of_file: 6,
        file_attributes: FileAttributes::NORMAL,
    });
    rt(FileAttributeTagInformation {
        file_attributes: FileAttributes::REPARSE_POINT,
        reparse_tag: 0xA000_000C,
    });
    rt(FileNormalizedNameInformation {
        file_name: "\\Dir\\Long Name.txt".into(),
    });
    let all = FileAllInformation {
        name: FileNameInformation {
            file_name: "\\f".into(),
        },
        standard: FileStandardInformation {
            number_of_links: 1,
            ..Default::default()
        },
        ..Default::default()
    };
    assert_eq!(all.encode().len(), FILE_ALL_INFORMATION_FIXED + 4);
    rt(all);
    rt(FileStreamInformation {
        entries: vec![
            StreamEntry {
                stream_name: "::$DATA".into(),
                stream_size: 10,
                stream_allocation_size: 4096,
            },
            StreamEntry {
                stream_name: ":s1:$DATA".into(),
                stream_size: 1,
                stream_allocation_size: 8,
            },
        ],
    });
    rt(FileStreamInformation::default());
    rt(FileFullEaInformation {
        entries: vec![
            EaEntry {
                flags: 0,
                name: b"USER.A".to_vec(),
                value: b"1".to_vec(),
            },
            EaEntry {
                flags: FILE_NEED_EA,
                name: b"B".to_vec(),
                value: vec![],
            },
        ],
    });
}

#[test]
fn stream_list_layout_and_sizing() {
    let s = FileStreamInformation {
        entries: vec![
            StreamEntry {
                stream_name: "::$DATA".into(),
                stream_size: 3,
                stream_allocation_size: 8,
            },
            StreamEntry {
                stream_name: ":x:$DATA".into(),
                stream_size: 0,
                stream_allocation_size: 0,
            },
        ],
    };
    let b = s.encode();
    // 24 + 14 = 38, next entry at 40.
    assert_eq!(&b[..4], &40u32.to_le_bytes());
    assert_eq!(b.len(), 40 + 24 + 16);
    assert_eq!(s.encode_within(31), Err(NtStatus::INFO_LENGTH_MISMATCH));
    let (part, st) = s.encode_within(60).unwrap();
    assert_eq!((part.len(), st), (38, NtStatus::BUFFER_OVERFLOW));
    assert_eq!(
        FileStreamInformation::decode(&part).unwrap().entries.len(),
        1
    );
    let (whole, st) = s.encode_within(1000).unwrap();
    assert_eq!((whole, st), (b.clone(), NtStatus::SUCCESS));
    // A misaligned or out-of-range NextEntryOffset is refused.
    let mut bad = b.clone();
    bad[..4].copy_from_slice(&36u32.to_le_bytes());
    assert!(FileStreamInformation::decode(&bad).is_err());
    bad[..4].copy_from_slice(&4000u32.to_le_bytes());
    assert!(FileStreamInformation::decode(&bad).is_err());
}

#[test]
fn ea_list_vector_and_validation() {
    let list = FileFullEaInformation {
        entries: vec![
            EaEntry {
                flags: 0,
                name: b"AB".to_vec(),
                value: b"xyz".to_vec(),
            },
            EaEntry {
                flags: 0x80,
                name: b"C".to_vec(),
                value: vec![1],
            },
        ],
    };
    // Entry 1: 8 + 2 + 1 + 3 = 14, padded to 16.
    let want = hex("10000000 00 02 0300 4142 00 78797a 0000 00000000 80 01 0100 43 00 01");
    assert_eq!(list.encode(), want);
    assert_eq!(list.wire_len(), want.len());
    assert_eq!(FileFullEaInformation::decode(&want).unwrap(), list);
    let status = |b: &[u8]| FileFullEaInformation::decode(b).unwrap_err().to_status();
    let mut b = want.clone();
    b[0] = 0x14; // offset not the aligned entry size
    assert_eq!(status(&b), NtStatus::EA_LIST_INCONSISTENT);
    let mut b = want.clone();
    b[10] = b'x'; // missing NUL terminator
    assert_eq!(status(&b), NtStatus::EA_LIST_INCONSISTENT);
    let mut b = want.clone();
    b[8] = b'*'; // forbidden character
    assert_eq!(status(&b), NtStatus::INVALID_EA_NAME);
    let mut b = want.clone();
    b[20] = 0x01; // flag other than FILE_NEED_EA
    assert_eq!(status(&b), NtStatus::INVALID_EA_NAME);
    let mut b = want.clone();
    b.extend_from_slice(&[0; 8]); // trailing garbage
    assert_eq!(status(&b), NtStatus::EA_LIST_INCONSISTENT);
    assert_eq!(
        status(&want[..want.len() - 1]),
        NtStatus::EA_LIST_INCONSISTENT
    );
    let mut b = hex("00000000 00 00 0000 00");
    assert_eq!(status(&b), NtStatus::INVALID_EA_NAME); // empty name
    b[0] = 0x0c;
    assert_eq!(status(&b), NtStatus::EA_LIST_INCONSISTENT);
    let get = FileGetEaInformation {
        names: vec![b"AB".to_vec(), b"C".to_vec()],
    };
    let bytes = get.encode();
    assert_eq!(bytes, hex("08000000 02 4142 00 00000000 01 43 00"));
    assert_eq!(FileGetEaInformation::decode(&bytes).unwrap(), get);
}

#[test]
fn ea_sizes_and_fitting() {
    let e = |name: &str, value: &[u8]| EaEntry {
        flags: 0,
        name: name.as_bytes().to_vec(),
        value: value.to_vec(),
    };
    let set = vec![e("EAONE", b"VALUE1"), e("SECONDEA", b"ValueTwo")];
    // Packed: (4 + 5 + 1 + 6) + (4 + 8 + 1 + 8) = 16 + 21.
    assert_eq!(ea_set_size(&set), 37);
    assert_eq!(ea_info_size(&set), 41);
    assert_eq!(ea_info_size(&[]), 0);
    // Wire: 20 (aligned 20) + 25 = 45.
    let (all, n) = encode_ea_entries_within(&set, 1000, false);
    assert_eq!((all.len(), n), (45, 2));
    assert_eq!(
        FileFullEaInformation::decode(&all).unwrap().entries,
        set.clone()
    );
    // One byte short of the second entry: only the first, unchained.
    let (first, n) = encode_ea_entries_within(&set, 44, false);
    assert_eq!((first.len(), n), (20, 1));
    assert_eq!(&first[..4], &[0, 0, 0, 0]);
    // Single entry even with room.
    assert_eq!(encode_ea_entries_within(&set, 1000, true).1, 1);
    // The first does not fit: nothing.
    assert_eq!(encode_ea_entries_within(&set, 19, false), (Vec::new(), 0));
    assert_eq!(encode_ea_entries_within(&[], 100, false), (Vec::new(), 0));
}

proptest! {
    #[test]
    fn ea_fit_never_exceeds_max(
        raw in proptest::collection::vec((1usize..20, 0usize..40), 0..8),
        max in 0usize..300,
        single: bool,
    ) {
        let set: Vec<EaEntry> = raw
            .iter()
            .map(|&(n, v)| EaEntry { flags: 0, name: vec![b'A'; n], value: vec![7; v] })
            .collect();
        let (out, n) = encode_ea_entries_within(&set, max, single);
        prop_assert!(out.len() <= max);
        prop_assert!(n <= set.len());
        if single {
            prop_assert!(n <= 1);
        }
        if n > 0 {
            prop_assert_eq!(FileFullEaInformation::decode(&out).unwrap().entries, set[..n].to_vec());
        }
    }
}

fn sample_entry(name: &str) -> DirEntry {
    DirEntry {
        file_index: 0,
        creation_time: FileTime(10),
        last_access_time: FileTime(11),
        last_write_time: FileTime(12),
        change_time: FileTime(13),
        end_of_file: 100,
        allocation_size: 4096,
        file_attributes: FileAttributes::ARCHIVE,
        ea_size: 0,
        reparse_tag: 0,
        file_id: 77,
        file_id_128: [9; 16],
        short_name: "SHORT~1.TXT".into(),
        file_name: name.into(),
    }
}

const DIR_CLASSES: [FileInfoClass; 7] = [
    FileInfoClass::DIRECTORY,
    FileInfoClass::FULL_DIRECTORY,
    FileInfoClass::BOTH_DIRECTORY,
    FileInfoClass::ID_BOTH_DIRECTORY,
    FileInfoClass::ID_FULL_DIRECTORY,
    FileInfoClass::NAMES,
    FileInfoClass::ID_EXTD_DIRECTORY,
];

#[test]
fn dir_entries_round_trip_every_class() {
    for class in DIR_CLASSES {
        let entries = vec![
            sample_entry("."),
            sample_entry("a long name.txt"),
            sample_entry("z"),
        ];
        let buf = encode_dir_entries(class, &entries).unwrap();
        let back = decode_dir_entries(class, &buf).unwrap();
        assert_eq!(back.len(), 3, "{class:?}");
        for (b, e) in back.iter().zip(&entries) {
            assert_eq!(b.file_name, e.file_name);
            // Re-encoding what decoded gives the same bytes.
        }
        assert_eq!(encode_dir_entries(class, &back).unwrap(), buf, "{class:?}");
        let fixed = dir_entry_fixed_size(class).unwrap();
        let first = u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
        assert_eq!(first, (fixed + 2).next_multiple_of(8), "{class:?}");
    }
    let id_both = decode_dir_entries(
        FileInfoClass::ID_BOTH_DIRECTORY,
        &encode_dir_entries(FileInfoClass::ID_BOTH_DIRECTORY, &[sample_entry("n")]).unwrap(),
    )
    .unwrap();
    assert_eq!(id_both[0].short_name, "SHORT~1.TXT");
    assert_eq!(id_both[0].file_id, 77);
}

#[test]
fn reparse_tag_travels_in_ea_size() {
    let mut e = sample_entry("link");
    e.file_attributes = FileAttributes::REPARSE_POINT;
    e.reparse_tag = 0xA000_000C;
    e.ea_size = 5;
    let buf = encode_dir_entries(FileInfoClass::FULL_DIRECTORY, &[e]).unwrap();
    assert_eq!(&buf[64..68], &0xA000_000Cu32.to_le_bytes());
    let back = decode_dir_entries(FileInfoClass::FULL_DIRECTORY, &buf).unwrap();
    assert_eq!((back[0].reparse_tag, back[0].ea_size), (0xA000_000C, 0));
}

#[test]
fn dir_writer_rules() {
    let c = FileInfoClass::BOTH_DIRECTORY;
    assert_eq!(
        DirEntryWriter::new(c, 93).unwrap_err(),
        NtStatus::INFO_LENGTH_MISMATCH
    );
    assert_eq!(
        DirEntryWriter::new(FileInfoClass::BASIC, 1000).unwrap_err(),
        NtStatus::INVALID_INFO_CLASS
    );
    // Two entries fit exactly: 94 + 2 = 96, then 96 + 94 + 2 = 192.
    let mut w = DirEntryWriter::new(c, 192).unwrap();
    assert!(w.push(&sample_entry("a")));
    assert!(w.push(&sample_entry("b")));
    assert!(!w.push(&sample_entry("c")));
    let (buf, st) = w.finish();
    assert_eq!((buf.len(), st), (192, NtStatus::SUCCESS));
    assert_eq!(&buf[96..100], &[0, 0, 0, 0]); // last NextEntryOffset is 0
    // First entry too big: cut name, STATUS_BUFFER_OVERFLOW, nothing more accepted.
    let mut w = DirEntryWriter::new(c, 99).unwrap();
    assert!(!w.push(&sample_entry("abcdef")));
    assert!(w.is_full());
    assert!(!w.push(&sample_entry("a")));
    let (buf, st) = w.finish();
    assert_eq!((buf.len(), st), (98, NtStatus::BUFFER_OVERFLOW));
    assert_eq!(&buf[60..64], &12u32.to_le_bytes()); // FileNameLength keeps the full length
    // Single-entry mode.
    let mut w = DirEntryWriter::new(c, 4096).unwrap().single_entry(true);
    assert!(w.push(&sample_entry("a")));
    assert!(!w.push(&sample_entry("b")));
    assert_eq!(w.entry_count(), 1);
}

#[test]
fn dir_decoder_rejects_lies() {
    let c = FileInfoClass::DIRECTORY;
    let buf = encode_dir_entries(c, &[sample_entry("ab"), sample_entry("cd")]).unwrap();
    let mut b = buf.clone();
    b[60..64].copy_from_slice(&100u32.to_le_bytes()); // name runs into the next entry
    assert!(decode_dir_entries(c, &b).is_err());
    let mut b = buf.clone();
    b[0..4].copy_from_slice(&68u32.to_le_bytes()); // not a multiple of 8
    assert!(decode_dir_entries(c, &b).is_err());
    let mut b = buf.clone();
    b[0..4].copy_from_slice(&8u32.to_le_bytes()); // points inside the entry
    assert!(decode_dir_entries(c, &b).is_err());
    let mut it = DirEntries::new(c, &buf[..buf.len() - 1]).unwrap();
    assert!(it.next().unwrap().is_ok());
    assert!(it.next().unwrap().is_err());
    assert!(it.next().is_none());
}

#[test]
fn fs_classes_round_trip() {
    let vol = FileFsVolumeInformation {
        volume_creation_time: FileTime(5),
        volume_serial_number: 0xDEAD_BEEF,
        supports_objects: false,
        volume_label: "DATA".into(),
    };
    assert_eq!(
        vol.encode(),
        hex("0500000000000000 efbeadde 08000000 00 00 4400410054004100")
    );
    rt_fs(vol);
    rt_fs(FileFsSizeInformation {
        total_allocation_units: 100,
        available_allocation_units: 50,
        sectors_per_allocation_unit: 8,
        bytes_per_sector: 512,
    });
    rt_fs(FileFsFullSizeInformation {
        total_allocation_units: 100,
        caller_available_allocation_units: 40,
        actual_available_allocation_units: 50,
        sectors_per_allocation_unit: 8,
        bytes_per_sector: 512,
    });
    rt_fs(FileFsDeviceInformation {
        device_type: DeviceType::DISK,
        characteristics: DeviceCharacteristics::DEVICE_IS_MOUNTED,
    });
    let attr = FileFsAttributeInformation {
        file_system_attributes: FsAttributes::CASE_PRESERVED_NAMES
            | FsAttributes::UNICODE_ON_DISK
            | FsAttributes::NAMED_STREAMS,
        maximum_component_name_length: 255,
        file_system_name: "NTFS".into(),
    };
    assert_eq!(
        attr.encode(),
        hex("06000400 ff000000 08000000 4e00540046005300")
    );
    rt_fs(attr);
    rt_fs(FileFsSectorSizeInformation {
        logical_bytes_per_sector: 512,
        physical_bytes_per_sector_for_atomicity: 4096,
        physical_bytes_per_sector_for_performance: 4096,
        fs_effective_physical_bytes_per_sector_for_atomicity: 4096,
        flags: SectorSizeFlags::ALIGNED_DEVICE,
        byte_offset_for_sector_alignment: 0,
        byte_offset_for_partition_alignment: FileFsSectorSizeInformation::UNKNOWN_OFFSET,
    });
    rt_fs(FileFsObjectIdInformation {
        object_id: [3; 16],
        extended_info: [4; 48],
    });
    rt_fs(FileFsControlInformation {
        free_space_start_filtering: 1,
        free_space_threshold: 2,
        free_space_stop_filtering: 3,
        default_quota_threshold: u64::MAX,
        default_quota_limit: u64::MAX,
        file_system_control_flags: FsControlFlags::QUOTA_TRACK,
    });
    assert_eq!(
        format!("{:?}", FsAttributes(0x5)),
        "FsAttributes(CASE_SENSITIVE_SEARCH|UNICODE_ON_DISK)"
    );
}

#[test]
fn notify_vector() {
    let list = vec![
        NotifyEntry {
            action: NotifyAction::RENAMED_OLD_NAME,
            file_name: "a".into(),
        },
        NotifyEntry {
            action: NotifyAction::RENAMED_NEW_NAME,
            file_name: "bc".into(),
        },
    ];
    let want = hex("10000000 04000000 02000000 6100 0000 00000000 05000000 04000000 62006300");
    assert_eq!(encode_notify(&list), want);
    assert_eq!(decode_notify(&want).unwrap(), list);
    let mut unpadded = hex("00000000 01000000 02000000 6100");
    assert_eq!(
        decode_notify(&unpadded).unwrap()[0].action,
        NotifyAction::ADDED
    );
    unpadded.extend_from_slice(&[0; 4]);
    assert!(decode_notify(&unpadded).is_err());
    assert_eq!(format!("{:?}", NotifyAction(0x99)), "NotifyAction(0x99)");
    assert_eq!(list[1].wire_len(), 16);
}

fn decode_everything(data: &[u8]) {
    macro_rules! each {
        ($($t:ty),*) => {$(
            if let Ok(v) = <$t>::decode(data) {
                assert_eq!(<$t>::decode(&v.encode()).unwrap(), v);
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
        FileFsControlInformation
    );
    for class in DIR_CLASSES {
        if let Ok(v) = decode_dir_entries(class, data) {
            let again = decode_dir_entries(class, &encode_dir_entries(class, &v).unwrap()).unwrap();
            assert_eq!(again, v);
        }
    }
    if let Ok(v) = decode_notify(data) {
        assert_eq!(decode_notify(&encode_notify(&v)).unwrap(), v);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn decoders_never_panic_on_random_bytes(data in proptest::collection::vec(any::<u8>(), 0..300)) {
        decode_everything(&data);
    }

    #[test]
    fn decoders_never_panic_on_mutated_valid_buffers(
        idx in any::<prop::sample::Index>(),
        byte in any::<u8>(),
        cut in 0usize..200,
    ) {
        let mut bufs = vec![
            encode_dir_entries(FileInfoClass::ID_BOTH_DIRECTORY, &[sample_entry("abc"), sample_entry("d")]).unwrap(),
            FileStreamInformation { entries: vec![StreamEntry { stream_name: "::$DATA".into(), ..Default::default() }; 2] }.encode(),
            FileFullEaInformation { entries: vec![EaEntry { flags: 0, name: b"N".to_vec(), value: b"v".to_vec() }; 2] }.encode(),
            encode_notify(&vec![NotifyEntry { action: NotifyAction::ADDED, file_name: "x".into() }; 2]),
            FileAllInformation::default().encode(),
        ];
        for b in &mut bufs {
            let i = idx.index(b.len());
            b[i] = byte;
            decode_everything(b);
            let keep = b.len().saturating_sub(cut);
            decode_everything(&b[..keep]);
        }
    }

    #[test]
    fn name_round_trips(name in "\\PC{0,40}") {
        let v = FileNameInformation { file_name: name };
        prop_assert_eq!(FileNameInformation::decode(&v.encode()).unwrap(), v);
    }

    #[test]
    fn dir_writer_never_exceeds_limit(max in 12u32..600, names in proptest::collection::vec("[a-z]{0,30}", 0..20)) {
        for class in DIR_CLASSES {
            let Ok(mut w) = DirEntryWriter::new(class, max) else { continue };
            let mut n = 0;
            for name in &names {
                if w.push(&sample_entry(name)) { n += 1 } else { break }
            }
            let (buf, status) = w.finish();
            prop_assert!(buf.len() <= max as usize);
            if status == NtStatus::SUCCESS {
                prop_assert_eq!(decode_dir_entries(class, &buf).unwrap().len(), n);
            }
        }
    }
}
