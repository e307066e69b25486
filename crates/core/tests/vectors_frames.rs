//! Frames, compressed bodies and cross-implementation files against the
//! golden vectors: every frame decodes; frames and bodies made with the same
//! compressor library as ours are reproduced byte for byte.

mod common;

use common::*;
use polyp2p_core::compression::{self, BZ2, GZIP, LZMA, METHODS, SNAPPY, ZLIB};
use polyp2p_core::message::{decode_body, encode_message, frame_from_msgpack};
use polyp2p_core::{ids, EncodeOptions, Value};

const MAX: usize = 16 << 20;

/// Whether our output for `method` must match `orig`'s to the byte.
/// Our snappy is a port of C++ snappy 1.1.2, the version js2p's addon
/// bundles, so js2p's snappy frames and bodies are reproduced exactly;
/// python-snappy links a newer libsnappy that picks different matches on some
/// inputs (see `snappy_encoder_agreement`), so py2p's snappy is checked by
/// decoding and round trip only. js2p's zlib/gzip came from zlibjs (a
/// different deflate); py2p's zlib/gzip/bz2/xz use the C libraries we link.
fn same_encoder(orig: &str, method: Option<u8>) -> bool {
    match method {
        None => true,
        Some(SNAPPY) => orig == "js2p",
        Some(ZLIB | GZIP | BZ2 | LZMA) => orig != "js2p",
        Some(_) => false,
    }
}

#[test]
fn frame_vectors() {
    for orig in ORIGINALS {
        let Some(j) = load(&format!("{orig}/frames.json")) else {
            return;
        };
        let mut exact = 0;
        for f in arr(&j, "frames") {
            let label = s(f, "label");
            let msgpack = unhex(s(f, "msgpack_hex"));
            let id = ids::sha256(&msgpack);
            assert_eq!(hex::encode(id), s(f, "checksum_hex"), "{orig} {label}");

            // Our encoder reproduces the original's msgpack.
            let (value, opts) = if orig == "js2p" {
                let mut items = vec![
                    Value::UInt(f["msg_type"].as_u64().unwrap()),
                    Value::Str(s(f, "sender").into()),
                    Value::UInt(f["time"].as_u64().unwrap()),
                ];
                items.extend(arr(f, "payload_js").iter().map(js_value));
                (Value::Array(items), EncodeOptions { js2p_numbers: true })
            } else {
                (typed(&f["packets_typed"]), EncodeOptions::default())
            };
            let enc = encode_message(&value, None, opts).unwrap();
            assert_eq!(
                hex::encode(&enc.msgpack),
                s(f, "msgpack_hex"),
                "{orig} {label} msgpack"
            );
            assert_eq!(enc.id, id);

            for v in arr(f, "variants") {
                let method = flag(&v["compression"]);
                let frame = unhex(s(v, "frame_hex"));
                let body = split_frame(&frame);
                let list: Vec<u8> = method.into_iter().collect();
                let d = decode_body(body, &list, MAX, usize::MAX)
                    .unwrap_or_else(|e| panic!("{orig} {label} {method:?}: {e}"));
                assert_eq!(d.msgpack, msgpack, "{orig} {label} {method:?}");
                assert_eq!(d.id, id);
                assert_eq!(d.compression, method);
                assert_eq!(d.value, msgpack_value(&msgpack));
                // Trying every method in our preference order finds it too
                // (raw frames excluded: raw bytes may parse as snappy).
                if method.is_some() {
                    let d2 = decode_body(body, &METHODS, MAX, usize::MAX).unwrap();
                    assert_eq!(d2.msgpack, msgpack);
                }
                if same_encoder(orig, method) {
                    let ours = frame_from_msgpack(&msgpack, &id, method).unwrap();
                    assert_eq!(
                        hex::encode(ours),
                        s(v, "frame_hex"),
                        "{orig} {label} {method:?} bytes"
                    );
                    exact += 1;
                }
            }
        }
        eprintln!("{orig}: {exact} frames reproduced byte for byte");
    }
}

fn msgpack_value(bytes: &[u8]) -> Value {
    polyp2p_core::msgpack::decode(bytes).unwrap()
}

