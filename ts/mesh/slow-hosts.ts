/**
 * Hosts whose connection held a relay up for a whole hold without draining,
 * or closed during one with frames still queued (marked slow reader), with
 * when. For SLOW_HOST_MS their other and later connections hold nobody up,
 * so opening fresh connections that do not read cannot keep honest traffic
 * paused. At most `max` hosts are remembered (the oldest mark goes first).
 */

/** How long a host marked slow holds nobody up. */
export const SLOW_HOST_MS = 60_000;

export class SlowHosts {
  private readonly markedAt = new Map<string, number>();

  constructor(private readonly max: number) {}

  mark(ip: string, now = Date.now()): void {
    if (!ip) return;
    this.markedAt.delete(ip);
    if (this.markedAt.size >= this.max) this.markedAt.delete(this.markedAt.keys().next().value as string);
    this.markedAt.set(ip, now);
  }

  /** May a connection from `ip` hold up the peer a flood comes from? */
  mayHold(ip: string, now = Date.now()): boolean {
    const at = this.markedAt.get(ip);
    return at === undefined || now - at > SLOW_HOST_MS;
  }
}
