//! Hostile and malformed input: every error code, decompression caps and
//! bombs, framing split anywhere.

use std::io::Write;

use polyp2p_core::compression::{self, BZ2, GZIP, LZMA, METHODS, SNAPPY, ZLIB};
use polyp2p_core::framing::{encode_frame, FrameDecoder};
use polyp2p_core::message::{decode_body, encode_message, frame_from_msgpack};
use polyp2p_core::msgpack::{decode, encode, MAX_DEPTH};
use polyp2p_core::{base58, EncodeOptions, Error, Value};

fn sample() -> Value {
    Value::Array(vec![
        Value::UInt(0),
        Value::Str("sender".into()),
        Value::UInt(1500000000),
        Value::UInt(0),
        Value::Str("hello".into()),
    ])
}

fn body_of(frame: &[u8]) -> &[u8] {
    &frame[4..]
}

#[test]
fn frame_too_large_is_detected_at_the_header() {
    let mut d = FrameDecoder::new(16 << 20);
    // Header split one byte at a time, announcing 20,000,000 bytes.
    let header = 20_000_000u32.to_be_bytes();
    for b in &header[..3] {
        assert!(d.push(&[*b]).unwrap().is_empty());
    }
    let err = d.push(&header[3..]).unwrap_err();
    assert_eq!(err.code(), "ERR_FRAME_TOO_LARGE");
    assert!(
        err.to_string().contains("20000000") && err.to_string().contains("16777216"),
        "{err}"
    );
    // The decoder stays failed and buffers nothing more.
    assert_eq!(d.push(&[0; 100]).unwrap_err(), err);
    assert_eq!(d.buffered(), 0);
    // At the limit is fine.
    let mut ok = FrameDecoder::new(3);
    assert_eq!(
        ok.push(&[0, 0, 0, 3, 1, 2, 3]).unwrap(),
        vec![vec![1, 2, 3]]
    );
}

#[test]
fn frames_split_anywhere() {
    let bodies: Vec<Vec<u8>> = vec![vec![], b"a".to_vec(), vec![7; 300], b"xyz".to_vec()];
    let stream: Vec<u8> = bodies
        .iter()
        .flat_map(|b| encode_frame(b).unwrap())
        .collect();
    for step in [1usize, 2, 3, 4, 5, 7, 64, stream.len()] {
        let mut d = FrameDecoder::new(1000);
        let mut got = Vec::new();
        for chunk in stream.chunks(step) {
            got.extend(d.push(chunk).unwrap());
        }
        assert_eq!(got, bodies, "chunk size {step}");
        assert_eq!(d.buffered(), 0);
    }
    let mut d = FrameDecoder::new(1000);
    assert!(d.push(&stream[..10]).unwrap().len() == 2);
    assert_eq!(d.buffered(), 10 - 4 - 5);
}

#[test]
fn checksum_truncation_and_msgpack_errors() {
    let enc = encode_message(&sample(), None, EncodeOptions::default()).unwrap();
    let mut body = body_of(&enc.frame).to_vec();
    let last = body.len() - 1;
    body[last] ^= 1;
    let err = decode_body(&body, &[], 1 << 20, usize::MAX).unwrap_err();
    assert_eq!(err.code(), "ERR_BAD_CHECKSUM");

    let err = decode_body(&[1, 2, 3], &[ZLIB], 1 << 20, usize::MAX).unwrap_err();
    assert_eq!(err, Error::TruncatedFrame { len: 3 });
    assert_eq!(err.code(), "ERR_TRUNCATED_FRAME");
    assert_eq!(
        decode_body(&[], &[], 10, usize::MAX).unwrap_err().code(),
        "ERR_TRUNCATED_FRAME"
    );

    // Valid checksum over invalid msgpack, and over a non-array.
    for bad in [&[0xc1u8][..], &[0x92, 0x01], &[0x01, 0x02], &[0xa1, 0xff]] {
        let id = polyp2p_core::ids::sha256(bad);
        let frame = frame_from_msgpack(bad, &id, None).unwrap();
        assert_eq!(
            decode_body(body_of(&frame), &[], 1 << 20, usize::MAX)
                .unwrap_err()
                .code(),
            "ERR_BAD_MSGPACK"
        );
    }
    let id = polyp2p_core::ids::sha256(&[0x01]);
    let frame = frame_from_msgpack(&[0x01], &id, None).unwrap();
    assert_eq!(
        decode_body(body_of(&frame), &[], 1 << 20, usize::MAX)
            .unwrap_err()
            .code(),
        "ERR_BAD_MSGPACK"
    );
}