#[test]
fn compression_vectors() {
    for orig in ORIGINALS {
        let Some(j) = load(&format!("{orig}/compression.json")) else {
            return;
        };
        for v in arr(&j, "vectors") {
            let method = v["method"].as_u64().unwrap() as u8;
            let input = unhex(s(v, "input_hex"));
            let packed = unhex(s(v, "compressed_hex"));
            let label = s(v, "input_label");
            let out = compression::decompress(&packed, method, MAX)
                .unwrap_or_else(|e| panic!("{orig} {label} {method}: {e}"));
            assert_eq!(out, input, "{orig} {label} {method}");
            // Exactly the cap is fine; one byte less is over it.
            assert_eq!(
                compression::decompress(&packed, method, input.len()).unwrap(),
                input
            );
            if !input.is_empty() {
                let err = compression::decompress(&packed, method, input.len() - 1).unwrap_err();
                assert_eq!(
                    err.code(),
                    "ERR_DECOMPRESS_LIMIT",
                    "{orig} {label} {method}"
                );
            }
            let ours = compression::compress(&input, method).unwrap();
            assert_eq!(compression::decompress(&ours, method, MAX).unwrap(), input);
            if same_encoder(orig, Some(method)) {
                let deterministic = v["deterministic"].as_bool().unwrap_or(true);
                let (mut a, mut b) = (ours.clone(), packed.clone());
                if !deterministic && method == GZIP {
                    // Ignore the gzip header's MTIME.
                    a[4..8].fill(0);
                    b[4..8].fill(0);
                }
                assert_eq!(
                    hex::encode(a),
                    hex::encode(b),
                    "{orig} {label} {method} bytes"
                );
            }
        }
    }
}

#[test]
fn cross_vectors() {
    let Some(dir) = vectors_dir() else { return };
    let mut frames = 0;
    for entry in std::fs::read_dir(dir.join("cross")).unwrap() {
        let path = entry.unwrap().path();
        let rel = format!("cross/{}", path.file_name().unwrap().to_string_lossy());
        let j = load(&rel).unwrap();
        for f in arr(&j, "frames") {
            let method = flag(&f["compression"]);
            let frame = unhex(s(f, "frame_hex"));
            let list: Vec<u8> = method.into_iter().collect();
            let d = decode_body(split_frame(&frame), &list, MAX, usize::MAX)
                .unwrap_or_else(|e| panic!("{rel} {} {method:?}: {e}", s(f, "label")));
            assert_eq!(d.compression, method);
            frames += 1;
        }
        for c in arr(&j, "compression") {
            let method = c["method"].as_u64().unwrap() as u8;
            compression::decompress(&unhex(s(c, "compressed_hex")), method, MAX)
                .unwrap_or_else(|e| panic!("{rel} {} {method}: {e}", s(c, "input_label")));
        }
    }
    assert!(frames > 300, "only {frames} cross frames");
}

/// js2p's snappy output (C++ snappy 1.1.2) is reproduced for every frame and
/// body; for py2p (newer libsnappy) the agreement is only reported: any
/// snappy stream is valid, outputs differ only in match choice.
#[test]
fn snappy_encoder_agreement() {
    for orig in ORIGINALS {
        let Some(j) = load(&format!("{orig}/frames.json")) else {
            return;
        };
        let (mut same, mut total) = (0, 0);
        for f in arr(&j, "frames") {
            let msgpack = unhex(s(f, "msgpack_hex"));
            let id = ids::sha256(&msgpack);
            for v in arr(f, "variants")
                .iter()
                .filter(|v| flag(&v["compression"]) == Some(SNAPPY))
            {
                total += 1;
                let ours = frame_from_msgpack(&msgpack, &id, Some(SNAPPY)).unwrap();
                let ok = hex::encode(ours) == s(v, "frame_hex");
                assert!(
                    ok || orig != "js2p",
                    "js2p snappy frame {} differs",
                    s(f, "label")
                );
                same += usize::from(ok);
            }
        }
        let c = load(&format!("{orig}/compression.json")).unwrap();
        let (mut csame, mut ctotal) = (0, 0);
        for v in arr(&c, "vectors")
            .iter()
            .filter(|v| v["method"].as_u64() == Some(SNAPPY as u64))
        {
            ctotal += 1;
            let ours = compression::compress(&unhex(s(v, "input_hex")), SNAPPY).unwrap();
            let ok = hex::encode(ours) == s(v, "compressed_hex");
            assert!(
                ok || orig != "js2p",
                "js2p snappy body {} differs",
                s(v, "input_label")
            );
            csame += usize::from(ok);
        }
        if orig == "js2p" {
            assert!(total > 0 && ctotal > 0, "no js2p snappy vectors");
        }
        eprintln!("snappy agreement {orig}: frames {same}/{total}, bodies {csame}/{ctotal}");
    }
}
