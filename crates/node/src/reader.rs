//! The receive path of one connection as one N-API call per socket read
//! (polyp2p_core::reader): the JS side gets the batch's bytes, a row of
//! integers and a time per frame, and builds values only for what it reads.
//!
//! The rows and times go into typed arrays the caller owns and reuses, and the
//! status into the rows' tail; only the bytes come back as a new Buffer, a copy
//! in V8's own memory. Returning an object of three Rust-owned arrays (external
//! buffers with finalizers) cost 2.2 us per call even when empty, and 5.7 us
//! for a read of one 184-byte frame, three times the TypeScript reader's
//! (bench/README.md, "Routing").

use std::cell::RefCell;
use std::rc::Rc;

use napi::bindgen_prelude::{
    BufferSlice, Env, Float64Array, Int32Array, Uint8Array, Uint8ArraySlice,
};
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

/// Where `read_into` writes its status, in `info` after the rows of
/// `MAX_FRAMES` frames: the frames read, 1 if more may be buffered (the
/// batch's `more`), 1 if an error ended the batch (`last_error` tells it),
/// the batch's length in bytes (`SAME_AS_CHUNK`: the batch is the chunk pushed last, byte for byte),
/// the bytes still buffered (the `buffered` getter, without another crossing).
const STATUS_AT: usize = MAX_FRAMES * FIELDS;
const STATUS_LEN: usize = 5;
/// The batch's bytes are those of the chunk pushed last: whole raw frames,
/// laid out as they came (`[length][id][msgpack]`). The caller keeps that
/// chunk instead of a copy: most reads are one or a few whole frames.
const SAME_AS_CHUNK: i32 = -1;

/// The caller's arrays every reader of this thread (one JS environment) writes to.
struct Scratch {
    info: Int32Array,
    times: Float64Array,
    /// A batch that fits is written here (the caller copies it out with V8's
    /// pooled allocation, faster than a Buffer made by N-API).
    bytes: Uint8Array,
}

thread_local! {
    static SCRATCH: RefCell<Option<Scratch>> = const { RefCell::new(None) };
}

/// Give the readers of this environment the arrays `read_into` fills: `info`
/// must hold `MAX_FRAMES` rows and the status, `times` `MAX_FRAMES` times;
/// `bytes` takes a batch of up to its length. Kept (referenced) until
/// replaced: a read passes no arrays.
#[napi]
pub fn set_reader_scratch(
    info: Int32Array,
    times: Float64Array,
    bytes: Uint8Array,
) -> napi::Result<()> {
    if info.len() < STATUS_AT + STATUS_LEN || times.len() < MAX_FRAMES {
        return Err(napi::Error::from_reason(format!(
            "setReaderScratch: info needs {} integers and times {MAX_FRAMES} numbers",
            STATUS_AT + STATUS_LEN
        )));
    }
    SCRATCH.with(|s| *s.borrow_mut() = Some(Scratch { info, times, bytes }));
    Ok(())
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

    /// Read the frames buffered: their rows into the scratch `info` (`FIELDS`
    /// integers per frame, then the status at `STATUS_AT`), their times into
    /// the scratch `times` (set_reader_scratch), and their bytes into the
    /// scratch `bytes` when they fit, else into the Buffer returned.
    /// `now`: the receiver's clock in Unix seconds (the dedup window).
    #[napi]
    pub fn read_into<'env>(
        &mut self,
        env: &'env Env,
        now: f64,
    ) -> napi::Result<Option<BufferSlice<'env>>> {
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
        SCRATCH
            .with(|s| {
                let mut s = s.borrow_mut();
                let Some(Scratch { info, times, bytes }) = s.as_mut() else {
                    return Err(napi::Error::from_reason(
                        "FrameReader.readInto: call setReaderScratch first",
                    ));
                };
                // SAFETY: the arrays are referenced (alive) and JS runs nothing while this call writes them
                let (info, times, bytes) =
                    unsafe { (info.as_mut(), times.as_mut(), bytes.as_mut()) };
                info[..b.info.len()].copy_from_slice(&b.info);
                times[..b.times.len()].copy_from_slice(&b.times);
                info[STATUS_AT] = b.len() as i32;
                info[STATUS_AT + 1] = i32::from(b.more);
                info[STATUS_AT + 2] = i32::from(self.error.is_some());
                info[STATUS_AT + 4] = i32::try_from(self.inner.buffered()).unwrap_or(i32::MAX);
                if same_as_chunk {
                    info[STATUS_AT + 3] = SAME_AS_CHUNK;
                    return Ok(true);
                }
                info[STATUS_AT + 3] = b.bytes.len() as i32; // at most MAX_BATCH_BYTES and one frame
                let fits = b.bytes.len() <= bytes.len();
                if fits {
                    bytes[..b.bytes.len()].copy_from_slice(&b.bytes);
                }
                Ok(fits)
            })
            .and_then(|fits| {
                if fits {
                    Ok(None)
                } else {
                    BufferSlice::copy_from(env, &b.bytes).map(Some)
                }
            })
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
