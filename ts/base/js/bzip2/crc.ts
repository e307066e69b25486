/**
 * bzip2's CRC32 (polynomial 0x04c11db7, MSB-first), table-driven; callers
 * update it inline per byte: crc = (crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ b) & 0xff].
 */
export const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    t[i] = c;
  }
  return t;
})();
