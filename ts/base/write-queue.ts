/**
 * What the frames queued for one peer cost, and whether they move. The
 * stream's writableLength counts payload bytes only, but every queued write
 * also holds a Node buffer entry (measured: a 100-byte frame queued costs
 * ~750 bytes), so a peer that does not read while many small frames pile up
 * costs several times maxWriteBuffer. Each write is counted until its
 * callback says it left the queue (callbacks come in write order), so the
 * cost and the time of the last progress are known without polling.
 */

/** Bytes of bookkeeping charged per queued write, besides its payload. */
export const WRITE_OVERHEAD = 640;

export class WriteQueue {
  private lengths: number[] = [];
  private head = 0;
  /** Payload bytes written to the stream whose callback has not come yet. */
  bytes = 0;
  /** When a write last left the queue, or the queue was last empty (Date.now()). */
  lastProgressAt = Date.now();

  /** Writes still queued. */
  get writes(): number {
    return this.lengths.length - this.head;
  }

  /** What the queue costs: payload bytes and the per-write bookkeeping. */
  get cost(): number {
    return this.bytes + WRITE_OVERHEAD * this.writes;
  }

  /** A write of `length` bytes is handed to the stream. */
  add(length: number, now = Date.now()): void {
    if (this.writes === 0) this.lastProgressAt = now;
    this.lengths.push(length);
    this.bytes += length;
  }

  /** The oldest write left the queue (its callback came). Returns its length. */
  done(now = Date.now()): number {
    if (this.head >= this.lengths.length) return 0;
    const length = this.lengths[this.head++];
    this.bytes -= length;
    this.lastProgressAt = now;
    if (this.head === this.lengths.length) {
      this.lengths = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.lengths.length) {
      this.lengths = this.lengths.slice(this.head);
      this.head = 0;
    }
    return length;
  }

  /** ms since writes last moved while some are queued (0 when none is queued). */
  stalledFor(now = Date.now()): number {
    return this.writes === 0 ? 0 : now - this.lastProgressAt;
  }
}
