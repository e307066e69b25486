/**
 * Pure-TypeScript `.xz` container codec (compression flag 0x12), the fallback
 * for when the native addon is unavailable.
 *
 * Decoder: a full `.xz` reader (container.ts) for the LZMA2 filter
 * (lzma2-decoder.ts, lzma-decoder.ts, range-decoder.ts). Output is bounded
 * while decoding: DecompressLimitError is thrown before any chunk that would
 * take the output past maxOutput is decoded.
 *
 * Encoder (encoder.ts): a valid single-block `.xz` stream made of
 * uncompressed LZMA2 chunks, i.e. no actual compression.
 *
 * Own code, not a library (measured 2026-12-06; bench/README.md, "Codecs:
 * library or own code"; docs/protocol.md §5: lzma is decoded when listed,
 * never sent). xz-decompress 0.2.3 (xz-embedded in WebAssembly) decodes all
 * 104 xz vectors and about 1.8x faster, but only through an asynchronous web
 * ReadableStream, while decompress() is synchronous, and bundles to 21.0 kB
 * (this codec: 11.2 kB). @napi-rs/lzma and lzma-native are native addons (the
 * fallback is what runs without one) with no output cap: a 153 KiB stream of
 * 1 GiB of zeros took 2.1 GiB RSS in both. LZMA-JS (`lzma`) reads .lzma, not .xz.
 */
import { DecompressError, DecompressLimitError } from '../../errors';
import { decompress } from './container';

export { xzCompress } from './encoder';

export function xzDecompress(data: Uint8Array, maxOutput: number): Buffer {
  try {
    return decompress(data, maxOutput);
  } catch (e) {
    if (e instanceof DecompressError || e instanceof DecompressLimitError) throw e;
    // Safety net: nothing but the two documented errors may escape.
    throw new DecompressError(`xz: corrupt input (${(e as Error)?.message ?? String(e)})`);
  }
}
