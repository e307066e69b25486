//! N-API binding of polyp2p-core: conversion only, no protocol logic.
//! The JS-visible contract is ts/base/backend.ts.

#![deny(clippy::all)]

mod bigint;
mod classes;
mod convert;
mod reader;
mod tojs;

use std::ptr;

use napi::bindgen_prelude::{
    BigInt, Buffer, BufferSlice, Float64ArraySlice, ToNapiValue, TypeName, Uint32ArraySlice,
    Uint8ArraySlice, Unknown,
};
use napi::{sys, Env, JsValue, ValueType};
use napi_derive::napi;
use polyp2p_core::{
    base58, chord, compression, ids, message, msgpack, EncodeOptions, Error as CoreError, Value,
};

use crate::bigint::{from_biguint, to_biguint};
use crate::convert::{core_err, unsupported, Ctx, JsError};

pub use classes::{FrameDecoder, WaterfallCache};

/// A raw JS value built by hand (returned as-is).
pub struct RawJs(sys::napi_value);

impl TypeName for RawJs {
    fn type_name() -> &'static str {
        "unknown"
    }
    fn value_type() -> ValueType {
        ValueType::Unknown
    }
}

impl ToNapiValue for RawJs {
    unsafe fn to_napi_value(_env: sys::napi_env, val: Self) -> napi::Result<sys::napi_value> {
        Ok(val.0)
    }
}

/// A JS number as a compression flag (errors for non-flags).
fn flag(m: f64) -> Result<u8, JsError> {
    if m.fract() == 0.0 && (0.0..=255.0).contains(&m) {
        Ok(m as u8)
    } else {
        Err(core_err(CoreError::UnknownCompression(m as i64)))
    }
}

fn opt_flag(m: Option<f64>) -> Result<Option<u8>, JsError> {
    m.map(flag).transpose()
}

/// A JS number as a size limit: negative/NaN -> 0, huge/Infinity -> max.
pub(crate) fn size(n: f64) -> usize {
    if n.is_nan() || n <= 0.0 {
        0
    } else if n >= usize::MAX as f64 {
        usize::MAX
    } else {
        n as usize
    }
}

/// Store the TS `MsgpackExt` class; call before anything else.
#[napi]
pub fn init(env: Env, ext_class: Unknown) -> napi::Result<(), String> {
    convert::set_ext_class(env.raw(), ext_class.raw())
}

// ---- base58 and ids ----------------------------------------------------

#[napi]
pub fn base58_encode_int(n: BigInt) -> napi::Result<String, String> {
    Ok(base58::encode_int(&to_biguint(&n, "base58EncodeInt(n)")?))
}

#[napi]
pub fn base58_encode_bytes(bytes: Uint8ArraySlice) -> String {
    base58::encode_bytes(&bytes)
}

#[napi]
pub fn base58_decode_int(text: String) -> napi::Result<BigInt, String> {
    Ok(from_biguint(&base58::decode_int(&text).map_err(core_err)?))
}

/// Write an uncompressed frame's length and ID in place (core's seal_frame)
/// and, given a cache, record (ID, time) in it: the sender's whole per-message
/// native work in one call.
#[napi]
pub fn seal_frame(
    mut frame: BufferSlice,
    record: Option<&WaterfallCache>,
    time: f64,
) -> Result<(), JsError> {
    message::seal_frame(&mut frame).map_err(core_err)?;
    if let Some(cache) = record {
        cache.inner.borrow_mut().seen(&frame[4..36], time, time);
    }
    Ok(())
}

/// Seal a run of frames laid back to back (core's seal_frames): one call per
/// tick for a sender's broadcasts.
#[napi]
pub fn seal_frames(
    mut buf: BufferSlice,
    ends: Uint32ArraySlice,
    times: Float64ArraySlice,
    record: Option<&WaterfallCache>,
) -> Result<(), JsError> {
    let mut cache = record.map(|c| c.inner.borrow_mut());
    message::seal_frames(&mut buf, &ends, &times, cache.as_deref_mut()).map_err(core_err)
}

#[napi]
pub fn sha256(data: Uint8ArraySlice) -> Buffer {
    ids::sha256(&data).to_vec().into()
}

#[napi]
pub fn sha384(data: Uint8ArraySlice) -> Buffer {
    ids::sha384(&data).to_vec().into()
}

#[napi]
pub fn node_id_from_preimage(preimage: Uint8ArraySlice) -> String {
    ids::node_id_from_preimage(&preimage)
}

#[napi]
pub fn protocol_id(subnet: String, encryption: String, version: String) -> String {
    ids::protocol_id(&subnet, &encryption, &version)
}

// ---- msgpack -----------------------------------------------------------

#[napi]
pub fn msgpack_encode(
    env: Env,
    value: Unknown,
    js2p_numbers: Option<bool>,
) -> napi::Result<Buffer, String> {
    let ctx = Ctx::new(env.raw())?;
    let v = ctx.to_value(value.raw(), js2p_numbers.unwrap_or(false), 0)?;
    Ok(msgpack::encode(&v).map_err(core_err)?.into())
}

#[napi(ts_return_type = "unknown")]
pub fn msgpack_decode(
    env: Env,
    bytes: Uint8ArraySlice,
    max_values: Option<f64>,
) -> napi::Result<RawJs, String> {
    let v =
        msgpack::decode_limited(&bytes, max_values.map_or(usize::MAX, size)).map_err(core_err)?;
    Ok(RawJs(Ctx::new(env.raw())?.to_js(&v)?))
}

// ---- compression -------------------------------------------------------

