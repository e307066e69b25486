/**
 * Bytes held in frames still arriving, summed over every connection of a
 * node. Each connection's partial frame is bounded by maxFrameSize; with
 * maxPeers connections that is still gigabytes (128 x 16 MiB), so the node
 * keeps one total, and past its budget the connection whose unfinished frame
 * started longest ago is dropped (the one holding the most among equals).
 * Memory held in partial frames is memory held over time: an attacker that
 * wants to keep it must keep frames open, and they grow old, while honest
 * frames complete at the speed of the link; to stay younger than an honest
 * frame the attacker would have to complete and resend all of its frames
 * (valid ones, or its links are dropped) faster than that frame arrives.
 */
export interface PendingHolder {
  /** When the holder's oldest unfinished frame started (Date.now()). */
  readonly pendingSince: number;
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
      let oldest: PendingHolder | null = null;
      let most = -1;
      for (const [h, n] of this.held) {
        if (!oldest || h.pendingSince < oldest.pendingSince || (h.pendingSince === oldest.pendingSince && n > most)) [oldest, most] = [h, n];
      }
      const total = this.total;
      this.update(oldest!, 0);
      oldest!.overBudget(total, this.max);
    }
  }
}
