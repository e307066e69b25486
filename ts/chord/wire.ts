/**
 * Chord messages (docs/protocol.md §13), each built here. The originals'
 * (§13.2-13.3), on the mesh's sub-flags (base/flags.ts), with everyone:
 *
 *   meta       [0x05, "0" | "1"]              whisper: "0" storing data, "1" not (shares 0x05 with the handshake)
 *   notify     [0x06, key(bin)]                broadcast: a key was set; [0x06, key(bin), "del"(bin)]: deleted
 *   store      [0x0B, table, pos58, value]     whisper to find(pos); value nil = delete
 *   delta      [0x11, table, pos58, mapping]   whisper to find(pos)
 *   retrieve   [0x0C, table, pos58]            whisper to find(pos)
 *   retrieved  [0x0D, table, pos58, value]     the answer (table and pos58 echoed as received; nil: absent)
 *
 * and the overlay's (§13.4), sub-flags the originals never see (only sent to
 * peers that answered the capability ping):
 *
 *   0x30 members  [0x30, [[id, host, port, seq, storing, dead], ...], mode]  changes, or a full list (gossip.ts)
 *   0x36 digest   [0x36, a, b, count, quiet]                                anti-entropy (gossip.ts)
 *   0x31 route    [0x31, reqId, op, table, pos58, value, version, hops]  op: get | put | delta
 *   0x32 routed   [0x32, reqId, status, value, version, hops]            answer, back along the path
 *   0x33 replica  [0x33, [[table, pos58, value, version], ...], batchId] copies (value nil = tombstone)
 *   0x34 unlink   [0x34]                          "closing this link, I am alive" (pruning)
 *   0x35 stored   [0x35, batchId, [status, ...]]  answer to a replica batch, one status per item
 *
 * Versions are [time_ms, writer ID].
 */
import { flags } from '../base/flags';
import { positionText } from './positions';
import type { Item } from './store';

/** The overlay's sub-flags. */
export const SUB = { members: 0x30, route: 0x31, routed: 0x32, replica: 0x33, unlink: 0x34, stored: 0x35, digest: 0x36 } as const;

/** A member entry: [id, host, port, seq (its counter), storing, dead]. */
export type MemberWire = [string, string, number, number, boolean, boolean];

/**
 * What a members message carries: 0 (or absent) changed entries (delta); 1 a
 * chunk of a full list, more follow; 2 the last chunk; 3 the last chunk, and
 * "send me yours too".
 */
export const MEMBERS_MODE = { delta: 0, chunk: 1, last: 2, lastAskBack: 3 } as const;

/** 'find': the responsible node answers with its own entry and its successor list (finger repair, overlay 'log'). */
export type RouteOp = 'get' | 'put' | 'delta' | 'find';
export const ROUTE_OPS: readonly string[] = ['get', 'put', 'delta', 'find'];
export type RoutedStatus = 'ok' | 'absent' | 'error';
export const ROUTED_STATUSES: readonly string[] = ['ok', 'absent', 'error'];

/**
 * An 'error' answer carries this code in its value field when a byte budget
 * refused the write (the responsible node's store or a replica's): the writer
 * stops retrying that table. Older polyp2p nodes ignore the value of errors.
 */
export const BUDGET_ERROR = 'ERR_MEMORY_BUDGET';

/** Replica-batch status per item (stored, 0x35). */
export const NOT_HELD = 0;
export const HELD = 1;
/** Held, and the receiver is in the item's replica set by its own view (it keeps the copy). */
export const KEEPS = 2;
/** Not held: a byte budget of the receiver refused it (older polyp2p nodes read any unknown status as NOT_HELD). */
export const REFUSED = 3;

/** The status says the copy is held (HELD), and kept when `need` is KEEPS. */
export function holds(status: number | undefined, need: number = HELD): boolean {
  return status !== undefined && status !== REFUSED && status >= need;
}

// --- the originals' messages ---------------------------------------------------

export function metaMessage(storing: boolean): unknown[] {
  return [flags.handshake, storing ? '0' : '1'];
}

/** A notify of a key this node set (`deleted` false) or deleted, as a bin key like both originals. */
export function notifyMessage(key: Buffer, deleted: boolean): unknown[] {
  return deleted ? [flags.notify, key, Buffer.from('del')] : [flags.notify, key];
}

/** A legacy store (value undefined or null: a delete) or delta. */
export function storeMessage(delta: boolean, table: string, pos58: string, value: unknown): unknown[] {
  return [delta ? flags.delta : flags.store, table, pos58, value ?? null];
}

export function retrieveMessage(table: string, pos58: string): unknown[] {
  return [flags.retrieve, table, pos58];
}

/** An answer to a retrieve; `table` and `pos` as they were received. */
export function retrievedMessage(table: unknown, pos: unknown, value: unknown): unknown[] {
  return [flags.retrieved, table, pos, value ?? null];
}

// --- the overlay's messages ------------------------------------------------------

export function membersMessage(entries: MemberWire[], mode: number): unknown[] {
  return [SUB.members, entries, mode];
}

/**
 * The XOR digest of the sender's live view (ring.ts, two 32-bit halves), its
 * number of live entries, and whether its view saw no change for a round.
 */
export function digestMessage(a: number, b: number, count: number, quiet: boolean): unknown[] {
  return [SUB.digest, a, b, count, quiet ? 1 : 0];
}

/** A route request; a forwarding node passes the fields on as it received them. */
export function routeMessage(reqId: unknown, op: unknown, table: unknown, pos58: unknown, value: unknown, version: unknown, hops: unknown): unknown[] {
  return [SUB.route, reqId, op, table, pos58, value, version, hops];
}

export function routedMessage(reqId: unknown, status: RoutedStatus, value: unknown, version: unknown, hops: unknown): unknown[] {
  return [SUB.routed, reqId, status, value, version, hops];
}

/** One copy of a replica batch: [table, pos58, value or nil (a tombstone), version]. */
export function copyWire(it: Item): unknown[] {
  return [it.table, positionText(it.pos), it.value === undefined ? null : it.value, it.ver];
}

export function replicaMessage(copies: unknown[][], batchId: string): unknown[] {
  return [SUB.replica, copies, batchId];
}

export function unlinkMessage(): unknown[] {
  return [SUB.unlink];
}

export function storedMessage(batchId: string, statuses: number[]): unknown[] {
  return [SUB.stored, batchId, statuses];
}
