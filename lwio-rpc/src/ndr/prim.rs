//! NDR primitives, arrays and pointers (C706 14.2 primitive types; 14.3.3 fixed,
//! 14.3.3.2 conformant, 14.3.3.3 varying, 14.3.3.4 conformant varying arrays; 14.3.10-12
//! pointers).

use std::any::Any;
use std::sync::Arc;

use super::{Ndr, NdrReader, NdrWriter};
use crate::{NdrError, Uuid};

macro_rules! primitive {
    ($t:ty, $size:expr, |$w:ident, $v:ident| $enc:expr, |$r:ident| $dec:expr) => {
        impl Ndr for $t {
            const ALIGN: usize = $size;
            const MIN_SIZE: usize = $size;
            fn encode_flat(&self, $w: &mut NdrWriter) {
                let $v = *self;
                $enc;
            }
            fn decode_flat($r: &mut NdrReader<'_>) -> Result<Self, NdrError> {
                $dec
            }
        }
    };
}

primitive!(u8, 1, |w, v| w.u8(v), |r| r.u8());
primitive!(i8, 1, |w, v| w.u8(v as u8), |r| Ok(r.u8()? as i8));
primitive!(u16, 2, |w, v| w.u16(v), |r| r.u16());
primitive!(i16, 2, |w, v| w.u16(v as u16), |r| Ok(r.u16()? as i16));
primitive!(u32, 4, |w, v| w.u32(v), |r| r.u32());
primitive!(i32, 4, |w, v| w.u32(v as u32), |r| Ok(r.u32()? as i32));
primitive!(u64, 8, |w, v| w.u64(v), |r| r.u64());
primitive!(i64, 8, |w, v| w.u64(v as u64), |r| Ok(r.u64()? as i64));
// NDR boolean: one octet, zero is false and anything else true (C706 14.2.2).
primitive!(bool, 1, |w, v| w.u8(u8::from(v)), |r| Ok(r.u8()? != 0));

/// Nothing: the arm of a union that carries no data.
impl Ndr for () {
    const MIN_SIZE: usize = 0;
    fn encode_flat(&self, _: &mut NdrWriter) {}
    fn decode_flat(_: &mut NdrReader<'_>) -> Result<(), NdrError> {
        Ok(())
    }
}

/// GUID: `{ u32, u16, u16, u8[8] }`, 4-aligned (MS-DTYP 2.3.4.2).
impl Ndr for Uuid {
    const ALIGN: usize = 4;
    const MIN_SIZE: usize = 16;
    fn encode_flat(&self, w: &mut NdrWriter) {
        w.u32(self.data1);
        w.u16(self.data2);
        w.u16(self.data3);
        w.bytes(&self.data4);
    }
    fn decode_flat(r: &mut NdrReader<'_>) -> Result<Uuid, NdrError> {
        let data1 = r.u32()?;
        let data2 = r.u16()?;
        let data3 = r.u16()?;
        let mut data4 = [0u8; 8];
        data4.copy_from_slice(r.bytes(8)?);
        Ok(Uuid::from_fields(data1, data2, data3, data4))
    }
}

/// A boxed value is its content (for recursive structures).
impl<T: Ndr> Ndr for Box<T> {
    const ALIGN: usize = T::ALIGN;
    const MIN_SIZE: usize = T::MIN_SIZE;
    fn encode_flat(&self, w: &mut NdrWriter) {
        (**self).encode_flat(w);
    }
    fn encode_deferred(&self, w: &mut NdrWriter) {
        (**self).encode_deferred(w);
    }
    fn decode_flat(r: &mut NdrReader<'_>) -> Result<Box<T>, NdrError> {
        T::decode_flat(r).map(Box::new)
    }
    fn decode_deferred(&mut self, r: &mut NdrReader<'_>) -> Result<(), NdrError> {
        (**self).decode_deferred(r)
    }
}

/// Fixed array `T x[N]`: the elements, no counts.
impl<T: Ndr, const N: usize> Ndr for [T; N] {
    const ALIGN: usize = T::ALIGN;
    const MIN_SIZE: usize = N * T::MIN_SIZE;
    fn encode_flat(&self, w: &mut NdrWriter) {
        w.align(T::ALIGN);
        for e in self {
            e.encode_flat(w);
        }
    }
    fn encode_deferred(&self, w: &mut NdrWriter) {
        for e in self {
            e.encode_deferred(w);
        }
    }
    fn decode_flat(r: &mut NdrReader<'_>) -> Result<[T; N], NdrError> {
        r.align(T::ALIGN)?;
        let mut v = Vec::with_capacity(N);
        for _ in 0..N {
            v.push(T::decode_flat(r)?);
        }
        v.try_into()
            .map_err(|_| NdrError::Invalid("fixed array length"))
    }
    fn decode_deferred(&mut self, r: &mut NdrReader<'_>) -> Result<(), NdrError> {
        for e in self.iter_mut() {
            e.decode_deferred(r)?;
        }
        Ok(())
    }
}

