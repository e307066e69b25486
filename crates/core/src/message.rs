//! Message bodies and IDs (PROTOCOL.md §4): body = [compress](SHA-256(msgpack) || msgpack).

use crate::compression;
use crate::error::{Error, Result};
use crate::framing::encode_frame;
use crate::ids::sha256;
use crate::msgpack::{self, EncodeOptions, Value};
use crate::waterfall::WaterfallCache;

/// Length of the checksum / message ID.
pub const ID_LEN: usize = 32;

/// An encoded message ready for the wire.
#[derive(Debug, Clone, PartialEq)]
pub struct EncodedMessage {
    /// Length header + (compressed) checksum and msgpack.
    pub frame: Vec<u8>,
    /// SHA-256 of `msgpack`: the message ID.
    pub id: [u8; ID_LEN],
    pub msgpack: Vec<u8>,
}

/// A decoded frame body.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedBody {
    /// The msgpack array [msg_type, sender, time, ...payload].
    pub value: Value,
    pub id: [u8; ID_LEN],
    /// The msgpack bytes exactly as received.
    pub msgpack: Vec<u8>,
    /// The flag that decompressed the body, or None when it was raw.
    pub compression: Option<u8>,
}

/// Encode `packets` (the whole array), checksum it, compress, frame.
pub fn encode_message(
    packets: &Value,
    compression: Option<u8>,
    opts: EncodeOptions,
) -> Result<EncodedMessage> {
    let msgpack = msgpack::encode_with(packets, opts)?;
    let id = sha256(&msgpack);
    let frame = frame_from_msgpack(&msgpack, &id, compression)?;
    Ok(EncodedMessage { frame, id, msgpack })
}

/// Complete, in place, an uncompressed frame whose msgpack was encoded after
/// room for its header: `frame` is [length 4][ID 32][msgpack]; the length
/// and the ID (SHA-256 of the msgpack) are written. The sender's path: the
/// caller encodes straight into the frame, so nothing is copied or allocated.
pub fn seal_frame(frame: &mut [u8]) -> Result<()> {
    if frame.len() < 4 + 32 {
        return Err(Error::TruncatedFrame { len: frame.len() });
    }
    let (head, msgpack) = frame.split_at_mut(4 + 32);
    head[..4].copy_from_slice(&((32 + msgpack.len()) as u32).to_be_bytes());
    head[4..].copy_from_slice(&sha256(msgpack));
    Ok(())
}

/// Seal frames laid back to back in `buf` (frame i ends at `ends[i]`), and
/// record each as seen at `times[i]` when given a cache: a sender's frames of
/// one tick in one call. The layout is checked whole before anything is
/// written or recorded.
pub fn seal_frames(
    buf: &mut [u8],
    ends: &[u32],
    times: &[f64],
    record: Option<&mut WaterfallCache>,
) -> Result<()> {
    check_run(buf.len(), ends, times.len())?;
    let mut start = 0usize;
    for &end in ends {
        seal_frame(&mut buf[start..end as usize])?;
        start = end as usize;
    }
    if let Some(cache) = record {
        record_run(cache, buf, ends, times);
    }
    Ok(())
}

/// Frames ahead of the one recorded whose table slots are prefetched.
const PREFETCH_AHEAD: usize = 8;

/// Record a sealed run's IDs, loading the table slots of later frames while
/// earlier ones are recorded (the misses overlap instead of coming one by one).
fn record_run(cache: &mut WaterfallCache, buf: &[u8], ends: &[u32], times: &[f64]) {
    let id_of = |i: usize| {
        let at = if i == 0 { 0 } else { ends[i - 1] as usize };
        &buf[at + 4..at + 36]
    };
    for (i, &time) in times
        .iter()
        .enumerate()
        .take(ends.len().min(PREFETCH_AHEAD))
    {
        cache.prefetch(id_of(i), time, i);
    }
    for (i, &time) in times.iter().enumerate().take(ends.len()) {
        if i + PREFETCH_AHEAD < ends.len() {
            cache.prefetch(
                id_of(i + PREFETCH_AHEAD),
                times[i + PREFETCH_AHEAD],
                PREFETCH_AHEAD,
            );
        }
        cache.seen(id_of(i), time, time);
    }
}

