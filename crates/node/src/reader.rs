//! The receive path of one connection as one N-API call per socket read
//! (polyp2p_core::reader): the JS side gets the batch's bytes, a row of
//! integers and a time per frame, and builds values only for what it reads.
//!
//! The rows, times, status and (when it fits) the bytes of a read go into one
//! scratch array the caller passes with each call and copies out; only a batch
//! larger than the scratch comes back as a Buffer of its own (a copy in V8's
//! memory), and a read of whole raw frames is the chunk the caller pushed.
//! Returning an object of three Rust-owned arrays (external buffers with
//! finalizers) cost 2.2 us per call even when empty, and 5.7 us for a read of
//! one 184-byte frame, three times the TypeScript reader's (bench/README.md,
//! "Routing"). The scratch is borrowed for the call only: nothing of the
//! caller's is kept between calls (a kept pointer would outlive a transferred
//! or collected ArrayBuffer).

use std::cell::RefCell;
use std::rc::Rc;

use napi::bindgen_prelude::{BufferSlice, Env, Uint8ArraySlice};
use napi_derive::napi;
use polyp2p_core::reader::{
    col, Dedup, FrameReader as CoreFrameReader, Limits, FIELDS, MAX_FRAMES,
};
use polyp2p_core::waterfall::WaterfallCache as CoreWaterfallCache;

use crate::classes::WaterfallCache;
use crate::size;

/// The receiver's budgets (ts/base/body-budget.ts), in bytes and values.
#[napi(object)]
pub struct ReaderLimits {
    pub max_frame_size: f64,
    pub max_decompressed: f64,
    pub ratio: f64,
    pub ratio_floor: f64,
    pub values_per_byte: f64,
    pub values_floor: f64,
    pub max_values: f64,
}

/// The scratch `read_into` fills, in bytes (native endianness, as JS typed
/// arrays read them): the status (`STATUS_LEN` i32: frames read; 1 if more may
/// be buffered, the batch's `more`; 1 if an error ended the batch, which
/// `last_error` tells; the batch's length in bytes, or `SAME_AS_CHUNK`; the
/// bytes still buffered, or -1 above i32), then `MAX_FRAMES` rows of `FIELDS`
/// i32, then `MAX_FRAMES` f64 times, then the batch's bytes when they fit.
const STATUS_LEN: usize = 6;
const ROWS_AT: usize = STATUS_LEN * 4;
const TIMES_AT: usize = ROWS_AT + MAX_FRAMES * FIELDS * 4;
const BYTES_AT: usize = TIMES_AT + MAX_FRAMES * 8;
/// The batch's bytes are those of the chunk pushed last: whole raw frames,
/// laid out as they came (`[length][id][msgpack]`). The caller keeps that
/// chunk instead of a copy: most reads are one or a few whole frames.
const SAME_AS_CHUNK: i32 = -1;

/// Where the scratch's parts start, in bytes, and how many frames it holds:
/// `[rows, times, bytes, MAX_FRAMES, FIELDS]` (the caller lays out its views by it).
#[napi]
pub fn reader_scratch_layout() -> Vec<u32> {
    [ROWS_AT, TIMES_AT, BYTES_AT, MAX_FRAMES, FIELDS]
        .iter()
        .map(|&n| n as u32)
        .collect()
}

fn put_i32(out: &mut [u8], at: usize, v: i32) {
    out[at..at + 4].copy_from_slice(&v.to_ne_bytes());
}

#[napi]
pub struct FrameReader {
    inner: CoreFrameReader,
    limits: Limits,
    compressions: Vec<u8>,
    dedup: Option<Rc<RefCell<CoreWaterfallCache>>>,
    link_only: Vec<i32>,
    /// The error that ended the last batch: its `ERR_*` code and message.
    error: Option<(String, String)>,
    /// Bytes of the chunk pushed last when nothing was buffered before it (else 0).
    fresh_chunk: usize,
}

#[napi]
impl FrameReader {
    #[napi(constructor)]
    pub fn new(limits: ReaderLimits) -> Self {
        let limits = Limits {
            max_frame_size: size(limits.max_frame_size),
            max_decompressed: size(limits.max_decompressed),
            ratio: size(limits.ratio),
            ratio_floor: size(limits.ratio_floor),
            values_per_byte: size(limits.values_per_byte),
            values_floor: size(limits.values_floor),
            max_values: size(limits.max_values),
        };
        FrameReader {
            inner: CoreFrameReader::new(limits.max_frame_size),
            limits,
            compressions: Vec::new(),
            dedup: None,
            link_only: Vec::new(),
            error: None,
            fresh_chunk: 0,
        }
    }