#[test]
fn msgpack_decoder_is_safe() {
    let bad: &[&[u8]] = &[
        &[],                             // nothing
        &[0xc1],                         // reserved
        &[0x01, 0x02],                   // trailing
        &[0xa2, 0x61],                   // truncated str
        &[0xa1, 0xff],                   // invalid UTF-8
        &[0xdd, 0xff, 0xff, 0xff, 0xff], // 4G-element array claimed, no bytes
        &[0xdf, 0xff, 0xff, 0xff, 0xff, 0x01],
        &[0xc6, 0xff, 0xff, 0xff, 0xff, 0x00],
        &[0xc9, 0xff, 0xff, 0xff, 0xff, 0x01],
        &[0xcb, 0x00],
        &[0xd8, 0x01],
    ];
    for b in bad {
        let err = decode(b).unwrap_err();
        assert_eq!(err.code(), "ERR_BAD_MSGPACK", "{b:02x?}");
    }
    let deep_ok: Vec<u8> = std::iter::repeat_n(0x91, MAX_DEPTH - 1)
        .chain([0x90])
        .collect();
    assert!(decode(&deep_ok).is_ok());
    let too_deep: Vec<u8> = std::iter::repeat_n(0x91, MAX_DEPTH).chain([0x90]).collect();
    assert_eq!(decode(&too_deep).unwrap_err().code(), "ERR_BAD_MSGPACK");
    let huge: Vec<u8> = std::iter::repeat_n(0x91, 1_000_000).collect();
    assert_eq!(decode(&huge).unwrap_err().code(), "ERR_BAD_MSGPACK");
}

#[test]
fn msgpack_encoder_limits() {
    let mut v = Value::Array(vec![]);
    for _ in 0..MAX_DEPTH - 1 {
        v = Value::Array(vec![v]);
    }
    assert!(encode(&v).is_ok());
    let v = Value::Array(vec![v]);
    assert_eq!(encode(&v).unwrap_err().code(), "ERR_MSGPACK_UNSUPPORTED");
}

#[test]
fn base58_and_unknown_compression() {
    let err = base58::decode_int("abc0").unwrap_err();
    assert_eq!(
        err,
        Error::BadBase58 {
            ch: '0',
            position: 3
        }
    );
    assert!(err.to_string().contains("'0'") && err.to_string().contains("position 3"));
    assert_eq!(
        compression::compress(b"x", 0x14).unwrap_err().code(),
        "ERR_UNKNOWN_COMPRESSION"
    );
    assert_eq!(
        compression::decompress(b"x", 0x99, 10).unwrap_err().code(),
        "ERR_UNKNOWN_COMPRESSION"
    );
    assert_eq!(
        encode_message(&sample(), Some(0x15), EncodeOptions::default())
            .unwrap_err()
            .code(),
        "ERR_UNKNOWN_COMPRESSION"
    );
}

#[test]
fn corrupt_and_truncated_streams_fail() {
    let data = vec![42u8; 5000];
    for m in METHODS {
        let packed = compression::compress(&data, m).unwrap();
        for cut in [1, packed.len() / 2, packed.len() - 1] {
            let err = compression::decompress(&packed[..cut], m, 1 << 20).unwrap_err();
            assert_eq!(
                err.code(),
                "ERR_DECOMPRESS_FAILED",
                "method {m:#x} cut {cut}: {err}"
            );
        }
        let garbage = vec![0xa5u8; 64];
        let err = compression::decompress(&garbage, m, 1 << 20).unwrap_err();
        assert_eq!(err.code(), "ERR_DECOMPRESS_FAILED", "method {m:#x}");
    }
    // Corrupt gzip CRC.
    let mut gz = compression::compress(b"hello hello", GZIP).unwrap();
    let n = gz.len();
    gz[n - 5] ^= 0xff;
    assert_eq!(
        compression::decompress(&gz, GZIP, 100).unwrap_err().code(),
        "ERR_DECOMPRESS_FAILED"
    );
}

