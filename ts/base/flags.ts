/**
 * The one table of command codes (PROTOCOL.md §8), with js2p's names and
 * values. Sub-flags and compression flags share numbers (e.g. delta and gzip
 * are both 0x11); they appear in different fields, so the overlap is harmless.
 */
const reserved: number[] = [];
for (let i = 0; i <= 0x2f; i++) reserved.push(i);

export const flags = Object.freeze({
  reserved: Object.freeze(reserved),
  // main flags
  broadcast: 0x00,
  renegotiate: 0x01,
  whisper: 0x02,
  ping: 0x03,
  pong: 0x04,
  // sub-flags
  compression: 0x01,
  handshake: 0x05,
  notify: 0x06,
  peers: 0x07,
  request: 0x08,
  resend: 0x09,
  response: 0x0a,
  store: 0x0b,
  retrieve: 0x0c,
  retrieved: 0x0d,
  forward: 0x0e,
  new_paths: 0x0f,
  revoke_paths: 0x10,
  delta: 0x11,
  // compression methods
  gzip: 0x11,
  zlib: 0x13,
  snappy: 0x20,
  bz2: 0x10,
  lzma: 0x12,
  bwtc: 0x14,
  context1: 0x15,
  defsum: 0x16,
  dmc: 0x17,
  fenwick: 0x18,
  huffman: 0x19,
  lzjb: 0x1a,
  lzjbr: 0x1b,
  lzp3: 0x1c,
  mtf: 0x1d,
  ppmd: 0x1e,
  simple: 0x1f,
});

export type FlagName = Exclude<keyof typeof flags, 'reserved'>;
