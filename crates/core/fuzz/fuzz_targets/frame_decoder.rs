//! FrameDecoder: any byte stream, cut into chunks anywhere, yields the same
//! bodies as a one-shot reference parse, never buffers more than one frame,
//! and after an error keeps failing.
#![no_main]
use libfuzzer_sys::fuzz_target;
use polyp2p_core::framing::FrameDecoder;

fn reference(stream: &[u8], max: u64) -> (Vec<Vec<u8>>, bool) {
    let mut out = Vec::new();
    let mut pos = 0;
    while stream.len() - pos >= 4 {
        let len = u32::from_be_bytes(stream[pos..pos + 4].try_into().unwrap()) as u64;
        if len > max {
            return (out, true);
        }
        if ((stream.len() - pos - 4) as u64) < len {
            break;
        }
        out.push(stream[pos + 4..pos + 4 + len as usize].to_vec());
        pos += 4 + len as usize;
    }
    (out, false)
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    // byte 0: frame limit (0..=255 bytes, small so that both paths are hit);
    // byte 1: chunking seed; the rest: the stream.
    let max = data[0] as u64;
    let mut seed = data[1] as usize | 1;
    let stream = &data[2..];
    let mut d = FrameDecoder::new(max);
    let mut got = Vec::new();
    let mut failed = false;
    let mut pos = 0;
    while pos < stream.len() {
        seed = seed.wrapping_mul(1103515245).wrapping_add(12345);
        let take = ((seed >> 8) % 9).min(stream.len() - pos).max(1);
        match d.push(&stream[pos..pos + take]) {
            Ok(bodies) => got.extend(bodies),
            Err(e) => {
                assert_eq!(e.code(), "ERR_FRAME_TOO_LARGE");
                failed = true;
                // sticky failure
                assert!(d.push(&[0, 0, 0, 0]).is_err());
                break;
            }
        }
        assert!(d.buffered() as u64 <= max.max(4) + 4, "buffers beyond one frame");
        pos += take;
    }
    let (want, want_fail) = reference(stream, max);
    assert_eq!(failed, want_fail);
    if failed {
        assert!(got.len() <= want.len() && got[..] == want[..got.len()]);
    } else {
        assert_eq!(got, want);
    }
});
