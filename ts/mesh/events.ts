/**
 * The events of a MeshNode, with their payloads: the event map that types `on`, `once`,
 * `off` and `emit` (mesh-node.ts), so a misspelled name or a wrong listener fails to compile.
 * One naming style for every node type: camelCase, as Node's own events.
 */
import type { MeshMessage } from './message';
import type { Peer, PeerInfo } from './peer';
import type { MeshNode } from './mesh-node';

/** What a `peerError` listener receives: a typed Polyp2pError (see `code`) about one peer. */
export interface PeerErrorEvent extends Error {
  code?: string;
  peer?: PeerInfo;
}

/** A broadcast that arrived again (after the node had seen it): counted for `duplicate` listeners only. */
export interface DuplicateEvent {
  /** The message's ID (PROTOCOL.md §8). */
  id: Buffer;
  /** Its author's node ID. */
  sender: string;
  /** The peer that relayed it this time. */
  peer: Peer;
}

export interface MeshEvents {
  /** The node listens for connections (`createMesh` resolves after it). */
  listening: [];
  /** A peer finished its handshake and joined the routing table. */
  peer: [peer: Peer];
  /** A peer left the routing table: its connection closed (by either end). */
  peerLeft: [peer: Peer];
  /** One peer's problem (a bad frame, a refused connection, a budget it broke), never fatal to the node. */
  peerError: [error: PeerErrorEvent];
  /** A broadcast or whisper for this node's user (also `for await (const msg of node)`). */
  message: [message: MeshMessage];
  /** The first peer arrived while the node had none (js2p's `connect`). */
  connect: [node: MeshNode];
  /** A broadcast arrived again: only computed while a listener exists. */
  duplicate: [event: DuplicateEvent];
  /** `close()` finished: every socket and timer is released. */
  close: [];
  /**
   * A peer's handshake showed it is a polyp2p node (it answered a ping): sync and chord start
   * their polyp2p-only exchanges with it.
   * @internal
   */
  polyp2pPeer: [peer: Peer];
}
