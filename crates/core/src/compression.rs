//! Compression methods of docs/protocol.md §5, bit-compatible with py2p's
//! output where the same C library is used (zlib/gzip level 6, bz2 level 9, xz
//! preset 6 with CRC64) and with js2p's snappy (a port of C++ snappy 1.1.2,
//! see `snappy.rs`). Decompression enforces an output cap while it runs:
//! output space is grown step by step and never beyond `max_output + 1`.
//!
//! Every codec here is a library: zlib (static, through flate2) for zlib and
//! gzip, including the gzip wrapper (`GzBuilder`/`GzDecoder`: py2p's bytes on
//! all 52 of its gzip vectors), libbzip2 through `bzip2`, liblzma through
//! `liblzma`; only the snappy compressor is our own (reason in `snappy.rs`).
//! Choices and figures: bench/README.md, "Codecs: library or own code".

use std::io::{Read, Write};

use crate::error::{Error, Result};

pub const SNAPPY: u8 = 0x20;
pub const ZLIB: u8 = 0x13;
pub const GZIP: u8 = 0x11;
pub const BZ2: u8 = 0x10;
pub const LZMA: u8 = 0x12;

/// Supported flags in polyp2p's preference order.
pub const METHODS: [u8; 5] = [SNAPPY, ZLIB, GZIP, BZ2, LZMA];

/// Memory limit handed to the xz decoder (preset 9 needs about 65 MiB).
const XZ_MEMLIMIT: u64 = 128 << 20;

/// Whether this build implements `method`.
pub fn is_supported(method: u8) -> bool {
    METHODS.contains(&method)
}

fn failed(method: u8, reason: impl ToString) -> Error {
    Error::DecompressFailed {
        method,
        reason: reason.to_string(),
    }
}

/// Compress `data` with `method`.
pub fn compress(data: &[u8], method: u8) -> Result<Vec<u8>> {
    let io_err = |e: std::io::Error| failed(method, format!("compressor error: {e}"));
    match method {
        SNAPPY => Ok(crate::snappy::compress(data)),
        ZLIB => {
            let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(6));
            enc.write_all(data).map_err(io_err)?;
            enc.finish().map_err(io_err)
        }
        GZIP => gzip_compress(data).map_err(io_err),
        BZ2 => {
            let mut enc = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::new(9));
            enc.write_all(data).map_err(io_err)?;
            enc.finish().map_err(io_err)
        }
        LZMA => {
            let mut enc = liblzma::write::XzEncoder::new(Vec::new(), 6);
            enc.write_all(data).map_err(io_err)?;
            enc.finish().map_err(io_err)
        }
        other => Err(Error::UnknownCompression(other as i64)),
    }
}

/// A gzip member exactly as Python's zlib (wbits 31, level 6) writes it:
/// MTIME 0, XFL 0, OS 3 (Unix), raw deflate, CRC-32, ISIZE.
fn gzip_compress(data: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut enc = flate2::GzBuilder::new()
        .mtime(0)
        .operating_system(3)
        .write(Vec::new(), flate2::Compression::new(6));
    enc.write_all(data)?;
    enc.finish()
}

