//! Shared helpers for the vector tests: locating /work/shared/vectors,
//! loading JSON, hex, and turning the vectors' typed values into `Value`s.
#![allow(dead_code)]

use std::path::PathBuf;

use num_bigint::BigUint;
use polyp2p_core::Value;
use serde_json::Value as Json;

/// The vectors folder, or None (with a printed reason) when it is absent.
/// With CI=true an absent folder is a failure.
pub fn vectors_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("POLYP2P_VECTORS") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors"),
    };
    if dir.join("README.md").exists() {
        return Some(dir);
    }
    let reason = format!(
        "golden vectors not found at {} (set POLYP2P_VECTORS to the shared/vectors folder)",
        dir.display()
    );
    if std::env::var("CI").map(|v| v == "true").unwrap_or(false) {
        panic!("{reason}");
    }
    eprintln!("SKIPPED: {reason}");
    None
}

/// Load `<vectors>/<rel>`, or None when the vectors are absent.
pub fn load(rel: &str) -> Option<Json> {
    let dir = vectors_dir()?;
    let text = std::fs::read_to_string(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    Some(serde_json::from_str(&text).unwrap_or_else(|e| panic!("{rel}: {e}")))
}

pub const ORIGINALS: [&str; 3] = ["js2p", "py2p-0.7.870", "py2p-head"];

pub fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap_or_else(|e| panic!("bad hex {s:?}: {e}"))
}

pub fn big(s: &str) -> BigUint {
    s.parse()
        .unwrap_or_else(|e| panic!("bad integer {s:?}: {e}"))
}

pub fn s<'a>(j: &'a Json, key: &str) -> &'a str {
    j[key]
        .as_str()
        .unwrap_or_else(|| panic!("missing string {key} in {j}"))
}

pub fn arr<'a>(j: &'a Json, key: &str) -> &'a Vec<Json> {
    j[key]
        .as_array()
        .unwrap_or_else(|| panic!("missing array {key}"))
}

/// `compression` field: null/"none" -> None, else the flag.
pub fn flag(j: &Json) -> Option<u8> {
    match j {
        Json::Null => None,
        Json::String(t) if t == "none" => None,
        Json::Number(n) => Some(n.as_u64().expect("flag") as u8),
        other => panic!("bad compression field {other}"),
    }
}

/// py2p typed value: ["nil"], ["bool", b], ["int", "dec"], ["float", x],
/// ["str", t], ["bin", hex], ["array", [...]], ["map", [[k, v]...]], ["ext", code, hex].
pub fn typed(j: &Json) -> Value {
    let a = j.as_array().expect("typed value is an array");
    let tag = a[0].as_str().expect("tag");
    match tag {
        "nil" => Value::Nil,
        "bool" => Value::Bool(a[1].as_bool().unwrap()),
        "int" => {
            let t = a[1].as_str().unwrap();
            if t.starts_with('-') {
                Value::Int(t.parse().unwrap())
            } else {
                Value::UInt(t.parse().unwrap())
            }
        }
        "float" => Value::F64(a[1].as_f64().unwrap()),
        "str" => Value::Str(a[1].as_str().unwrap().to_owned()),
        "bin" => Value::Bin(unhex(a[1].as_str().unwrap())),
        "array" => Value::Array(a[1].as_array().unwrap().iter().map(typed).collect()),
        "map" => Value::Map(
            a[1].as_array()
                .unwrap()
                .iter()
                .map(|kv| (typed(&kv[0]), typed(&kv[1])))
                .collect(),
        ),
        "ext" => Value::Ext(a[1].as_i64().unwrap() as i8, unhex(a[2].as_str().unwrap())),
        other => panic!("unknown typed tag {other}"),
    }
}

/// js2p payload JSON (numbers, strings, null, bools, arrays, objects,
/// {"Buffer_hex": ...}) as the Value msgpack-lite would see.
pub fn js_value(j: &Json) -> Value {
    match j {
        Json::Null => Value::Nil,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => Value::UInt(u),
            (None, Some(i)) => Value::Int(i),
            _ => Value::F64(n.as_f64().unwrap()),
        },
        Json::String(t) => Value::Str(t.clone()),
        Json::Array(items) => Value::Array(items.iter().map(js_value).collect()),
        Json::Object(map) => match map.get("Buffer_hex") {
            Some(Json::String(h)) if map.len() == 1 => Value::Bin(unhex(h)),
            _ => Value::Map(
                map.iter()
                    .map(|(k, v)| (Value::Str(k.clone()), js_value(v)))
                    .collect(),
            ),
        },
    }
}

/// Split a frame into (announced length, body), checking the header.
pub fn split_frame(frame: &[u8]) -> &[u8] {
    let len = u32::from_be_bytes(frame[..4].try_into().unwrap()) as usize;
    assert_eq!(len, frame.len() - 4, "length header matches body");
    &frame[4..]
}