fn count_u32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

fn decode_elements<T: Ndr>(r: &mut NdrReader<'_>, count: u32) -> Result<Vec<T>, NdrError> {
    let n = r.check_count(count, T::MIN_SIZE)?;
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        v.push(T::decode_flat(r)?);
    }
    Ok(v)
}

fn decode_elements_deferred<T: Ndr>(
    items: &mut [T],
    r: &mut NdrReader<'_>,
) -> Result<(), NdrError> {
    for e in items {
        e.decode_deferred(r)?;
    }
    Ok(())
}

/// Conformant array `[size_is(n)] T x[]`: maximum count (u32), then the elements. Used as a
/// pointee (`Option<Vec<T>>` for `[size_is(n)] T*`).
impl<T: Ndr> Ndr for Vec<T> {
    const ALIGN: usize = super::max_align(&[4, T::ALIGN]);
    const MIN_SIZE: usize = 4;
    fn encode_flat(&self, w: &mut NdrWriter) {
        w.u32(count_u32(self.len()));
        for e in self {
            e.encode_flat(w);
        }
    }
    fn encode_deferred(&self, w: &mut NdrWriter) {
        for e in self {
            e.encode_deferred(w);
        }
    }
    fn decode_flat(r: &mut NdrReader<'_>) -> Result<Vec<T>, NdrError> {
        let count = r.u32()?;
        decode_elements(r, count)
    }
    fn decode_deferred(&mut self, r: &mut NdrReader<'_>) -> Result<(), NdrError> {
        decode_elements_deferred(self, r)
    }
}

/// Conformant varying array `[size_is(m), length_is(n)] T x[]`: maximum count, offset,
/// actual count, then the actual elements. The offset must be zero (as every Windows
/// interface sends); the actual count may not exceed the maximum.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConfVarArray<T> {
    /// The maximum count (the buffer's capacity in elements); at least `items.len()` is
    /// written.
    pub max_count: u32,
    /// The transmitted elements.
    pub items: Vec<T>,
}

impl<T> ConfVarArray<T> {
    /// An array whose maximum count equals its length.
    pub fn new(items: Vec<T>) -> ConfVarArray<T> {
        ConfVarArray {
            max_count: count_u32(items.len()),
            items,
        }
    }
}

/// Reads the offset and actual count of a varying array and checks them against `max`.
fn varying_counts(r: &mut NdrReader<'_>, max: u32) -> Result<u32, NdrError> {
    let offset = r.u32()?;
    let actual = r.u32()?;
    if offset != 0 {
        return Err(NdrError::BadOffset(offset));
    }
    if actual > max {
        return Err(NdrError::ActualExceedsMax {
            offset,
            actual,
            max,
        });
    }
    Ok(actual)
}

impl<T: Ndr> Ndr for ConfVarArray<T> {
    const ALIGN: usize = super::max_align(&[4, T::ALIGN]);
    const MIN_SIZE: usize = 12;
    fn encode_flat(&self, w: &mut NdrWriter) {
        let actual = count_u32(self.items.len());
        w.u32(self.max_count.max(actual));
        w.u32(0);
        w.u32(actual);
        for e in &self.items {
            e.encode_flat(w);
        }
    }
    fn encode_deferred(&self, w: &mut NdrWriter) {
        for e in &self.items {
            e.encode_deferred(w);
        }
    }
    fn decode_flat(r: &mut NdrReader<'_>) -> Result<ConfVarArray<T>, NdrError> {
        let max_count = r.u32()?;
        let actual = varying_counts(r, max_count)?;
        let items = decode_elements(r, actual)?;
        Ok(ConfVarArray { max_count, items })
    }
    fn decode_deferred(&mut self, r: &mut NdrReader<'_>) -> Result<(), NdrError> {
        decode_elements_deferred(&mut self.items, r)
    }
}

/// Varying array `[length_is(n)] T x[MAX]`: offset, actual count (at most `MAX`), then the
/// elements. The offset must be zero.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VaryingArray<T, const MAX: usize> {
    /// The transmitted elements (at most `MAX`; more are not a valid value).
    pub items: Vec<T>,
}

impl<T: Ndr, const MAX: usize> Ndr for VaryingArray<T, MAX> {
    const ALIGN: usize = super::max_align(&[4, T::ALIGN]);
    const MIN_SIZE: usize = 8;
    fn encode_flat(&self, w: &mut NdrWriter) {
        w.u32(0);
        w.u32(count_u32(self.items.len()));
        for e in &self.items {
            e.encode_flat(w);
        }
    }
    fn encode_deferred(&self, w: &mut NdrWriter) {
        for e in &self.items {
            e.encode_deferred(w);
        }
    }
    fn decode_flat(r: &mut NdrReader<'_>) -> Result<VaryingArray<T, MAX>, NdrError> {
        let actual = varying_counts(r, count_u32(MAX))?;
        Ok(VaryingArray {
            items: decode_elements(r, actual)?,
        })
    }
    fn decode_deferred(&mut self, r: &mut NdrReader<'_>) -> Result<(), NdrError> {
        decode_elements_deferred(&mut self.items, r)
    }
}

