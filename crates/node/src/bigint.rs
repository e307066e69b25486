//! BigInt <-> BigUint for the base58 and chord exports.

use std::ptr;

use napi::bindgen_prelude::BigInt;
use napi::sys;
use num_bigint::BigUint;

use crate::convert::{check, JsError};

/// Sign bit and little-endian 64-bit words of a JS BigInt.
pub fn raw_words(env: sys::napi_env, v: sys::napi_value) -> Result<(bool, Vec<u64>), JsError> {
    let mut count = 0usize;
    check!(
        sys::napi_get_value_bigint_words(env, v, ptr::null_mut(), &mut count, ptr::null_mut()),
        "bigint size"
    );
    let mut words = vec![0u64; count];
    let mut sign = 0;
    check!(
        sys::napi_get_value_bigint_words(env, v, &mut sign, &mut count, words.as_mut_ptr()),
        "bigint words"
    );
    words.truncate(count);
    Ok((sign != 0, words))
}

/// A non-negative BigInt as BigUint; negative values are rejected.
pub fn to_biguint(n: &BigInt, what: &str) -> Result<BigUint, JsError> {
    let is_zero = n.words.iter().all(|w| *w == 0);
    if n.sign_bit && !is_zero {
        return Err(napi::Error::new(
            "ERR_INVALID_ARG_VALUE".into(),
            format!("{what} must be a non-negative BigInt"),
        ));
    }
    let bytes: Vec<u8> = n.words.iter().flat_map(|w| w.to_le_bytes()).collect();
    Ok(BigUint::from_bytes_le(&bytes))
}

/// BigUint as a JS BigInt.
pub fn from_biguint(n: &BigUint) -> BigInt {
    BigInt {
        sign_bit: false,
        words: n.to_u64_digits(),
    }
}