#[test]
fn small_bombs_hit_the_cap_for_every_method() {
    let zeros = vec![0u8; 4 << 20];
    for m in METHODS {
        let packed = compression::compress(&zeros, m).unwrap();
        let err = compression::decompress(&packed, m, 1 << 20).unwrap_err();
        assert_eq!(
            err,
            Error::DecompressLimit {
                method: m,
                limit: 1 << 20
            },
            "{m:#x}"
        );
        assert!(err.to_string().contains("1048576"));
        // decode_body: the cap is an error, not a fall-through to raw.
        let err = decode_body(&packed, &[m], 1 << 20, usize::MAX).unwrap_err();
        assert_eq!(err.code(), "ERR_DECOMPRESS_LIMIT");
    }
    // Snappy: a header claiming 1 GiB is refused before allocating.
    let mut claim = Vec::new();
    let mut n = 1u64 << 30;
    while n >= 0x80 {
        claim.push((n as u8) | 0x80);
        n >>= 7;
    }
    claim.push(n as u8);
    claim.extend_from_slice(&[0x00, 0x00]);
    assert_eq!(
        compression::decompress(&claim, SNAPPY, 1 << 20)
            .unwrap_err()
            .code(),
        "ERR_DECOMPRESS_LIMIT"
    );
}

/// A zlib stream of 1 GiB of zeros, built without holding 1 GiB: one
/// full-flushed deflate segment of 1 MiB of zeros repeated 1024 times.
fn gib_zlib_bomb() -> Vec<u8> {
    let mut c = flate2::Compress::new(flate2::Compression::new(9), false);
    let zeros = vec![0u8; 1 << 20];
    let mut seg = Vec::with_capacity(4096);
    c.compress_vec(&zeros, &mut seg, flate2::FlushCompress::Full)
        .unwrap();
    assert_eq!(c.total_in(), 1 << 20, "segment fits in one call");
    let mut out = vec![0x78, 0xda];
    for _ in 0..1024 {
        out.extend_from_slice(&seg);
    }
    out.extend_from_slice(&[0x03, 0x00]); // final empty fixed block
    let b = (1u64 << 30) % 65521;
    out.extend_from_slice(&(((b << 16) | 1) as u32).to_be_bytes());
    out
}

#[test]
fn one_gib_bomb_is_stopped_early() {
    let bomb = gib_zlib_bomb();
    assert!(bomb.len() < 2 << 20, "bomb is {} bytes", bomb.len());
    let start = std::time::Instant::now();
    let err = compression::decompress(&bomb, ZLIB, 16 << 20).unwrap_err();
    assert_eq!(err.code(), "ERR_DECOMPRESS_LIMIT");
    assert!(start.elapsed().as_secs() < 20);
    // The same deflate data as gzip and as a message body.
    let mut gz = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
    gz.extend_from_slice(&bomb[2..bomb.len() - 4]);
    gz.extend_from_slice(&[0; 8]);
    assert_eq!(
        compression::decompress(&gz, GZIP, 16 << 20)
            .unwrap_err()
            .code(),
        "ERR_DECOMPRESS_LIMIT"
    );
    assert_eq!(
        decode_body(&bomb, &[0x99, ZLIB], 16 << 20, usize::MAX)
            .unwrap_err()
            .code(),
        "ERR_DECOMPRESS_LIMIT"
    );
}

