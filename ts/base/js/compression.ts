/**
 * The five methods of docs/protocol.md §5 for the pure-TypeScript backend:
 * snappy, bz2 and xz are our own code (reasons at the top of each), zlib and
 * gzip are libraries: node:zlib decodes, pako 2.x encodes.
 *
 * Measured 2026-12-06 (bench/README.md, "Codecs: library or own code"): pako
 * 2.2 writes py2p's bytes on all 52 of its zlib and 52 gzip vectors (as the
 * Rust core does); node:zlib, about 2.5x faster, on 46 of 52 each (its zlib
 * fork writes other bytes for the handshake, peers and response frames),
 * pako 3.0.3 on 46 too, so pako stays at ^2 (package.json); fflate: 16 of 52.
 * node:zlib decodes all 176 vectors of each flag, stops a 1 GiB bomb at the
 * cap (maxOutputLength, 2 ms) and is 2.7x faster than pako's inflate.
 */
import * as zlib from 'zlib';
import type * as Pako from 'pako';

// pako only encodes (Node's zlib decodes); loaded on the first zlib/gzip encode.
let pakoLib: typeof Pako | undefined;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const pako = (): typeof Pako => (pakoLib ??= require('pako') as typeof Pako);
import { DecompressError, DecompressLimitError, UnknownCompressionError, hex } from '../errors';
import { snappyCompress, snappyDecompress } from './snappy';
import { bzip2Compress, bzip2Decompress } from './bzip2';
import { xzCompress, xzDecompress } from './xz';
import { COMPRESSION_PREFERENCE, compressionName } from '../compression-flags';

export const compressionMethods: readonly number[] = COMPRESSION_PREFERENCE;

export function compress(data: Uint8Array, method: number): Buffer {
  switch (method) {
    case 0x20:
      return snappyCompress(data);
    // pako is a faithful port of zlib 1.2: its bytes equal py2p's (and the Rust
    // core's) exactly, where Node's bundled zlib fork sometimes differs.
    case 0x13:
      return toBuffer(pako().deflate(data));
    case 0x11:
      return toBuffer(pako().gzip(data, { header: { os: 3 } } as Parameters<typeof Pako.gzip>[1]));
    case 0x10:
      return bzip2Compress(data);
    case 0x12:
      return xzCompress(data);
    default:
      throw new UnknownCompressionError(`unknown compression method ${hex(method)}; supported: ${compressionMethods.map(hex).join(', ')}`);
  }
}

function toBuffer(u: Uint8Array): Buffer {
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

function zlibFamily(fn: (d: Uint8Array, o: zlib.ZlibOptions) => Buffer, name: string, data: Uint8Array, maxOutput: number): Buffer {
  try {
    // maxOutputLength stops inflation as soon as the cap is passed (no bomb allocation).
    return fn(data, { maxOutputLength: Math.max(1, maxOutput) });
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') {
      throw new DecompressLimitError(`${name} data inflates beyond the decompression limit of ${maxOutput} bytes`);
    }
    throw new DecompressError(`${name}: corrupt input (${(e as Error).message})`);
  }
}

export function decompress(data: Uint8Array, method: number, maxOutput: number): Buffer {
  switch (method) {
    case 0x20:
      return snappyDecompress(data, maxOutput);
    case 0x13:
      return zlibFamily(zlib.inflateSync, 'zlib', data, maxOutput);
    case 0x11:
      return zlibFamily(zlib.gunzipSync, 'gzip', data, maxOutput);
    case 0x10:
      return bzip2Decompress(data, maxOutput);
    case 0x12:
      return xzDecompress(data, maxOutput);
    default:
      throw new UnknownCompressionError(`unknown compression method ${hex(method)} (${compressionName(method)}); supported: ${compressionMethods.map(hex).join(', ')}`);
  }
}
