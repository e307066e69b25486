/**
 * `{ signal }` for every promise-returning call: the promise rejects with an AbortError as soon
 * as the signal fires, and the operation's own clean-up (`onAbort`) runs once.
 */
import { AbortError } from './errors';

export interface AbortOptions {
  /** Rejects the call with an AbortError (code ABORT_ERR) when it fires. */
  signal?: AbortSignal;
}

const abortError = (signal: AbortSignal, what: string) => new AbortError(`${what} was aborted`, { cause: signal.reason });

/** Throws an AbortError when `signal` has already fired: the check at the start of a call. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw abortError(signal, what);
}

/**
 * `work`, or an AbortError when `signal` fires first; then `onAbort` stops what `work` started
 * (closes a dial, drops waiters). The abort listener is removed when `work` settles.
 */
export function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined, what: string, onAbort?: () => void): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) {
    work.catch(() => {}); // the caller gets the AbortError; what work does afterwards is not its concern
    onAbort?.();
    return Promise.reject(abortError(signal, what));
  }
  return new Promise<T>((resolve, reject) => {
    const abort = () => {
      work.catch(() => {});
      onAbort?.();
      reject(abortError(signal, what));
    };
    signal.addEventListener('abort', abort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', abort);
        resolve(v);
      },
      (e: Error) => {
        signal.removeEventListener('abort', abort);
        reject(e);
      },
    );
  });
}
