//! msgpack `Value` -> JS, following ts/base/backend.ts: ints become numbers
//! when |n| <= 2^53-1 and BigInts otherwise; maps become plain objects with
//! string keys (str as is, bin as UTF-8 text, numbers and booleans as JS
//! `String(k)`, nil as 'null'; array, map and ext keys are ERR_BAD_MSGPACK);
//! ext values become `new MsgpackExt(type, data)`.

use std::ptr;

use napi::sys;
use polyp2p_core::Value;

use crate::convert::{check, max_safe, unsupported, Ctx, JsError};

impl Ctx {
    pub fn to_js(&self, v: &Value) -> Result<sys::napi_value, JsError> {
        let env = self.env;
        let mut out = ptr::null_mut();
        match v {
            Value::Nil => check!(sys::napi_get_null(env, &mut out), "null"),
            Value::Bool(b) => check!(sys::napi_get_boolean(env, *b, &mut out), "boolean"),
            Value::Int(n) if n.unsigned_abs() <= max_safe() => {
                check!(sys::napi_create_double(env, *n as f64, &mut out), "number")
            }
            Value::Int(n) => check!(sys::napi_create_bigint_int64(env, *n, &mut out), "bigint"),
            Value::UInt(n) if *n <= max_safe() => {
                check!(sys::napi_create_double(env, *n as f64, &mut out), "number")
            }
            Value::UInt(n) => check!(sys::napi_create_bigint_uint64(env, *n, &mut out), "bigint"),
            Value::F32(x) => check!(sys::napi_create_double(env, *x as f64, &mut out), "number"),
            Value::F64(x) => check!(sys::napi_create_double(env, *x, &mut out), "number"),
            Value::Str(s) => out = self.js_string(s)?,
            Value::Bin(b) => out = self.buffer(b)?,
            Value::Array(items) => {
                check!(
                    sys::napi_create_array_with_length(env, items.len(), &mut out),
                    "array"
                );
                for (i, item) in items.iter().enumerate() {
                    let e = self.to_js(item)?;
                    check!(sys::napi_set_element(env, out, i as u32, e), "set element");
                }
            }
            Value::Map(pairs) => {
                check!(sys::napi_create_object(env, &mut out), "object");
                for (k, val) in pairs {
                    // Key first, as the fallback does: a bad key fails before
                    // its value is converted.
                    let key = self.map_key(k)?;
                    let jv = self.to_js(val)?;
                    match key {
                        Key::Text(text) => self.set_own(out, &text, jv)?,
                        Key::Js(name) => {
                            check!(sys::napi_set_property(env, out, name, jv), "set property")
                        }
                    }
                }
            }
            Value::Ext(kind, data) => {
                if self.ext_class().is_null() {
                    return Err(unsupported(
                        "an ext value was decoded but init(MsgpackExt) was not called",
                    ));
                }
                let mut t = ptr::null_mut();
                check!(
                    sys::napi_create_int32(env, *kind as i32, &mut t),
                    "ext type"
                );
                let args = [t, self.buffer(data)?];
                check!(
                    sys::napi_new_instance(env, self.ext_class(), 2, args.as_ptr(), &mut out),
                    "new MsgpackExt"
                );
            }
        }
        Ok(out)
    }

    pub fn js_string(&self, s: &str) -> Result<sys::napi_value, JsError> {
        let mut out = ptr::null_mut();
        check!(
            sys::napi_create_string_utf8(self.env, s.as_ptr().cast(), s.len() as isize, &mut out),
            "string"
        );
        Ok(out)
    }

    pub fn buffer(&self, data: &[u8]) -> Result<sys::napi_value, JsError> {
        let mut out = ptr::null_mut();
        let mut raw = ptr::null_mut();
        check!(
            sys::napi_create_buffer_copy(
                self.env,
                data.len(),
                data.as_ptr().cast(),
                &mut raw,
                &mut out
            ),
            "buffer"
        );
        Ok(out)
    }

    /// Create an own enumerable data property (also for "__proto__", which a
    /// plain assignment would treat as the prototype setter).
    pub fn set_own(
        &self,
        obj: sys::napi_value,
        key: &str,
        value: sys::napi_value,
    ) -> Result<(), JsError> {
        let name = self.js_string(key)?;
        if key == "__proto__" {
            let desc = sys::napi_property_descriptor {
                utf8name: ptr::null(),
                name,
                method: None,
                getter: None,
                setter: None,
                value,
                attributes: sys::PropertyAttributes::writable
                    | sys::PropertyAttributes::enumerable
                    | sys::PropertyAttributes::configurable,
                data: ptr::null_mut(),
            };
            check!(
                sys::napi_define_properties(self.env, obj, 1, &desc),
                "define property"
            );
        } else {
            check!(
                sys::napi_set_property(self.env, obj, name, value),
                "set property"
            );
        }
        Ok(())
    }
}

/// A map key made a JS property name.
enum Key {
    /// Text to create (may be "__proto__", which `set_own` handles).
    Text(String),
    /// A JS string already made (a number key coerced by JS itself).
    Js(sys::napi_value),
}

/// The fallback's message (ts/base/js/msgpack-decode.ts `mapKey`).
pub const BAD_KEY: &str =
    "map key must be str, bin, number, bool or nil; arrays, maps and ext are not accepted as keys";

impl Ctx {
    /// A map key as the fallback turns it into a property name: str as is,
    /// bin as UTF-8 text, int as decimal, float as JS `String(x)` (made by
    /// JS itself through napi_coerce_to_string), bool as 'true'/'false', nil
    /// as 'null'. Array, map and ext keys are rejected (ERR_BAD_MSGPACK).
    fn map_key(&self, k: &Value) -> Result<Key, JsError> {
        Ok(match k {
            Value::Str(s) => Key::Text(s.clone()),
            Value::Bin(b) => Key::Text(String::from_utf8_lossy(b).into_owned()),
            Value::Int(n) => Key::Text(n.to_string()),
            Value::UInt(n) => Key::Text(n.to_string()),
            Value::F32(x) => Key::Js(self.number_text(*x as f64)?),
            Value::F64(x) => Key::Js(self.number_text(*x)?),
            Value::Bool(b) => Key::Text(b.to_string()),
            Value::Nil => Key::Text("null".into()),
            Value::Array(_) | Value::Map(_) | Value::Ext(..) => {
                return Err(napi::Error::new("ERR_BAD_MSGPACK".to_string(), BAD_KEY))
            }
        })
    }

    /// `String(x)` for a JS number, computed by the engine.
    fn number_text(&self, x: f64) -> Result<sys::napi_value, JsError> {
        let (mut num, mut text) = (ptr::null_mut(), ptr::null_mut());
        check!(sys::napi_create_double(self.env, x, &mut num), "number key");
        check!(
            sys::napi_coerce_to_string(self.env, num, &mut text),
            "number key to string"
        );
        Ok(text)
    }
}
