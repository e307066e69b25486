/**
 * A sender's frames of one tick (docs/protocol.md §3-4): encoded back to
 * back into one buffer, each with room for its length and ID, then sealed by
 * one backend call that writes every SHA-256 ID in place and records the
 * broadcasts as seen. One native crossing per tick instead of one per
 * message: on the bench machine a crossing costs ~250 ns, as much as the
 * hash it carries (bench/README.md, "Routing").
 */
import type { Backend, WaterfallCacheLike } from './backend';
import { AppendingEncoder } from './js/msgpack-encode';

/** Length header and ID in front of each frame's msgpack. */
const FRAME_HEAD = 4 + 32;

export interface SealedRun {
  /** The frames, back to back. */
  frames: Buffer;
  /** Where each frame ends in `frames` (frame i starts where i - 1 ends). */
  ends: Uint32Array;
}

export class FrameRun {
  private readonly encoder = new AppendingEncoder();
  private ends: number[] = [];
  private times: number[] = [];

  get count(): number {
    return this.ends.length;
  }

  /** Bytes of all the frames so far. */
  get bytes(): number {
    return this.encoder.length;
  }

  /**
   * Encode `packets` as the next frame, its time being packets[2]. Returns a
   * view of its msgpack, valid until the next add (the buffer may grow).
   * Throws MsgpackEncodeError, leaving the run as it was.
   */
  add(packets: unknown[], time: number): Buffer {
    const at = this.encoder.append(packets, FRAME_HEAD);
    this.ends.push(this.encoder.length);
    this.times.push(time);
    return this.encoder.view(at, this.encoder.length);
  }

  /** Take back the last frame (refused after encoding: too large). */
  dropLast(): void {
    this.ends.pop();
    this.times.pop();
    this.encoder.truncate(this.ends.length ? this.ends[this.ends.length - 1] : 0);
  }

  /** Seal every frame (`record`: the cache their IDs go into) and start a new run. */
  take(backend: Pick<Backend, 'sealFrames'>, record: WaterfallCacheLike | null): SealedRun {
    const frames = this.encoder.take();
    const ends = Uint32Array.from(this.ends);
    const times = Float64Array.from(this.times);
    this.ends = [];
    this.times = [];
    backend.sealFrames(frames, ends, times, record);
    return { frames, ends };
  }
}
