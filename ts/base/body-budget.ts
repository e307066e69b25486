/**
 * What one received frame body may cost its receiver, besides maxFrameSize:
 * a compressed body may decompress to at most maxCompressionRatio times its
 * size on the wire (always RATIO_FLOOR), and any body may decode into at most
 * maxElementsPerByte msgpack values per byte on the wire (always
 * ELEMENT_FLOOR). So a few kilobytes cannot cost megabytes of inflating and
 * hashing, nor millions of JS values. Senders check the same bounds before
 * compressing (mesh/frames.ts).
 */

/** Decompressed bytes every compressed body may have, whatever its ratio. */
export const RATIO_FLOOR = 16 * 1024;
/** Values every body may decode into, whatever its size. */
export const ELEMENT_FLOOR = 1024;

export interface BodyBudget {
  maxDecompressedSize: number;
  maxCompressionRatio: number;
  maxElementsPerByte: number;
}

/** Largest decompressed size allowed for a body of `wire` bytes. */
export function decompressedLimit(o: BodyBudget, wire: number): number {
  return Math.min(o.maxDecompressedSize, Math.max(RATIO_FLOOR, o.maxCompressionRatio * wire));
}

/** Most msgpack values a body of `wire` bytes may decode into. */
export function elementLimit(o: BodyBudget, wire: number): number {
  return Math.max(ELEMENT_FLOOR, o.maxElementsPerByte * wire);
}
