/**
 * polyp2p public API: the typed nodes (createMesh, createSync, createChord), the
 * js2p-compatible modules and classes, typed errors, the base layer's protocol tools and
 * documented constants. Nothing else: internals are reached through their own modules, and
 * the surface is recorded in etc/polyp2p.api.md (checked by npm test).
 *
 * The base layer runs on the native addon when it loads and on the pure-TypeScript
 * fallback otherwise: see `backend`.
 */
import { backend as loadedBackend, choice } from './native';
import * as base from './compat/base';
import * as mesh from './compat/mesh';

/** Which implementation of the base layer is running: the Rust addon or the pure-TypeScript fallback. */
export const backend: 'native' | 'js' = loadedBackend;
/** Where the backend was loaded from (file or package), or why the fallback runs. */
export const backendSource: string = choice.source;

export {
  Polyp2pError,
  FrameTooLargeError,
  ChecksumError,
  MsgpackError,
  MsgpackEncodeError,
  DecompressLimitError,
  DecompressError,
  UnknownCompressionError,
  Base58Error,
  TruncatedFrameError,
  ProtocolMismatchError,
  ConnectionLostError,
  HandlerError,
  WriteTimeoutError,
  PeerLimitError,
  HandshakeTimeoutError,
  FrameTimeoutError,
  IdleTimeoutError,
  WriteBufferFullError,
  ConnectError,
  ClosedError,
  NotConnectedError,
  LeaseError,
  PeerAuthError,
  TextMessageError,
  MessageTooLargeError,
  ElementLimitError,
  MemoryBudgetError,
  IdentityChangedError,
  DuplicateIdError,
  NotAPeerError,
  TransportHandshakeError,
  WebSocketProtocolError,
  NotFoundError,
  QuorumError,
  TimeoutError,
  AbortError,
  ListenError,
  AddressInUseError,
  PortAccessDeniedError,
  AddressNotAvailableError,
  InvalidOptionError,
  UnknownOptionError,
} from './base/errors';
export type { ErrorCode } from './base/errors';
export { MsgpackExt } from './base/ext';
export { flags } from './base/flags';
export { COMPRESSION, COMPRESSION_PREFERENCE, compressionName, negotiateCompression, receiveOrder } from './base/compression-flags';
export { PROTOCOL_VERSION, protocolId, nodeId, js2pNodeIdPreimage, py2pNodeIdPreimage, createUserSalt, requestId, nowSeconds } from './base/ids';
export type { MsgpackValue, EncodeOptions, DecodedBody, EncodedMessage, FrameDecoderLike, WaterfallCacheLike } from './base/codec-types';
export {
  DEFAULT_MAX_FRAME_SIZE,
  DEFAULT_DEDUP_WINDOW,
  DEFAULT_DEDUP_ENTRIES,
  FrameDecoder,
  WaterfallCache,
  encodeMessage,
  decodeBody,
  frameFromMsgpack,
  msgpackEncode,
  msgpackDecode,
  compress,
  decompress,
  base58Encode,
  base58Decode,
} from './base/api';

export { createMesh, MeshNode, MeshMessage, Peer } from './mesh';
export type { MeshOptions, MeshStats, MessageHandler, PeerInfo, PeerErrorEvent, MeshEvents, DuplicateEvent } from './mesh';

/** js2p-compatible modules (also `require('polyp2p/compat/base')`, `.../compat/mesh`). */
export { base, mesh };
export { MeshSocket } from './compat/mesh';
export const version = '0.1.0';
/** `version` as numbers, as js2p's `version_info` (js2p's protocol version: `base.version_info`). */
export const version_info: number[] = version.split('.').map(Number);

export { createSync, SyncNode, LEASE_SECONDS } from './sync';
export type { SyncOptions, SyncUpdate, SyncDelete, SyncRefusal, ChangeSource, SyncEvents, Meta as SyncMeta } from './sync';
import * as sync from './compat/sync';
/** js2p-compatible sync module (also `require('polyp2p/compat/sync')`). */
export { sync };
export { SyncSocket } from './compat/sync';

/** Transports by `encryption` name: 'Plaintext' (TCP), 'SSL' (TLS), 'ws' (WebSocket). */
export { registerTransport } from './transport';
export type { Transport, TransportServer, TransportConfig, TlsOptions, PeerClaim, PendingConnection } from './transport';
export { pinnedNodeId, selfSignedCertificate } from './transport/certificate';
/** The in-memory transport, for users' own tests (as hyperdht ships its testnet): nodes on one MemoryNetwork talk with no sockets. */
export { MemoryNetwork, VirtualClock } from './transport/memory';
export type { MemoryNetworkOptions, LinkProfile, NetworkClock } from './transport/memory';

export { createChord, ChordNode, TABLES, READ_QUORUM } from './chord';
export type { ChordOptions, ChordStats, KeyEvent, ChordEvents, ReadOptions } from './chord';
import * as chord from './compat/chord';
/** js2p-compatible chord module (also `require('polyp2p/compat/chord')`). */
export { chord };
export { ChordSocket } from './compat/chord';
export { bootstrap } from './compat/bootstrap';
import * as ford from './compat/ford';
/** js2p's experimental ford module: FordSocket with `routes` and `sendTo` (also `require('polyp2p/compat/ford')`). */
export { ford };

/** stats() of the sync and chord nodes, and the messages of the diagnostics channels (docs/observability.md). */
export type { SyncStats, SyncNodeStats, SyncApplied } from './sync';
export type { ChordNodeStats } from './chord';
export type { ConnectionEvent, FrameDroppedEvent, FrameDropReason } from './mesh/diagnostics';
export type { SyncRefusedEvent } from './sync/diagnostics';
export type { ChordRouteEvent, ChordRouteEventKind } from './chord/route-event';
