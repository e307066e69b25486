/**
 * One framed connection to a peer, independent of the network type above it:
 * splits the byte stream into frames, decodes bodies with the peer's
 * compression list, batches writes, and enforces per-connection limits.
 * Protocol logic (handshakes, relaying) lives in mesh/.
 */
import { EventEmitter } from 'events';
import type { Backend, WaterfallCacheLike } from './backend';
import { nowSeconds } from './ids';
import { asConnectionError, MemoryBudgetError, toTypedError, WriteBufferFullError } from './errors';
import { ELEMENT_FLOOR, RATIO_FLOOR, type BodyBudget } from './body-budget';
import { forgetUnhandled, type FrameBatch, type FrameReaderLike } from './frame-batch';
import { ReceivedFrame } from './received-frame';
import type { PendingHolder } from './node-budgets';
import type { BudgetHolder, SharedBudget } from './shared-budget';
import { WriteQueue, WRITE_OVERHEAD } from './write-queue';
import { onEvent, waitUntil } from './wait-until';
import type { ByteStream } from './byte-stream';
import type { ConnectionCounters } from './counters';

export type { ByteStream } from './byte-stream';

export interface ConnectionLimits extends BodyBudget {
  maxFrameSize: number;
  /** Bytes allowed to queue for a peer that is not reading before it is dropped. */
  maxWriteBuffer: number;
}

/**
 * A frame that may wait in a stream's queue, as its own bytes when it is a
 * view of a much larger buffer (a relayed frame is a view of the whole read
 * it came in): queued, it would keep that read alive, hundreds of times what
 * the write budget counts for it. Node's 8 KiB pool slabs are left as they are.
 */
function ownBytes(frame: Buffer): Buffer {
  return frame.buffer.byteLength > frame.length + 8192 ? Buffer.from(frame) : frame;
}

/**
 * The frames as one view when each starts where the one before ended in the
 * same memory (a read's frames relayed together): written without a copy.
 */
function adjacentRun(frames: Buffer[], bytes: number): Buffer | null {
  const first = frames[0];
  let next = first.byteOffset + first.length;
  for (let i = 1; i < frames.length; i++) {
    const f = frames[i];
    if (f.buffer !== first.buffer || f.byteOffset !== next) return null;
    next += f.length;
  }
  return Buffer.from(first.buffer, first.byteOffset, bytes);
}

export class FramedConnection extends EventEmitter implements PendingHolder {
  readonly counters: ConnectionCounters = { framesIn: 0, framesOut: 0, bytesIn: 0, bytesOut: 0 };
  /** Each message received, in order; the node sets this. Runs synchronously, so a handshake's compression list applies to the next frame. */
  onFrame: (frame: ReceivedFrame) => void = () => undefined;
  /** Method used for frames we send, or null (uncompressed). */
  sendCompression: number | null = null;
  /** When the connection was accepted or dialled (for an incoming TLS/ws one, at TCP accept: handshakeTimeout counts from there). */
  readonly openedAt: number;
  lastReceivedAt = Date.now();
  /** When the peer started the frame that is still incomplete (0 when none). */
  partialSince = 0;
  closed = false;
  /** closeGracefully() runs: input is dropped while queued writes drain. */
  private closing = false;
  private readonly reader: FrameReaderLike;
  private holdTimer: ReturnType<typeof setTimeout> | null = null;
  private releaseHold: (() => void) | null = null;

  constructor(
    readonly stream: ByteStream,
    private readonly core: Backend,
    readonly limits: ConnectionLimits,
    openedAt = Date.now(),
    /** The node's budgets across all its connections: bytes in partial frames, bytes queued for peers. */
    private readonly budgets?: { pending: SharedBudget<PendingHolder>; writes: SharedBudget<BudgetHolder> },
  ) {
    super();
    // every connection a relay holds adds one 'drained' and one 'close' listener here while the
    // hold lasts (holdReading), so there may be as many as connections: not a leak
    this.setMaxListeners(0);
    this.openedAt = openedAt;
    this.reader = core.createFrameReader({
      maxFrameSize: limits.maxFrameSize,
      maxDecompressed: limits.maxDecompressedSize,
      ratio: limits.maxCompressionRatio,
      ratioFloor: RATIO_FLOOR,
      valuesPerByte: limits.maxElementsPerByte,
      valuesFloor: ELEMENT_FLOOR,
      maxValues: limits.maxElementsPerMessage,
    });
    stream.on('data', (chunk) => this.onData(chunk));
    stream.on('incomplete', () => this.updatePending());
    stream.on('error', (err) => this.fail(asConnectionError(err)));
    stream.on('close', () => this.onClose());
  }

