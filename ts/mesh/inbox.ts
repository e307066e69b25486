/**
 * The application's side of a node's messages: a bounded queue read by recv()
 * and by async iteration, in arrival order. When full (`max` messages or
 * `maxBytes` bytes by `sizeOf`), messages are dropped (and counted) from the
 * source (`sourceOf`: the node uses the link's remote IP address) that uses
 * the most of the budget, its oldest first: a peer that floods an application
 * which reads slowly pushes out its own messages, not those of other hosts. An application that stops reading costs at
 * most `max` messages and `maxBytes` bytes.
 */
interface Slot<T> {
  /** The message; undefined once dropped, so a dropped message is not kept until the reader passes its slot. */
  msg: T | undefined;
  source: unknown;
  size: number;
  /** Dropped for its source's excess: skipped when read. */
  dropped: boolean;
}

/** One source's queued slots, oldest first, and their bytes. */
interface SourceShare<T> {
  slots: Slot<T>[];
  head: number;
  bytes: number;
}

export class MessageInbox<T> {
  private queue: Slot<T>[] = [];
  private head = 0;
  private count = 0;
  /** Dropped slots still in `queue`. */
  private droppedSlots = 0;
  private readonly shares = new Map<unknown, SourceShare<T>>();
  private readers: Array<() => void> = [];
  private ended = false;
  /** Async iterators currently reading. */
  iterators = 0;

  /** Bytes of the queued messages, by `sizeOf`. */
  bytes = 0;

  constructor(
    private readonly max: number,
    private readonly onDrop: (msg: T) => void,
    private readonly maxBytes = Infinity,
    private readonly sizeOf: (msg: T) => number = () => 0,
    private readonly sourceOf: (msg: T) => unknown = () => null,
  ) {}

  get size(): number {
    return this.count;
  }

  push(msg: T): void {
    const size = this.sizeOf(msg);
    while (this.count > 0 && (this.count >= this.max || this.bytes + size > this.maxBytes)) {
      this.onDrop(this.dropFromHeaviest());
    }
    const slot: Slot<T> = { msg, source: this.sourceOf(msg), size, dropped: false };
    this.queue.push(slot);
    let share = this.shares.get(slot.source);
    if (!share) this.shares.set(slot.source, (share = { slots: [], head: 0, bytes: 0 }));
    share.slots.push(slot);
    share.bytes += size;
    this.count++;
    this.bytes += size;
    this.wake();
  }

  /** Oldest message, or undefined. */
  shift(): T | undefined {
    while (this.head < this.queue.length) {
      const slot = this.queue[this.head];
      this.queue[this.head++] = undefined as unknown as Slot<T>;
      this.compact();
      if (slot.dropped) {
        this.droppedSlots--;
        continue;
      }
      this.release(slot);
      return slot.msg;
    }
    return undefined;
  }

  /** How much of the queue's budget a source uses: the larger of its share of `max` messages and of `maxBytes`. */
  private weight(share: SourceShare<T>): number {
    return Math.max((share.slots.length - share.head) / this.max, share.bytes / this.maxBytes);
  }

  /** Drop the oldest message of the source that uses the most of the budget; returns it. */
  private dropFromHeaviest(): T {
    let heaviest: SourceShare<T> | null = null;
    for (const share of this.shares.values()) if (!heaviest || this.weight(share) > this.weight(heaviest)) heaviest = share;
    const slot = heaviest!.slots[heaviest!.head];
    const msg = slot.msg as T;
    slot.dropped = true;
    slot.msg = undefined;
    this.release(slot);
    this.droppedSlots++;
    // dropped slots left in the arrival queue: once they outnumber the live ones, rebuild it without them
    if (this.droppedSlots > 64 && this.droppedSlots > this.count) {
      this.queue = this.queue.slice(this.head).filter((x) => !x.dropped);
      this.head = 0;
      this.droppedSlots = 0;
    }
    return msg;
  }

  /** Take `slot`, the oldest of its source, out of the counts. */
  private release(slot: Slot<T>): void {
    const share = this.shares.get(slot.source)!;
    share.slots[share.head++] = undefined as unknown as Slot<T>;
    share.bytes -= slot.size;
    this.count--;
    this.bytes -= slot.size;
    if (share.head >= share.slots.length) this.shares.delete(slot.source);
    else if (share.head > 64 && share.head * 2 >= share.slots.length) {
      share.slots = share.slots.slice(share.head);
      share.head = 0;
    }
  }

  /** Compact once the consumed part is at least half of the array (amortised O(1) per message). */
  private compact(): void {
    if (this.head > 64 && this.head * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  /** Messages in arrival order; ends once end() was called and the queue is empty. */
  async *iterate(): AsyncGenerator<T> {
    this.iterators++;
    try {
      while (true) {
        if (this.count > 0) {
          yield this.shift()!;
          continue;
        }
        if (this.ended) return;
        await new Promise<void>((resolve) => this.readers.push(resolve));
      }
    } finally {
      this.iterators--;
    }
  }

  /** No more messages will come (the node closed): waiting iterators finish. */
  end(): void {
    this.ended = true;
    this.wake();
  }

  private wake(): void {
    const readers = this.readers;
    this.readers = [];
    for (const r of readers) r();
  }
}
