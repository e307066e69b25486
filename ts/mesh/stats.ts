/**
 * A node's traffic figures for stats(): totals over every connection it has
 * had (closed ones are folded in when they close) and per open connection.
 */
import type { ConnectionCounters } from '../base/connection';
import type { Peer, PeerInfo } from './peer';

export interface MeshStats {
  id: string;
  peers: number;
  awaiting: number;
  /** Incoming connections still in their TLS handshake or WebSocket upgrade (they count against maxPeers). */
  pendingAccepts: number;
  framesIn: number;
  framesOut: number;
  bytesIn: number;
  bytesOut: number;
  sent: number;
  delivered: number;
  relayed: number;
  /** Times reading from a peer paused because a peer we relay to fell behind (relayHighWater). */
  relayHolds: number;
  duplicates: number;
  stale: number;
  errors: number;
  queueDropped: number;
  /** Bytes held in partial frames across all connections now, and the most ever (maxPendingFrameBytes). */
  pendingFrameBytes: number;
  pendingFramePeak: number;
  /** Bytes queued for peers across all connections, with per-frame bookkeeping, now and the most ever (maxTotalWriteBuffer). */
  writeQueueBytes: number;
  writeQueuePeak: number;
  /** Messages held for recv()/async iteration, and their bytes (maxQueue, maxQueueBytes). */
  queued: number;
  queuedBytes: number;
  /** Broadcasts carrying a link-level sub-flag (handshake, peer list, an extension's whisper): dropped, not relayed. */
  misrouted: number;
  /** Relayed broadcasts not sent to a peer because they are larger than it accepts (its advertised limit). */
  tooLargeForPeer: number;
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
