//! Decompressors (snappy, zlib, gzip, bz2, xz): arbitrary input never panics
//! and never returns more than the output cap. Byte 0 picks the method and
//! byte 1 the cap, so small caps exercise the bomb path.
#![no_main]
use libfuzzer_sys::fuzz_target;
use polyp2p_core::compression::{decompress, METHODS};

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let method = METHODS[data[0] as usize % METHODS.len()];
    let cap = if data[1] & 0x80 != 0 { 1 << 20 } else { data[1] as usize * 16 };
    match decompress(&data[2..], method, cap) {
        Ok(out) => assert!(out.len() <= cap, "{} bytes out, cap {}", out.len(), cap),
        Err(e) => {
            let code = e.code();
            assert!(code == "ERR_DECOMPRESS_FAILED" || code == "ERR_DECOMPRESS_LIMIT", "unexpected {code}");
        }
    }
});
