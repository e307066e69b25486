//! Base58 over non-negative integers (PROTOCOL.md §7.1): Bitcoin alphabet,
//! most significant digit first, zero is "1", leading zero bytes vanish.

use num_bigint::BigUint;

use crate::error::{Error, Result};

/// The Bitcoin base58 alphabet.
pub const ALPHABET: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

const INVALID: u8 = 0xff;

const fn build_index() -> [u8; 128] {
    let mut table = [INVALID; 128];
    let mut i = 0;
    while i < 58 {
        table[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    table
}

static INDEX: [u8; 128] = build_index();

/// Encode an integer.
pub fn encode_int(n: &BigUint) -> String {
    // to_radix_be gives [0] for zero, so zero becomes "1".
    n.to_radix_be(58)
        .into_iter()
        .map(|d| ALPHABET[d as usize] as char)
        .collect()
}

/// Encode bytes read as one big-endian unsigned integer.
pub fn encode_bytes(bytes: &[u8]) -> String {
    encode_int(&BigUint::from_bytes_be(bytes))
}

/// Decode to an integer; the empty string is 0. Rejects characters outside
/// the alphabet (position counted in characters, from 0).
pub fn decode_int(text: &str) -> Result<BigUint> {
    let mut digits = Vec::with_capacity(text.len());
    for (position, ch) in text.chars().enumerate() {
        let d = if (ch as u32) < 128 {
            INDEX[ch as usize]
        } else {
            INVALID
        };
        if d == INVALID {
            return Err(Error::BadBase58 { ch, position });
        }
        digits.push(d);
    }
    if digits.is_empty() {
        return Ok(BigUint::default());
    }
    Ok(BigUint::from_radix_be(&digits, 58).expect("digits are < 58"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basics() {
        assert_eq!(encode_int(&BigUint::from(0u8)), "1");
        assert_eq!(encode_int(&BigUint::from(57u8)), "z");
        assert_eq!(encode_bytes(&[0, 1]), "2");
        assert_eq!(encode_bytes(&[]), "1");
        assert_eq!(decode_int("").unwrap(), BigUint::from(0u8));
        assert_eq!(decode_int("111z").unwrap(), BigUint::from(57u8));
        assert_eq!(
            decode_int("a0").unwrap_err(),
            Error::BadBase58 {
                ch: '0',
                position: 1
            }
        );
        assert_eq!(
            decode_int("é").unwrap_err(),
            Error::BadBase58 {
                ch: 'é',
                position: 0
            }
        );
    }
}
