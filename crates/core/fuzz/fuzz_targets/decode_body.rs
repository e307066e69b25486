//! decode_body: the whole receive path after framing (try each advertised
//! decompressor, checksum, msgpack, array check). Byte 0 is a bitmask of the
//! advertised methods; the rest is a frame body. Half of the inputs get a
//! valid checksum prepended so the msgpack stage is reached.
#![no_main]
use libfuzzer_sys::fuzz_target;
use polyp2p_core::compression::METHODS;
use polyp2p_core::ids::sha256;
use polyp2p_core::message::decode_body;

fuzz_target!(|data: &[u8]| {
    if data.is_empty() {
        return;
    }
    let mask = data[0];
    let methods: Vec<u8> = METHODS.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, m)| *m).collect();
    let rest = &data[1..];
    let body = if mask & 0x80 != 0 {
        let mut b = sha256(rest).to_vec();
        b.extend_from_slice(rest);
        b
    } else {
        rest.to_vec()
    };
    match decode_body(&body, &methods, 1 << 16, usize::MAX) {
        Ok(d) => {
            assert_eq!(sha256(&d.msgpack), d.id);
            assert!(d.msgpack.len() <= 1 << 16);
        }
        Err(e) => {
            let code = e.code();
            assert!(
                matches!(code, "ERR_TRUNCATED_FRAME" | "ERR_BAD_CHECKSUM" | "ERR_BAD_MSGPACK" | "ERR_MSGPACK_UNSUPPORTED" | "ERR_DECOMPRESS_LIMIT"),
                "unexpected {code}"
            );
        }
    }
});