    /// Check every broadcast read against the node's duplicate filter (the
    /// `verdict` column); `link_only` are the sub-flags never taken from a broadcast.
    #[napi]
    pub fn set_dedup(&mut self, cache: &WaterfallCache, link_only: Vec<i32>) {
        self.dedup = Some(cache.inner.clone());
        self.link_only = link_only;
    }

    /// The peer's compression methods to try, in its order (flags that are not bytes are skipped).
    #[napi]
    pub fn set_compressions(&mut self, methods: Vec<f64>) {
        self.compressions = methods
            .into_iter()
            .filter(|m| m.fract() == 0.0 && (0.0..256.0).contains(m))
            .map(|m| m as u8)
            .collect();
    }

    #[napi]
    pub fn push(&mut self, chunk: Uint8ArraySlice) {
        self.fresh_chunk = if self.inner.buffered() == 0 {
            chunk.len()
        } else {
            0
        };
        self.inner.push(&chunk);
    }

    /// `push(chunk)` then `read_into(now, scratch)`: a socket read's first
    /// batch in one crossing (the crossing cost as much as the push itself).
    #[napi]
    pub fn push_read_into<'env>(
        &mut self,
        env: &'env Env,
        chunk: Uint8ArraySlice,
        now: f64,
        scratch: Uint8ArraySlice,
    ) -> napi::Result<Option<BufferSlice<'env>>> {
        self.push(chunk);
        self.read_into(env, now, scratch)
    }

    /// Read the frames buffered into `scratch` (laid out as `reader_scratch_layout`
    /// says; at least `BYTES_AT` bytes); returns the batch's bytes when they
    /// do not fit in it. `now`: the receiver's clock in Unix seconds (the dedup window).
    #[napi]
    pub fn read_into<'env>(
        &mut self,
        env: &'env Env,
        now: f64,
        mut scratch: Uint8ArraySlice,
    ) -> napi::Result<Option<BufferSlice<'env>>> {
        // SAFETY: the caller's array, borrowed for this call only; JS runs nothing while it is written
        let out = unsafe { scratch.as_mut() };
        if out.len() < BYTES_AT {
            return Err(napi::Error::from_reason(format!(
                "FrameReader.readInto: the scratch needs at least {BYTES_AT} bytes (readerScratchLayout)"
            )));
        }
        let mut cache = self.dedup.as_ref().map(|c| c.borrow_mut());
        let dedup = cache.as_deref_mut().map(|cache| Dedup {
            cache,
            now,
            link_only: &self.link_only,
        });
        let b = self.inner.read(&self.compressions, &self.limits, dedup);
        self.error = b
            .error
            .as_ref()
            .map(|e| (e.code().to_string(), e.to_string()));
        // the chunk held whole raw frames only, all read now: the batch is that chunk as it came
        let same_as_chunk = self.fresh_chunk > 0
            && b.bytes.len() == self.fresh_chunk
            && self.inner.buffered() == 0
            && b.error.is_none()
            && b.info.chunks(FIELDS).all(|row| row[col::WIRE_START] < 0);
        self.fresh_chunk = 0;
        for (i, v) in b.info.iter().enumerate() {
            put_i32(out, ROWS_AT + 4 * i, *v);
        }
        for (i, t) in b.times.iter().enumerate() {
            out[TIMES_AT + 8 * i..TIMES_AT + 8 * i + 8].copy_from_slice(&t.to_ne_bytes());
        }
        put_i32(out, 0, b.len() as i32);
        put_i32(out, 4, i32::from(b.more));
        put_i32(out, 8, i32::from(self.error.is_some()));
        put_i32(out, 16, i32::try_from(self.inner.buffered()).unwrap_or(-1));
        if same_as_chunk {
            put_i32(out, 12, SAME_AS_CHUNK);
            return Ok(None);
        }
        // the batch's length fits an i32: at most MAX_BATCH_BYTES and one frame within maxFrameSize
        put_i32(out, 12, i32::try_from(b.bytes.len()).unwrap_or(i32::MAX));
        if BYTES_AT + b.bytes.len() <= out.len() {
            out[BYTES_AT..BYTES_AT + b.bytes.len()].copy_from_slice(&b.bytes);
            return Ok(None);
        }
        BufferSlice::copy_from(env, &b.bytes).map(Some)
    }

    /// The `ERR_*` code and message of the error that ended the last batch.
    #[napi]
    pub fn last_error(&self) -> Option<Vec<String>> {
        self.error
            .as_ref()
            .map(|(code, message)| vec![code.clone(), message.clone()])
    }

    #[napi(getter)]
    pub fn buffered(&self) -> f64 {
        self.inner.buffered() as f64
    }
}