/// `[unique] T*`: a referent id (0 for null) in the flat part, the pointee deferred.
impl<T: Ndr> Ndr for Option<T> {
    const ALIGN: usize = 4;
    const MIN_SIZE: usize = 4;
    fn encode_flat(&self, w: &mut NdrWriter) {
        w.referent(self.is_some());
    }
    fn encode_deferred(&self, w: &mut NdrWriter) {
        if let Some(v) = self {
            v.encode(w);
        }
    }
    fn decode_flat(r: &mut NdrReader<'_>) -> Result<Option<T>, NdrError> {
        let id = r.u32()?;
        r.defer(id)?;
        Ok(None)
    }
    fn decode_deferred(&mut self, r: &mut NdrReader<'_>) -> Result<(), NdrError> {
        if r.take_deferred()? != 0 {
            *self = Some(T::decode(r)?);
        }
        Ok(())
    }
}

/// An embedded `[ref] T*`: a non-null referent id, the pointee deferred. (A top-level
/// `[ref]` parameter has no referent id at all: marshal the `T` itself.) Decoding starts
/// from `T::default()` as the placeholder.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ref<T>(pub T);

impl<T: Ndr + Default> Ndr for Ref<T> {
    const ALIGN: usize = 4;
    const MIN_SIZE: usize = 4;
    fn encode_flat(&self, w: &mut NdrWriter) {
        w.referent(true);
    }
    fn encode_deferred(&self, w: &mut NdrWriter) {
        self.0.encode(w);
    }
    fn decode_flat(r: &mut NdrReader<'_>) -> Result<Ref<T>, NdrError> {
        let id = r.u32()?;
        if id == 0 {
            return Err(NdrError::NullRefPointer);
        }
        r.defer(id)?;
        Ok(Ref(T::default()))
    }
    fn decode_deferred(&mut self, r: &mut NdrReader<'_>) -> Result<(), NdrError> {
        r.take_deferred()?;
        self.0 = T::decode(r)?;
        Ok(())
    }
}

/// `[ptr] T*`, a full pointer: like `[unique]`, but a referent id seen before names the
/// same object, whose pointee is not sent again (C706 14.3.10.3). Shared objects are
/// shared `Arc`s here, so aliasing cannot multiply memory; a cycle is an error.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Full<T>(pub Option<Arc<T>>);

impl<T: Ndr + Any + Send + Sync> Ndr for Full<T> {
    const ALIGN: usize = 4;
    const MIN_SIZE: usize = 4;
    fn encode_flat(&self, w: &mut NdrWriter) {
        match &self.0 {
            None => {
                w.referent(false);
            }
            Some(target) => {
                w.full_referent(target);
            }
        }
    }
    fn encode_deferred(&self, w: &mut NdrWriter) {
        if let Some(target) = &self.0 {
            if w.full_first_emit(target) {
                target.encode(w);
            }
        }
    }
    fn decode_flat(r: &mut NdrReader<'_>) -> Result<Full<T>, NdrError> {
        let id = r.u32()?;
        r.defer(id)?;
        Ok(Full(None))
    }
    fn decode_deferred(&mut self, r: &mut NdrReader<'_>) -> Result<(), NdrError> {
        let id = r.take_deferred()?;
        if id == 0 {
            return Ok(());
        }
        match r.full_lookup(id)? {
            Some(seen) => {
                let typed = seen
                    .downcast::<T>()
                    .map_err(|_| NdrError::BadReferent(id))?;
                self.0 = Some(typed);
            }
            None => {
                let value = Arc::new(T::decode(r)?);
                r.full_insert(id, value.clone());
                self.0 = Some(value);
            }
        }
        Ok(())
    }
}

/// A tuple is a parameter list: each element is a complete top-level value (flat part
/// and pointees) in turn, as the parameters of an operation are marshalled (C706 14.3.12.3).
/// `from_bytes::<(PolicyHandle, u32)>(stub)` reads a request's two parameters.
macro_rules! parameter_list {
    ($($t:ident . $i:tt),+) => {
        impl<$($t: Ndr),+> Ndr for ($($t,)+) {
            const MIN_SIZE: usize = 0 $( + $t::MIN_SIZE )+;
            fn encode_flat(&self, w: &mut NdrWriter) {
                $( self.$i.encode(w); )+
            }
            fn decode_flat(r: &mut NdrReader<'_>) -> Result<Self, NdrError> {
                Ok(($( $t::decode(r)?, )+))
            }
        }
    };
}

parameter_list!(A.0, B.1);
parameter_list!(A.0, B.1, C.2);
parameter_list!(A.0, B.1, C.2, D.3);
parameter_list!(A.0, B.1, C.2, D.3, E.4);
parameter_list!(A.0, B.1, C.2, D.3, E.4, F.5);
