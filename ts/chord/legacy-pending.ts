/**
 * Retrieves this node sent to originals and the answers they gave (docs/
 * protocol.md §13.3): one slot per (table, base58 position), holding the
 * latest answer, the peers whose forwarded retrieves wait for it, and the
 * local reads watching it (reads.ts).
 */
import type { Peer } from '../mesh/peer';

/** How long a slot is kept after its retrieve was sent. */
const PENDING_TTL = 15_000;

/** A peer whose retrieve this node forwarded: it gets the answer, its table and position echoed. */
export interface Waiter {
  peer: Peer;
  table: unknown;
  pos: unknown;
}

/** One outstanding retrieve per (table, base58 position). */
export interface LegacySlot {
  value: unknown;
  answered: boolean;
  changedAt: number;
  createdAt: number;
  waiters: Waiter[];
  /** Called after each answer (the local reads waiting for it). */
  readonly watchers: Set<() => void>;
}

export class LegacyPending {
  readonly slots = new Map<string, LegacySlot>();
  max = 10_000;
  get(table: string, b58: string): LegacySlot | undefined {
    return this.slots.get(`${table},${b58}`);
  }
  open(table: string, b58: string): LegacySlot | null {
    const k = `${table},${b58}`;
    let s = this.slots.get(k);
    if (!s) {
      if (this.slots.size >= this.max) this.prune(Date.now());
      if (this.slots.size >= this.max) return null;
      s = { value: undefined, answered: false, changedAt: Date.now(), createdAt: Date.now(), waiters: [], watchers: new Set() };
      this.slots.set(k, s);
    }
    return s;
  }
  /** An original answered the slot's retrieve (undefined: absent). */
  answer(slot: LegacySlot, value: unknown): void {
    slot.value = value;
    slot.answered = true;
    slot.changedAt = Date.now();
    for (const watch of slot.watchers) watch();
  }
  prune(now: number): void {
    for (const [k, s] of this.slots) if (now - s.createdAt > PENDING_TTL) this.slots.delete(k);
  }
  clear(): void {
    this.slots.clear();
  }
}
