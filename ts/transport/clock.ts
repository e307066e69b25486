/**
 * Clocks for the in-memory transport and the simulator.
 *
 * `realClock` schedules on Node's timers. A `VirtualClock` keeps its own time:
 * events run in time order, and time jumps to the next event once the event
 * loop has drained, so measured times are what the simulated links and timers
 * cost, not how long one CPU took to run thousands of nodes.
 *
 * `VirtualClock.install()` goes further for whole simulations: it replaces the
 * global setTimeout/setInterval/clearTimeout/clearInterval and Date.now with
 * the virtual clock's, so every node's own timers (stabilisation rounds,
 * operation timeouts, gossip batching, failure detection) run on simulated time
 * too. Protocol code is unchanged: it calls the globals as usual. A loaded CPU
 * then slows a simulation down instead of making its timeouts fire.
 */

/** Node's own timers and wall clock, captured at load (before any install()). */
export const realTimers = {
  setTimeout: globalThis.setTimeout,
  clearTimeout: globalThis.clearTimeout,
  setInterval: globalThis.setInterval,
  clearInterval: globalThis.clearInterval,
  setImmediate: globalThis.setImmediate,
  now: Date.now,
};

/** Where link delays are scheduled. */
export interface NetworkClock {
  now(): number;
  schedule(delayMs: number, fn: () => void): void;
}

export const realClock: NetworkClock = {
  now: () => realTimers.now(),
  schedule: (delayMs, fn) => {
    if (delayMs <= 0) realTimers.setImmediate(fn);
    else realTimers.setTimeout(fn, delayMs);
  },
};

interface ClockEvent {
  at: number;
  seq: number;
  /** null once cancelled (removed lazily when it reaches the top of the heap). */
  fn: (() => void) | null;
  /** The installed setTimeout/setInterval timer this event fires, if any. */
  timer?: VirtualTimer;
}

/**
 * What the installed setTimeout/setInterval return: enough of Node's Timeout
 * (ref/unref/hasRef/refresh, usable as a number) for code written against it.
 */
export class VirtualTimer {
  event: ClockEvent | null = null;
  private referenced = true;
  /** Set once the clock was uninstalled with this timer pending: it then runs on Node's timers. */
  private real: ReturnType<typeof realTimers.setTimeout> | null = null;

  constructor(
    private readonly clock: VirtualClock,
    readonly id: number,
    readonly delayMs: number,
    private readonly callback: () => void,
    readonly repeat: boolean,
  ) {}

  arm(): void {
    this.event = this.clock.scheduleEvent(this.delayMs, () => {
      this.event = null;
      if (this.repeat) this.arm(); // re-armed first, as Node does: the callback may clear it
      this.callback();
    });
    this.event.timer = this;
  }

  /** The clock is being uninstalled: go on with Node's timers (unreferenced), the remaining delay first. */
  moveToReal(remainingMs: number): void {
    this.event = null;
    this.real = realTimers.setTimeout(() => {
      if (!this.repeat) {
        this.real = null;
        return this.callback();
      }
      this.real = realTimers.setInterval(this.callback, Math.max(1, this.delayMs));
      this.real.unref();
      this.callback();
    }, remainingMs);
    this.real.unref();
  }

  cancel(): void {
    if (this.event) this.clock.cancel(this.event);
    this.event = null;
    if (this.real) realTimers.clearTimeout(this.real); // clears an interval too
    this.real = null;
  }

  /** As Node's Timeout.close(): cancel (also after the clock was uninstalled). */
  close(): this {
    this.cancel();
    return this;
  }

  ref(): this {
    this.referenced = true;
    return this;
  }

  unref(): this {
    this.referenced = false;
    return this;
  }

  hasRef(): boolean {
    return this.referenced;
  }

  refresh(): this {
    if (!this.event) return this; // fired, cancelled, or moved to Node's timers
    this.cancel();
    this.arm();
    return this;
  }

  [Symbol.toPrimitive](): number {
    return this.id;
  }
}

/** The globals install() replaces, to put back on uninstall. */
interface SavedGlobals {
  setTimeout: typeof globalThis.setTimeout;
  clearTimeout: typeof globalThis.clearTimeout;
  setInterval: typeof globalThis.setInterval;
  clearInterval: typeof globalThis.clearInterval;
  now: () => number;
}

/**
 * Simulated time. Events run in time order; time advances to the next event
 * only after a few event-loop turns passed with nothing new scheduled, so the
 * work an event triggers (handlers, promise chains, batched writes) happens at
 * the moment it fired.
 */
export class VirtualClock implements NetworkClock {
  private t: number;
  private seq = 0;
  private readonly heap: ClockEvent[] = [];
  private cancelled = 0;
  private running = false;
  /** Event-loop turns without new work at the current time before time advances. */
  private readonly settleTurns: number;
  private saved: SavedGlobals | null = null;
  private nextTimerId = 1;
  /** Events run so far. */
  events = 0;

  /** Events this close after the earliest one run with it, at its time (0: each distinct time on its own). */
  private readonly resolutionMs: number;

  /**
   * `start`: the initial time in ms (install() callers usually pass the wall
   * clock's now). `resolutionMs`: events due within this long of the earliest
   * one run in the same step, in their order, at the earliest one's time. Each
   * step costs a few event-loop turns, so with thousands of nodes (events at
   * nearly every fraction of a millisecond) a resolution of 1 ms spares most
   * of them; Date.now() counts whole milliseconds anyway.
   */
  constructor({ settleTurns = 2, start = 0, resolutionMs = 0 }: { settleTurns?: number; start?: number; resolutionMs?: number } = {}) {
    this.settleTurns = settleTurns;
    this.t = start;
    this.resolutionMs = Number.isFinite(resolutionMs) && resolutionMs > 0 ? resolutionMs : 0;
  }