/// Decompress `data`; output longer than `max_output` is an error
/// (`ERR_DECOMPRESS_LIMIT`), detected before more than `max_output + 1`
/// bytes of output space exist.
pub fn decompress(data: &[u8], method: u8, max_output: usize) -> Result<Vec<u8>> {
    match method {
        SNAPPY => crate::snappy::decompress(data, max_output),
        ZLIB => {
            let mut d = flate2::Decompress::new(true);
            capped(method, data, max_output, |input, out| {
                let before = d.total_in();
                let status = d
                    .decompress_vec(input, out, flate2::FlushDecompress::None)
                    .map_err(|e| e.to_string())?;
                Ok((
                    status == flate2::Status::StreamEnd,
                    (d.total_in() - before) as usize,
                ))
            })
        }
        GZIP => gzip_decompress(data, max_output),
        BZ2 => {
            let mut d = bzip2::Decompress::new(false);
            capped(method, data, max_output, |input, out| {
                let before = d.total_in();
                let status = d.decompress_vec(input, out).map_err(|e| e.to_string())?;
                Ok((
                    status == bzip2::Status::StreamEnd,
                    (d.total_in() - before) as usize,
                ))
            })
        }
        LZMA => {
            let mut d = liblzma::stream::Stream::new_stream_decoder(XZ_MEMLIMIT, 0)
                .map_err(|e| failed(method, e))?;
            capped(method, data, max_output, |input, out| {
                let before = d.total_in();
                let status = d
                    .process_vec(input, out, liblzma::stream::Action::Run)
                    .map_err(|e| e.to_string())?;
                Ok((
                    status == liblzma::stream::Status::StreamEnd,
                    (d.total_in() - before) as usize,
                ))
            })
        }
        other => Err(Error::UnknownCompression(other as i64)),
    }
}

/// Drive a streaming decompressor under an output cap. `step` feeds input and
/// appends to the spare capacity of `out`, returning (stream ended, input
/// bytes consumed). Returns the output (trailing input is left alone).
fn capped(
    method: u8,
    input: &[u8],
    max_output: usize,
    mut step: impl FnMut(&[u8], &mut Vec<u8>) -> std::result::Result<(bool, usize), String>,
) -> Result<Vec<u8>> {
    let limit = Error::DecompressLimit {
        method,
        limit: max_output as u64,
    };
    let hard_cap = max_output.saturating_add(1);
    let mut out: Vec<u8> = Vec::with_capacity(
        input
            .len()
            .saturating_mul(4)
            .clamp(64, 1 << 16)
            .min(hard_cap),
    );
    let mut used = 0usize;
    loop {
        if out.len() > max_output {
            return Err(limit);
        }
        if out.len() == out.capacity() {
            let target = out.capacity().saturating_mul(2).max(64).min(hard_cap);
            out.reserve_exact(target - out.len());
        }
        let before_out = out.len();
        let (end, consumed) = step(&input[used..], &mut out).map_err(|e| failed(method, e))?;
        used += consumed;
        if out.len() > max_output {
            return Err(limit);
        }
        if end {
            return Ok(out);
        }
        if consumed == 0 && out.len() == before_out {
            return Err(failed(
                method,
                if used >= input.len() {
                    "truncated stream (input ended before the end-of-stream marker)"
                } else {
                    "decompressor made no progress (corrupt stream)"
                },
            ));
        }
    }
}

/// One gzip member through flate2's `GzDecoder` (header, CRC-32 and ISIZE
/// checked there); trailing input after the member is left alone.
fn gzip_decompress(data: &[u8], max_output: usize) -> Result<Vec<u8>> {
    let mut member = flate2::bufread::GzDecoder::new(data);
    read_capped(GZIP, &mut member, data.len(), max_output)
}

/// Read a library decoder to its end under an output cap, growing the output
/// as `capped` does: never beyond `max_output + 1` bytes.
fn read_capped(
    method: u8,
    reader: &mut impl Read,
    input_len: usize,
    max_output: usize,
) -> Result<Vec<u8>> {
    let limit = || Error::DecompressLimit {
        method,
        limit: max_output as u64,
    };
    let hard_cap = max_output.saturating_add(1);
    let mut out = vec![0u8; input_len.saturating_mul(4).clamp(64, 1 << 16).min(hard_cap)];
    let mut len = 0usize;
    loop {
        if len == out.len() {
            if len >= hard_cap {
                return Err(limit());
            }
            out.resize(len.saturating_mul(2).max(64).min(hard_cap), 0);
        }
        match reader.read(&mut out[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(failed(method, e)),
        }
        if len > max_output {
            return Err(limit());
        }
    }
    out.truncate(len);
    Ok(out)
}
