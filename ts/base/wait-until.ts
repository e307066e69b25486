/**
 * Waiting for a condition that only events change, instead of polling it on a
 * timer: the condition is checked again after each event that may have made
 * it hold, and the wait ends at its timeout whatever happens.
 */
import type { EventEmitter } from 'events';

/** Subscribes `recheck` to something that may make a condition hold; returns the unsubscribe. */
export type Trigger = (recheck: () => void) => () => void;

/** `event` on `emitter` as a trigger. */
export function onEvent(emitter: EventEmitter, event: string): Trigger {
  return (recheck) => {
    emitter.on(event, recheck);
    return () => emitter.off(event, recheck);
  };
}

/** A change signal for classes that are not emitters: whoever waits on it re-checks its condition. */
export class Notifier {
  private readonly rechecks = new Set<() => void>();

  notify(): void {
    for (const recheck of [...this.rechecks]) recheck();
  }

  readonly trigger: Trigger = (recheck) => {
    this.rechecks.add(recheck);
    return () => this.rechecks.delete(recheck);
  };
}

/**
 * Resolves with `ready()` once it holds (checked at once and after each
 * trigger fires) or once `ms` passed. A trigger may fire in the middle of a
 * change, so the check runs after the code that fired it. Subscriptions and
 * the timer are gone when it resolves.
 */
export function waitUntil(ready: () => boolean, triggers: Trigger[], ms: number): Promise<boolean> {
  if (ready() || ms <= 0) return Promise.resolve(ready());
  return new Promise((resolve) => {
    let scheduled = false;
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      clearTimeout(timer);
      for (const unsubscribe of unsubscribes) unsubscribe();
      resolve(ready());
    };
    const recheck = () => {
      if (scheduled) return;
      scheduled = true;
      queueMicrotask(() => {
        scheduled = false;
        if (ready()) end();
      });
    };
    const timer = setTimeout(end, ms);
    const unsubscribes = triggers.map((subscribe) => subscribe(recheck));
  });
}
