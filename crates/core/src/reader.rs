//! The receive path of one connection, a chunk at a time (PROTOCOL.md §3-5):
//! split frames, decompress within the receiver's budgets, verify each
//! checksum (the message ID), validate the msgpack and read its routing
//! header, all without building values. A batch holds every frame completed
//! so far laid out for the caller: the message as a raw frame
//! `[length][id][msgpack]` (ready to relay uncompressed), the compressed body
//! as received (to relay in its method), and a row of integers per frame.
//! One call into this per socket read instead of several per frame is what
//! makes a native binding pay (bench/README.md, "Routing").

use crate::error::{Error, Result};
use crate::framing::HEADER_LEN;
use crate::message::{open_body, ID_LEN};
use crate::scan::{peek_time, scan_message, Scanned};
use crate::waterfall::WaterfallCache;

/// Integers per frame in `Batch::info`.
pub const FIELDS: usize = 12;
/// `info` columns.
pub mod col {
    /// bit 0: the header has the usual types; bit 1: the sender was bin;
    /// bit 2: the sender's bytes (and type) are those of the row before.
    pub const FLAGS: usize = 0;
    pub const MAIN_FLAG: usize = 1;
    pub const SUB_FLAG: usize = 2;
    /// Offset in `bytes` of the raw frame `[length u32 BE][id 32][msgpack]`.
    pub const FRAME_START: usize = 3;
    pub const MSGPACK_LEN: usize = 4;
    /// Offset in `bytes` of the sender's bytes, and their length.
    pub const SENDER_START: usize = 5;
    pub const SENDER_LEN: usize = 6;
    /// The compression flag that decoded the body, or -1 (raw).
    pub const COMPRESSION: usize = 7;
    /// Offset in `bytes` of the body as received when it was compressed (-1: raw), and its length.
    pub const WIRE_START: usize = 8;
    pub const WIRE_LEN: usize = 9;
    /// msgpack values the message holds.
    pub const VALUES: usize = 10;
    /// The waterfall's verdict on a broadcast (`Verdict`), when a `Dedup` was given.
    pub const VERDICT: usize = 11;
}

/// Bits of the `FLAGS` column.
pub mod flag {
    pub const USUAL: i32 = 1;
    pub const SENDER_BIN: i32 = 2;
    /// The frames of a read nearly all have one author: the caller decodes
    /// the sender's text once and reuses it while this bit is set.
    pub const SENDER_REPEATS: i32 = 4;
}

/// What the waterfall (PROTOCOL.md §11) says of a frame.
pub mod verdict {
    /// Not a broadcast with the usual header, or no dedup asked for: the caller decides.
    pub const UNCHECKED: i32 = 0;
    /// A broadcast seen for the first time (now recorded): relay and process it.
    pub const NEW: i32 = 1;
    pub const DUPLICATE: i32 = 2;
    /// Older than the window: dropped, not recorded.
    pub const STALE: i32 = 3;
    /// A link-level sub-flag inside a broadcast: dropped, not recorded.
    pub const LINK_ONLY: i32 = 4;
}

/// The node's duplicate filter, checked for every broadcast as it is read.
pub struct Dedup<'a> {
    pub cache: &'a mut WaterfallCache,
    /// The receiver's clock, Unix seconds.
    pub now: f64,
    /// Sub-flags that only mean something between neighbours: never relayed as broadcasts.
    pub link_only: &'a [i32],
}

/// Stop a batch after this many frames or output bytes (offsets stay small, memory bounded).
pub const MAX_FRAMES: usize = 4096;
const MAX_BATCH_BYTES: usize = 4 << 20;

/// The receiver's budgets (ts/base/body-budget.ts).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_frame_size: usize,
    pub max_decompressed: usize,
    pub ratio: usize,
    pub ratio_floor: usize,
    pub values_per_byte: usize,
    pub values_floor: usize,
    pub max_values: usize,
}