#[napi]
pub fn compression_methods() -> Vec<u32> {
    compression::METHODS.iter().map(|m| *m as u32).collect()
}

#[napi]
pub fn compress(data: Uint8ArraySlice, method: f64) -> napi::Result<Buffer, String> {
    Ok(compression::compress(&data, flag(method)?)
        .map_err(core_err)?
        .into())
}

#[napi]
pub fn decompress(
    data: Uint8ArraySlice,
    method: f64,
    max_output: f64,
) -> napi::Result<Buffer, String> {
    Ok(
        compression::decompress(&data, flag(method)?, size(max_output))
            .map_err(core_err)?
            .into(),
    )
}

// ---- messages ----------------------------------------------------------

#[napi(object)]
pub struct EncodedMessage {
    pub frame: Buffer,
    pub id: Buffer,
    pub msgpack: Buffer,
}

#[napi]
pub fn encode_message(
    env: Env,
    packets: Unknown,
    compression: Option<f64>,
    js2p_numbers: Option<bool>,
    record: Option<&WaterfallCache>,
) -> napi::Result<EncodedMessage, String> {
    let ctx = Ctx::new(env.raw())?;
    let value = ctx.to_value(packets.raw(), js2p_numbers.unwrap_or(false), 0)?;
    if !matches!(value, Value::Array(_)) {
        return Err(unsupported(
            "encodeMessage(packets): packets must be an array",
        ));
    }
    let m = message::encode_message(&value, opt_flag(compression)?, EncodeOptions::default())
        .map_err(core_err)?;
    if let Some(cache) = record {
        let Value::Array(items) = &value else {
            unreachable!("checked above")
        };
        let time = match items.get(2) {
            Some(Value::F64(t)) => *t,
            Some(Value::F32(t)) => *t as f64,
            Some(Value::Int(t)) => *t as f64,
            Some(Value::UInt(t)) => *t as f64,
            _ => return Err(unsupported(
                "encodeMessage: a message recorded as seen needs its time (packets[2]) as a number",
            )),
        };
        cache.inner.borrow_mut().seen(&m.id, time, time);
    }
    Ok(EncodedMessage {
        frame: m.frame.into(),
        id: m.id.to_vec().into(),
        msgpack: m.msgpack.into(),
    })
}

#[napi]
pub fn frame_from_msgpack(
    msgpack: Uint8ArraySlice,
    id: Uint8ArraySlice,
    compression: Option<f64>,
) -> napi::Result<Buffer, String> {
    Ok(
        message::frame_from_msgpack(&msgpack, &id, opt_flag(compression)?)
            .map_err(core_err)?
            .into(),
    )
}

#[napi(
    ts_return_type = "{ packets: unknown[]; id: Buffer; msgpack: Buffer; compression: number | null }"
)]
pub fn decode_body(
    env: Env,
    body: Uint8ArraySlice,
    compressions: Vec<f64>,
    max_size: f64,
    max_values: Option<f64>,
) -> napi::Result<RawJs, String> {
    // Flags that are not bytes cannot be supported: skip them like unknown ones.
    let flags: Vec<u8> = compressions
        .into_iter()
        .filter_map(|m| flag(m).ok())
        .collect();
    let max_values = max_values.map_or(usize::MAX, size);
    let d = message::decode_body(&body, &flags, size(max_size), max_values).map_err(core_err)?;
    let ctx = Ctx::new(env.raw())?;
    let mut obj = ptr::null_mut();
    convert::check!(sys::napi_create_object(env.raw(), &mut obj), "object");
    ctx.set_own(obj, "packets", ctx.to_js(&d.value)?)?;
    ctx.set_own(obj, "id", ctx.buffer(&d.id)?)?;
    ctx.set_own(obj, "msgpack", ctx.buffer(&d.msgpack)?)?;
    let mut c = ptr::null_mut();
    match d.compression {
        Some(m) => convert::check!(
            sys::napi_create_uint32(env.raw(), m as u32, &mut c),
            "number"
        ),
        None => convert::check!(sys::napi_get_null(env.raw(), &mut c), "null"),
    }
    ctx.set_own(obj, "compression", c)?;
    Ok(RawJs(obj))
}

// ---- chord -------------------------------------------------------------

#[napi]
pub fn chord_positions(key: Uint8ArraySlice) -> Vec<BigInt> {
    chord::positions(&key).iter().map(from_biguint).collect()
}

#[napi]
pub fn ring_distance(a: BigInt, b: BigInt) -> napi::Result<BigInt, String> {
    let (a, b) = (to_biguint(&a, "a")?, to_biguint(&b, "b")?);
    Ok(from_biguint(&chord::distance(&a, &b)))
}

#[napi]
pub fn ring_between(x: BigInt, a: BigInt, b: BigInt) -> napi::Result<bool, String> {
    Ok(chord::between(
        &to_biguint(&x, "x")?,
        &to_biguint(&a, "a")?,
        &to_biguint(&b, "b")?,
    ))
}

#[napi]
pub fn finger_targets(position: BigInt, count: u32) -> napi::Result<Vec<BigInt>, String> {
    let p = to_biguint(&position, "position")?;
    Ok(chord::finger_targets(&p, count)
        .iter()
        .map(from_biguint)
        .collect())
}

#[napi]
pub fn closest_preceding(candidates: Vec<BigInt>, target: BigInt) -> napi::Result<i32, String> {
    let c = candidates
        .iter()
        .map(|n| to_biguint(n, "candidates[i]"))
        .collect::<Result<Vec<_>, _>>()?;
    let t = to_biguint(&target, "target")?;
    Ok(chord::closest_preceding(&c, &t).map_or(-1, |i| i as i32))
}
