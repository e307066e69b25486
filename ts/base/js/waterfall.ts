import type { WaterfallCacheLike } from '../backend';

/**
 * The seen-message set of the waterfall (PROTOCOL.md §11), keyed by
 * (message ID, time). A Map answers lookups in O(1); a FIFO of keys in
 * insertion order drives pruning and cap eviction, so no Map iterator has to
 * skip the slots of deleted entries.
 */
export class WaterfallCache implements WaterfallCacheLike {
  private readonly entries = new Map<string, number>();
  private fifoKeys: string[] = [];
  private fifoTimes: number[] = [];
  private head = 0;

  constructor(readonly windowSeconds: number, readonly maxEntries: number) {}

  get size(): number {
    return this.entries.size;
  }

  private static key(id: Uint8Array, time: number): string {
    return Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('latin1') + '@' + (time === 0 ? 0 : time);
  }

  has(id: Uint8Array, time: number): boolean {
    return this.entries.has(WaterfallCache.key(id, time));
  }

  seen(id: Uint8Array, time: number, now: number): boolean {
    const key = WaterfallCache.key(id, time);
    if (this.entries.has(key)) return true;
    this.prune(now);
    this.entries.set(key, time);
    this.fifoKeys.push(key);
    this.fifoTimes.push(time);
    // Cap reached: forget the oldest insertions (memory stays bounded whatever peers send).
    while (this.entries.size > this.maxEntries) this.dropOldest();
    return false;
  }

  prune(now: number): void {
    const cutoff = now - this.windowSeconds;
    while (this.head < this.fifoKeys.length && this.fifoTimes[this.head] <= cutoff) this.dropOldest();
  }

  private dropOldest(): void {
    if (this.head >= this.fifoKeys.length) return;
    this.entries.delete(this.fifoKeys[this.head]);
    this.head++;
    // Compact the FIFO once its consumed prefix dominates.
    if (this.head > 1024 && this.head * 2 > this.fifoKeys.length) {
      this.fifoKeys = this.fifoKeys.slice(this.head);
      this.fifoTimes = this.fifoTimes.slice(this.head);
      this.head = 0;
    }
  }

  clear(): void {
    this.entries.clear();
    this.fifoKeys = [];
    this.fifoTimes = [];
    this.head = 0;
  }
}
