/**
 * The keys a chord node has heard of (keys(), §15.4): its own sets, and the
 * notifies any node floods. What others announce is listed only within a byte
 * budget (`maxAnnouncedKeyBytes`) and the item cap (`maxItems`); past them a
 * notify is ignored and counted, so a flood of notifies cannot grow it
 * without bound. Keys this node set itself are always listed (the user's own
 * writes; they count towards the total).
 */

/** What a listed key costs: its bytes, its hex index (twice its length) and the entry. */
export function keyCost(key: Buffer): number {
  return 3 * key.length + 64;
}

export class KeySet {
  private readonly keys = new Map<string, Buffer>();
  /** Bytes charged for the keys listed. */
  bytes = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly maxKeys: number,
  ) {}

  get size(): number {
    return this.keys.size;
  }

  has(hex: string): boolean {
    return this.keys.has(hex);
  }

  values(): IterableIterator<Buffer> {
    return this.keys.values();
  }

  /** A key this node set: listed whatever the budget. */
  addOwn(hex: string, key: Buffer): void {
    if (!this.keys.has(hex)) this.insert(hex, key);
  }

  /** A key another node announced: listed while within the budgets; false when it was not (and was not listed before). */
  addAnnounced(hex: string, key: Buffer): boolean {
    if (this.keys.has(hex)) return true;
    if (this.keys.size >= this.maxKeys || this.bytes + keyCost(key) > this.maxBytes) return false;
    this.insert(hex, key);
    return true;
  }

  delete(hex: string): boolean {
    const key = this.keys.get(hex);
    if (!key) return false;
    this.bytes -= keyCost(key);
    this.keys.delete(hex);
    return true;
  }

  private insert(hex: string, key: Buffer): void {
    this.keys.set(hex, key);
    this.bytes += keyCost(key);
  }
}
