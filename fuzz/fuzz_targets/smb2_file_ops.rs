//! Feeds arbitrary bytes to every lwio-smb2 decoder of the file operations (READ, WRITE, LOCK, IOCTL and its
//! payloads, QUERY_DIRECTORY, CHANGE_NOTIFY, QUERY_INFO, SET_INFO, OPLOCK_BREAK,
//! TRANSFORM_HEADER), both as a bare buffer and after a 64-byte header. Whatever decodes
//! must re-encode and decode to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lwio_smb2::ioctl::{
    CopyChunkCopy, CopyChunkResponse, DfsReferralRequest, NetworkInterfaceInfo, ResumeKeyResponse,
    ValidateNegotiateInfoRequest, ValidateNegotiateInfoResponse,
};
use lwio_smb2::*;

/// Decodes `msg` as every SMB2 body of part B and checks the re-encoded value.
fn messages(msg: &[u8]) {
    macro_rules! each {
        ($($t:ty),* $(,)?) => {$(
            if let Ok(v) = <$t>::decode(msg) {
                let mut out = vec![0u8; HEADER_LEN];
                v.encode(&mut out);
                let again = <$t>::decode(&out).expect("re-encoded message decodes");
                assert_eq!(again, v);
            }
        )*};
    }
    each!(
        ReadRequest,
        ReadResponse,
        WriteResponse,
        LockRequest,
        LockResponse,
        IoctlRequest,
        IoctlResponse,
        QueryDirectoryRequest,
        QueryDirectoryResponse,
        ChangeNotifyRequest,
        ChangeNotifyResponse,
        QueryInfoRequest,
        QueryInfoResponse,
        SetInfoRequest,
        SetInfoResponse,
        OplockBreakMessage,
    );
    if let Ok(w) = WriteRequest::decode(msg) {
        let mut out = vec![0u8; HEADER_LEN];
        w.encode(&mut out);
        assert_eq!(
            WriteRequest::decode(&out).expect("re-encoded write decodes"),
            w
        );
    }
    if let Ok(l) = LockRequest::decode(msg) {
        let _ = l.validate();
    }
}

/// Decodes `buf` as every IOCTL payload and the transform header.
fn payloads(buf: &[u8]) {
    macro_rules! each {
        ($($t:ty),* $(,)?) => {$(
            if let Ok(v) = <$t>::decode(buf) {
                let mut out = Vec::new();
                v.encode(&mut out);
                assert_eq!(<$t>::decode(&out).expect("re-encoded payload decodes"), v);
            }
        )*};
    }
    each!(
        ValidateNegotiateInfoRequest,
        ValidateNegotiateInfoResponse,
        ResumeKeyResponse,
        CopyChunkCopy,
        CopyChunkResponse,
        DfsReferralRequest,
    );
    let _ = DfsReferralRequest::decode_ex(buf);
    if let Ok(list) = NetworkInterfaceInfo::decode_list(buf) {
        let mut out = Vec::new();
        NetworkInterfaceInfo::encode_list(&list, &mut out);
        assert_eq!(
            NetworkInterfaceInfo::decode_list(&out).expect("interfaces"),
            list
        );
    }
    if let Ok((h, body)) = TransformHeader::split(buf) {
        assert_eq!(body.len(), h.original_message_size as usize);
        assert_eq!(
            TransformHeader::decode(&h.to_bytes()).expect("transform"),
            h
        );
    }
    let _ = lwio_smb2::transform::aad_of(buf);
}

fuzz_target!(|data: &[u8]| {
    messages(data);
    let mut msg = vec![0u8; HEADER_LEN];
    msg.extend_from_slice(data);
    messages(&msg);
    payloads(data);
});
