/** Small readers for fields that arrive as msgpack str or bin (§5.3, §18.2). */

/** Text of a str or bin field, or null for anything else. */
export function textOf(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  return null;
}

/** [host, port] from an address field, or null when malformed. */
export function addrOf(v: unknown): [string, number] | null {
  if (!Array.isArray(v) || v.length !== 2) return null;
  const host = textOf(v[0]);
  const port = v[1];
  if (!host || typeof port !== 'number' || !Number.isInteger(port) || port <= 0 || port > 65535) return null;
  return [host, port];
}

/** Compression flags from a list field (non-numbers dropped, at most 32). */
export function flagListOf(v: unknown): number[] {
  if (!Array.isArray(v)) return [];
  return v.filter((x): x is number => typeof x === 'number' && Number.isInteger(x)).slice(0, 32);
}

export function sameSet(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}
