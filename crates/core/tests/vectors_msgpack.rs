//! msgpack encodings of js2p (msgpack-lite) and py2p (u-msgpack) values.

mod common;

use common::*;
use polyp2p_core::msgpack::{decode, encode, encode_with, EncodeOptions};
use polyp2p_core::Value;

fn x(n: usize) -> Value {
    Value::Str("x".repeat(n))
}

/// The vectors' `value` fields are descriptions: map each by hand.
/// Returns (value, use js2p number rules), or None for error-only cases.
fn described(desc: &str) -> Option<Value> {
    let pow = |e: u32| Value::UInt(1u64 << e);
    Some(match desc {
        "0" => Value::UInt(0),
        "127" => Value::UInt(127),
        "128" => Value::UInt(128),
        "-1" => Value::Int(-1),
        "-33" => Value::Int(-33),
        "65536" => Value::UInt(65536),
        "4294967294" => Value::UInt(4294967294),
        "4294967295" => Value::UInt(4294967295),
        "2**32" => pow(32),
        "2**53" => pow(53),
        "2**63" => pow(63),
        "2**64-1" => Value::UInt(u64::MAX),
        "1.0 (a JS number)" | "1.0 (float)" => Value::F64(1.0),
        "1.5" => Value::F64(1.5),
        "NaN" => Value::F64(f64::NAN),
        "\"a\"" | "'a' (str)" => Value::Str("a".into()),
        "31-char string" | "31-char str" => x(31),
        "32-char string" | "32-char str" => x(32),
        "256-char string" | "256-char str" => x(256),
        "Buffer [0,255]" | "b'\\x00\\xff' (bytes)" => Value::Bin(vec![0, 255]),
        "null" | "undefined" | "None" => Value::Nil,
        "true" | "True" => Value::Bool(true),
        "[1,2]" | "[1, 2]" | "(1, 2)" => Value::Array(vec![Value::UInt(1), Value::UInt(2)]),
        "{a:1}" | "{'a': 1}" => Value::Map(vec![(Value::Str("a".into()), Value::UInt(1))]),
        "{b'a': 1}" => Value::Map(vec![(Value::Bin(b"a".to_vec()), Value::UInt(1))]),
        // msgpack-lite's own ext codes for typed arrays and dates.
        "Uint8Array [1,2]" => Value::Ext(0x12, vec![1, 2]),
        "Date(0)" => Value::Ext(0x0d, vec![0]),
        // Not representable as a Value (py2p raises); covered by the binding tests.
        "bytearray(b'ab')" | "2**64" => return None,
        other => panic!("unmapped msgpack vector description {other:?}"),
    })
}

#[test]
fn msgpack_vectors() {
    for orig in ORIGINALS {
        let Some(j) = load(&format!("{orig}/msgpack.json")) else {
            return;
        };
        let opts = EncodeOptions {
            js2p_numbers: orig == "js2p",
        };
        let mut checked = 0;
        for v in arr(&j, "values") {
            let desc = s(v, "value");
            let expected = s(v, "msgpack_hex");
            let Some(value) = described(desc) else {
                assert!(expected.starts_with("ERROR"), "{orig} {desc}");
                continue;
            };
            let got = hex::encode(encode_with(&value, opts).unwrap());
            assert_eq!(got, expected, "{orig} encode {desc}");
            // Decoding then re-encoding shortest forms is the identity.
            let bytes = unhex(expected);
            let back = decode(&bytes).unwrap();
            assert_eq!(encode(&back).unwrap(), bytes, "{orig} roundtrip {desc}");
            checked += 1;
        }
        assert!(checked >= 20, "{orig}: only {checked} vectors checked");
    }
}

#[test]
fn js2p_number_rules() {
    let js = EncodeOptions { js2p_numbers: true };
    let enc = |v: Value| hex::encode(encode_with(&v, js).unwrap());
    assert_eq!(enc(Value::Int(-2147483648)), "d280000000");
    assert_eq!(enc(Value::Int(-2147483649)), "cbc1e0000000200000");
    assert_eq!(enc(Value::UInt(2147483647)), "ce7fffffff");
    assert_eq!(enc(Value::UInt(2147483648)), "cb41e0000000000000");
    assert_eq!(enc(Value::F64(1.0)), "01");
    assert_eq!(enc(Value::F64(-0.5)), "cbbfe0000000000000");
    assert_eq!(enc(Value::F32(2.0)), "02");
    assert_eq!(enc(Value::F64(4294967296.0)), "cb41f0000000000000");
    // Default rules keep floats as floats and ints exact.
    assert_eq!(
        hex::encode(encode(&Value::F64(1.0)).unwrap()),
        "cb3ff0000000000000"
    );
    assert_eq!(
        hex::encode(encode(&Value::Int(-2147483649)).unwrap()),
        "d3ffffffff7fffffff"
    );
    assert_eq!(hex::encode(encode(&Value::F32(1.5)).unwrap()), "ca3fc00000");
}

#[test]
fn every_wire_form_roundtrips() {
    let cases = [
        "c0",
        "c2",
        "c3",
        "00",
        "7f",
        "cc80",
        "cd0100",
        "ce00010000",
        "cf0000000100000000",
        "ff",
        "e0",
        "d0df",
        "d1ff7f",
        "d2ffff7fff",
        "d3ffffffff7fffffff",
        "ca3fc00000",
        "cb3ff8000000000000",
        "a0",
        "d90161",
        "da000161",
        "db0000000161",
        "c400",
        "c50001ff",
        "c600000001ff",
        "90",
        "dc000100",
        "dd0000000100",
        "80",
        "de00010000",
        "df000000010000",
        "d40100",
        "d5010001",
        "d60100000000",
        "d7010000000000000000",
        "d80100000000000000000000000000000000",
        "c70001",
        "c7030161626a",
        "c8000101ff",
        "c90000000101ff",
    ];
    for h in cases {
        let bytes = unhex(h);
        let v = decode(&bytes).unwrap_or_else(|e| panic!("{h}: {e}"));
        // Non-shortest inputs decode; shortest ones re-encode identically.
        let again = decode(&encode(&v).unwrap()).unwrap();
        assert_eq!(format!("{again:?}"), format!("{v:?}"), "{h}");
    }
}
