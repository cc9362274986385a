//! Decodes arbitrary bytes as a self-relative security descriptor; whatever decodes must
//! re-encode and decode to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lwio_core::security::SecurityDescriptor;

fuzz_target!(|data: &[u8]| {
    if let Ok(sd) = SecurityDescriptor::decode(data) {
        let bytes = sd.encode();
        let again = SecurityDescriptor::decode(&bytes).expect("re-encoded descriptor decodes");
        assert_eq!(sd, again);
    }
});
