//! BigInt <-> BigUint for the base58 and chord exports.

use napi::bindgen_prelude::BigInt;
use num_bigint::BigUint;

use crate::convert::JsError;

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