/// Every frame of the run inside the buffer, in order, with room for its
/// header, and a time for each.
fn check_run(len: usize, ends: &[u32], times: usize) -> Result<()> {
    if times < ends.len() {
        return Err(Error::BadRun(format!(
            "{} frames but {times} times",
            ends.len()
        )));
    }
    let mut start = 0usize;
    for (i, &end) in ends.iter().enumerate() {
        let end = end as usize;
        if end > len || end < start + 4 + 32 {
            return Err(Error::BadRun(format!(
                "frame {i} spans {start}..{end} of {len} bytes (each needs 36 bytes of header, in order, inside the buffer)"
            )));
        }
        start = end;
    }
    Ok(())
}

/// Build a frame from already-encoded msgpack and its ID (the relay path).
pub fn frame_from_msgpack(msgpack: &[u8], id: &[u8], compression: Option<u8>) -> Result<Vec<u8>> {
    let mut plain = Vec::with_capacity(id.len() + msgpack.len());
    plain.extend_from_slice(id);
    plain.extend_from_slice(msgpack);
    match compression {
        None => encode_frame(&plain),
        Some(method) => encode_frame(&compression::compress(&plain, method)?),
    }
}

/// A frame body opened: its plain bytes (checksum + msgpack), the method that
/// decompressed it (None: it came raw) and its verified message ID.
#[derive(Debug)]
pub struct Opened<'a> {
    pub plain: std::borrow::Cow<'a, [u8]>,
    pub method: Option<u8>,
    pub id: [u8; ID_LEN],
}

impl Opened<'_> {
    /// The msgpack bytes (after the checksum).
    pub fn msgpack(&self) -> &[u8] {
        &self.plain[ID_LEN..]
    }
}

/// Open a frame body. An uncompressed frame is always acceptable: a body
/// whose checksum verifies as it is, is raw (a raw body cannot be taken for
/// snappy, which has no header of its own, and fail as a "bomb"). Otherwise
/// each supported flag of `compressions` is tried in order and the first that
/// decompresses wins; hitting `max_size` while decompressing is an error, not
/// a fall-through. Then the checksum decides.
pub fn open_body<'a>(body: &'a [u8], compressions: &[u8], max_size: usize) -> Result<Opened<'a>> {
    if body.len() >= ID_LEN {
        let id = sha256(&body[ID_LEN..]);
        if id[..] == body[..ID_LEN] {
            return Ok(Opened {
                plain: std::borrow::Cow::Borrowed(body),
                method: None,
                id,
            });
        }
    }
    for &method in compressions
        .iter()
        .filter(|m| compression::is_supported(**m))
    {
        match compression::decompress(body, method, max_size) {
            Ok(plain) => return verified(std::borrow::Cow::Owned(plain), Some(method)),
            Err(e @ Error::DecompressLimit { .. }) => return Err(e),
            Err(_) => continue,
        }
    }
    verified(std::borrow::Cow::Borrowed(body), None)
}

fn verified(plain: std::borrow::Cow<'_, [u8]>, method: Option<u8>) -> Result<Opened<'_>> {
    if plain.len() < ID_LEN {
        return Err(Error::TruncatedFrame { len: plain.len() });
    }
    let id = sha256(&plain[ID_LEN..]);
    if id[..] != plain[..ID_LEN] {
        return Err(Error::BadChecksum {
            expected: hex(&plain[..ID_LEN]),
            actual: hex(&id),
        });
    }
    Ok(Opened { plain, method, id })
}

/// Decode a frame body (open_body), then its msgpack, which must be an array
/// holding at most `max_values` values.
pub fn decode_body(
    body: &[u8],
    compressions: &[u8],
    max_size: usize,
    max_values: usize,
) -> Result<DecodedBody> {
    let opened = open_body(body, compressions, max_size)?;
    let value = msgpack::decode_limited(opened.msgpack(), max_values)?;
    if !matches!(value, Value::Array(_)) {
        return Err(Error::BadMsgpack(
            "a message must be a msgpack array [msg_type, sender, time, ...payload]".into(),
        ));
    }
    Ok(DecodedBody {
        value,
        id: opened.id,
        msgpack: opened.msgpack().to_vec(),
        compression: opened.method,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
