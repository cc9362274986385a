//! The rpcecho operations that exist to exercise NDR corners, and their wire layouts
//! (NDR 2.0, little-endian; "top-level `[ref]`" pointers have no referent id on the wire):
//!
//! * **TestCall** (4): in `[ref,string] wchar_t *s1` — a conformant varying string; out
//!   `[ref] [unique,string] wchar_t **s2` — a referent id, then the string. The answer is
//!   the request's string.
//! * **TestCall2** (5): in `uint16 level`; out `[ref,switch_is(level)] echo_Info *info`,
//!   then an NTSTATUS. `echo_Info` is a union with a 16-bit discriminant whose seven arms
//!   are structures of 1-, 2-, 4- and 8-byte alignment ([`EchoInfo`]), so the answer tests
//!   the client's arm alignment. A level outside 1-7 cannot be marshalled: a fault.
//! * **TestEnum** (7): three `[in,out,ref]` parameters, echoed: a 16-bit enum, a
//!   structure of a 16-bit and a 32-bit enum ([`Enum2`]), and a union switched by the
//!   first parameter ([`Enum3`]). Enum values are carried as they come (smbtorture sends
//!   76 in a two-value enum on purpose).
//! * **TestSurrounding** (8): `[in,out,ref] echo_Surrounding *data`, a conformant
//!   structure `{ uint32 x; [size_is(x)] uint16 surrounding[*]; }` — the array's maximum
//!   count comes before the structure. The answer doubles the array: the elements sent,
//!   then as many zeros.
//! * **TestDoublePointer** (9): in `[ref] uint16 ***data` — two unique pointers, then the
//!   value; returns the `uint16` at the end of the chain, or 0 when a pointer is null.

use crate::ndr::{self, Ndr, NdrReader, NdrWriter, WString};
use crate::pdu::FaultStatus;
use crate::server::CallContext;
use crate::{NdrError, ndr_struct, ndr_union};

/// STATUS_SUCCESS, TestCall2's result.
const STATUS_SUCCESS: u32 = 0;

/// TestCall: the string back, behind a unique pointer.
pub fn test_call(stub: &[u8], ctx: &CallContext) -> Result<Vec<u8>, FaultStatus> {
    let s1: WString = ctx.decode(stub)?;
    Ok(ndr::to_bytes(&Some(s1)))
}

ndr_struct! {
    /// echo_info1: one octet.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub struct Info1 {
        /// v.
        pub v: u8,
    }
}

ndr_struct! {
    /// echo_info2.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub struct Info2 {
        /// v.
        pub v: u16,
    }
}

ndr_struct! {
    /// echo_info3.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub struct Info3 {
        /// v.
        pub v: u32,
    }
}

ndr_struct! {
    /// echo_info4: one hyper, 8-aligned.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub struct Info4 {
        /// v.
        pub v: u64,
    }
}

ndr_struct! {
    /// echo_info5: an octet, then a hyper (7 bytes of padding between).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub struct Info5 {
        /// v1.
        pub v1: u8,
        /// v2.
        pub v2: u64,
    }
}

ndr_struct! {
    /// echo_info6: an octet, then an embedded echo_info1.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub struct Info6 {
        /// v1.
        pub v1: u8,
        /// info1.
        pub info1: Info1,
    }
}

ndr_struct! {
    /// echo_info7: an octet, then an embedded echo_info4.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub struct Info7 {
        /// v1.
        pub v1: u8,
        /// info4.
        pub info4: Info4,
    }
}

ndr_union! {
    /// echo_Info: `[switch_type(uint16)]`, one arm per level 1-7.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum EchoInfo: u16 {
        /// Level 1.
        1 => Info1(Info1),
        /// Level 2.
        2 => Info2(Info2),
        /// Level 3.
        3 => Info3(Info3),
        /// Level 4.
        4 => Info4(Info4),
        /// Level 5.
        5 => Info5(Info5),
        /// Level 6.
        6 => Info6(Info6),
        /// Level 7.
        7 => Info7(Info7),
    }
}

impl EchoInfo {
    /// The arm of `level`, each member set to a value derived from the level (level × 10
    /// plus the member's position), so a client can tell the members apart; `None` for a
    /// level that has no arm.
    pub fn for_level(level: u16) -> Option<EchoInfo> {
        let b = u8::try_from(level.saturating_mul(10)).ok()?;
        Some(match level {
            1 => EchoInfo::Info1(Info1 { v: b }),
            2 => EchoInfo::Info2(Info2 { v: b.into() }),
            3 => EchoInfo::Info3(Info3 { v: b.into() }),
            4 => EchoInfo::Info4(Info4 { v: b.into() }),
            5 => EchoInfo::Info5(Info5 {
                v1: b,
                v2: u64::from(b) + 1,
            }),
            6 => EchoInfo::Info6(Info6 {
                v1: b,
                info1: Info1 { v: b + 1 },
            }),
            7 => EchoInfo::Info7(Info7 {
                v1: b,
                info4: Info4 {
                    v: u64::from(b) + 1,
                },
            }),
            _ => return None,
        })
    }
}

