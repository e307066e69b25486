/**
 * `zlib` for the browser bundle: the two inflate calls polyp2p makes, via
 * pako, with Node's maxOutputLength cap and its ERR_BUFFER_TOO_LARGE code.
 */
import { Inflate } from 'pako';
import { Buffer } from 'buffer';

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
