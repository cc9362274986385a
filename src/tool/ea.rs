//! `getea`, `setea` and `create --ea`: extended attributes as `NAME=VALUE` text.
//!
//! A value is written as text (`user.Author=Ann`); an empty one (`NAME=`) deletes the EA
//! in a set. Values print as quoted text when they are printable ASCII, else as hex
//! (`0x00ff`); a flagged EA (FILE_NEED_EA) is marked `(need)`.

use lwio_core::irp::{IrpRequest, QueryEaRequest};
use lwio_core::{FileHandle, FileInfoClass, NtStatus, block_on};
use lwio_fscc::{EaEntry, FILE_NEED_EA, FileFullEaInformation, FileGetEaInformation};

use super::error::ToolError;

/// The output buffer of an EA query: the largest EA set there is.
const EA_QUERY_LENGTH: u32 = 64 * 1024;

/// Parses `NAME=VALUE` specs into FILE_FULL_EA_INFORMATION entries (flagged FILE_NEED_EA
/// with `need`), checking names as MS-FSCC 2.4.15 does.
pub(crate) fn parse_specs(specs: &[String], need: bool) -> Result<Vec<EaEntry>, ToolError> {
    specs
        .iter()
        .map(|spec| {
            let (name, value) = spec
                .split_once('=')
                .ok_or_else(|| ToolError::Usage(format!("EA {spec:?}: expected NAME=VALUE")))?;
            lwio_fscc::validate_ea_name(name.as_bytes())
                .map_err(|_| ToolError::Usage(format!("EA {spec:?}: invalid EA name")))?;
            if value.len() > usize::from(u16::MAX) {
                return Err(ToolError::Usage(format!(
                    "EA {name}: value longer than 65535 bytes"
                )));
            }
            Ok(EaEntry {
                flags: if need { FILE_NEED_EA } else { 0 },
                name: name.as_bytes().to_vec(),
                value: value.as_bytes().to_vec(),
            })
        })
        .collect()
}

/// The EA buffer of a create, `None` without specs.
pub(crate) fn create_buffer(specs: &[String]) -> Result<Option<Vec<u8>>, ToolError> {
    if specs.is_empty() {
        return Ok(None);
    }
    let entries = parse_specs(specs, false)?;
    Ok(Some(FileFullEaInformation { entries }.encode()))
}

/// One output line: `NAME = "text"`, `NAME = 0x..`, or `NAME = (none)` for a name that a
/// list query asked for and the file does not have.
pub(crate) fn entry_line(e: &EaEntry) -> String {
    let name = String::from_utf8_lossy(&e.name);
    let value = if e.value.is_empty() {
        "(none)".to_owned()
    } else if e.value.iter().all(|b| (0x20..0x7f).contains(b)) {
        format!("{:?}", String::from_utf8_lossy(&e.value))
    } else {
        let hex: String = e.value.iter().map(|b| format!("{b:02x}")).collect();
        format!("0x{hex}")
    };
    let need = if e.flags & FILE_NEED_EA != 0 {
        " (need)"
    } else {
        ""
    };
    format!("{name} = {value}{need}")
}

/// What `getea` asks for.
pub(crate) struct GetEa<'a> {
    pub(crate) names: &'a [String],
    pub(crate) index: Option<u32>,
    pub(crate) single: bool,
    pub(crate) next: bool,
}