impl Limits {
    fn decompressed_limit(&self, wire: usize) -> usize {
        self.max_decompressed
            .min(self.ratio_floor.max(self.ratio.saturating_mul(wire)))
    }
    fn value_limit(&self, wire: usize) -> usize {
        self.max_values.min(
            self.values_floor
                .max(self.values_per_byte.saturating_mul(wire)),
        )
    }
}

/// Frames read from the bytes pushed so far.
#[derive(Debug, Default)]
pub struct Batch {
    pub bytes: Vec<u8>,
    pub info: Vec<i32>,
    pub times: Vec<f64>,
    /// The frame that ended the batch failed: the connection is done.
    pub error: Option<Error>,
    /// Complete frames may still be buffered: the batch stopped after a frame
    /// that may change how the next ones decode (a handshake, a
    /// renegotiation, or one with unusual header types), or at its size
    /// limit. Handle these, then read again.
    pub more: bool,
}

impl Batch {
    pub fn len(&self) -> usize {
        self.times.len()
    }
    pub fn is_empty(&self) -> bool {
        self.times.is_empty()
    }
}

/// One connection's bytes not yet read as frames.
#[derive(Debug)]
pub struct FrameReader {
    buf: Vec<u8>,
    start: usize,
    failed: Option<Error>,
    max_frame_size: usize,
}

impl FrameReader {
    pub fn new(max_frame_size: usize) -> Self {
        FrameReader {
            buf: Vec::new(),
            start: 0,
            failed: None,
            max_frame_size,
        }
    }

    /// Append a chunk read from the connection.
    pub fn push(&mut self, chunk: &[u8]) {
        if self.failed.is_some() {
            return; // the connection is done: nothing more is kept
        }
        if self.start > 0 && self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
        self.buf.extend_from_slice(chunk);
    }

    /// Bytes of the frame in progress (its header included): 0 exactly between frames.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }

    /// Read the complete frames buffered, decoding compressed bodies with the
    /// peer's methods `compressions` in order (then raw).
    pub fn read(
        &mut self,
        compressions: &[u8],
        limits: &Limits,
        mut dedup: Option<Dedup<'_>>,
    ) -> Batch {
        let mut batch = Batch::default();
        // Raw frames come out as they came in: room for what is buffered, in
        // one allocation (growing from empty copied 10 KiB frames several
        // times over, and touched fresh pages each time: 36 us per frame).
        batch
            .bytes
            .reserve((self.buf.len() - self.start).min(MAX_BATCH_BYTES));
        if let Some(e) = &self.failed {
            batch.error = Some(e.clone());
            return batch;
        }
        loop {
            if batch.len() >= MAX_FRAMES || batch.bytes.len() >= MAX_BATCH_BYTES {
                batch.more = true;
                break;
            }
            let avail = self.buf.len() - self.start;
            if avail < HEADER_LEN {
                break;
            }
            let len = u32::from_be_bytes(
                self.buf[self.start..self.start + HEADER_LEN]
                    .try_into()
                    .expect("4 bytes"),
            ) as usize;
            if len > self.max_frame_size.min(limits.max_frame_size) {
                let e = Error::FrameTooLarge {
                    size: len as u64,
                    max: self.max_frame_size.min(limits.max_frame_size) as u64,
                };
                return self.fail(batch, e);
            }
            if avail < HEADER_LEN + len {
                break;
            }
            let body_at = self.start + HEADER_LEN;
            self.start = body_at + len;
            let body = &self.buf[body_at..body_at + len];
            match read_body(body, compressions, limits, &mut batch, dedup.as_mut()) {
                Ok(control) if control => {
                    batch.more = true;
                    break;
                }
                Ok(_) => {}
                Err(e) => return self.fail(batch, e),
            }
        }
        if self.start > (1 << 16) && self.start * 2 > self.buf.len() {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        batch
    }

    fn fail(&mut self, mut batch: Batch, e: Error) -> Batch {
        self.failed = Some(e.clone());
        self.buf = Vec::new();
        self.start = 0;
        batch.error = Some(e);
        batch
    }
}

/// Decode one body into `batch`. Returns whether the batch should stop after it.
fn read_body(
    body: &[u8],
    compressions: &[u8],
    limits: &Limits,
    batch: &mut Batch,
    dedup: Option<&mut Dedup<'_>>,
) -> Result<bool> {
    let opened = open_body(body, compressions, limits.decompressed_limit(body.len()))?;
    let (used, id, msgpack) = (opened.method, opened.id, opened.msgpack());
    if let (Some(d), Some(time)) = (dedup.as_deref(), peek_time(msgpack)) {
        // the scan below takes about as long as the table's cache misses: overlap them
        d.cache.prefetch(&id, time, 0);
    }
    let Scanned { values, header: h } = scan_message(msgpack, limits.value_limit(body.len()))?;
    let frame_start = batch.bytes.len();
    batch
        .bytes
        .extend_from_slice(&((ID_LEN + msgpack.len()) as u32).to_be_bytes());
    batch.bytes.extend_from_slice(&id);
    batch.bytes.extend_from_slice(msgpack);
    let (wire_start, wire_len) = match used {
        Some(_) => {
            let at = batch.bytes.len();
            batch.bytes.extend_from_slice(body);
            (at as i32, body.len() as i32)
        }
        None => (-1, 0),
    };
    let msgpack_at = frame_start + HEADER_LEN + ID_LEN;
    let sender_at = msgpack_at + h.sender_start;
    let mut flags =
        if h.usual { flag::USUAL } else { 0 } | if h.sender_is_bin { flag::SENDER_BIN } else { 0 };
    if h.usual && sender_repeats(batch, flags, sender_at, h.sender_len) {
        flags |= flag::SENDER_REPEATS;
    }
    batch.info.extend_from_slice(&[
        flags,
        h.main_flag,
        h.sub_flag,
        frame_start as i32,
        msgpack.len() as i32,
        sender_at as i32,
        h.sender_len as i32,
        used.map_or(-1, |m| m as i32),
        wire_start,
        wire_len,
        values as i32,
        match dedup {
            Some(d)
                if h.usual
                    && h.main_flag == 0
                    && (1..=MAX_JUDGED_SENDER).contains(&h.sender_len) =>
            {
                judge(d, &id, h.time, h.sub_flag)
            }
            _ => verdict::UNCHECKED,
        },
    ]);
    batch.times.push(if h.usual { h.time } else { f64::NAN });
    // handshakes and renegotiations change how the next frames decode; unusual headers are decoded fully first
    Ok(!h.usual || h.main_flag == 1 || h.sub_flag == 5)
}

/// The row before this one (in `batch`) is usual with a sender of the same type and bytes.
fn sender_repeats(batch: &Batch, flags: i32, at: usize, len: usize) -> bool {
    let Some(prev) = batch
        .info
        .len()
        .checked_sub(FIELDS)
        .map(|r| &batch.info[r..])
    else {
        return false;
    };
    let type_bits = flag::USUAL | flag::SENDER_BIN;
    if prev[col::FLAGS] & type_bits != flags & type_bits || prev[col::SENDER_LEN] as usize != len {
        return false;
    }
    let before = prev[col::SENDER_START] as usize;
    batch.bytes[before..before + len] == batch.bytes[at..at + len]
}

/// Longest sender judged here, in bytes. The node ignores a message whose
/// sender is empty or longer than a node ID (128 characters) before its
/// waterfall: such a message is neither recorded nor counted, here as there.
/// Longer senders are left to the node, which measures them in characters.
const MAX_JUDGED_SENDER: usize = 128;

/// The waterfall's verdict on a broadcast, in the order the node applies its rules.
fn judge(d: &mut Dedup<'_>, id: &[u8], time: f64, sub_flag: i32) -> i32 {
    if d.link_only.contains(&sub_flag) {
        verdict::LINK_ONLY
    } else if time < d.now - d.cache.window_seconds() {
        verdict::STALE
    } else if d.cache.seen(id, time, d.now) {
        verdict::DUPLICATE
    } else {
        verdict::NEW
    }
}