  now(): number {
    return this.t;
  }

  /** Events not yet run (cancelled timers excluded). */
  get pending(): number {
    return this.heap.length - this.cancelled;
  }

  get installed(): boolean {
    return this.saved !== null;
  }

  schedule(delayMs: number, fn: () => void): void {
    this.scheduleEvent(delayMs, fn);
  }

  /** schedule(), returning the event so that it can be cancelled. */
  scheduleEvent(delayMs: number, fn: () => void): ClockEvent {
    const delay = Number.isFinite(delayMs) && delayMs > 0 ? delayMs : 0;
    const e: ClockEvent = { at: this.t + delay, seq: this.seq++, fn, timer: undefined }; // one shape for every event
    this.push(e);
    if (!this.running) {
      this.running = true;
      realTimers.setImmediate(() => this.turn(0, this.seq));
    }
    return e;
  }

  cancel(e: ClockEvent): void {
    if (!e.fn) return;
    e.fn = null;
    this.cancelled++;
  }

  /**
   * Run every global timer and Date.now on this clock until uninstall(). Timers
   * created before install() stay real (clearTimeout still clears them).
   * Returns uninstall.
   */
  install(): () => void {
    if (this.saved) throw new Error('VirtualClock.install(): already installed');
    const g = globalThis as unknown as Record<string, unknown>;
    const saved: SavedGlobals = {
      setTimeout: globalThis.setTimeout,
      clearTimeout: globalThis.clearTimeout,
      setInterval: globalThis.setInterval,
      clearInterval: globalThis.clearInterval,
      now: Date.now,
    };
    this.saved = saved;
    const start = (fn: (...a: unknown[]) => void, ms: unknown, args: unknown[], repeat: boolean): VirtualTimer => {
      if (typeof fn !== 'function') throw new TypeError('The "callback" argument must be of type function');
      const delay = Number(ms);
      // Node runs a repeating timer no more often than every 1 ms
      const d = Number.isFinite(delay) && delay >= 1 ? delay : repeat ? 1 : 0;
      const timer = new VirtualTimer(this, this.nextTimerId++, d, () => fn(...args), repeat);
      timer.arm();
      return timer;
    };
    const clear = (realClear: (h: never) => void) => (h: unknown) => {
      if (h instanceof VirtualTimer) h.cancel();
      else if (h !== undefined && h !== null) realClear(h as never);
    };
    g.setTimeout = (fn: (...a: unknown[]) => void, ms?: unknown, ...args: unknown[]) => start(fn, ms, args, false);
    g.setInterval = (fn: (...a: unknown[]) => void, ms?: unknown, ...args: unknown[]) => start(fn, ms, args, true);
    g.clearTimeout = clear(saved.clearTimeout);
    g.clearInterval = clear(saved.clearInterval);
    Date.now = () => Math.floor(this.t);
    return () => this.uninstall();
  }

  /**
   * Put Node's timers back. Timers still pending on this clock move to real
   * timers with their remaining delay (intervals go on as real intervals),
   * unreferenced: nothing is lost, and nothing left over holds the process
   * open. Node's clearTimeout does not know the handles; their close() does.
   */
  uninstall(): void {
    const saved = this.saved;
    if (!saved) return;
    this.saved = null;
    const g = globalThis as unknown as Record<string, unknown>;
    g.setTimeout = saved.setTimeout;
    g.clearTimeout = saved.clearTimeout;
    g.setInterval = saved.setInterval;
    g.clearInterval = saved.clearInterval;
    Date.now = saved.now;
    const left = this.heap.splice(0).filter((e) => e.fn);
    this.cancelled = 0;
    for (const e of left) {
      const remaining = Math.max(0, e.at - this.t);
      if (e.timer) e.timer.moveToReal(remaining);
      else realTimers.setTimeout(e.fn!, remaining).unref();
    }
  }

  private turn(quiet: number, seqSeen: number): void {
    while (this.heap.length && !this.heap[0].fn) {
      this.pop();
      this.cancelled--;
    }
    if (!this.heap.length) {
      this.running = false;
      return;
    }
    // something was scheduled since the last turn: the loop is still busy at this time
    if (this.seq !== seqSeen || quiet < this.settleTurns) {
      realTimers.setImmediate(() => this.turn(this.seq !== seqSeen ? 0 : quiet + 1, this.seq));
      return;
    }
    const at = this.heap[0].at;
    this.t = at;
    const until = at + this.resolutionMs;
    try {
      while (this.heap.length && this.heap[0].at <= until) {
        const e = this.pop();
        if (!e.fn) {
          this.cancelled--;
          continue;
        }
        const fn = e.fn;
        e.fn = null;
        this.events++;
        fn();
      }
    } finally {
      // a callback that throws is an uncaught exception, as with Node's timers; the clock goes on
      realTimers.setImmediate(() => this.turn(0, this.seq));
    }
  }

  private less(i: number, j: number): boolean {
    const a = this.heap[i];
    const b = this.heap[j];
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(e: ClockEvent): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
  }

  private pop(): ClockEvent {
    const h = this.heap;
    const top = h[0];
    const last = h.pop()!;
    if (h.length) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(l, m)) m = l;
        if (r < h.length && this.less(r, m)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}
