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
