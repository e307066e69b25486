/**
 * The kinds of option value (see check-options.ts): integers in a range,
 * durations, names from a set, strings, addresses, nested objects. The mesh,
 * sync, chord and TLS rule tables are built from these.
 */
import { isObject, type OptionRule, type RuleTable } from './check-options';
import { closestName } from './did-you-mean';

/** Node's timers fire after 1 ms when given more than this (with a TimeoutOverflowWarning): a longer timeout would become none at all. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** An integer from `min` to `max` (a count, a size in bytes, a port). */
export function integer(min: number, max = Number.MAX_SAFE_INTEGER): OptionRule {
  const expected = max !== Number.MAX_SAFE_INTEGER ? `an integer from ${min} to ${max}` : min === 0 ? 'a non-negative integer' : min === 1 ? 'a positive integer' : `an integer of at least ${min}`;
  return { expected, accepts: (v) => Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max };
}

/** A TCP port: 0 asks the system for a free one. */
export const port = integer(0, 65535);
/** A number of bytes, items, peers...: a non-negative integer. */
export const count = integer(0);
/** A count that must be at least one (a store of 0 items, or 0 replicas, would store nothing). */
export const positiveCount = integer(1);

/**
 * Milliseconds: finite, at least 0 (above 0 when `positive`). A `timer`
 * duration (one that is handed to setTimeout/setInterval) is at most
 * MAX_TIMER_MS; one that is only compared with the clock may be longer.
 */
export function milliseconds({ positive = false, timer = false } = {}): OptionRule {
  const low = positive ? 'above 0' : '0 or more';
  return {
    expected: timer ? `a number of milliseconds ${positive ? 'above 0 and up' : 'from 0'} to ${MAX_TIMER_MS}, Node's longest timer` : `a finite number of milliseconds, ${low}`,
    accepts: (v) => typeof v === 'number' && Number.isFinite(v) && (positive ? v > 0 : v >= 0) && (!timer || v <= MAX_TIMER_MS),
  };
}

/** A finite number, at least 0 (seconds, ratios, values per byte). */
export function nonNegative(unit?: string): OptionRule {
  return { expected: `a finite number of ${unit ?? 'at least 0'}${unit ? ', 0 or more' : ''}`, accepts: (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0 };
}

export const string: OptionRule = { expected: 'a string', accepts: (v) => typeof v === 'string' };
export const nonEmptyString: OptionRule = { expected: 'a non-empty string', accepts: (v) => typeof v === 'string' && v.length > 0 };
export const boolean: OptionRule = { expected: 'true or false', accepts: (v) => typeof v === 'boolean' };
export const func: OptionRule = { expected: 'a function', accepts: (v) => typeof v === 'function' };

const shown = (v: string | boolean) => (typeof v === 'string' ? `'${v}'` : String(v));
/** 'a', 'b' or 'c'. */
export function listed(values: readonly (string | boolean)[]): string {
  const items = values.map(shown);
  return items.length > 1 ? `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}` : items[0];
}

/** One of a set of values; a near miss of a name is suggested ('ssl' → 'SSL'). `values` is read at each check when it is a function (a registry). */
export function oneOf(values: readonly (string | boolean)[] | (() => readonly (string | boolean)[])): OptionRule {
  const current = typeof values === 'function' ? values : () => values;
  return {
    expected: () => `one of ${listed(current())}`,
    accepts: (v) => current().includes(v as string | boolean),
    nearest: (v) =>
      typeof v === 'string'
        ? closestName(
            v,
            current().filter((x): x is string => typeof x === 'string'),
          )
        : undefined,
  };
}

/** An address to advertise: [host, port]. */
export const address: OptionRule = {
  expected: `an array [host, port] of a non-empty string and an integer from 0 to 65535`,
  accepts: (v) => Array.isArray(v) && v.length === 2 && nonEmptyString.accepts(v[0], {}) && port.accepts(v[1], {}),
};

/** PEM text or bytes (a TLS key or certificate). */
export const pem: OptionRule = { expected: 'a string or a Buffer (PEM)', accepts: (v) => typeof v === 'string' || v instanceof Uint8Array };

/** PEM text or bytes, or an array of them (CA certificates). */
export const pemList: OptionRule = {
  expected: 'a string or a Buffer (PEM), or an array of them',
  accepts: (v) => pem.accepts(v, {}) || (Array.isArray(v) && v.every((x) => pem.accepts(x, {}))),
};

/** An object whose keys are ours, checked one level down (`keys`); `name` says what it is in messages. */
export function object(name: string, keys: RuleTable): OptionRule {
  return { expected: `an object (${name})`, accepts: isObject, keys };
}

/** An object with these methods (an implementation of an interface, e.g. a Transport). */
export function implementing(name: string, methods: readonly string[]): OptionRule {
  return {
    expected: `a ${name} object (with ${methods.join(', ')})`,
    accepts: (v) => isObject(v) && methods.every((m) => typeof v[m] === 'function'),
  };
}
