/**
 * Globals injected into the browser bundle only (esbuild `inject`): Buffer,
 * a minimal `process`, and timers whose handles have Node's unref()/ref(),
 * so the shared Node code runs unchanged. Page globals are not touched.
 */
import { Buffer } from 'buffer';

export { Buffer };

export const process = {
  env: {} as Record<string, string | undefined>,
  platform: 'browser',
  arch: 'unknown',
  browser: true,
  nextTick(fn: (...args: unknown[]) => void, ...args: unknown[]): void {
    queueMicrotask(() => fn(...args));
  },
};

type Native = (fn: () => void, ms?: number) => number;
const g = globalThis as unknown as { setTimeout: Native; setInterval: Native; clearTimeout(id?: number): void; clearInterval(id?: number): void };

class TimerHandle {
  constructor(readonly id: number) {}
  unref(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  hasRef(): boolean {
    return true;
  }
  [Symbol.toPrimitive](): number {
    return this.id;
  }
}

const idOf = (h: unknown): number | undefined => (h instanceof TimerHandle ? h.id : (h as number | undefined));

function wrapTimeout(fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]): TimerHandle {
  return new TimerHandle(g.setTimeout(() => fn(...args), ms));
}
function wrapInterval(fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]): TimerHandle {
  return new TimerHandle(g.setInterval(() => fn(...args), ms));
}
export { wrapTimeout as setTimeout, wrapInterval as setInterval };
export function clearTimeout(h?: unknown): void {
  g.clearTimeout(idOf(h));
}
export function clearInterval(h?: unknown): void {
  g.clearInterval(idOf(h));
}
