/**
 * What one received frame body may cost its receiver, besides maxFrameSize:
 * a compressed body may decompress to at most maxCompressionRatio times its
 * size on the wire (always RATIO_FLOOR), and any body may decode into at most
 * maxElementsPerByte msgpack values per byte on the wire (always
 * ELEMENT_FLOOR) and maxElementsPerMessage in all. So a few kilobytes cannot
 * cost megabytes of inflating and hashing, and no message unfolds into
 * millions of JS objects (an empty map is one byte on the wire and some 64
 * bytes of heap). Senders check the same bounds before
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
  maxElementsPerMessage: number;
}

/**
 * What one decoded msgpack value costs in V8's heap, about: an empty map or
 * array is a 32-64 byte object although it is one byte on the wire. Queues
 * that hold decoded messages charge this per value on top of the bytes.
 */
export const BYTES_PER_VALUE = 64;

/** Largest decompressed size allowed for a body of `wire` bytes. */
export function decompressedLimit(o: BodyBudget, wire: number): number {
  return Math.min(o.maxDecompressedSize, Math.max(RATIO_FLOOR, o.maxCompressionRatio * wire));
}

/** Most msgpack values a body of `wire` bytes may decode into (never more than maxElementsPerMessage). */
export function elementLimit(o: BodyBudget, wire: number): number {
  return Math.min(o.maxElementsPerMessage, Math.max(ELEMENT_FLOOR, o.maxElementsPerByte * wire));
}
