//! The stateful export WaterfallCache (the FrameReader is in reader.rs).

use std::cell::RefCell;
use std::rc::Rc;

use napi::bindgen_prelude::Uint8ArraySlice;
use napi_derive::napi;
use polyp2p_core::waterfall::WaterfallCache as CoreWaterfallCache;

use crate::size;

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
