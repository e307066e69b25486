//! Hashes and the IDs built from them (PROTOCOL.md §4, §7.2, §7.3).

use sha2::{Digest, Sha256, Sha384};

use crate::base58;

/// SHA-256 digest.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// SHA-384 digest.
pub fn sha384(data: &[u8]) -> [u8; 48] {
    Sha384::digest(data).into()
}

/// Node ID: base58(int(SHA-384(preimage))).
pub fn node_id_from_preimage(preimage: &[u8]) -> String {
    base58::encode_bytes(&sha384(preimage))
}

/// Protocol (subnet) ID: base58(int(SHA-256(UTF-8(subnet + encryption + version)))).
pub fn protocol_id(subnet: &str, encryption: &str, version: &str) -> String {
    let text = format!("{subnet}{encryption}{version}");
    base58::encode_bytes(&sha256(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn mesh_plaintext() {
        assert_eq!(
            super::protocol_id("mesh", "Plaintext", "0.7"),
            "EpAmyZWv9rZUKmjQgU3FTUD4GrJHvVEXizmghVBc8eGD"
        );
    }
}
