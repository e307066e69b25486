/**
 * Checking options where they enter (the node constructors, createMesh /
 * createSync / createChord, the js2p constructors): wrong types, values out of
 * range and unknown keys throw a typed error naming the option, at once,
 * instead of a port 'abc' becoming a Unix socket file or a misspelled limit
 * being ignored.
 *
 * A small hand-written schema rather than a validation library (zod, ajv,
 * superstruct): the options are a few dozen flat keys with five kinds of rule
 * (integer ranges, durations, enums, strings, a nested object or two), the
 * same code runs in the browser bundle, and polyp2p would otherwise take a
 * runtime dependency, and its bundle size, for what fits in two short files
 * (this one and option-rules.ts). The rule tables are typed by the option
 * interfaces (OptionRules<MeshOptions>), so tsc refuses a table that misses a
 * key of the interface or names one it does not have: the known keys cannot
 * drift from the types.
 */
import { InvalidOptionError, UnknownOptionError } from './errors';
import { closestName } from './did-you-mean';
import { describeValue } from './describe-value';

export interface OptionRule {
  /** What a valid value is, completing "<name> must be …" (a function when it depends on a registry, as encryption names do). */
  readonly expected: string | (() => string);
  /** Whether `value` (never undefined) is valid; `options` is the object holding it, for a rule that depends on another key. */
  accepts(value: unknown, options: Readonly<Record<string, unknown>>): boolean;
  /** For a set of names: the valid value nearest to a refused one ('ssl' → 'SSL'). */
  nearest?(value: unknown): string | undefined;
  /** For an object whose keys are ours (e.g. `tls`): the rules of its keys, checked one level down. */
  readonly keys?: RuleTable;
}

/** Rules by option name: exactly the keys of the options interface T. */
export type OptionRules<T> = { readonly [K in keyof T]-?: OptionRule };

export type RuleTable = Readonly<Record<string, OptionRule>>;

/** Up to this many known keys are listed in an unknown-option message; past it the message names the interface. */
const LISTED_KEYS = 8;

/** An object whose keys can be options (not null, not an array). */
export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const expectedOf = (rule: OptionRule) => (typeof rule.expected === 'function' ? rule.expected() : rule.expected);

/**
 * Throw InvalidOptionError (ERR_INVALID_OPTION) unless `value` satisfies
 * `rule`; `name` is what the message calls it ('port', 'tls.pinning').
 * undefined means "not given" and always passes.
 */
export function checkOption(value: unknown, rule: OptionRule, name: string, options: Readonly<Record<string, unknown>> = {}): void {
  if (value === undefined) return;
  if (!rule.accepts(value, options)) {
    const near = rule.nearest?.(value);
    throw new InvalidOptionError(`${name} must be ${expectedOf(rule)} (got ${describeValue(value)})${near !== undefined ? `; did you mean '${near}'?` : ''}`, name);
  }
  if (rule.keys) checkOptions(value, rule.keys, { prefix: `${name}.`, name });
}

/**
 * Check an options object against its rule table: every key must be known
 * (UnknownOptionError, ERR_UNKNOWN_OPTION, with the nearest known name) and
 * every value valid (InvalidOptionError). `name` is what messages call the
 * options ('MeshOptions', 'tls'); `prefix` is prepended to key names one
 * level down ('tls.').
 */
export function checkOptions(options: unknown, rules: RuleTable, where: { name: string; prefix?: string }): void {
  const prefix = where.prefix ?? '';
  if (options === undefined) return;
  if (!isObject(options)) {
    const name = prefix ? prefix.slice(0, -1) : 'options';
    throw new InvalidOptionError(`${name} must be a ${where.name} object (got ${describeValue(options)})`, name);
  }
  for (const key of Object.keys(options)) {
    if (!Object.prototype.hasOwnProperty.call(rules, key)) throw unknownOption(prefix + key, key, rules, where.name, prefix);
    checkOption(options[key], rules[key], prefix + key, options);
  }
}

function unknownOption(name: string, key: string, rules: RuleTable, optionsName: string, prefix: string): UnknownOptionError {
  const known = Object.keys(rules);
  const suggestion = closestName(key, known);
  if (suggestion !== undefined) return new UnknownOptionError(`unknown option '${name}'; did you mean '${prefix}${suggestion}'?`, name, prefix + suggestion);
  const hint = known.length <= LISTED_KEYS ? `${optionsName} takes ${known.join(', ')}` : `not one of the ${optionsName}; see the API reference`;
  return new UnknownOptionError(`unknown option '${name}' (${hint})`, name);
}
