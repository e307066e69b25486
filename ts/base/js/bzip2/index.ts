/**
 * Pure-TypeScript bzip2 codec (compression flag 0x10), the fallback for when
 * the native addon is unavailable. No dependencies.
 *
 * Decoder (decoder.ts): standard and concatenated bzip2 streams, fully
 * bounds-checked and CRC-verified, with output bounded by maxOutput.
 * Encoder (encoder.ts): a real bzip2 compressor (900k blocks); its output
 * decodes with libbzip2 but is not byte-identical to libbzip2's.
 *
 * Own code, not a library (measured 2026-12-06; bench/README.md, "Codecs:
 * library or own code"; docs/protocol.md §5: bz2 is decoded when listed,
 * never sent). seek-bzip 2.0.0 decodes all 104 bz2 vectors and can be capped
 * through a writeByte() stream, but at half the speed (12-13 against 24-26
 * MB/s, 100 KiB mixed), returns output for 11 of 1 002 truncated streams
 * that this decoder rejects, has no encoder and bundles to 11.5 kB against
 * this decoder's 4.9 kB. compressjs 1.0.3 has no output cap (a 785-byte stream
 * of 1 GiB of zeros took 2.1 GiB RSS) and encodes at 0.6 MB/s (this: 5.3); no
 * JavaScript encoder writes libbzip2's bytes (both: 2 of 52 py2p vectors).
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
