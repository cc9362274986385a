//! The rpcecho test interface (`60a15ec5-4de8-11d7-a637-005056a20182` v1.0, endpoint
//! `\pipe\rpcecho`), the interface Samba's `smbtorture rpc.echo` exercises.
//!
//! | opnum | operation | in | out |
//! |---|---|---|---|
//! | 0 | AddOne | `uint32 in_data` | `uint32 *out_data` = in + 1 |
//! | 1 | EchoData | `uint32 len`, `[size_is(len)] uint8 in_data[]` | `[size_is(len)] uint8 out_data[]` |
//! | 2 | SinkData | `uint32 len`, `[size_is(len)] uint8 data[]` | nothing |
//! | 3 | SourceData | `uint32 len` | `[size_is(len)] uint8 data[]`, byte i = i mod 256 |
//! | 4 | TestCall | `[string] wchar_t *s1` | `[string] wchar_t **s2` = a copy of `s1` |
//! | 5 | TestCall2 | `uint16 level` | `[switch_is(level)] echo_Info *info`, NTSTATUS |
//! | 6 | TestSleep | `uint32 seconds` | returns `seconds`, after sleeping (asynchronously) |
//! | 7 | TestEnum | three enums / unions, `[in,out,ref]` | the same values back |
//! | 8 | TestSurrounding | `echo_Surrounding *data` (conformant structure) | the array twice as long |
//! | 9 | TestDoublePointer | `uint16 ***data` | returns `***data` (0 when a pointer is null) |
//!
//! Opnums 4, 5 and 7-9 exist to exercise NDR corners (strings behind two pointers,
//! union arms of every alignment, 16- and 32-bit enums, conformant structures, pointer
//! chains); their stubs are in [`corners`]. Other opnums fault with
//! `nca_s_op_rng_error`.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use parking_lot::Mutex;

use crate::ndr::{NdrReader, NdrWriter};
use crate::pdu::FaultStatus;
use crate::server::{CallContext, CallOutcome, Interface};
use crate::{NdrError, SyntaxId, Uuid};

/// The rpcecho interface identifier, version 1.0.
pub const RPCECHO_SYNTAX: SyntaxId = SyntaxId::new(
    Uuid::from_fields(
        0x60a1_5ec5,
        0x4de8,
        0x11d7,
        [0xa6, 0x37, 0x00, 0x50, 0x56, 0xa2, 0x01, 0x82],
    ),
    1,
    0,
);

/// The pipe name of rpcecho.
pub const RPCECHO_PIPE: &str = "rpcecho";

/// Opnums of rpcecho.
pub mod opnum {
    /// echo_AddOne.
    pub const ADD_ONE: u16 = 0;
    /// echo_EchoData.
    pub const ECHO_DATA: u16 = 1;
    /// echo_SinkData.
    pub const SINK_DATA: u16 = 2;
    /// echo_SourceData.
    pub const SOURCE_DATA: u16 = 3;
    /// echo_TestCall.
    pub const TEST_CALL: u16 = 4;
    /// echo_TestCall2.
    pub const TEST_CALL2: u16 = 5;
    /// echo_TestSleep.
    pub const TEST_SLEEP: u16 = 6;
    /// echo_TestEnum.
    pub const TEST_ENUM: u16 = 7;
    /// echo_TestSurrounding.
    pub const TEST_SURROUNDING: u16 = 8;
    /// echo_TestDoublePointer.
    pub const TEST_DOUBLE_POINTER: u16 = 9;
}

pub mod corners;

/// The largest SourceData answer served: 16 MiB.
pub const MAX_SOURCE_LEN: u32 = 16 << 20;

/// The rpcecho server.
#[derive(Debug, Default, Clone)]
pub struct EchoInterface {
    /// The unit of TestSleep (one second normally; tests shorten it).
    pub sleep_unit: Option<Duration>,
}

impl EchoInterface {
    /// An echo server whose TestSleep sleeps in seconds.
    pub fn new() -> EchoInterface {
        EchoInterface::default()
    }
}

/// Reads `uint32 len` then `[size_is(len)] uint8 data[]` (a conformant byte array whose
/// maximum count must equal `len`).
fn read_sized_bytes<'a>(r: &mut NdrReader<'a>) -> Result<&'a [u8], NdrError> {
    let len = r.u32()?;
    let max = r.u32()?;
    if max != len {
        return Err(NdrError::CountMismatch("size_is(len) differs from len"));
    }
    let n = r.check_count(max, 1)?;
    r.bytes(n)
}

fn write_bytes_array(data: &[u8]) -> Vec<u8> {
    let mut w = NdrWriter::new();
    w.u32(crate::interfaces::vec_len(data.len()));
    w.bytes(data);
    w.into_bytes()
}

fn echo_data(stub: &[u8], ctx: &CallContext) -> Result<Vec<u8>, FaultStatus> {
    let mut r = ctx.reader(stub).with_max_elements(usize::MAX);
    let data = read_sized_bytes(&mut r)?;
    r.finish()?;
    Ok(write_bytes_array(data))
}

