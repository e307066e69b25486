/**
 * Pure-TypeScript bzip2 codec (compression flag 0x10), the fallback for when
 * the native addon is unavailable. No dependencies.
 *
 * Decoder (decoder.ts): standard and concatenated bzip2 streams, fully
 * bounds-checked and CRC-verified, with output bounded by maxOutput.
 * Encoder (encoder.ts): a real bzip2 compressor (900k blocks); its output
 * decodes with libbzip2 but is not byte-identical to libbzip2's.
 */
import { DecompressError, DecompressLimitError } from '../../errors';
import { decompress } from './decoder';

export { bzip2Compress } from './encoder';

export function bzip2Decompress(data: Uint8Array, maxOutput: number): Buffer {
  try {
    return decompress(data, maxOutput);
  } catch (e) {
    if (e instanceof DecompressError || e instanceof DecompressLimitError) throw e;
    // Safety net: nothing but the two documented errors may escape.
    throw new DecompressError(`bzip2: corrupt input (${(e as Error)?.message ?? String(e)})`);
  }
}
