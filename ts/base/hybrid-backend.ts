/**
 * The backend used when the native addon loads: each operation runs where it
 * measured faster (bench/README.md, "Routing"). Rust: node IDs, SHA-384/base58,
 * compression, chord key hashing. TypeScript: msgpack, frame splitting, frame
 * assembly, bigint ring arithmetic and the dedup cache (a relay mostly meets
 * duplicates, which the typed-array table answers in ~100 ns), where one N-API
 * crossing (converting JS values, creating Buffers) costs more than V8 needs
 * for the whole job. Both implementations give identical bytes (tested).
 */
import type { Backend } from './backend';
import { createMessageCodec } from './js/message';

const SNAPPY = 0x20;

export function createHybridBackend(native: Backend, js: Backend): Backend {
  // Snappy decoding is a byte loop V8 runs as fast as Rust; the call overhead decides.
  const decompress = (data: Uint8Array, method: number, max: number) =>
    method === SNAPPY ? js.decompress(data, method, max) : native.decompress(data, method, max);
  const codec = createMessageCodec(native.compress, decompress);
  return {
    ...native,
    name: 'native',
    decompress,
    msgpackEncode: js.msgpackEncode,
    msgpackDecode: js.msgpackDecode,
    encodeMessage: codec.encodeMessage,
    frameFromMsgpack: codec.frameFromMsgpack,
    decodeBody: codec.decodeBody,
    createFrameDecoder: js.createFrameDecoder,
    ringDistance: js.ringDistance,
    ringBetween: js.ringBetween,
    fingerTargets: js.fingerTargets,
    closestPreceding: js.closestPreceding,
    createWaterfallCache: js.createWaterfallCache,
  };
}
