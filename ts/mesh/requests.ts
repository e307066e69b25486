/**
 * reply() to an author we are not connected to (§12.1): remember the reply
 * under a request ID until an address response arrives. Bounded in count and
 * time (js2p and py2p kept them forever).
 */
export interface PendingReply {
  target: string;
  data: unknown[];
  expiresAt: number;
}

export class PendingRequests {
  private readonly entries = new Map<string, PendingReply>();

  constructor(
    private readonly max: number,
    private readonly ttlMs: number,
  ) {}

  add(requestId: string, target: string, data: unknown[]): void {
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(requestId, { target, data, expiresAt: Date.now() + this.ttlMs });
  }

  /** The live pending reply for a request ID, left in place. */
  get(requestId: string): PendingReply | undefined {
    const p = this.entries.get(requestId);
    return p && p.expiresAt >= Date.now() ? p : undefined;
  }

  take(requestId: string): PendingReply | undefined {
    const p = this.entries.get(requestId);
    if (p) this.entries.delete(requestId);
    return p && p.expiresAt >= Date.now() ? p : undefined;
  }

  /** The pending replies not yet expired, oldest first. */
  *live(now = Date.now()): IterableIterator<[string, PendingReply]> {
    for (const e of this.entries) if (e[1].expiresAt >= now) yield e;
  }

  prune(now = Date.now()): void {
    for (const [k, p] of this.entries) if (p.expiresAt < now) this.entries.delete(k);
  }

  get size(): number {
    return this.entries.size;
  }
}
