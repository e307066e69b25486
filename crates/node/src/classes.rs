//! The stateful export WaterfallCache (the FrameReader is in reader.rs).

use std::cell::RefCell;
use std::rc::Rc;

use napi::bindgen_prelude::{Buffer, Float64Array, Uint32Array, Uint8ArraySlice};
use napi_derive::napi;
use polyp2p_core::waterfall::WaterfallCache as CoreWaterfallCache;

use crate::size;

/// What `WaterfallCache::entries` gives: IDs back to back (entry i ends at `ends[i]`) and times.
#[napi(object)]
pub struct WaterfallEntries {
    pub ids: Buffer,
    pub ends: Uint32Array,
    pub times: Float64Array,
}

#[napi]
pub struct WaterfallCache {
    pub(crate) inner: Rc<RefCell<CoreWaterfallCache>>,
}

#[napi]
impl WaterfallCache {
    #[napi(constructor)]
    pub fn new(window_seconds: f64, max_entries: f64) -> Self {
        WaterfallCache {
            inner: Rc::new(RefCell::new(CoreWaterfallCache::new(
                window_seconds,
                size(max_entries),
            ))),
        }
    }

    /// True when (id, time) was already present; records it otherwise.
    #[napi]
    pub fn seen(&mut self, id: Uint8ArraySlice, time: f64, now: f64) -> bool {
        self.inner.borrow_mut().seen(&id, time, now)
    }

    #[napi]
    pub fn has(&self, id: Uint8ArraySlice, time: f64) -> bool {
        self.inner.borrow().has(&id, time)
    }

    /// Take back a record whose message was never acted on.
    #[napi]
    pub fn forget(&mut self, id: Uint8ArraySlice, time: f64) {
        self.inner.borrow_mut().forget(&id, time)
    }

    #[napi]
    pub fn prune(&mut self, now: f64) {
        self.inner.borrow_mut().prune(now)
    }

    #[napi]
    pub fn clear(&mut self) {
        self.inner.borrow_mut().clear()
    }

    /// The remembered (ID, time) pairs, oldest first (js2p's `waterfalls`).
    #[napi]
    pub fn entries(&self) -> WaterfallEntries {
        let cache = self.inner.borrow();
        let n = cache.len();
        let (mut ids, mut ends, mut times) = (
            Vec::with_capacity(n * 32),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        for (id, time) in cache.entries() {
            ids.extend_from_slice(id);
            ends.push(ids.len() as u32);
            times.push(time);
        }
        WaterfallEntries {
            ids: ids.into(),
            ends: Uint32Array::new(ends),
            times: Float64Array::new(times),
        }
    }

    #[napi(getter)]
    pub fn size(&self) -> f64 {
        self.inner.borrow().len() as f64
    }

    #[napi(getter)]
    pub fn max_entries(&self) -> f64 {
        self.inner.borrow().max_entries() as f64
    }

    #[napi(getter)]
    pub fn window_seconds(&self) -> f64 {
        self.inner.borrow().window_seconds()
    }
}
