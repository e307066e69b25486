/**
 * Which stats() field becomes which Prometheus metric (README "Seeing
 * inside"), with its type and help text. A field that groups counts by kind
 * (frames dropped by reason, chord refusals by budget...) becomes one family
 * with a label telling the kinds apart. Names are without the prefix
 * (metrics() adds it, 'polyp2p_' by default); counters end in _total.
 */
import type { MeshStats } from '../mesh/stats';
import type { SyncStats } from '../sync/stats';
import type { ChordStats } from '../chord/chord-node';
import type { MetricType } from './exposition';

export interface Family<S> {
  name: string;
  type: MetricType;
  help: string;
  /** When `value` gives counts by kind: the label that names the kind. */
  label?: string;
  value(s: S): number | boolean | Record<string, number>;
}

/** A row of stats().perPeer. */
export type PeerRow = MeshStats['perPeer'][number];

const counter = <S>(name: string, help: string, value: Family<S>['value'], label?: string): Family<S> => ({ name, type: 'counter', help, value, label });
const gauge = <S>(name: string, help: string, value: Family<S>['value'], label?: string): Family<S> => ({ name, type: 'gauge', help, value, label });

export const meshFamilies: Family<MeshStats>[] = [
  gauge('peers', 'Handshaked peers in the routing table.', (s) => s.peers),
  gauge('connections_awaiting_handshake', 'Open connections whose peer has not sent its handshake yet.', (s) => s.awaiting),
  gauge('pending_accepts', 'Incoming connections still in their TLS handshake or WebSocket upgrade.', (s) => s.pendingAccepts),
  counter('frames_received_total', 'Frames received.', (s) => s.framesIn),
  counter('frames_sent_total', 'Frames sent.', (s) => s.framesOut),
  counter('received_bytes_total', 'Bytes received, frame headers included.', (s) => s.bytesIn),
  counter('sent_bytes_total', 'Bytes sent, frame headers included.', (s) => s.bytesOut),
  counter('messages_sent_total', 'Messages this node sent to all its peers (broadcasts), each counted once.', (s) => s.sent),
  counter('messages_delivered_total', 'Messages handed to the application.', (s) => s.delivered),
  counter('broadcasts_relayed_total', 'Broadcasts from others relayed to at least one peer.', (s) => s.relayed),
  counter('relay_holds_total', 'Times reading from a peer paused because a peer relayed to fell behind (relayHighWater).', (s) => s.relayHolds),
  counter(
    'frames_dropped_total',
    'Frames dropped without closing the connection, by reason (as on the polyp2p:frame:dropped channel).',
    (s) => ({ duplicate: s.duplicates, stale: s.stale, misrouted: s.misrouted, 'too-large-for-peer': s.tooLargeForPeer, 'queue-full': s.queueDropped }),
    'reason',
  ),
  counter('peer_errors_total', "'peerError' events: a peer's connection closed for an error, or its message ignored.", (s) => s.errors),
  gauge('pending_frame_bytes', 'Bytes held in partial frames across all connections (maxPendingFrameBytes).', (s) => s.pendingFrameBytes),
  gauge('pending_frame_peak_bytes', 'The most bytes ever held in partial frames at once.', (s) => s.pendingFramePeak),
  gauge('write_queue_bytes', 'Bytes queued for peers across all connections, with bookkeeping (maxTotalWriteBuffer).', (s) => s.writeQueueBytes),
  gauge('write_queue_peak_bytes', 'The most bytes ever queued for peers at once.', (s) => s.writeQueuePeak),
  gauge('queued_messages', 'Messages held for recv() and async iteration (maxQueue).', (s) => s.queued),
  gauge('queued_bytes', 'Bytes of the messages held for recv() (maxQueueBytes).', (s) => s.queuedBytes),
];

