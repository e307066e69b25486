import { DecompressError, DecompressLimitError } from '../../errors';

/** Throw a DecompressError for corrupt or unsupported input. */
export function fail(msg: string): never {
  throw new DecompressError('bzip2: ' + msg);
}

/** The BWT vector, sized from maxOutput, is full: the output would exceed the limit. */
export function limitHit(out: { max: number }): never {
  throw new DecompressLimitError(`bzip2: decompressed data exceeds the limit of ${out.max} bytes`);
}
