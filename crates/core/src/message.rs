//! Message bodies and IDs (PROTOCOL.md §4): body = [compress](SHA-256(msgpack) || msgpack).

use crate::compression;
use crate::error::{Error, Result};
use crate::framing::encode_frame;
use crate::ids::sha256;
use crate::msgpack::{self, EncodeOptions, Value};

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

/// Decode a frame body: try each supported flag of `compressions` in order
/// (unsupported ones are skipped); the first that decompresses wins; if none
/// does, the body is taken raw. Hitting `max_size` while decompressing is an
/// error, not a fall-through. Then verify the checksum and decode msgpack
/// (which must be an array and hold at most `max_values` values).
pub fn decode_body(
    body: &[u8],
    compressions: &[u8],
    max_size: usize,
    max_values: usize,
) -> Result<DecodedBody> {
    let mut used = None;
    let mut decompressed = None;
    for &method in compressions.iter().filter(|m| compression::is_supported(**m)) {
        match compression::decompress(body, method, max_size) {
            Ok(plain) => {
                used = Some(method);
                decompressed = Some(plain);
                break;
            }
            Err(e @ Error::DecompressLimit { .. }) => return Err(e),
            Err(_) => continue,
        }
    }
    let plain: &[u8] = decompressed.as_deref().unwrap_or(body);
    if plain.len() < ID_LEN {
        return Err(Error::TruncatedFrame { len: plain.len() });
    }
    let (checksum, packed) = plain.split_at(ID_LEN);
    let id = sha256(packed);
    if id != checksum {
        return Err(Error::BadChecksum { expected: hex(checksum), actual: hex(&id) });
    }
    let value = msgpack::decode_limited(packed, max_values)?;
    if !matches!(value, Value::Array(_)) {
        return Err(Error::BadMsgpack(
            "a message must be a msgpack array [msg_type, sender, time, ...payload]".into(),
        ));
    }
    Ok(DecodedBody { value, id, msgpack: packed.to_vec(), compression: used })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