impl Interface for EchoInterface {
    fn syntax(&self) -> SyntaxId {
        RPCECHO_SYNTAX
    }

    fn name(&self) -> &str {
        "rpcecho"
    }

    fn reads_big_endian(&self) -> bool {
        true
    }

    fn call(&self, op: u16, stub: &[u8], ctx: &CallContext) -> CallOutcome {
        let result = match op {
            opnum::ADD_ONE => (|| {
                let mut r = ctx.reader(stub);
                let v = r.u32()?;
                r.finish()?;
                Ok(v.wrapping_add(1).to_le_bytes().to_vec())
            })(),
            opnum::ECHO_DATA => echo_data(stub, ctx),
            opnum::SINK_DATA => (|| {
                let mut r = ctx.reader(stub).with_max_elements(usize::MAX);
                read_sized_bytes(&mut r)?;
                r.finish()?;
                Ok(Vec::new())
            })(),
            opnum::SOURCE_DATA => (|| {
                let mut r = ctx.reader(stub);
                let len = r.u32()?;
                r.finish()?;
                if len > MAX_SOURCE_LEN {
                    return Err(FaultStatus::BAD_STUB_DATA);
                }
                let data: Vec<u8> = (0..len).map(|i| (i & 0xFF) as u8).collect();
                Ok(write_bytes_array(&data))
            })(),
            opnum::TEST_SLEEP => {
                let mut r = ctx.reader(stub);
                let seconds = match r.u32().and_then(|s| r.finish().map(|_| s)) {
                    Ok(s) => s,
                    Err(e) => return CallOutcome::Ready(Err(e.into())),
                };
                let unit = self.sleep_unit.unwrap_or(Duration::from_secs(1));
                let delay = sleep(unit.saturating_mul(seconds));
                return CallOutcome::Pending(Box::pin(async move {
                    delay.await;
                    Ok(seconds.to_le_bytes().to_vec())
                }));
            }
            opnum::TEST_CALL => corners::test_call(stub, ctx),
            opnum::TEST_CALL2 => corners::test_call2(stub, ctx),
            opnum::TEST_ENUM => corners::test_enum(stub, ctx),
            opnum::TEST_SURROUNDING => corners::test_surrounding(stub, ctx),
            opnum::TEST_DOUBLE_POINTER => corners::test_double_pointer(stub, ctx),
            _ => Err(FaultStatus::OP_RNG_ERROR),
        };
        CallOutcome::Ready(result)
    }
}

#[derive(Default)]
struct SleepState {
    done: bool,
    waker: Option<Waker>,
}

/// A runtime-agnostic sleep: a helper thread fills the slot and wakes the poller.
struct Sleep(Arc<Mutex<SleepState>>);

fn sleep(d: Duration) -> Sleep {
    let state = Arc::new(Mutex::new(SleepState::default()));
    let shared = Arc::clone(&state);
    let spawned = std::thread::Builder::new()
        .name("rpcecho-sleep".into())
        .spawn(move || {
            std::thread::sleep(d);
            let waker = {
                let mut s = shared.lock();
                s.done = true;
                s.waker.take()
            };
            if let Some(w) = waker {
                w.wake();
            }
        });
    if spawned.is_err() {
        state.lock().done = true;
    }
    Sleep(state)
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut s = self.0.lock();
        if s.done {
            Poll::Ready(())
        } else {
            s.waker = Some(cx.waker().clone());
            Poll::Pending
        }
    }
}

/// Client-side encoders and decoders of the rpcecho stubs.
pub mod stubs {
    use super::*;

    /// AddOne request.
    pub fn add_one(v: u32) -> Vec<u8> {
        v.to_le_bytes().to_vec()
    }

    /// EchoData or SinkData request: `len`, then the conformant array.
    pub fn sized_data(data: &[u8]) -> Vec<u8> {
        let mut w = NdrWriter::new();
        w.u32(crate::interfaces::vec_len(data.len()));
        w.u32(crate::interfaces::vec_len(data.len()));
        w.bytes(data);
        w.into_bytes()
    }

    /// A `uint32` request (SourceData `len`, TestSleep `seconds`).
    pub fn u32_request(v: u32) -> Vec<u8> {
        v.to_le_bytes().to_vec()
    }

    /// Decodes a `uint32` answer (AddOne, TestSleep).
    pub fn u32_answer(stub: &[u8]) -> Result<u32, NdrError> {
        let mut r = NdrReader::new(stub);
        let v = r.u32()?;
        r.finish()?;
        Ok(v)
    }

    /// Decodes a conformant byte array answer (EchoData, SourceData).
    pub fn bytes_answer(stub: &[u8]) -> Result<Vec<u8>, NdrError> {
        let mut r = NdrReader::new(stub).with_max_elements(usize::MAX);
        let n = r.u32()?;
        let n = r.check_count(n, 1)?;
        let data = r.bytes(n)?.to_vec();
        r.finish()?;
        Ok(data)
    }
}
