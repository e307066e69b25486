/** Mesh options, every limit with its documented default (README: "Limits"). */
import { DEFAULT_DEDUP_ENTRIES, DEFAULT_DEDUP_WINDOW, DEFAULT_MAX_FRAME_SIZE } from '../base/api';
import { core } from '../native';
import { CHEAP_COMPRESSION } from '../base/compression-flags';
import type { TlsOptions, Transport } from '../transport';

export interface MeshOptions {
  /** Address to bind (default 127.0.0.1). */
  host?: string;
  /** Port to bind; 0 picks a free one (default 0). */
  port?: number;
  /** Subnet name hashed into the protocol ID (default 'mesh'). */
  subnet?: string;
  /** Transport name hashed into the protocol ID (default 'Plaintext' = TCP). */
  encryption?: string;
  /** Address advertised to peers (default [host, port]). */
  outAddr?: [string, number];
  /**
   * Compression methods offered (and decoded), in preference order (default:
   * snappy, zlib, gzip; bz2 0x10 and lzma 0x12 are decoded only when listed
   * here, and never used to send: see CHEAP_COMPRESSION).
   */
  compression?: number[];
  /** Automatic outgoing connections made from peer lists (default 4, as the originals). */
  maxOutgoing?: number;
  /**
   * Open connections of any kind, incoming + outgoing + handshaking (default 128);
   * an incoming TLS or WebSocket connection counts from its TCP accept, before its
   * TLS handshake or HTTP upgrade.
   */
  maxPeers?: number;
  /** Largest frame accepted (default 16 MiB); checked on the length header. */
  maxFrameSize?: number;
  /** Largest decompressed body (default maxFrameSize). */
  maxDecompressedSize?: number;
  /**
   * A compressed body may decompress to at most this many times its size on
   * the wire (and always to 16 KiB; default 64), so a few kilobytes cannot
   * cost megabytes of inflating and hashing. This node never sends a frame
   * that breaks the rule: it sends such a message uncompressed.
   */
  maxCompressionRatio?: number;
  /**
   * A body may decode into at most this many msgpack values per byte on the
   * wire (and always 1024; default 8): a short body cannot unfold into
   * millions of values, even after decompression.
   */
  maxElementsPerByte?: number;
  /**
   * Most msgpack values one message may decode into, whatever its size
   * (default 262 144): an empty map is one byte on the wire and about 64
   * bytes of heap, so a 16 MiB frame could otherwise become a gigabyte.
   */
  maxElementsPerMessage?: number;
  /**
   * Bytes held in frames still arriving, summed over all connections (node;
   * default 64 MiB). Past it, the connection holding the most is dropped
   * (ERR_MEMORY_BUDGET).
   */
  maxPendingFrameBytes?: number;
  /**
   * Bytes queued for a peer that is not reading before it is dropped (default
   * 8 MiB). Each queued frame counts its bytes and 640 bytes of bookkeeping.
   */
  maxWriteBuffer?: number;
  /** Bytes queued for all peers together (node; default 256 MiB): past it the peer with the most queued is dropped (ERR_MEMORY_BUDGET). */
  maxTotalWriteBuffer?: number;
  /**
   * ms a peer's queued frames may go without any of them being written out
   * before it is dropped (default 30 000; ERR_WRITE_TIMEOUT): a peer that
   * stops reading cannot hold drain(), paced answers or close() up for ever.
   */
  writeTimeout?: number;
  /**
   * Relay backpressure: when relaying a broadcast leaves more than this many
   * bytes queued for a peer, reading from the peer it came from pauses until
   * the queue drains (at most 2 s), so TCP slows the flood at its source
   * instead of the slow peer being dropped at maxWriteBuffer (default 1 MiB;
   * 0 disables).
   */
  relayHighWater?: number;
  /**
   * ms for a new connection to complete its handshake (default 10 000); for an
   * incoming TLS or WebSocket connection, counted from the TCP accept (the TLS
   * handshake or HTTP upgrade included).
   */
  handshakeTimeout?: number;
  /**
   * ms to wait for the peer's handshake before sending ours, so that ours can
   * mirror its protocol-ID type (str for js2p/py2p 0.7.870, bin for py2p 0.7.878).
   * The originals send theirs at once (default 150; an accepting node waits at
   * most 50, since a dialing original's handshake arrives right after the accept).
   */
  handshakeMirrorWait?: number;
  /** ms a started frame, or WebSocket message, may stay incomplete before the connection is dropped (default 30 000). */
  frameTimeout?: number;
  /** ms between keep-alive pings on quiet connections; 0 disables (default 15 000). */
  keepAliveInterval?: number;
  /** ms of silence after which a peer that answers pings is dropped (default 45 000). */
  idleTimeout?: number;
  /** ms for an outgoing TCP connect (default 5 000). */
  connectTimeout?: number;
  /** Seconds a broadcast stays in the duplicate set; older broadcasts are dropped (default 60). */
  dedupWindow?: number;
  /** Cap on remembered broadcasts (default 200 000). */
  dedupMaxEntries?: number;
  /** Messages held for recv()/async iteration when the application reads slowly (default 10 000; oldest dropped). */
  maxQueue?: number;
  /** Bytes of messages held for recv()/async iteration (default 64 MiB; oldest dropped). */
  maxQueueBytes?: number;
  /** ms close() waits for queued writes to reach the peers before it closes the sockets (default 2 000). */
  flushTimeout?: number;
  /**
   * Keep delivered messages for recv()/async iteration: 'auto' (default) only
   * while no 'message' listener is attached or an iterator runs; true always
   * (the js2p drop-in); false never.
   */
  queueMessages?: 'auto' | boolean;
  /** Pending reply() address requests kept (default 256), each for at most 60 s. */
  maxPendingRequests?: number;
  /** Transport object to use instead of the one named by `encryption` (e.g. an in-memory transport). */
  transport?: Transport;
  /** Salt of the node ID preimage (default: a random UUID per process, as the originals; with TLS pinning, the certificate key's fingerprint). */
  salt?: string;
  /** TLS settings for encryption 'SSL': own key/cert, private CA, node-ID pinning (docs/transports.md). */
  tls?: TlsOptions;
}