/// TestCall2: the arm of the level asked for, then STATUS_SUCCESS.
pub fn test_call2(stub: &[u8], ctx: &CallContext) -> Result<Vec<u8>, FaultStatus> {
    let level: u16 = ctx.decode(stub)?;
    let info = EchoInfo::for_level(level).ok_or(FaultStatus::BAD_STUB_DATA)?;
    Ok(ndr::to_bytes(&(info, STATUS_SUCCESS)))
}

ndr_struct! {
    /// echo_Enum2: a 16-bit enum (`echo_Enum1`) and a 32-bit one (`[v1_enum] echo_Enum1_32`),
    /// carried as raw numbers.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub struct Enum2 {
        /// e1 (16 bits on the wire).
        pub e1: u16,
        /// e2 (32 bits on the wire).
        pub e2: u32,
    }
}

ndr_union! {
    /// echo_Enum3: `[switch_type(uint16)]`, arm 1 (ECHO_ENUM1) an `echo_Enum1`, arm 2
    /// (ECHO_ENUM2) an [`Enum2`].
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Enum3: u16 {
        /// ECHO_ENUM1.
        1 => E1(u16),
        /// ECHO_ENUM2.
        2 => E2(Enum2),
    }
}

impl Enum3 {
    /// The discriminant.
    pub fn level(&self) -> u16 {
        match self {
            Enum3::E1(_) => 1,
            Enum3::E2(_) => 2,
        }
    }
}

/// TestEnum's parameters, in and out alike: foo1, foo2, foo3.
pub type TestEnumParams = (u16, Enum2, Enum3);

/// TestEnum: the three values back. The union's discriminant must be `*foo1`
/// (`switch_is(*foo1)`).
pub fn test_enum(stub: &[u8], ctx: &CallContext) -> Result<Vec<u8>, FaultStatus> {
    let params: TestEnumParams = ctx.decode(stub)?;
    if params.2.level() != params.0 {
        return Err(FaultStatus::BAD_STUB_DATA);
    }
    Ok(ndr::to_bytes(&params))
}

/// echo_Surrounding, a conformant structure: `x` is the array's length.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Surrounding {
    /// `surrounding[x]`.
    pub surrounding: Vec<u16>,
}

impl Ndr for Surrounding {
    const ALIGN: usize = 4;
    const MIN_SIZE: usize = 8;

    fn encode_flat(&self, w: &mut NdrWriter) {
        let x = crate::interfaces::vec_len(self.surrounding.len());
        w.u32(x); // conformance: the maximum count, before the structure
        w.u32(x);
        for v in &self.surrounding {
            w.u16(*v);
        }
    }

    fn decode_flat(r: &mut NdrReader<'_>) -> Result<Surrounding, NdrError> {
        let max = r.u32()?;
        let x = r.u32()?;
        if max != x {
            return Err(NdrError::CountMismatch("size_is(x) differs from x"));
        }
        let n = r.check_count(max, 2)?;
        let mut surrounding = Vec::with_capacity(n);
        for _ in 0..n {
            surrounding.push(r.u16()?);
        }
        Ok(Surrounding { surrounding })
    }
}

/// TestSurrounding: the array doubled (the elements sent, then as many zeros).
pub fn test_surrounding(stub: &[u8], ctx: &CallContext) -> Result<Vec<u8>, FaultStatus> {
    let mut data: Surrounding = ctx.decode(stub)?;
    let n = data.surrounding.len();
    if u32::try_from(n.saturating_mul(2)).is_err() {
        return Err(FaultStatus::BAD_STUB_DATA);
    }
    data.surrounding.resize(n * 2, 0);
    Ok(ndr::to_bytes(&data))
}

/// TestDoublePointer's `[in] uint16 ***data` after its top-level `[ref]`.
pub type DoublePointer = Option<Option<u16>>;

/// TestDoublePointer: the value at the end of the chain, 0 when a link is null.
pub fn test_double_pointer(stub: &[u8], ctx: &CallContext) -> Result<Vec<u8>, FaultStatus> {
    let data: DoublePointer = ctx.decode(stub)?;
    Ok(ndr::to_bytes(&data.flatten().unwrap_or(0)))
}
