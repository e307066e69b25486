/**
 * The backend used when the native addon loads: each operation runs where it
 * measured faster (bench/README.md, "Routing"). Rust: the receive path (one
 * FrameReader call per socket read: split, decompress, checksum, validate,
 * route headers, judge broadcasts against the duplicate filter, which lives
 * in Rust), the sender's seal (SHA-256 ID written into the frame and recorded
 * as seen, one call), node IDs, SHA-384/base58, compression (snappy only for
 * long compressible frames), chord key hashing. TypeScript: msgpack encoding
 * and decoding of values, frame assembly, bigint ring arithmetic, where one
 * N-API crossing (converting JS values, creating Buffers) costs more than V8
 * needs for the whole job; the addon has no binding for those (dead code in
 * a shipped binary). The tests run every case on this backend and on the
 * fallback: identical bytes.
 */
import type { Backend } from './backend';
import type { NativeOps } from './native-backend';
import { createMessageCodec } from './js/message';

const SNAPPY = 0x20;

/**
 * Snappy in TS for short frames and for frames that are literals only (no smaller than their
 * output: incompressible data): V8 copies a literal as fast as Rust and the N-API crossing
 * (~1.2 µs) decides. Any back-reference is a byte loop in TS, and since the Rust decoder is the
 * `snap` crate, Rust is 1.2-10x faster from ~512 output bytes even when 97 % of the frame is
 * literals (bench/README.md, "Routing", 2026-12-06 sweep). The preamble is the output length.
 */
export function snappyFasterInTs(data: Uint8Array): boolean {
  let length = 0;
  for (let i = 0, shift = 0; i < 5 && i < data.length; i++, shift += 7) {
    length += (data[i] & 0x7f) * 2 ** shift;
    if (data[i] < 0x80) return length < 512 || data.length >= length;
  }
  return true; // malformed preamble: either side reports it
}

/** The backend polyp2p runs when the addon loads: the addon's operations, TypeScript for the rest. */
export function createHybridBackend(native: NativeOps, js: Backend): Backend {
  const decompress = (data: Uint8Array, method: number, max: number) => (method === SNAPPY && snappyFasterInTs(data) ? js.decompress(data, method, max) : native.decompress(data, method, max));
  const codec = createMessageCodec(native.compress, decompress, native.sealFrame);
  return {
    // TS: msgpack values, frame assembly, SHA-256 alone (crypto.hash), bigint ring arithmetic
    ...js,
    // Rust: the receive path (one FrameReader call per socket read, judging broadcasts against the
    // duplicate filter, which lives in Rust), the sender's seal, node IDs, compression, chord keys
    ...native,
    name: 'native',
    decompress,
    encodeMessage: codec.encodeMessage,
    frameFromMsgpack: codec.frameFromMsgpack,
    decodeBody: codec.decodeBody,
  };
}
