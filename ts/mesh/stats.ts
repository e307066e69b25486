/**
 * A node's traffic figures for stats(): totals over every connection it has
 * had (closed ones are folded in when they close) and per open connection.
 */
import type { ConnectionCounters } from '../base/counters';
import type { Peer, PeerInfo } from './peer';

/**
 * What stats() returns on every node (docs/observability.md). A SyncNode
 * adds `sync` (SyncStats), a ChordNode `chord` (ChordStats); the fields
 * here are the same on all three. Counts ("since it started") only grow,
 * over every connection the node has had; the others are current.
 */
export interface MeshStats {
  /** This node's ID (empty until it listens or dials). */
  id: string;
  /** Handshaked peers in the routing table now. */
  peers: number;
  /** Connections now open whose peer has not sent its handshake yet. */
  awaiting: number;
  /** Incoming connections still in their TLS handshake or WebSocket upgrade (they count against maxPeers). */
  pendingAccepts: number;
  /** Frames received and sent since the node started. */
  framesIn: number;
  framesOut: number;
  /** Bytes received and sent since the node started, frame headers included (TLS and WebSocket framing not). */
  bytesIn: number;
  bytesOut: number;
  /** Messages this node sent to all its peers (broadcast(), sync and chord broadcasts), each counted once whatever the number of peers; whispers are not counted. */
  sent: number;
  /** Messages handed to the application ('message' event, recv()), or that would have been with nobody reading. */
  delivered: number;
  /** Broadcasts from others relayed to at least one peer. */
  relayed: number;
  /** Times reading from a peer paused because a peer we relay to fell behind (relayHighWater). */
  relayHolds: number;
  /** Broadcasts received again and dropped (the flood reaching this node by another path, as it should). */
  duplicates: number;
  /** Broadcasts older than dedupWindow, dropped. */
  stale: number;
  /** 'peerError' events: problems with one peer (its connection closed or its message ignored), and handler errors. */
  errors: number;
  /** Unread messages pushed out of the recv() queue (maxQueue, maxQueueBytes). */
  queueDropped: number;
  /** Bytes held in partial frames across all connections now, and the most ever (maxPendingFrameBytes). */
  pendingFrameBytes: number;
  pendingFramePeak: number;
  /** Bytes queued for peers across all connections, with per-frame bookkeeping, now and the most ever (maxTotalWriteBuffer). */
  writeQueueBytes: number;
  writeQueuePeak: number;
  /** Messages held for recv()/async iteration now, and their bytes (maxQueue, maxQueueBytes). */
  queued: number;
  queuedBytes: number;
  /** Broadcasts carrying a link-level sub-flag (handshake, peer list, an extension's whisper): dropped, not relayed. */
  misrouted: number;
  /** Messages (for sync, entries) not sent or relayed to a peer because they are larger than it accepts (its advertised limit). */
  tooLargeForPeer: number;
  /** One row per open connection: who (PeerInfo) and its own frame and byte counts since it opened. */
  perPeer: Array<PeerInfo & { framesIn: number; framesOut: number; bytesIn: number; bytesOut: number }>;
}

export class TrafficTotals {
  private readonly closed: ConnectionCounters = { framesIn: 0, framesOut: 0, bytesIn: 0, bytesOut: 0 };

  /** A connection closed: keep its counts. */
  addClosed(c: ConnectionCounters): void {
    this.closed.framesIn += c.framesIn;
    this.closed.framesOut += c.framesOut;
    this.closed.bytesIn += c.bytesIn;
    this.closed.bytesOut += c.bytesOut;
  }

  /** Totals including the open connections, and one row per open connection. */
  snapshot(open: Iterable<Peer>): ConnectionCounters & { perPeer: MeshStats['perPeer'] } {
    const t = { ...this.closed };
    const perPeer: MeshStats['perPeer'] = [];
    for (const p of open) {
      const c = p.conn.counters;
      t.framesIn += c.framesIn;
      t.framesOut += c.framesOut;
      t.bytesIn += c.bytesIn;
      t.bytesOut += c.bytesOut;
      perPeer.push({ ...p.info, ...c });
    }
    return { ...t, perPeer };
  }
}