#[test]
fn decode_body_method_order_and_fallback() {
    let enc = encode_message(&sample(), None, EncodeOptions::default()).unwrap();
    // Raw body with compressions advertised: all fail, raw wins.
    let d = decode_body(
        body_of(&enc.frame),
        &[ZLIB, GZIP, BZ2, LZMA],
        1 << 20,
        usize::MAX,
    )
    .unwrap();
    assert_eq!(d.compression, None);
    assert_eq!(d.msgpack, enc.msgpack);
    // Unknown flags are skipped.
    let z = encode_message(&sample(), Some(ZLIB), EncodeOptions::default()).unwrap();
    let d = decode_body(
        body_of(&z.frame),
        &[0x99, 0x14, GZIP, ZLIB],
        1 << 20,
        usize::MAX,
    )
    .unwrap();
    assert_eq!(d.compression, Some(ZLIB));
    assert_eq!(d.id, enc.id);
    // Encoding is deterministic across methods.
    for m in METHODS {
        let e = encode_message(&sample(), Some(m), EncodeOptions::default()).unwrap();
        assert_eq!(e.msgpack, enc.msgpack);
        let d = decode_body(body_of(&e.frame), &[m], 1 << 20, usize::MAX).unwrap();
        assert_eq!(d.value, sample_decoded());
    }
    let mut out = Vec::new();
    out.write_all(&enc.frame).unwrap();
    assert_eq!(
        u32::from_be_bytes(out[..4].try_into().unwrap()) as usize,
        out.len() - 4
    );
}

fn sample_decoded() -> Value {
    decode(&encode(&sample()).unwrap()).unwrap()
}

/// Found by the hostile catalogue (slowloris from the first header byte):
/// `buffered()` fell to 0 once a header was parsed and before any body byte
/// arrived, so the frame timeout restarted at every header boundary.
#[test]
fn a_parsed_header_counts_as_a_frame_in_progress() {
    let mut d = FrameDecoder::new(100);
    assert_eq!(d.buffered(), 0);
    d.push(&[0, 0]).unwrap();
    assert_eq!(d.buffered(), 2);
    d.push(&[0, 10]).unwrap();
    assert_eq!(
        d.buffered(),
        4,
        "header complete, body not started: still mid-frame"
    );
    d.push(&[1, 2, 3]).unwrap();
    assert_eq!(d.buffered(), 7);
    assert_eq!(d.push(&[4, 5, 6, 7, 8, 9, 10]).unwrap().len(), 1);
    assert_eq!(d.buffered(), 0);
    // a header at the very end of a chunk that completed another frame
    assert_eq!(d.push(&[0, 0, 0, 1, 9, 0, 0, 0, 5]).unwrap(), vec![vec![9]]);
    assert_eq!(d.buffered(), 4);
}

#[test]
fn element_budget_bounds_values_decoded() {
    use polyp2p_core::msgpack::decode_limited;
    // [[], [], ...] : 1 + n values
    let mut bytes = vec![0xdc, 0x03, 0xe8]; // array16 of 1000
    bytes.extend(std::iter::repeat_n(0x90, 1000));
    assert!(decode_limited(&bytes, 1001).is_ok());
    let err = decode_limited(&bytes, 1000).unwrap_err();
    assert_eq!(err.code(), "ERR_ELEMENT_LIMIT");
    // a map entry counts two: {1: 2} is three values
    assert!(decode_limited(&[0x81, 0x01, 0x02], 3).is_ok());
    assert_eq!(
        decode_limited(&[0x81, 0x01, 0x02], 2).unwrap_err().code(),
        "ERR_ELEMENT_LIMIT"
    );
    // through decode_body, after decompression: 1 MiB of empty arrays compressed to ~1 KiB
    let mut inner = vec![0xdd];
    inner.extend_from_slice(&(1u32 << 20).to_be_bytes());
    inner.extend(std::iter::repeat_n(0x90, 1 << 20));
    let id = polyp2p_core::ids::sha256(&inner);
    let frame = frame_from_msgpack(&inner, &id, Some(ZLIB)).unwrap();
    let body = body_of(&frame);
    assert!(body.len() < 4096, "compressed to {} bytes", body.len());
    let err = decode_body(body, &[ZLIB], 2 << 20, 8 * body.len()).unwrap_err();
    assert_eq!(err.code(), "ERR_ELEMENT_LIMIT");
    assert!(decode_body(body, &[ZLIB], 2 << 20, usize::MAX).is_ok());
}
