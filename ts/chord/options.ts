/** Chord options, every default documented (README: "Chord table"). */
import type { MeshOptions } from '../mesh/options';

export interface ChordOptions extends MeshOptions {
  /** Subnet (default 'chord', the originals' default protocol). */
  subnet?: string;
  /** Start data-storing at once (default true; the originals start leeching, the compat socket too). */
  join?: boolean;
  /** Copies of each item among polyp2p nodes: the responsible node and its next r-1 successors (default 3). */
  replicas?: number;
  /** ms between stabilisation rounds: anti-entropy digest, finger/successor upkeep, repair (default 1000). */
  stabilizeInterval?: number;
  /**
   * ms between full repairs (default 30 000): every item a node holds is sent again, by the
   * responsible node to the other members of its replica set, by a replica to the responsible node.
   * A safety net: a write is acknowledged once r nodes hold it, a ring view change sends copies to
   * members new to a replica set, and a batch left unanswered brings the full repair forward (at
   * most once a second). Lower heals a copy a holder lost or refused sooner, at the cost of sending
   * everything the node holds once per interval. Keep it well below `tombstoneTtl` (docs/chord.md).
   */
  repairInterval?: number;
  /** A dead member's record is kept 10x this many ms, so late rumours cannot revive it (default 15 000). */
  failureTimeout?: number;
  /** Default timeout of get/set/delete/applyDelta in ms (default 10 000, the originals' read timeout). */
  timeout?: number;
  /** ms a read waits for a later answer after three tables answered "absent" through a forwarding original (default 1000). */
  missGrace?: number;
  /** ms a delete's tombstone is kept so a stale replica cannot bring the value back (default 600 000). */
  tombstoneTtl?: number;
  /** Cap on items held (default 1 000 000). */
  maxItems?: number;
  /**
   * Bytes the store may hold in all, items this node is responsible for and
   * replicas alike: each item costs its value's msgpack size + 96 (a tombstone
   * 96). A write or copy past it is refused (route answer 'error' with
   * ERR_MEMORY_BUDGET, replica status "refused"); default 256 MiB.
   */
  maxStoreBytes?: number;
  /** Bytes the store may hold under one writer ID (the version's writer; default 16 MiB). */
  maxBytesPerWriter?: number;
  /**
   * Bytes the store may hold that one link brought in without the ring's
   * vouching: route writes straight from a link that is not a verified storing
   * ring member (a leeching client, an original, a raw connection), legacy
   * stores, and replicas pushed by a peer that is not a plausible holder of
   * them (default 16 MiB).
   */
  maxBytesPerLink?: number;
  /**
   * Bytes of keys keys() may list before other nodes' notifies are ignored
   * (each key costs 3 x its length + 64: its bytes and its hex index; keys this
   * node set itself are always listed; default 16 MiB).
   */
  maxAnnouncedKeyBytes?: number;
  /** A version (writer's clock) more than this many ms ahead of this node's clock is refused (default 300 000). */
  maxClockSkew?: number;
  /** Members one peer may introduce that this node has not verified yet (default 64; see README "Chord table"). */
  maxUnverifiedPerPeer?: number;
  /** Reports from one peer that other members died or stopped storing, believed per stabilisation round (default 8). */
  maxRumoursPerRound?: number;
  /** Cap on outstanding forwarded requests (default 10 000). */
  maxPendingLookups?: number;
  /**
   * Broadcast a notify for each new or deleted key, as the originals do (default true): it is what
   * fills other nodes' keys() and fires their 'add' / 'delete' events, and it floods the whole
   * network (about N x links-per-node frames per new key). false keeps set/get/delete routed only.
   */
  announceKeys?: boolean;
  /**
   * Routing state among polyp2p nodes (default 'log'). 'full': every node holds the whole ring view
   * (at most 16 384 members), gossiped; a lookup can dial the responsible node directly. 'log': each
   * node keeps only its neighbourhood (2r successors, r predecessors), its fingers and its links, about
   * log2 N entries, kept by a stabilisation exchange with its successor and predecessor each round and
   * one finger lookup per round (docs/chord-scaling.md). Every node of a ring should use the same mode.
   */
  overlay?: 'full' | 'log';
}

export interface ResolvedChordOptions {
  join: boolean;
  replicas: number;
  stabilizeInterval: number;
  repairInterval: number;
  failureTimeout: number;
  timeout: number;
  missGrace: number;
  tombstoneTtl: number;
  maxItems: number;
  maxPendingLookups: number;
  announceKeys: boolean;
  maxStoreBytes: number;
  maxBytesPerWriter: number;
  maxBytesPerLink: number;
  maxAnnouncedKeyBytes: number;
  maxClockSkew: number;
  maxUnverifiedPerPeer: number;
  maxRumoursPerRound: number;
  overlay: 'full' | 'log';
}

const MiB = 1024 * 1024;

/** Defaults for what was not given; ChordNode checked the values first (option-rules.ts). */
export function resolveChordOptions(o: ChordOptions): ResolvedChordOptions {
  return {
    join: o.join ?? true,
    replicas: o.replicas ?? 3,
    stabilizeInterval: o.stabilizeInterval ?? 1000,
    repairInterval: o.repairInterval ?? 30_000,
    failureTimeout: o.failureTimeout ?? 15_000,
    timeout: o.timeout ?? 10_000,
    missGrace: o.missGrace ?? 1000,
    tombstoneTtl: o.tombstoneTtl ?? 600_000,
    maxItems: o.maxItems ?? 1_000_000,
    maxPendingLookups: o.maxPendingLookups ?? 10_000,
    announceKeys: o.announceKeys ?? true,
    maxStoreBytes: o.maxStoreBytes ?? 256 * MiB,
    maxBytesPerWriter: o.maxBytesPerWriter ?? 16 * MiB,
    maxBytesPerLink: o.maxBytesPerLink ?? 16 * MiB,
    maxAnnouncedKeyBytes: o.maxAnnouncedKeyBytes ?? 16 * MiB,
    maxClockSkew: o.maxClockSkew ?? 300_000,
    maxUnverifiedPerPeer: o.maxUnverifiedPerPeer ?? 64,
    maxRumoursPerRound: o.maxRumoursPerRound ?? 8,
    overlay: o.overlay ?? 'log',
  };
}
