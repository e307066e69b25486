//! The protocol floor: the work the wire protocol itself requires per received
//! broadcast, with nothing else (no event loop, no sockets, no JS, no copies).
//! Run by bench/procs.js; every row of that suite is shown as a fraction of it.
//!
//!   cargo run --release --example protocol_floor -p polyp2p-core -- <n> [passes]
//!
//! Builds <n> distinct broadcast frames with a 100-byte payload, as polyp2p and
//! js2p send them ([0 broadcast, sender ID, time, 0 broadcast, payload], SHA-256
//! checksum, 4-byte length), back to back in one buffer. Then, per frame:
//! split off the 4-byte length header, SHA-256 of the msgpack part compared to
//! the checksum, msgpack decode, duplicate check in the waterfall cache (every
//! frame is new). The same loop is also timed cut after each step, so the cost
//! of each step shows. Each variant runs `passes` times (fresh cache each
//! time); the fastest pass counts. Prints one JSON line.

use std::hint::black_box;
use std::time::Instant;

use polyp2p_core::framing::HEADER_LEN;
use polyp2p_core::ids::{node_id_from_preimage, sha256};
use polyp2p_core::message::{encode_message, ID_LEN};
use polyp2p_core::msgpack::{self, EncodeOptions, Value};
use polyp2p_core::scan::peek_time;
use polyp2p_core::waterfall::WaterfallCache;

const PAYLOAD: usize = 100;

/// The steps done per frame, cumulatively.
#[derive(Clone, Copy, PartialEq, PartialOrd)]
enum Upto {
    Split,
    Checksum,
    Decode,
    Dedup,
}

fn payload(seq: usize) -> String {
    // 10-digit sequence number, then deterministic filler up to PAYLOAD bytes.
    let mut s = format!("{seq:010}");
    let abc = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut x: u32 = 0x9e37_79b9 ^ PAYLOAD as u32;
    while s.len() < PAYLOAD {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        s.push(abc[(x as usize) % abc.len()] as char);
    }
    s
}

fn build(n: usize, now: u64) -> (Vec<u8>, usize) {
    let sender = node_id_from_preimage(b"(127.0.0.1, 1)protocol-floor");
    let mut buf = Vec::new();
    let mut frame_len = 0;
    for seq in 0..n {
        let packets = Value::Array(vec![
            Value::UInt(0),
            Value::Str(sender.clone()),
            Value::UInt(now),
            Value::UInt(0),
            Value::Str(payload(seq)),
        ]);
        let enc = encode_message(&packets, None, EncodeOptions::default()).expect("encode");
        frame_len = enc.frame.len();
        buf.extend_from_slice(&enc.frame);
    }
    (buf, frame_len)
}

fn time_of(v: &Value) -> f64 {
    match v {
        Value::Array(a) => match a.get(2) {
            Some(Value::UInt(t)) => *t as f64,
            Some(Value::Int(t)) => *t as f64,
            Some(Value::F64(t)) => *t,
            Some(Value::F32(t)) => *t as f64,
            _ => 0.0,
        },
        _ => 0.0,
    }
}

/// One pass over every frame in `buf`; returns (frames, bad checksums, duplicates).
fn pass(buf: &[u8], upto: Upto, now: f64) -> (usize, usize, usize) {
    let mut cache = WaterfallCache::new(60.0, 200_000);
    let (mut frames, mut bad, mut dups) = (0, 0, 0);
    let mut pos = 0;
    while pos + HEADER_LEN <= buf.len() {
        let len = u32::from_be_bytes([buf[pos], buf[pos + 1], buf[pos + 2], buf[pos + 3]]) as usize;
        pos += HEADER_LEN;
        let body = black_box(&buf[pos..pos + len]);
        pos += len;
        frames += 1;
        if upto == Upto::Split {
            continue;
        }
        let (checksum, packed) = body.split_at(ID_LEN);
        let id = sha256(packed);
        if id != checksum {
            bad += 1;
            continue;
        }
        if upto == Upto::Checksum {
            black_box(&id);
            continue;
        }
        if let (Upto::Dedup, Some(time)) = (upto, peek_time(packed)) {
            cache.prefetch(&id, time, 0); // as the reader: the decode overlaps the table's cache misses
        }
        let value = msgpack::decode(packed).expect("decode");
        if upto == Upto::Decode {
            black_box(&value);
            continue;
        }
        if cache.seen(&id, time_of(&value), now) {
            dups += 1;
        }
    }
    (frames, bad, dups)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(200_000);
    let passes: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let (buf, frame_bytes) = build(n, now);

    let mut out = Vec::new();
    let (mut bad, mut dups) = (0, 0);
    for (name, upto) in [
        ("split", Upto::Split),
        ("checksum", Upto::Checksum),
        ("decode", Upto::Decode),
        ("dedup", Upto::Dedup),
    ] {
        let mut best = f64::INFINITY;
        for _ in 0..passes.max(1) {
            let t0 = Instant::now();
            let (frames, b, d) = pass(&buf, upto, now as f64);
            let secs = t0.elapsed().as_secs_f64();
            assert_eq!(frames, n);
            bad = b;
            dups = d;
            best = best.min(secs);
        }
        out.push((name, best * 1e9 / n as f64));
    }
    let total_ns = out.last().unwrap().1;
    let steps: Vec<String> = out
        .iter()
        .map(|(k, ns)| format!("\"{k}\":{ns:.1}"))
        .collect();
    println!(
        "{{\"messages\":{n},\"passes\":{passes},\"payloadBytes\":{PAYLOAD},\"frameBytes\":{frame_bytes},\"nsPerMessage\":{total_ns:.1},\"messagesPerSec\":{:.0},\"cumulativeNs\":{{{}}},\"badChecksums\":{bad},\"duplicates\":{dups}}}",
        1e9 / total_ns,
        steps.join(",")
    );
}
