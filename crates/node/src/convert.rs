//! JS <-> msgpack `Value` conversion through raw N-API calls, following the
//! value model in ts/base/backend.ts exactly.

use std::cell::Cell;
use std::ptr;

use napi::sys;
use polyp2p_core::msgpack::MAX_DEPTH;
use polyp2p_core::{Error as CoreError, Value};

/// Error whose JS `code` is a stable string.
pub type JsError = napi::Error<String>;

/// Largest integer a JS number holds exactly.
const MAX_SAFE: u64 = (1 << 53) - 1;

pub fn core_err(e: CoreError) -> JsError {
    napi::Error::new(e.code().to_string(), e.to_string())
}

pub fn unsupported(msg: impl Into<String>) -> JsError {
    core_err(CoreError::MsgpackUnsupported(msg.into()))
}

pub fn napi_fail(status: i32, what: &str) -> JsError {
    napi::Error::new(
        format!("ERR_NAPI_{status}"),
        format!("N-API call failed ({what})"),
    )
}

macro_rules! check {
    ($call:expr, $what:expr) => {{
        #[allow(unused_unsafe)]
        let status = unsafe { $call };
        if status != ::napi::sys::Status::napi_ok {
            return Err($crate::convert::napi_fail(status, $what));
        }
    }};
}
pub(crate) use check;

thread_local! {
    /// Reference to the TS `MsgpackExt` class, set by `init`.
    static EXT_CLASS: Cell<sys::napi_ref> = const { Cell::new(ptr::null_mut()) };
}

/// Remember `class` (a constructor) as the ext value class.
pub fn set_ext_class(env: sys::napi_env, class: sys::napi_value) -> Result<(), JsError> {
    let mut t = 0;
    check!(sys::napi_typeof(env, class, &mut t), "typeof extClass");
    if t != sys::ValueType::napi_function {
        return Err(napi::Error::new(
            "ERR_INVALID_ARG_TYPE".into(),
            "init(extClass): extClass must be the MsgpackExt class (a constructor)",
        ));
    }
    let old = EXT_CLASS.with(|c| c.get());
    if !old.is_null() {
        check!(
            sys::napi_delete_reference(env, old),
            "delete old extClass reference"
        );
    }
    let mut r = ptr::null_mut();
    check!(
        sys::napi_create_reference(env, class, 1, &mut r),
        "reference extClass"
    );
    EXT_CLASS.with(|c| c.set(r));
    Ok(())
}

/// Per-call handles: the env, the ext class and the global Map / Array.from.
pub struct Ctx {
    pub env: sys::napi_env,
    ext: sys::napi_value,
    map: sys::napi_value,
    array: sys::napi_value,
    array_from: sys::napi_value,
}

impl Ctx {
    pub fn new(env: sys::napi_env) -> Result<Self, JsError> {
        let mut ext = ptr::null_mut();
        let r = EXT_CLASS.with(|c| c.get());
        if !r.is_null() {
            check!(sys::napi_get_reference_value(env, r, &mut ext), "extClass");
        }
        let mut global = ptr::null_mut();
        check!(sys::napi_get_global(env, &mut global), "global");
        let (mut map, mut array, mut array_from) =
            (ptr::null_mut(), ptr::null_mut(), ptr::null_mut());
        check!(
            sys::napi_get_named_property(env, global, c"Map".as_ptr(), &mut map),
            "Map"
        );
        check!(
            sys::napi_get_named_property(env, global, c"Array".as_ptr(), &mut array),
            "Array"
        );
        check!(
            sys::napi_get_named_property(env, array, c"from".as_ptr(), &mut array_from),
            "Array.from"
        );
        Ok(Ctx {
            env,
            ext,
            map,
            array,
            array_from,
        })
    }

    fn instance_of(&self, v: sys::napi_value, ctor: sys::napi_value) -> Result<bool, JsError> {
        if ctor.is_null() {
            return Ok(false);
        }
        let mut yes = false;
        check!(
            sys::napi_instanceof(self.env, v, ctor, &mut yes),
            "instanceof"
        );
        Ok(yes)
    }

    fn prop(&self, obj: sys::napi_value, key: sys::napi_value) -> Result<sys::napi_value, JsError> {
        let mut out = ptr::null_mut();
        check!(
            sys::napi_get_property(self.env, obj, key, &mut out),
            "get property"
        );
        Ok(out)
    }

