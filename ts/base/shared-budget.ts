/**
 * A node-wide byte budget shared by its connections: each holder reports
 * what it holds now, the node keeps the total, and while the total is over
 * the budget the holder `pick` chooses pays (it is told to close). Per
 * connection limits alone still add up to gigabytes over maxPeers links.
 */
export interface BudgetHolder {
  /** The holder is closed because the node's budget is exhausted and it was picked. */
  overBudget(budget: SharedBudget<BudgetHolder>, total: number): void;
}

export class SharedBudget<H extends BudgetHolder> {
  private readonly held = new Map<H, number>();
  total = 0;
  /** Highest total seen (stats). */
  peak = 0;

  /**
   * @param name the option that sets `max` (for messages)
   * @param pick of two holders and their bytes, true when `a` should pay before `b`
   */
  constructor(
    readonly max: number,
    readonly name: string,
    private readonly pick: (a: H, aBytes: number, b: H, bBytes: number) => boolean,
  ) {}

  /** `holder` now holds `bytes`; while over budget, the picked holder is released and told. */
  update(holder: H, bytes: number): void {
    this.total += bytes - (this.held.get(holder) ?? 0);
    if (bytes > 0) this.held.set(holder, bytes);
    else this.held.delete(holder);
    this.peak = Math.max(this.peak, this.total);
    while (this.total > this.max && this.held.size) {
      let chosen: H | null = null;
      let chosenBytes = 0;
      for (const [h, n] of this.held) if (!chosen || this.pick(h, n, chosen, chosenBytes)) [chosen, chosenBytes] = [h, n];
      const total = this.total;
      this.update(chosen!, 0);
      chosen!.overBudget(this as unknown as SharedBudget<BudgetHolder>, total);
    }
  }

  /** What `holder` holds now. */
  of(holder: H): number {
    return this.held.get(holder) ?? 0;
  }
}
