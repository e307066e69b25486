/**
 * What one link may bring into the ring without the ring's vouching
 * (`maxBytesPerLink`, each): the bytes of the items it placed in this node's
 * store (held, freed as they are replaced or dropped: store.ts / budget.ts),
 * and the bytes of the writes it sent that this node forwarded into the ring
 * (never freed while the link lives). A link that is not a verified storing
 * ring member (a leeching client, an original, a raw connection) so cannot
 * push more than that through this node, whichever node stores it: a flood
 * over one connection cannot fill the other nodes' stores either.
 */
import type { Peer } from '../mesh/peer';
import type { StoreBudget } from './budget';

export class LinkBudgets {
  private readonly accounts = new WeakMap<Peer, string>();
  /** Bytes forwarded per link (gone with the link). */
  private readonly forwarded = new WeakMap<Peer, number>();
  private next = 0;

  constructor(
    private readonly store: StoreBudget,
    private readonly maxBytesPerLink: number,
  ) {}

  /** The store's budget account of one link (one connection: a reconnect is a new link). */
  accountOf(peer: Peer): string {
    let a = this.accounts.get(peer);
    if (!a) this.accounts.set(peer, (a = `link-${++this.next}`));
    return a;
  }

  /** Charge a write of `bytes` that `peer` sends into the ring through this node; false (counted as a 'link' refusal) when past its share. */
  chargeForwarded(peer: Peer, bytes: number): boolean {
    const sent = this.forwarded.get(peer) ?? 0;
    if (sent + bytes > this.maxBytesPerLink) {
      this.store.refuse('link');
      return false;
    }
    this.forwarded.set(peer, sent + bytes);
    return true;
  }
}
