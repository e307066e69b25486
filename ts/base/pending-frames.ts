/**
 * Bytes held in frames still arriving, summed over every connection of a
 * node. Each connection's partial frame is bounded by maxFrameSize; with
 * maxPeers connections that is still gigabytes (128 x 16 MiB), so the node
 * keeps one total, and past its budget the connection holding the most is
 * dropped: the peer that costs the most pays, and honest peers, whose frames
 * complete quickly, rarely hold much at once.
 */
export interface PendingHolder {
  /** Close the holder because it is over budget. */
  overBudget(total: number, max: number): void;
}

export class PendingFrameBudget {
  private readonly held = new Map<PendingHolder, number>();
  total = 0;
  /** Highest total seen (stats). */
  peak = 0;

  constructor(readonly max: number) {}

  /** `holder` now holds `bytes` in partial frames; drops the largest holder(s) while over budget. */
  update(holder: PendingHolder, bytes: number): void {
    this.total += bytes - (this.held.get(holder) ?? 0);
    if (bytes > 0) this.held.set(holder, bytes);
    else this.held.delete(holder);
    this.peak = Math.max(this.peak, this.total);
    while (this.total > this.max && this.held.size) {
      let largest: PendingHolder | null = null;
      let most = -1;
      for (const [h, n] of this.held) if (n > most) [largest, most] = [h, n];
      const total = this.total;
      this.update(largest!, 0);
      largest!.overBudget(total, this.max);
    }
  }
}