export type ResolvedMeshOptions = Required<Omit<MeshOptions, 'outAddr' | 'salt' | 'transport' | 'tls'>> & Pick<MeshOptions, 'outAddr' | 'salt' | 'transport' | 'tls'>;

export function resolveMeshOptions(o: MeshOptions = {}): ResolvedMeshOptions {
  const maxFrameSize = o.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
  return {
    host: o.host ?? '127.0.0.1',
    port: o.port ?? 0,
    subnet: o.subnet ?? 'mesh',
    encryption: o.encryption ?? 'Plaintext',
    outAddr: o.outAddr,
    compression: o.compression ?? CHEAP_COMPRESSION.filter((m) => core.compressionMethods.includes(m)),
    maxOutgoing: o.maxOutgoing ?? 4,
    maxPeers: o.maxPeers ?? 128,
    maxFrameSize,
    maxDecompressedSize: o.maxDecompressedSize ?? maxFrameSize,
    maxCompressionRatio: o.maxCompressionRatio ?? 64,
    maxElementsPerByte: o.maxElementsPerByte ?? 8,
    maxElementsPerMessage: o.maxElementsPerMessage ?? 262_144,
    maxPendingFrameBytes: o.maxPendingFrameBytes ?? 64 * 1024 * 1024,
    maxWriteBuffer: o.maxWriteBuffer ?? 8 * 1024 * 1024,
    maxTotalWriteBuffer: o.maxTotalWriteBuffer ?? 256 * 1024 * 1024,
    writeTimeout: o.writeTimeout ?? 30_000,
    relayHighWater: o.relayHighWater ?? 1024 * 1024,
    handshakeTimeout: o.handshakeTimeout ?? 10_000,
    handshakeMirrorWait: o.handshakeMirrorWait ?? 150,
    frameTimeout: o.frameTimeout ?? 30_000,
    keepAliveInterval: o.keepAliveInterval ?? 15_000,
    idleTimeout: o.idleTimeout ?? 45_000,
    connectTimeout: o.connectTimeout ?? 5_000,
    dedupWindow: o.dedupWindow ?? DEFAULT_DEDUP_WINDOW,
    dedupMaxEntries: o.dedupMaxEntries ?? DEFAULT_DEDUP_ENTRIES,
    maxQueue: o.maxQueue ?? 10_000,
    maxQueueBytes: o.maxQueueBytes ?? 64 * 1024 * 1024,
    flushTimeout: o.flushTimeout ?? 2_000,
    queueMessages: o.queueMessages ?? 'auto',
    maxPendingRequests: o.maxPendingRequests ?? 256,
    salt: o.salt,
    transport: o.transport,
    tls: o.tls,
  };
}
