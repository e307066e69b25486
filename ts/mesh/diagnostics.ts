/**
 * The mesh's diagnostics channels (base/diagnostics.ts): its connections'
 * lives and the frames it drops. Publishing sites call these functions only
 * after checking the channel's `hasSubscribers`, or call noteDrop, which
 * checks it itself: nothing is built while nobody listens.
 */
import { defineChannel } from '../base/diagnostics';
import type { MeshNode } from './mesh-node';
import type { Peer, PeerInfo } from './peer';

/** A message of `polyp2p:connection`. */
export interface ConnectionEvent {
  /** The node whose connection it is. */
  node: MeshNode;
  /**
   * 'open': a connection was accepted or dialled (before any handshake);
   * 'handshake': its peer's handshake arrived and it entered the routing table;
   * 'close': it closed; 'refused': an incoming connection was refused (maxPeers).
   */
  event: 'open' | 'handshake' | 'close' | 'refused';
  peer: PeerInfo;
  /**
   * For 'close' and 'refused': the ERR_* code of the first error on the
   * connection, 'node-closed' when this node was closing, or 'closed' when
   * it ended without an error (the peer hung up, a duplicate link was dropped).
   */
  reason?: string;
  /** The error's message, when there was one. */
  message?: string;
}

/**
 * Why a frame was dropped. The first group ends the connection (the reader
 * refused the frame, or a budget gave up on it); the second drops one frame
 * and keeps the link, each counted in the stats() field of the same name.
 */
export type FrameDropReason =
  /** Its length header is above maxFrameSize (ERR_FRAME_TOO_LARGE). */
  | 'too-large'
  /** Its checksum does not match (ERR_BAD_CHECKSUM). */
  | 'bad-checksum'
  /** Its msgpack is malformed (ERR_BAD_MSGPACK). */
  | 'bad-msgpack'
  /** Its body is too short to hold a checksum (ERR_TRUNCATED_FRAME). */
  | 'truncated'
  /** It could not be decompressed (ERR_DECOMPRESS_FAILED, ERR_UNKNOWN_COMPRESSION). */
  | 'decompress-failed'
  /** It decompresses to more than maxDecompressedSize or maxCompressionRatio allow (ERR_DECOMPRESS_LIMIT). */
  | 'decompress-limit'
  /** It holds more msgpack values than maxElementsPerMessage or maxElementsPerByte allow (ERR_ELEMENT_LIMIT). */
  | 'element-limit'
  /** It stayed incomplete for longer than frameTimeout (ERR_FRAME_TIMEOUT). */
  | 'frame-timeout'
  /** A node-wide budget (maxPendingFrameBytes, maxTotalWriteBuffer) dropped the costliest connection with its partial or queued frames (ERR_MEMORY_BUDGET). */
  | 'memory-budget'
  /** More than maxWriteBuffer bytes were queued for a peer that does not read (ERR_WRITE_BUFFER_FULL). */
  | 'write-buffer-full'
  /** Its header lacks the usual fields (main flag, sender, time, a payload): ignored. */
  | 'bad-header'
  /** A broadcast carrying a link-level sub-flag (stats().misrouted). */
  | 'misrouted'
  /** A broadcast older than dedupWindow (stats().stale). */
  | 'stale'
  /** A broadcast already seen (stats().duplicates): the flood reaching this node again, as it should. */
  | 'duplicate'
  /** Not sent or relayed to one peer: larger than it accepts (stats().tooLargeForPeer). */
  | 'too-large-for-peer'
  /** An unread message pushed out of the recv() queue by maxQueue or maxQueueBytes (stats().queueDropped). */
  | 'queue-full';

/** A message of `polyp2p:frame:dropped`. */
export interface FrameDroppedEvent {
  node: MeshNode;
  reason: FrameDropReason;
  /** The link the frame came in over, or for 'too-large-for-peer' and 'write-buffer-full' the one it was not sent to. */
  peer: PeerInfo;
  /** For the reasons that end the connection: the error's code and message. */
  code?: string;
  message?: string;
}

export const connectionChannel = defineChannel<ConnectionEvent>('polyp2p:connection');
export const frameDroppedChannel = defineChannel<FrameDroppedEvent>('polyp2p:frame:dropped');

/** The error codes that mean the connection's frame was dropped, and the reason each is published with. */
const DROPPED_WITH_CONNECTION: Record<string, FrameDropReason> = {
  ERR_FRAME_TOO_LARGE: 'too-large',
  ERR_BAD_CHECKSUM: 'bad-checksum',
  ERR_BAD_MSGPACK: 'bad-msgpack',
  ERR_TRUNCATED_FRAME: 'truncated',
  ERR_DECOMPRESS_FAILED: 'decompress-failed',
  ERR_UNKNOWN_COMPRESSION: 'decompress-failed',
  ERR_DECOMPRESS_LIMIT: 'decompress-limit',
  ERR_ELEMENT_LIMIT: 'element-limit',
  ERR_FRAME_TIMEOUT: 'frame-timeout',
  ERR_MEMORY_BUDGET: 'memory-budget',
  ERR_WRITE_BUFFER_FULL: 'write-buffer-full',
};

/** A frame dropped for `reason` (one that keeps the link): published when someone subscribes. */
export function noteDrop(node: MeshNode, peer: Peer, reason: FrameDropReason): void {
  if (frameDroppedChannel.hasSubscribers) frameDroppedChannel.publish({ node, reason, peer: peer.info });
}

/** A connection failed with `err`: when that error dropped a frame (see DROPPED_WITH_CONNECTION), published with its reason. */
export function noteFailure(node: MeshNode, peer: Peer, err: Error): void {
  if (!frameDroppedChannel.hasSubscribers) return;
  const code = (err as { code?: unknown }).code;
  const reason = typeof code === 'string' ? DROPPED_WITH_CONNECTION[code] : undefined;
  if (reason) frameDroppedChannel.publish({ node, reason, peer: peer.info, code: code as string, message: err.message });
}

/** A connection event, published when someone subscribes. */
export function noteConnection(node: MeshNode, peer: Peer, event: ConnectionEvent['event']): void {
  if (!connectionChannel.hasSubscribers) return;
  if (event !== 'close') return connectionChannel.publish({ node, event, peer: peer.info });
  const failure = peer.failure;
  const reason = (failure?.error as { code?: string } | undefined)?.code ?? (node.closed ? 'node-closed' : 'closed');
  connectionChannel.publish({ node, event, peer: peer.info, reason, message: failure?.reason });
}

/** An incoming connection refused before it had a Peer (maxPeers), published when someone subscribes. */
export function noteRefused(node: MeshNode, peer: PeerInfo, err: Error & { code?: string }): void {
  if (connectionChannel.hasSubscribers) connectionChannel.publish({ node, event: 'refused', peer, reason: err.code, message: err.message });
}
