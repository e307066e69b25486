/**
 * A node's budgets over all its connections, and who pays when one is
 * exhausted.
 *
 * Bytes held in frames still arriving (maxPendingFrameBytes). Each connection's partial frame is bounded by
 * maxFrameSize; with maxPeers connections that is still gigabytes (128 x 16
 * MiB). Past the budget the connection whose unfinished frame started
 * longest ago is dropped (the one holding the most among equals). Memory held
 * in partial frames is memory held over time: an attacker that wants to keep
 * it must keep frames open, and they grow old, while honest frames complete
 * at the speed of the link; to stay younger than an honest frame the attacker
 * would have to complete and resend all of its frames (valid ones, or its
 * links are dropped) faster than that frame arrives.
 */
import { SharedBudget, type BudgetHolder } from './shared-budget';

export interface PendingHolder extends BudgetHolder {
  /** When the holder's oldest unfinished frame started (Date.now()). */
  readonly pendingSince: number;
}

export function pendingFrameBudget(max: number): SharedBudget<PendingHolder> {
  return new SharedBudget<PendingHolder>(max, 'maxPendingFrameBytes', (a, an, b, bn) => a.pendingSince < b.pendingSince || (a.pendingSince === b.pendingSince && an > bn));
}

/**
 * Bytes queued for peers, summed over every connection (maxTotalWriteBuffer):
 * past it the connection with the most queued is dropped, which is the peer
 * that reads slowest (a peer that reads keeps its queue short).
 */
export function writeBudget(max: number): SharedBudget<BudgetHolder> {
  return new SharedBudget<BudgetHolder>(max, 'maxTotalWriteBuffer', (_a, an, _b, bn) => an > bn);
}