  get remoteAddress(): string | undefined {
    return this.stream.remoteAddress;
  }
  get remotePort(): number | undefined {
    return this.stream.remotePort;
  }

  /** Since when a frame, or the transport unit carrying one, has been incomplete (0: none). */
  get incompleteSince(): number {
    const own = this.partialSince;
    const transport = this.stream.incompleteSince ?? 0;
    return own && transport ? Math.min(own, transport) : own || transport;
  }

  /** Judge broadcasts against the node's duplicate filter as they are read (frame-batch.ts setDedup). */
  setDedup(cache: WaterfallCacheLike, linkOnly: number[]): void {
    this.dedup = cache;
    this.reader.setDedup(cache, linkOnly);
  }

  private dedup: WaterfallCacheLike | null = null;

  /** Methods tried, in the peer's order, when decoding its frames (from its handshake or renegotiation). */
  setReceiveCompressions(methods: number[]): void {
    this.reader.setCompressions(methods);
  }

  private onData(chunk: Buffer): void {
    if (this.closed || this.closing) return;
    this.counters.bytesIn += chunk.length;
    this.lastReceivedAt = Date.now();
    let frames = 0;
    for (let first = true; ; first = false) {
      const batch = first ? this.reader.pushRead(chunk, nowSeconds()) : this.reader.read(nowSeconds());
      const n = batch.times.length;
      for (let i = 0; i < n; i++) {
        if (this.closed) return this.abandon(batch, i);
        this.counters.framesIn++;
        frames++;
        try {
          this.onFrame(new ReceivedFrame(batch, i));
        } catch (e) {
          this.fail(e as Error);
          return this.abandon(batch, i + 1);
        }
      }
      if (this.closed) return;
      if (batch.errorCode) return this.fail(toTypedError(Object.assign(new Error(batch.errorMessage ?? batch.errorCode), { code: batch.errorCode })) as Error);
      // a handshake or renegotiation may have changed how the next frames decode: read on with it applied
      if (!batch.more) break;
    }
    const held = this.reader.buffered;
    // the frame still incomplete started in this chunk when an earlier one completed in it
    this.partialSince = held === 0 ? 0 : frames > 0 || !this.partialSince ? Date.now() : this.partialSince;
    this.updatePending();
  }

  /** Frames from row `from` on are dropped with the connection: what the reader recorded of them is taken back. */
  private abandon(batch: FrameBatch, from: number): void {
    if (this.dedup && from < batch.times.length) forgetUnhandled(batch, from, this.dedup);
  }

  /** Report the bytes held for unfinished frames (and the transport's unfinished unit) to the node's budget. */
  private updatePending(): void {
    if (!this.closed) this.budgets?.pending.update(this, this.reader.buffered + (this.stream.incompleteBytes ?? 0));
  }

  private releaseBudgets(): void {
    this.budgets?.pending.update(this, 0);
    this.budgets?.writes.update(this.writeHolder, 0);
  }

  /** PendingHolder: when the oldest unfinished frame (or transport unit) on this connection started. */
  get pendingSince(): number {
    return this.incompleteSince || Date.now();
  }

  /** The node's pending-frame budget is exhausted and this connection's unfinished frame is the oldest. */
  overBudget(budget: SharedBudget<BudgetHolder>, total: number): void {
    this.fail(
      new MemoryBudgetError(
        `holds ${this.reader.buffered + (this.stream.incompleteBytes ?? 0)} bytes of a frame started ${Date.now() - this.pendingSince} ms ago, the oldest unfinished frame, while all connections together hold ${total} bytes; ${budget.name} is ${budget.max}`,
      ),
    );
  }

