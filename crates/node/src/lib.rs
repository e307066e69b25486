//! N-API binding of polyp2p-core: conversion only, no protocol logic.
//! The JS-visible contract is ts/base/backend.ts.

#![deny(clippy::all)]

mod bigint;
mod classes;
mod convert;
mod reader;

use napi::bindgen_prelude::{
    BigInt, Buffer, BufferSlice, Float64ArraySlice, Uint32ArraySlice, Uint8ArraySlice,
};
use napi_derive::napi;
use polyp2p_core::{base58, chord, compression, ids, message, Error as CoreError};

use crate::bigint::{from_biguint, to_biguint};
use crate::convert::{core_err, JsError};

pub use classes::WaterfallCache;
pub use reader::reader_scratch_layout;

/// A JS number as a compression flag (errors for non-flags).
fn flag(m: f64) -> Result<u8, JsError> {
    if m.fract() == 0.0 && (0.0..=255.0).contains(&m) {
        Ok(m as u8)
    } else {
        Err(core_err(CoreError::UnknownCompression(m as i64)))
    }
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

// ---- chord -------------------------------------------------------------

#[napi]
pub fn chord_positions(key: Uint8ArraySlice) -> Vec<BigInt> {
    chord::positions(&key).iter().map(from_biguint).collect()
}
