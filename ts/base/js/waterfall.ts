import type { WaterfallCacheLike } from '../backend';

/**
 * The seen-message set of the waterfall (PROTOCOL.md §11), keyed by
 * (message ID, time). A Map gives O(1) lookup and keeps insertion order, so
 * pruning and cap eviction pop from the front.
 */
export class WaterfallCache implements WaterfallCacheLike {
  private entries = new Map<string, number>();

  constructor(readonly windowSeconds: number, readonly maxEntries: number) {}

  get size(): number {
    return this.entries.size;
  }

  private static key(id: Uint8Array, time: number): string {
    return Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('latin1') + '@' + time;
  }

  has(id: Uint8Array, time: number): boolean {
    return this.entries.has(WaterfallCache.key(id, time));
  }

  seen(id: Uint8Array, time: number, now: number): boolean {
    const key = WaterfallCache.key(id, time);
    if (this.entries.has(key)) return true;
    this.prune(now);
    this.entries.set(key, time);
    if (this.entries.size > this.maxEntries) {
      // Cap reached: forget the oldest insertions (memory stays bounded whatever peers send).
      const it = this.entries.keys();
      while (this.entries.size > this.maxEntries) this.entries.delete(it.next().value as string);
    }
    return false;
  }

  prune(now: number): void {
    const cutoff = now - this.windowSeconds;
    for (const [key, time] of this.entries) {
      if (time > cutoff) break;
      this.entries.delete(key);
    }
  }

  clear(): void {
    this.entries.clear();
  }
}
