//! One error type for the whole core, each variant with a stable code string
//! (the JS side maps `code` to its typed error classes).

use std::fmt;

/// Everything that can go wrong in the core.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// A frame header announced more bytes than the configured limit.
    FrameTooLarge { size: u64, max: u64 },
    /// SHA-256 of the msgpack part does not match the leading checksum.
    BadChecksum { expected: String, actual: String },
    /// Malformed, truncated or over-nested msgpack, or trailing bytes.
    BadMsgpack(String),
    /// Decompressed output would exceed the caller's limit.
    DecompressLimit { method: u8, limit: u64 },
    /// The compressed data is corrupt or truncated.
    DecompressFailed { method: u8, reason: String },
    /// A compression flag this build does not implement.
    UnknownCompression(i64),
    /// A character outside the base58 alphabet.
    BadBase58 { ch: char, position: usize },
    /// A frame body too short to hold the 32-byte checksum.
    TruncatedFrame { len: usize },
    /// A run of frames to seal whose layout (ends, times) does not fit its buffer.
    BadRun(String),
    /// A value that cannot be expressed in msgpack (or in this binding).
    MsgpackUnsupported(String),
    /// The msgpack holds more values than the caller's budget allows.
    ElementLimit { len: usize, limit: usize },
}

impl Error {
    /// Stable, machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Error::FrameTooLarge { .. } => "ERR_FRAME_TOO_LARGE",
            Error::BadChecksum { .. } => "ERR_BAD_CHECKSUM",
            Error::BadMsgpack(_) => "ERR_BAD_MSGPACK",
            Error::DecompressLimit { .. } => "ERR_DECOMPRESS_LIMIT",
            Error::DecompressFailed { .. } => "ERR_DECOMPRESS_FAILED",
            Error::UnknownCompression(_) => "ERR_UNKNOWN_COMPRESSION",
            Error::BadBase58 { .. } => "ERR_BAD_BASE58",
            Error::TruncatedFrame { .. } | Error::BadRun(_) => "ERR_TRUNCATED_FRAME",
            Error::MsgpackUnsupported(_) => "ERR_MSGPACK_UNSUPPORTED",
            Error::ElementLimit { .. } => "ERR_ELEMENT_LIMIT",
        }
    }
}

/// Human name of a compression flag, for messages.
pub fn method_name(method: u8) -> String {
    match method {
        0x20 => "snappy (0x20)".into(),
        0x13 => "zlib (0x13)".into(),
        0x11 => "gzip (0x11)".into(),
        0x10 => "bz2 (0x10)".into(),
        0x12 => "lzma/xz (0x12)".into(),
        m => format!("0x{m:02x}"),
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::FrameTooLarge { size, max } => write!(
                f,
                "frame of {size} bytes exceeds maxFrameSize {max}; raise maxFrameSize if your peers legitimately send larger messages"
            ),
            Error::BadChecksum { expected, actual } => write!(
                f,
                "message checksum mismatch: the frame says {expected} but SHA-256 of its msgpack is {actual}; the frame is corrupt or was compressed with a method the receiver did not try"
            ),
            Error::BadMsgpack(why) => write!(f, "invalid msgpack: {why}"),
            Error::DecompressLimit { method, limit } => write!(
                f,
                "{} data decompresses to more than the limit of {limit} bytes; raise the limit (maxFrameSize) if your peers legitimately send larger messages",
                method_name(*method)
            ),
            Error::DecompressFailed { method, reason } => {
                write!(f, "{} decompression failed: {reason}", method_name(*method))
            }
            Error::UnknownCompression(m) => write!(
                f,
                "unknown compression method {m} (0x{m:x}); supported flags are 0x20 snappy, 0x13 zlib, 0x11 gzip, 0x10 bz2, 0x12 lzma"
            ),
            Error::BadBase58 { ch, position } => write!(
                f,
                "invalid base58 character {ch:?} at position {position}; the alphabet is 123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz (no 0, O, I, l)"
            ),
            Error::TruncatedFrame { len } => write!(
                f,
                "frame body of {len} bytes is too short: it must hold a 32-byte SHA-256 checksum followed by msgpack"
            ),
            Error::BadRun(why) => write!(f, "a run of frames to seal does not fit its buffer: {why}"),
            Error::MsgpackUnsupported(why) => write!(f, "cannot encode as msgpack: {why}"),
            Error::ElementLimit { len, limit } => write!(
                f,
                "msgpack of {len} bytes holds more than {limit} values, the budget for a body of its size on the wire (maxElementsPerByte)"
            ),
        }
    }
}

impl std::error::Error for Error {}

/// Result with the core error.
pub type Result<T> = std::result::Result<T, Error>;