export const syncFamilies: Family<SyncStats>[] = [
  gauge('sync_leasing', '1 when the sync table enforces leases.', (s) => s.leasing),
  gauge('sync_keys', 'Live keys in the sync table.', (s) => s.keys),
  gauge('sync_tombstones', 'Deleted keys remembered for late joiners.', (s) => s.tombstones),
  gauge('sync_table_bytes', "Bytes charged to the sync table's budget.", (s) => s.tableBytes),
  gauge('sync_max_table_bytes', 'The sync table budget (maxTableBytes).', (s) => s.maxTableBytes),
  gauge('sync_max_bytes_per_owner', "The cap on one writer's entries (maxBytesPerOwner).", (s) => s.maxBytesPerOwner),
  counter('sync_changes_refused_total', 'Changes from peers refused (lease rule, clock skew, budgets, malformed).', (s) => s.refused),
  counter('sync_writes_superseded_total', "Writes made here that lost to another replica's version.", (s) => s.superseded),
  counter(
    'sync_changes_applied_total',
    'Changes from peers stored, by how they arrived.',
    (s) => ({ remote: s.applied.remote, 'initial-sync': s.applied.initialSync, 'anti-entropy': s.applied.antiEntropy }),
    'source',
  ),
];

export const chordFamilies: Family<ChordStats>[] = [
  gauge('chord_storing', '1 when this node stores data (joined the table).', (s) => s.storing),
  gauge('chord_overlay', '1 in overlay mode (a polyp2p ring in view), 0 in legacy mode.', (s) => s.mode === 'overlay'),
  gauge('chord_ring_size', 'Verified live ring members in view.', (s) => s.ringSize),
  gauge('chord_fingers', 'Distinct fingers kept.', (s) => s.fingers),
  gauge('chord_successors', 'Successors kept.', (s) => s.successors),
  gauge('chord_items', 'Live items held.', (s) => s.items),
  gauge('chord_replicas', 'Live items held as replicas (another node is responsible).', (s) => s.replicas),
  gauge('chord_lookups_window', 'Overlay lookups started here among the last 1000 (the window of the hop gauges).', (s) => s.lookups),
  gauge('chord_lookup_hops_mean', 'Mean hops of the lookups in the window.', (s) => s.meanHops),
  gauge('chord_lookup_hops_max', 'Most hops of a lookup in the window.', (s) => s.maxHops),
  counter('chord_gossip_deltas_sent_total', 'Member-list delta messages sent.', (s) => s.gossip.deltasSent),
  counter('chord_gossip_entries_sent_total', 'Entries in the member-list deltas sent.', (s) => s.gossip.entriesSent),
  counter('chord_gossip_full_lists_sent_total', 'Full member lists sent.', (s) => s.gossip.fullListsSent),
  counter('chord_gossip_digests_sent_total', 'Member-list digests sent.', (s) => s.gossip.digestsSent),
  counter(
    'chord_members_declared_dead_total',
    'Members this node declared dead, by cause.',
    (s) => ({ 'link-lost': s.gossip.declaredDeadLinkLost, unreachable: s.gossip.declaredDeadUnreachable }),
    'cause',
  ),
  counter('chord_death_rumours_refuted_total', "Rumours of this node's death it refuted.", (s) => s.gossip.refuted),
  counter('chord_introductions_refused_total', 'Member introductions ignored (maxUnverifiedPerPeer).', (s) => s.gossip.introductionsRefused),
  counter('chord_rumours_ignored_total', "Reports of other members' death or leaving ignored.", (s) => s.gossip.rumoursIgnored),
  gauge('chord_unverified_members', 'Members introduced and not verified yet.', (s) => s.gossip.unverified),
  gauge('chord_store_bytes', 'Bytes charged for the items held.', (s) => s.budget.storeBytes),
  gauge('chord_max_store_bytes', 'The store budget (maxStoreBytes).', (s) => s.budget.maxStoreBytes),
  counter('chord_writes_refused_total', 'Writes and copies refused by a byte budget, by budget.', (s) => ({ ...s.budget.refused }), 'budget'),
  counter(
    'chord_refused_total',
    'Other things refused from peers, by reason.',
    (s) => ({
      'future-version': s.refused.futureVersion,
      'unvouched-replica': s.refused.unvouchedReplica,
      'announced-keys': s.refused.announcedKeys,
      'too-large-for-peer': s.refused.tooLargeForPeer,
    }),
    'reason',
  ),
];

/** With `perPeer`: one series per open connection (labels peer and address); it starts again from 0 when a connection is replaced. */
export const peerFamilies: Family<PeerRow>[] = [
  counter('connection_frames_received_total', 'Frames received on this connection.', (r) => r.framesIn),
  counter('connection_frames_sent_total', 'Frames sent on this connection.', (r) => r.framesOut),
  counter('connection_received_bytes_total', 'Bytes received on this connection.', (r) => r.bytesIn),
  counter('connection_sent_bytes_total', 'Bytes sent on this connection.', (r) => r.bytesOut),
];
