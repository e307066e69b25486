/**
 * `zlib` for the browser bundle: the two inflate calls polyp2p makes, via
 * pako, with Node's maxOutputLength cap and its ERR_BUFFER_TOO_LARGE code.
 *
 * pako through require(), as ts/base/js/compression.ts loads it to encode: an
 * `import` resolved pako's ESM build, so the bundle carried pako twice (47 kB
 * minified more; measured 2026-12-06, bench/README.md "Codecs: library or own
 * code"). pako stays, not fflate (5.6 kB to inflate): fflate checks neither
 * Adler-32 nor CRC-32 (591 of 999 corrupted zlib streams decoded to wrong
 * bytes without an error, pako: 0), and pako must be in the bundle anyway
 * for its encoder, whose bytes are py2p's (ts/base/js/compression.ts; the
 * methods are docs/protocol.md §5).
 */
import type * as Pako from 'pako';
import { Buffer } from 'buffer';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Inflate } = require('pako') as typeof Pako;

export interface ZlibOptions {
  maxOutputLength?: number;
}

function inflateCapped(data: Uint8Array, options: ZlibOptions | undefined, windowBits: number): Buffer {
  const max = options?.maxOutputLength ?? Number.MAX_SAFE_INTEGER;
  const inflator = new Inflate({ windowBits });
  const chunks: Uint8Array[] = [];
  let total = 0;
  inflator.onData = (chunk: Uint8Array) => {
    total += chunk.length;
    if (total > max) throw Object.assign(new RangeError(`Cannot create a Buffer larger than ${max} bytes`), { code: 'ERR_BUFFER_TOO_LARGE' });
    chunks.push(chunk);
  };
  inflator.push(data, true);
  if (inflator.err) throw Object.assign(new Error(inflator.msg || 'invalid compressed data'), { code: 'Z_DATA_ERROR' });
  if (!(inflator as unknown as { ended: boolean }).ended) throw Object.assign(new Error('unexpected end of file'), { code: 'Z_BUF_ERROR' });
  return Buffer.concat(chunks);
}

export function inflateSync(data: Uint8Array, options?: ZlibOptions): Buffer {
  return inflateCapped(data, options, 15);
}

export function gunzipSync(data: Uint8Array, options?: ZlibOptions): Buffer {
  return inflateCapped(data, options, 16 + 15);
}
