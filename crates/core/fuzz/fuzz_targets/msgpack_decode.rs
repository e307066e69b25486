//! msgpack decoder: arbitrary bytes never panic, hang or overflow the stack;
//! whatever decodes re-encodes, and the re-encoding decodes to the same value.
#![no_main]
use libfuzzer_sys::fuzz_target;
use polyp2p_core::msgpack::{decode, encode};
use polyp2p_core::Value;

fn has_nan(v: &Value) -> bool {
    match v {
        Value::F32(f) => f.is_nan(),
        Value::F64(f) => f.is_nan(),
        Value::Array(a) => a.iter().any(has_nan),
        Value::Map(m) => m.iter().any(|(k, v)| has_nan(k) || has_nan(v)),
        _ => false,
    }
}

/// Integers compare by value: a positive int32 on the wire decodes as Int and
/// re-encodes in the shortest (unsigned) form, which decodes as UInt.
fn normalize(v: &Value) -> Value {
    match v {
        Value::Int(i) if *i >= 0 => Value::UInt(*i as u64),
        Value::Array(a) => Value::Array(a.iter().map(normalize).collect()),
        Value::Map(m) => Value::Map(m.iter().map(|(k, v)| (normalize(k), normalize(v))).collect()),
        other => other.clone(),
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(v) = decode(data) {
        if let Ok(bytes) = encode(&v) {
            let again = decode(&bytes).expect("re-encoded value must decode");
            if !has_nan(&v) {
                assert_eq!(normalize(&again), normalize(&v));
            }
            // encoding is a fixpoint after one round
            assert_eq!(encode(&again).expect("re-encodes"), bytes);
        }
    }
});
