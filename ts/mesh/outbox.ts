/**
 * This node's own broadcasts of one tick, sent together: encoded as they are
 * made (errors thrown to the caller at once), sealed in one backend call at
 * the end of the tick or once OUTBOX_MAX_BYTES wait (base/frame-run.ts), and
 * written to each peer as one buffer. Per message, that leaves the msgpack
 * encoding and the hash; the native crossing and the per-peer write
 * bookkeeping are paid once per tick (bench/README.md, "Sender").
 *
 * Everything else the node sends to a peer flushes the outbox first, so the
 * node's own messages reach each peer in the order they were made.
 */
import type { WaterfallCacheLike } from '../base/codec-types';
import { FrameRun, type SealedRun } from '../base/frame-run';
import { core } from '../native';
import { COMPRESS_MIN } from './frames';

/** Bytes of frames that wait for the end of the tick at most: a loop of broadcasts is sent in runs of this size. */
export const OUTBOX_MAX_BYTES = 64 * 1024;

export interface OutboxHost {
  /** Throws MessageTooLargeError for a message this node would not send (sized by its msgpack). */
  assertFits(msgpack: Buffer): void;
  /** The duplicate filter the broadcasts are recorded in as they are sealed (their echoes are duplicates). */
  readonly seen: WaterfallCacheLike;
  /** Send the sealed run to every peer: `largestBody`, and whether any message is long enough to be compressed, say which peers can take it as it is. */
  writeRun(run: SealedRun, largestBody: number, compressible: boolean): void;
}

export class Outbox {
  private readonly run = new FrameRun();
  private scheduled = false;
  private largestBody = 0;
  private compressible = false;

  constructor(private readonly host: OutboxHost) {}

  /** Messages waiting for the end of the tick. */
  get pending(): number {
    return this.run.count;
  }

  /** Queue [broadcast, id, time, ...payload]; throws (queuing nothing) when it cannot be encoded or is too large. */
  add(packets: unknown[], time: number): void {
    const msgpack = this.run.add(packets, time);
    try {
      this.host.assertFits(msgpack);
    } catch (e) {
      this.run.dropLast();
      throw e;
    }
    this.largestBody = Math.max(this.largestBody, 32 + msgpack.length);
    if (msgpack.length >= COMPRESS_MIN) this.compressible = true;
    if (this.run.bytes >= OUTBOX_MAX_BYTES) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      process.nextTick(this.flushAtTickEnd);
    }
  }

  /** Seal and send what waits now. */
  flush(): void {
    if (!this.run.count) return;
    const run = this.run.take(core, this.host.seen);
    const { largestBody, compressible } = this;
    this.largestBody = 0;
    this.compressible = false;
    this.host.writeRun(run, largestBody, compressible);
  }

  private readonly flushAtTickEnd = (): void => {
    this.scheduled = false;
    this.flush();
  };
}