    fn named(
        &self,
        obj: sys::napi_value,
        name: &std::ffi::CStr,
    ) -> Result<sys::napi_value, JsError> {
        let mut out = ptr::null_mut();
        check!(
            sys::napi_get_named_property(self.env, obj, name.as_ptr(), &mut out),
            "get property"
        );
        Ok(out)
    }

    fn element(&self, arr: sys::napi_value, i: u32) -> Result<sys::napi_value, JsError> {
        let mut out = ptr::null_mut();
        check!(
            sys::napi_get_element(self.env, arr, i, &mut out),
            "get element"
        );
        Ok(out)
    }

    fn array_len(&self, arr: sys::napi_value) -> Result<u32, JsError> {
        let mut n = 0;
        check!(
            sys::napi_get_array_length(self.env, arr, &mut n),
            "array length"
        );
        Ok(n)
    }

    // ---- JS -> Value ---------------------------------------------------

    /// Convert a JS value; `js2p` applies msgpack-lite's number rules.
    #[allow(non_upper_case_globals)]
    pub fn to_value(&self, v: sys::napi_value, js2p: bool, depth: usize) -> Result<Value, JsError> {
        let env = self.env;
        let mut t = 0;
        check!(sys::napi_typeof(env, v, &mut t), "typeof");
        use sys::ValueType::*;
        Ok(match t {
            napi_undefined | napi_null => Value::Nil,
            napi_boolean => {
                let mut b = false;
                check!(sys::napi_get_value_bool(env, v, &mut b), "bool");
                Value::Bool(b)
            }
            napi_number => {
                let mut x = 0.0;
                check!(sys::napi_get_value_double(env, v, &mut x), "number");
                number_value(x, js2p)
            }
            napi_string => Value::Str(self.string(v)?),
            napi_bigint => self.bigint(v)?,
            napi_object => self.object(v, js2p, depth)?,
            napi_function => return Err(unsupported("functions cannot be encoded")),
            napi_symbol => return Err(unsupported("symbols cannot be encoded")),
            _ => return Err(unsupported("external values cannot be encoded")),
        })
    }

