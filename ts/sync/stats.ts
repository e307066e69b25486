/**
 * The sync section of a SyncNode's stats() (docs/observability.md): what
 * its table holds against its budgets, and what it took from and refused to
 * peers. A SyncNode's stats() is the mesh's fields plus `sync: SyncStats`.
 */
import type { MeshStats } from '../mesh/stats';
import type { SyncTable } from './table';

/** Changes from peers this node stored, by how they arrived (counts since it started). */
export interface SyncApplied {
  /** Stores, deletes and deltas broadcast by their writers. */
  remote: number;
  /** Stores a new neighbour sent when the link came up (§14.5). */
  initialSync: number;
  /** Versions taken from a polyp2p peer's anti-entropy entries. */
  antiEntropy: number;
}

/** Running counts a SyncNode keeps for its stats. */
export interface SyncCounters {
  /** Changes from peers refused: one per 'refused' event of kind 'incoming' (a summary event counts its `count`). */
  refused: number;
  /** Writes made here that lost to another replica's version ('refused' events of kind 'superseded'). */
  superseded: number;
  applied: SyncApplied;
}

export interface SyncStats extends SyncCounters {
  /** Lease enforcement (the `leasing` option). */
  leasing: boolean;
  /** Live keys in the table (`size`). */
  keys: number;
  /** Deleted keys remembered so that the delete reaches late joiners (tombstoneTtl, maxTombstones). */
  tombstones: number;
  /** Bytes the table's entries are charged (key, owner ID, value msgpack and 16 bytes each, tombstones included), and the cap (maxTableBytes). */
  tableBytes: number;
  maxTableBytes: number;
  /** The cap on one writer's entries (maxBytesPerOwner). */
  maxBytesPerOwner: number;
}

/** What SyncNode.stats() returns: the mesh's figures and the table's. */
export interface SyncNodeStats extends MeshStats {
  sync: SyncStats;
}

export function newSyncCounters(): SyncCounters {
  return { refused: 0, superseded: 0, applied: { remote: 0, initialSync: 0, antiEntropy: 0 } };
}

/** The sync section from a node's table and counters (copies: a snapshot does not change afterwards). */
export function syncStats(table: SyncTable, leasing: boolean, counters: SyncCounters): SyncStats {
  const { limits } = table.budget;
  return {
    leasing,
    keys: table.size,
    tombstones: table.tombstoneCount,
    tableBytes: table.bytes,
    maxTableBytes: limits.maxTableBytes,
    maxBytesPerOwner: limits.maxBytesPerOwner,
    refused: counters.refused,
    superseded: counters.superseded,
    applied: { ...counters.applied },
  };
}
