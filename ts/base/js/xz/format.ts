/** Constants of the .xz format shared by the container decoder and the encoder. */
import { fail } from './fail';

export const HEADER_MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
export const FOOTER_MAGIC = [0x59, 0x5a];
export const CHECK_SIZES = [0, 4, 4, 4, 8, 8, 8, 16, 16, 16, 32, 32, 32, 64, 64, 64];
export const FILTER_LZMA2 = 0x21;

/** LZMA2 dictionary size from its filter-properties byte. */
export function dictSizeFromByte(b: number): number {
  if (b & 0xc0) fail('invalid LZMA2 dictionary size');
  if (b > 40) fail('invalid LZMA2 dictionary size');
  if (b === 40) return 0xffffffff;
  return (2 | (b & 1)) * Math.pow(2, (b >>> 1) + 11);
}
