import { DecompressError } from '../../errors';

/** Throw a DecompressError for corrupt or unsupported input. */
export function fail(msg: string): never {
  throw new DecompressError('xz: ' + msg);
}