    pub fn string(&self, v: sys::napi_value) -> Result<String, JsError> {
        let mut len = 0usize;
        check!(
            sys::napi_get_value_string_utf8(self.env, v, ptr::null_mut(), 0, &mut len),
            "string length"
        );
        let mut buf = vec![0u8; len + 1];
        let mut written = 0usize;
        check!(
            sys::napi_get_value_string_utf8(
                self.env,
                v,
                buf.as_mut_ptr().cast(),
                len + 1,
                &mut written
            ),
            "string"
        );
        buf.truncate(written);
        Ok(String::from_utf8(buf)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
    }

    fn bigint(&self, v: sys::napi_value) -> Result<Value, JsError> {
        let (sign, words) = crate::bigint::raw_words(self.env, v)?;
        let out_of_range =
            || unsupported("BigInt outside the int64/uint64 range cannot be encoded as msgpack");
        let mag = match words.iter().rposition(|w| *w != 0) {
            None => 0,
            Some(0) => words[0],
            Some(_) => return Err(out_of_range()),
        };
        Ok(match (sign, mag) {
            (_, 0) => Value::UInt(0),
            (false, m) => Value::UInt(m),
            (true, m) if m <= 1 << 63 => Value::Int((m as i128).wrapping_neg() as i64),
            _ => return Err(out_of_range()),
        })
    }

    fn bytes_of_typed_array(&self, v: sys::napi_value) -> Result<Option<Vec<u8>>, JsError> {
        let mut is = false;
        check!(
            sys::napi_is_typedarray(self.env, v, &mut is),
            "is typedarray"
        );
        if !is {
            return Ok(None);
        }
        let (mut kind, mut len, mut data, mut ab, mut off) =
            (0, 0usize, ptr::null_mut(), ptr::null_mut(), 0usize);
        check!(
            sys::napi_get_typedarray_info(
                self.env, v, &mut kind, &mut len, &mut data, &mut ab, &mut off
            ),
            "typedarray"
        );
        if kind != sys::TypedarrayType::uint8_array {
            return Err(unsupported(
                "only Uint8Array/Buffer typed arrays can be encoded (as msgpack bin)",
            ));
        }
        if len == 0 || data.is_null() {
            return Ok(Some(Vec::new()));
        }
        Ok(Some(
            unsafe { std::slice::from_raw_parts(data as *const u8, len) }.to_vec(),
        ))
    }

    fn object(&self, v: sys::napi_value, js2p: bool, depth: usize) -> Result<Value, JsError> {
        let env = self.env;
        if depth >= MAX_DEPTH {
            return Err(unsupported(format!(
                "nesting deeper than {MAX_DEPTH} levels (is the structure cyclic?)"
            )));
        }
        let mut is = false;
        check!(sys::napi_is_array(env, v, &mut is), "is array");
        if is {
            let n = self.array_len(v)?;
            let mut items = Vec::with_capacity(n as usize);
            for i in 0..n {
                items.push(self.to_value(self.element(v, i)?, js2p, depth + 1)?);
            }
            return Ok(Value::Array(items));
        }
        if let Some(bytes) = self.bytes_of_typed_array(v)? {
            return Ok(Value::Bin(bytes));
        }
        check!(sys::napi_is_arraybuffer(env, v, &mut is), "is arraybuffer");
        let mut is_view = false;
        check!(sys::napi_is_dataview(env, v, &mut is_view), "is dataview");
        if is || is_view {
            return Err(unsupported(
                "ArrayBuffer/DataView cannot be encoded; pass a Uint8Array or Buffer",
            ));
        }
        if self.instance_of(v, self.ext)? {
            return self.ext_value(v);
        }
        if self.instance_of(v, self.map)? {
            let mut pairs_arr = ptr::null_mut();
            let args = [v];
            check!(
                sys::napi_call_function(
                    env,
                    self.array,
                    self.array_from,
                    1,
                    args.as_ptr(),
                    &mut pairs_arr
                ),
                "Array.from(map)"
            );
            let n = self.array_len(pairs_arr)?;
            let mut pairs = Vec::with_capacity(n as usize);
            for i in 0..n {
                let pair = self.element(pairs_arr, i)?;
                let k = self.to_value(self.element(pair, 0)?, js2p, depth + 1)?;
                let val = self.to_value(self.element(pair, 1)?, js2p, depth + 1)?;
                pairs.push((k, val));
            }
            return Ok(Value::Map(pairs));
        }
        let mut keys = ptr::null_mut();
        check!(
            sys::napi_get_all_property_names(
                env,
                v,
                sys::KeyCollectionMode::own_only,
                sys::KeyFilter::enumerable | sys::KeyFilter::skip_symbols,
                sys::KeyConversion::numbers_to_strings,
                &mut keys,
            ),
            "own keys"
        );
        let n = self.array_len(keys)?;
        let mut pairs = Vec::with_capacity(n as usize);
        for i in 0..n {
            let key = self.element(keys, i)?;
            let val = self.to_value(self.prop(v, key)?, js2p, depth + 1)?;
            pairs.push((Value::Str(self.string(key)?), val));
        }
        Ok(Value::Map(pairs))
    }

    fn ext_value(&self, v: sys::napi_value) -> Result<Value, JsError> {
        let mut t = 0.0;
        check!(
            sys::napi_get_value_double(self.env, self.named(v, c"type")?, &mut t),
            "ext type"
        );
        if t.fract() != 0.0 || !(-128.0..=127.0).contains(&t) {
            return Err(unsupported(format!(
                "MsgpackExt type {t} is not an integer in -128..127"
            )));
        }
        let data = self
            .bytes_of_typed_array(self.named(v, c"data")?)?
            .ok_or_else(|| unsupported("MsgpackExt data must be a Buffer/Uint8Array"))?;
        Ok(Value::Ext(t as i8, data))
    }
}

/// A JS number as a msgpack value (see backend.ts).
pub fn number_value(x: f64, js2p: bool) -> Value {
    if !x.is_finite() || x.fract() != 0.0 {
        return Value::F64(x);
    }
    if js2p {
        if (-2147483648.0..=2147483647.0).contains(&x) {
            Value::Int(x as i64)
        } else {
            Value::F64(x)
        }
    } else if x >= 0.0 {
        if x < 18446744073709551616.0 {
            Value::UInt(x as u64)
        } else {
            Value::F64(x)
        }
    } else if x >= -9223372036854775808.0 {
        Value::Int(x as i64)
    } else {
        Value::F64(x)
    }
}

pub(crate) const fn max_safe() -> u64 {
    MAX_SAFE
}

impl Ctx {
    /// The MsgpackExt class, or null when `init` was not called.
    pub fn ext_class(&self) -> sys::napi_value {
        self.ext
    }
}
