/**
 * What each mesh option may be (MeshOptions, options.ts), checked when a node
 * is created (check-options.ts). Sync and chord options extend these.
 */
import type { OptionRule, OptionRules } from '../base/check-options';
import { address, count, implementing, integer, listed, milliseconds, nonEmptyString, nonNegative, object, oneOf, port, string } from '../base/option-rules';
import { COMPRESSION_PREFERENCE, compressionName } from '../base/compression-flags';
import { core } from '../native';
import { transportNames } from '../transport';
import { tlsOptionRules } from '../transport/tls-option-rules';
import type { MeshOptions } from './options';

/**
 * A registered transport's name; with a `transport` option any name goes
 * (it is only hashed into the protocol ID, e.g. an in-memory transport's).
 */
const encryption: OptionRule = {
  expected: () => `one of ${listed(transportNames())}, unless a \`transport\` option is given`,
  accepts: (v, options) => typeof v === 'string' && (options.transport !== undefined || transportNames().includes(v)),
  nearest: (v) => oneOf(transportNames).nearest?.(v),
};

const methods = () => COMPRESSION_PREFERENCE.filter((m) => core.compressionMethods.includes(m));

/** Compression flags this build implements, in the order the node prefers them. */
const compression: OptionRule = {
  expected: () =>
    `an array of compression flags from ${methods()
      .map((m) => `0x${m.toString(16)} (${compressionName(m)})`)
      .join(', ')}`,
  accepts: (v) => Array.isArray(v) && v.every((m) => methods().includes(m as number)),
};

/** A duration handed to setTimeout (the others are compared with the clock). */
const timer = milliseconds({ timer: true });

export const meshOptionRules: OptionRules<MeshOptions> = {
  host: nonEmptyString,
  port,
  subnet: string,
  encryption,
  outAddr: address,
  compression,
  maxOutgoing: count,
  maxPeers: count,
  maxFrameSize: integer(0, 2 ** 32 - 1), // the length header is 32 bits
  maxDecompressedSize: count,
  maxCompressionRatio: nonNegative(),
  maxElementsPerByte: nonNegative(),
  maxElementsPerMessage: count,
  maxPendingFrameBytes: count,
  maxWriteBuffer: count,
  maxTotalWriteBuffer: count,
  writeTimeout: milliseconds(),
  relayHighWater: count,
  handshakeTimeout: timer,
  handshakeMirrorWait: timer,
  frameTimeout: milliseconds(),
  keepAliveInterval: milliseconds(),
  idleTimeout: milliseconds(),
  connectTimeout: timer,
  dedupWindow: nonNegative('seconds'),
  dedupMaxEntries: count,
  maxQueue: count,
  maxQueueBytes: count,
  flushTimeout: timer,
  queueMessages: oneOf(['auto', true, false]),
  maxPendingRequests: count,
  transport: implementing('Transport', ['listen', 'dial']),
  salt: string,
  tls: object('TlsOptions', tlsOptionRules),
};