  /** This connection in the node's write budget (a holder of its own: one object cannot be picked by two budgets' rules). */
  private readonly writeHolder: BudgetHolder = {
    overBudget: (budget, total) =>
      this.fail(
        new MemoryBudgetError(
          `has ${this.queueCost} bytes queued (with bookkeeping), the most of any peer, while all peers together have ${total}; ${budget.name} is ${budget.max}: it reads too slowly`,
        ),
      ),
  };

  /** Frames handed to the stream and not yet written out (cost and progress). */
  readonly writes = new WriteQueue();
  private readonly written = (): void => {
    this.writes.done();
    if (this.closed) return;
    this.budgets?.writes.update(this.writeHolder, this.queueCost);
    if (this.queuedBytes === 0) this.emit('drained'); // everything queued for the peer has left
  };

  /** Frames written this tick, joined into one write at the end of it (transports that batch). */
  private batch: Buffer[] = [];
  private batchBytes = 0;
  private flushScheduled = false;

  /** Bytes queued for the peer: written to the stream and not yet out, and this tick's batch. */
  get queuedBytes(): number {
    return this.writes.bytes + this.batchBytes;
  }

  /** What the queue costs in memory: bytes, each stream write's bookkeeping, the batch's array slots. */
  get queueCost(): number {
    return this.writes.cost + this.batchBytes + 16 * this.batch.length;
  }

