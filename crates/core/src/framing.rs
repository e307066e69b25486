//! Stream framing (PROTOCOL.md §3): 4-byte big-endian body length, then the body.

use crate::error::{Error, Result};

/// Length of the frame header.
pub const HEADER_LEN: usize = 4;

/// Prefix `body` with its 4-byte big-endian length.
pub fn encode_frame(body: &[u8]) -> Result<Vec<u8>> {
    let len = u32::try_from(body.len()).map_err(|_| Error::FrameTooLarge {
        size: body.len() as u64,
        max: u32::MAX as u64,
    })?;
    let mut out = Vec::with_capacity(HEADER_LEN + body.len());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(body);
    Ok(out)
}

/// Incremental splitter of a byte stream into frame bodies.
///
/// The announced length is checked against `max_frame_size` as soon as the
/// four header bytes are in, before any of the body is buffered. After an
/// error the decoder stays failed: every later `push` returns the same error.
#[derive(Debug)]
pub struct FrameDecoder {
    max_frame_size: u64,
    buf: Vec<u8>,
    /// Body length of the frame in progress, once its header is complete.
    expected: Option<usize>,
    failed: Option<Error>,
}

impl FrameDecoder {
    /// A decoder refusing frames whose body exceeds `max_frame_size` bytes.
    pub fn new(max_frame_size: u64) -> Self {
        FrameDecoder {
            max_frame_size,
            buf: Vec::new(),
            expected: None,
            failed: None,
        }
    }

    /// The configured limit.
    pub fn max_frame_size(&self) -> u64 {
        self.max_frame_size
    }

    /// Bytes of the frame in progress received so far (header bytes
    /// included, also once the header has been parsed): 0 exactly when the
    /// stream sits between frames. Callers time out a frame that stays
    /// incomplete (slowloris) while this is non-zero.
    pub fn buffered(&self) -> usize {
        self.buf.len()
            + if self.expected.is_some() {
                HEADER_LEN
            } else {
                0
            }
    }

    /// Feed a chunk; returns every body it completed, in order.
    pub fn push(&mut self, chunk: &[u8]) -> Result<Vec<Vec<u8>>> {
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        let mut bodies = Vec::new();
        let mut input = chunk;
        loop {
            match self.expected {
                None => {
                    let have = self.buf.len();
                    let need = HEADER_LEN - have;
                    if input.len() < need {
                        self.buf.extend_from_slice(input);
                        break;
                    }
                    let mut header = [0u8; HEADER_LEN];
                    header[..have].copy_from_slice(&self.buf[..]);
                    header[have..].copy_from_slice(&input[..need]);
                    input = &input[need..];
                    self.reset_buffer();
                    let size = u32::from_be_bytes(header) as u64;
                    if size > self.max_frame_size {
                        let err = Error::FrameTooLarge {
                            size,
                            max: self.max_frame_size,
                        };
                        self.failed = Some(err.clone());
                        return Err(err);
                    }
                    self.expected = Some(size as usize);
                }
                Some(size) => {
                    let have = self.buf.len();
                    if have == 0 && input.len() >= size {
                        // Whole body inside this chunk: no intermediate copy.
                        bodies.push(input[..size].to_vec());
                        input = &input[size..];
                    } else {
                        let take = (size - have).min(input.len());
                        self.buf.extend_from_slice(&input[..take]);
                        input = &input[take..];
                        if self.buf.len() < size {
                            break;
                        }
                        bodies.push(self.buf.clone());
                        self.reset_buffer();
                    }
                    self.expected = None;
                }
            }
        }
        Ok(bodies)
    }

    fn reset_buffer(&mut self) {
        self.buf.clear();
        if self.buf.capacity() > 1 << 20 {
            self.buf.shrink_to(1 << 16);
        }
    }
}
