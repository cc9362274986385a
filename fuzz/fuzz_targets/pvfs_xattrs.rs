//! PVFS's stored extended attributes (`user.lwio.dos`, `<ns>.lwio.sd`, `user.lwio.ea`,
//! `user.lwio.objid`): a
//! local user who may write a file may write these too, so PVFS parses them as hostile.
//! Whatever decodes must re-encode to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    lwio_pvfs::fuzzing::dos_info(data);
    lwio_pvfs::fuzzing::stored_sd(data);
    lwio_pvfs::fuzzing::ea_set(data);
    lwio_pvfs::fuzzing::object_id(data);
});
