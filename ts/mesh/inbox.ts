/**
 * The application's side of a node's messages: a bounded queue read by recv()
 * and by async iteration. When full (`max` messages or `maxBytes` bytes by
 * `sizeOf`), the oldest messages are dropped (and counted), so an application
 * that stops reading costs at most that much.
 */
export class MessageInbox<T> {
  private queue: T[] = [];
  private head = 0;
  private readers: Array<() => void> = [];
  private ended = false;
  /** Async iterators currently reading. */
  iterators = 0;

  /** Bytes of the queued messages, by `sizeOf`. */
  bytes = 0;

  constructor(
    private readonly max: number,
    private readonly onDrop: () => void,
    private readonly maxBytes = Infinity,
    private readonly sizeOf: (msg: T) => number = () => 0,
  ) {}

  get size(): number {
    return this.queue.length - this.head;
  }

  push(msg: T): void {
    const size = this.sizeOf(msg);
    while (this.size > 0 && (this.size >= this.max || this.bytes + size > this.maxBytes)) {
      this.shift();
      this.onDrop();
    }
    this.queue.push(msg);
    this.bytes += size;
    this.wake();
  }

  /** Oldest message, or undefined. */
  shift(): T | undefined {
    if (this.head >= this.queue.length) return undefined;
    const msg = this.queue[this.head];
    this.queue[this.head++] = undefined as T;
    this.bytes -= this.sizeOf(msg);
    // compact once the consumed part is at least half of the array (amortised O(1) per message)
    if (this.head > 64 && this.head * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return msg;
  }

  /** Messages in arrival order; ends once end() was called and the queue is empty. */
  async *iterate(): AsyncGenerator<T> {
    this.iterators++;
    try {
      while (true) {
        if (this.size > 0) {
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
