//! The receive path of one connection as one N-API call per socket read
//! (polyp2p_core::reader): the JS side gets the batch's bytes, a row of
//! integers and a time per frame, and builds values only for what it reads.

use std::cell::RefCell;
use std::rc::Rc;

use napi::bindgen_prelude::{Buffer, Float64Array, Int32Array, Uint8ArraySlice};
use napi_derive::napi;
use polyp2p_core::reader::{Dedup, FrameReader as CoreFrameReader, Limits};
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

/// Frames read from what was pushed (see polyp2p_core::reader::Batch).
#[napi(object)]
pub struct ReadBatch {
    pub bytes: Buffer,
    pub info: Int32Array,
    pub times: Float64Array,
    /// The error that ended the batch (its `ERR_*` code and message), or none.
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub more: bool,
}

#[napi]
pub struct FrameReader {
    inner: CoreFrameReader,
    limits: Limits,
    compressions: Vec<u8>,
    dedup: Option<Rc<RefCell<CoreWaterfallCache>>>,
    link_only: Vec<i32>,
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
        self.inner.push(&chunk);
    }

    /// `now`: the receiver's clock in Unix seconds (for the dedup window).
    #[napi]
    pub fn read(&mut self, now: f64) -> ReadBatch {
        let mut cache = self.dedup.as_ref().map(|c| c.borrow_mut());
        let dedup = cache.as_deref_mut().map(|cache| Dedup {
            cache,
            now,
            link_only: &self.link_only,
        });
        let b = self.inner.read(&self.compressions, &self.limits, dedup);
        let (error_code, error_message) = match &b.error {
            Some(e) => (Some(e.code().to_string()), Some(e.to_string())),
            None => (None, None),
        };
        ReadBatch {
            bytes: b.bytes.into(),
            info: Int32Array::new(b.info),
            times: Float64Array::new(b.times),
            error_code,
            error_message,
            more: b.more,
        }
    }

    #[napi(getter)]
    pub fn buffered(&self) -> f64 {
        self.inner.buffered() as f64
    }
}
