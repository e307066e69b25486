//! base58, protocol IDs, node IDs and chord positions against the golden vectors.

mod common;

use common::*;
use polyp2p_core::{base58, chord, ids, Error};

#[test]
fn base58_vectors() {
    for orig in ORIGINALS {
        let Some(j) = load(&format!("{orig}/base58.json")) else {
            return;
        };
        assert_eq!(s(&j, "alphabet").as_bytes(), base58::ALPHABET);
        for v in arr(&j, "integers") {
            assert_eq!(
                base58::encode_int(&big(s(v, "int"))),
                s(v, "base58"),
                "{orig} {v}"
            );
        }
        for v in arr(&j, "decode") {
            assert_eq!(
                base58::decode_int(s(v, "base58")).unwrap(),
                big(s(v, "int")),
                "{orig} {v}"
            );
        }
        for v in arr(&j, "decode_invalid_characters") {
            let text = s(v, "base58");
            let err = base58::decode_int(text).unwrap_err();
            assert!(
                matches!(err, Error::BadBase58 { .. }),
                "{orig} {text:?}: {err}"
            );
            assert_eq!(err.code(), "ERR_BAD_BASE58");
        }
        if let Some(list) = j["bytes_as_integers"].as_array() {
            for v in list {
                let bytes = unhex(s(v, "bytes_hex"));
                assert_eq!(base58::encode_bytes(&bytes), s(v, "base58"), "{orig} {v}");
                let n = num_bigint::BigUint::from_bytes_be(&bytes);
                assert_eq!(n, big(s(v, "as_big_endian_int")));
            }
        }
    }
}

#[test]
fn protocol_id_vectors() {
    for orig in ORIGINALS {
        let Some(j) = load(&format!("{orig}/protocol-ids.json")) else {
            return;
        };
        let version = s(&j, "protocol_version");
        for v in arr(&j, "ids") {
            let pre = s(v, "preimage_utf8");
            assert_eq!(hex::encode(ids::sha256(pre.as_bytes())), s(v, "sha256_hex"));
            let id = ids::protocol_id(s(v, "subnet"), s(v, "encryption"), version);
            assert_eq!(id, s(v, "id"), "{orig} {v}");
        }
    }
}

#[test]
fn node_id_vectors() {
    for orig in ORIGINALS {
        let Some(j) = load(&format!("{orig}/node-ids.json")) else {
            return;
        };
        for v in arr(&j, "ids") {
            let pre = s(v, "preimage_utf8").as_bytes();
            assert_eq!(hex::encode(ids::sha384(pre)), s(v, "sha384_hex"));
            assert_eq!(ids::node_id_from_preimage(pre), s(v, "id"), "{orig} {v}");
            assert_eq!(
                base58::decode_int(s(v, "id")).unwrap(),
                big(s(v, "id_as_int"))
            );
        }
    }
}

#[test]
fn chord_vectors() {
    for orig in ORIGINALS {
        let Some(j) = load(&format!("{orig}/chord.json")) else {
            return;
        };
        assert_eq!(big(s(&j, "limit_2_384")), chord::ring_size());
        for k in arr(&j, "key_hashes") {
            let key = unhex(s(k, "key_hex"));
            assert_eq!(key, s(k, "key_utf8").as_bytes());
            let got = chord::positions(&key);
            let hashes = arr(k, "hashes");
            assert_eq!(hashes.len(), 5);
            for (i, h) in hashes.iter().enumerate() {
                assert_eq!(s(h, "table"), chord::TABLES[i]);
                assert_eq!(got[i], big(s(h, "int")), "{orig} {k}");
                assert_eq!(base58::encode_int(&got[i]), s(h, "base58"));
            }
        }
        for d in arr(&j, "distance") {
            let got = chord::distance(&big(s(d, "a")), &big(s(d, "b")));
            assert_eq!(got, big(s(d, "distance_b_minus_a_mod_2_384")), "{orig} {d}");
        }
    }
}
