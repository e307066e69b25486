/**
 * 'refused' events for the changes of one incoming message. A message that
 * carries many items (anti-entropy digests, wants and entries) costs at most
 * REFUSALS_PER_MESSAGE events one by one and one summary event for the rest,
 * so a peer cannot make one message cost thousands of event emissions.
 */
import type { Peer } from '../mesh/peer';
import type { SyncNode, SyncRefusal } from './sync-node';

/** Refusals reported one by one per incoming message; the rest are summed up in one event. */
export const REFUSALS_PER_MESSAGE = 16;

type Details = Pick<SyncRefusal, 'owner' | 'timestamp' | 'value'>;

export class RefusalBatch {
  private reported = 0;
  private folded = 0;
  private firstFolded = '';

  constructor(
    private readonly node: SyncNode,
    private readonly peer: Peer,
    private readonly what: string,
  ) {}

  refuse(key: string | null, reason: string, details: Details = {}): void {
    if (this.reported < REFUSALS_PER_MESSAGE) {
      this.reported++;
      this.node.refused({ key, reason, kind: 'incoming', peer: this.peer.info, ...details });
      return;
    }
    if (this.folded++ === 0) this.firstFolded = `${key === null ? '' : `${JSON.stringify(key.slice(0, 64))}: `}${reason}`;
  }

  /** Count `n` more refusals that need no reason of their own (items past the per-message limit). */
  refuseMany(n: number, reason: string): void {
    if (n <= 0) return;
    if (this.folded === 0) this.firstFolded = reason;
    this.folded += n;
  }

  /** Emit the summary event, when something was folded into it. */
  finish(): void {
    if (!this.folded) return;
    this.node.refused({ key: null, kind: 'incoming', peer: this.peer.info, count: this.folded, reason: `${this.folded} more items of this ${this.what} refused (first: ${this.firstFolded})` });
    this.folded = 0;
  }
}