  /**
   * Queue one complete frame (or `frames` of them back to back). On streams that batch (TCP, TLS) the frames of
   * one tick go out as one write at the end of it: one stream entry and one
   * system call for many frames. A peer that lets more than maxWriteBuffer
   * bytes pile up is dropped rather than buffered without bound.
   */
  writeFrame(frame: Buffer, frames = 1): boolean {
    if (this.closed || this.stream.destroyed) return false;
    const queued = this.queueCost;
    if (queued + frame.length + WRITE_OVERHEAD > this.limits.maxWriteBuffer && queued > 0) {
      // closed now, told next tick: the writer may be in the middle of a run to every peer,
      // and a 'close' handler that sends must not get ahead of it on the other peers
      this.fail(
        new WriteBufferFullError(
          `${this.queuedBytes} bytes (${queued} with bookkeeping) are already queued for a peer that is not reading; ` + `maxWriteBuffer is ${this.limits.maxWriteBuffer} bytes`,
        ),
        true,
      );
      return false;
    }
    this.counters.framesOut += frames;
    this.counters.bytesOut += frame.length;
    if (this.stream.cork) {
      this.batch.push(frame);
      this.batchBytes += frame.length;
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        process.nextTick(this.flushBatch);
      }
    } else {
      // a message stream (WebSocket): one frame per message, as the originals read them
      for (let at = 0; at < frame.length;) {
        const end = frames === 1 ? frame.length : at + 4 + frame.readUInt32BE(at);
        this.writes.add(end - at);
        this.stream.write(ownBytes(frames === 1 ? frame : frame.subarray(at, end)), this.written);
        at = end;
      }
    }
    this.budgets?.writes.update(this.writeHolder, this.queueCost);
    return true;
  }

  /** Hand this tick's frames to the stream as one write. */
  private readonly flushBatch = (): void => {
    this.flushScheduled = false;
    const batch = this.batch;
    const bytes = this.batchBytes;
    this.batch = [];
    this.batchBytes = 0;
    if (!batch.length || this.closed || this.stream.destroyed) return;
    this.writes.add(bytes);
    const whole = batch.length === 1 ? batch[0] : adjacentRun(batch, bytes);
    this.stream.write(whole ? ownBytes(whole) : Buffer.concat(batch, bytes), this.written);
  };

  /**
   * Set when this peer did not drain its queue within a hold: it no longer
   * holds anyone else up (maxWriteBuffer decides its fate); cleared when its
   * queue drains.
   */
  slowReader = false;

  /**
   * Relay backpressure: stop reading from this peer until every connection in
   * `congested` has drained (or closed), for at most `maxMs`. The peer's
   * kernel buffers fill and TCP slows it down, instead of this node queueing
   * its flood for a slower peer until maxWriteBuffer drops that peer. A peer
   * still congested when the time is up is marked `slowReader` and holds
   * nobody up again until it drains, so one stalled reader costs the network
   * at most `maxMs`, and a cycle of nodes waiting on each other cannot stall.
   * Returns true when a hold started.
   */
  holdReading(congested: FramedConnection[], maxMs: number): boolean {
    const s = this.stream;
    if (this.holdTimer || this.closed || !s.pause || !s.resume || !congested.length) return false;
    const pending = new Map<FramedConnection, () => void>();
    const release = (timedOut: boolean) => {
      if (!this.holdTimer) return;
      clearTimeout(this.holdTimer);
      this.holdTimer = null;
      this.releaseHold = null;
      for (const [conn, fn] of pending) {
        conn.off('drained', fn);
        conn.off('close', fn);
        if (timedOut && !conn.closed) conn.markSlowReader();
      }
      pending.clear();
      if (!this.closed && !s.destroyed) s.resume?.();
    };
    for (const conn of congested) {
      if (pending.has(conn)) continue;
      const fn = () => {
        conn.off('drained', fn);
        conn.off('close', fn);
        // closed before it drained: its host is as slow as one that outlived the hold (the node
        // holds nobody up for it again), or closing early would make holds free to repeat
        if (conn.queuedBytes > 0) conn.emit('slow-reader');
        pending.delete(conn);
        if (!pending.size) release(false);
      };
      pending.set(conn, fn);
      conn.on('drained', fn);
      conn.on('close', fn);
    }
    s.pause();
    this.holdTimer = setTimeout(() => release(true), maxMs);
    this.releaseHold = () => release(false);
    return true;
  }

  private markSlowReader(): void {
    if (this.slowReader) return;
    this.slowReader = true;
    this.emit('slow-reader');
    this.once('drained', () => (this.slowReader = false));
  }

  private endHold(): void {
    this.releaseHold?.();
  }

  /** Close because of `error` (reported once through 'fail'). */
  /** Close with `error`; `later`: the 'fail' and 'close' events come next tick (the connection is closed at once). */
  fail(error: Error, later = false): void {
    if (this.closed) return;
    this.closed = true;
    this.releaseBudgets();
    this.endHold();
    if (later) {
      this.stream.destroy();
      process.nextTick(() => {
        this.emit('fail', error);
        this.emit('close');
      });
      return;
    }
    this.emit('fail', error);
    this.stream.destroy();
    this.emit('close');
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.releaseBudgets();
    this.endHold();
    this.stream.destroy();
    this.emit('close');
  }

  /**
   * Close after what was written reaches the transport: queued writes are
   * flushed (within `ms`), then the stream is ended (TCP: FIN after the data,
   * so the peer reads everything before it sees the close) and destroyed once
   * the peer closed its side or `ms` ran out. Input arriving meanwhile is
   * dropped. Resolves when the connection is closed.
   */
  async closeGracefully(ms: number): Promise<void> {
    if (this.closed) return;
    const deadline = Date.now() + ms;
    this.closing = true;
    this.flushBatch();
    const s = this.stream;
    while ((this.writes.writes > 0 || s.writableLength > 0) && !s.destroyed && Date.now() < deadline) {
      // our frames' writes report when they are done ('drained'); bytes a stream holds without
      // telling when they leave (a browser WebSocket's bufferedAmount) are looked at again shortly
      if (this.writes.writes > 0) await waitUntil(() => this.writes.writes === 0 || s.destroyed, [onEvent(this, 'drained'), onEvent(this, 'close')], deadline - Date.now());
      else await pause(Math.min(10, deadline - Date.now()));
    }
    if (this.closed) return;
    const closed = new Promise<void>((resolve) => (s.destroyed ? resolve() : s.on('close', () => resolve())));
    if (s.end && !s.destroyed) {
      s.end();
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([closed, new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, deadline - Date.now()))))]);
      clearTimeout(timer); // the peer closed its side first: no timer may outlive close()
    }
    this.close();
    await closed;
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.releaseBudgets();
    this.endHold();
    this.emit('close');
  }
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