/// Runs the query of `getea` on `file` and returns the entries. Without names, index or
/// `single`, the whole set: a restarted scan continued while STATUS_BUFFER_OVERFLOW says
/// more are left.
pub(crate) fn get(file: &FileHandle, ask: &GetEa<'_>) -> Result<Vec<EaEntry>, NtStatus> {
    let ea_list = if ask.names.is_empty() {
        Vec::new()
    } else {
        FileGetEaInformation {
            names: ask.names.iter().map(|n| n.as_bytes().to_vec()).collect(),
        }
        .encode()
    };
    let mut request = QueryEaRequest {
        length: EA_QUERY_LENGTH,
        ea_list: ea_list.into(),
        index: ask.index,
        restart_scan: !ask.next && ask.index.is_none(),
        single_entry: ask.single,
    };
    let mut all = Vec::new();
    loop {
        let result = block_on(file.call(IrpRequest::QueryEa(request.clone())));
        // STATUS_NO_MORE_EAS is a warning with no data: a failure of the query here.
        if result.status != NtStatus::SUCCESS && result.status != NtStatus::BUFFER_OVERFLOW {
            return Err(result.status);
        }
        let list = FileFullEaInformation::decode(&result.output)
            .map_err(|_| NtStatus::EA_CORRUPT_ERROR)?;
        let got = list.entries.len();
        all.extend(list.entries);
        let more = result.status == NtStatus::BUFFER_OVERFLOW;
        if !more || !ask.names.is_empty() || got == 0 {
            return Ok(all);
        }
        request.restart_scan = false;
        request.index = None;
    }
}

/// Runs the set of `setea` on `file`.
pub(crate) fn set(file: &FileHandle, entries: Vec<EaEntry>) -> Result<(), NtStatus> {
    let data = FileFullEaInformation { entries }.encode();
    block_on(file.set_information(FileInfoClass::FULL_EA, data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_and_print() {
        let specs = vec!["Author=Ann".to_owned(), "Gone=".to_owned()];
        let e = parse_specs(&specs, false).unwrap();
        assert_eq!(e[0].name, b"Author");
        assert_eq!(e[0].value, b"Ann");
        assert!(e[1].value.is_empty());
        assert_eq!(entry_line(&e[0]), "Author = \"Ann\"");
        assert_eq!(entry_line(&e[1]), "Gone = (none)");
        let need = parse_specs(&["B=\u{1}".to_owned()], true).unwrap();
        assert_eq!(entry_line(&need[0]), "B = 0x01 (need)");
        assert!(parse_specs(&["novalue".to_owned()], false).is_err());
        assert!(parse_specs(&["bad*name=1".to_owned()], false).is_err());
        assert!(parse_specs(&["=1".to_owned()], false).is_err());
        assert_eq!(create_buffer(&[]).unwrap(), None);
        let buf = create_buffer(&specs).unwrap().unwrap();
        assert_eq!(FileFullEaInformation::decode(&buf).unwrap().entries, e);
    }

    /// A script over PVFS: create with EAs, set, delete, enumerate step by step, and the
    /// statuses Windows answers.
    #[test]
    fn script_over_pvfs() {
        let dir = tempfile::tempdir().unwrap();
        let io = lwio_core::IoManager::new();
        lwio_pvfs::mount(&io, "share", dir.path(), lwio_pvfs::PvfsConfig::default()).unwrap();
        let script = "\
create f.txt --ea Author=Ann --ea Kind=note --disposition create
getea f.txt
setea f.txt Author= Extra=1
getea f.txt kind missing
open h f.txt --access read-ea
getea h --single
getea h --single --next
getea h --index 2
! getea h --single --next STATUS_NO_MORE_EAS
! setea h X=1 STATUS_ACCESS_DENIED
close h
setea f.txt Kind= Extra=
! getea f.txt STATUS_NO_EAS_ON_FILE
setea f.txt Flag=1 --need
! open g f.txt --options no-ea-knowledge STATUS_ACCESS_DENIED
";
        let mut out = Vec::new();
        let token = std::sync::Arc::new(lwio_core::AccessToken::system());
        let result = super::super::run_script(&io, "share", token, script, &mut out);
        let out = String::from_utf8(out).unwrap();
        assert!(result.is_ok(), "{result:?}\n{out}");
        let want = [
            "> getea f.txt\nAUTHOR = \"Ann\"\nKIND = \"note\"\n",
            "> getea f.txt kind missing\nKIND = \"note\"\nmissing = (none)\n",
            "> getea h --single\nKIND = \"note\"\n",
            "> getea h --single --next\nEXTRA = \"1\"\n",
            "> getea h --index 2\nEXTRA = \"1\"\n",
        ];
        for w in want {
            assert!(out.contains(w), "missing {w:?} in\n{out}");
        }
    }
}
