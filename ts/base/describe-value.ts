/**
 * A value as an error message names it: "the string 'abc'", "the number 1.5",
 * "null", "a Buffer of 3 bytes". Written here rather than with util.inspect so
 * that the browser bundle, which validates options too, needs no `util`.
 */

/** Strings longer than this are cut in messages (an option set to a whole file should not fill the screen). */
const SHOWN_CHARS = 40;

function quoted(text: string): string {
  const shown = text.length > SHOWN_CHARS ? text.slice(0, SHOWN_CHARS - 1) + '…' : text;
  return `'${shown.replace(/[\n\r\t]/g, (c) => ({ '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c] ?? c)}'`;
}

/** An array of up to 5 numbers, strings or booleans is shown as it is: `[32, 99]`. */
function shownArray(items: unknown[]): string | undefined {
  if (items.length > 5 || !items.every((x) => ['number', 'string', 'boolean'].includes(typeof x))) return undefined;
  return `[${items.map((x) => (typeof x === 'string' ? quoted(x) : String(x))).join(', ')}]`;
}

export function describeValue(value: unknown): string {
  if (value === null || value === undefined || Number.isNaN(value)) return String(value);
  switch (typeof value) {
    case 'string':
      return `the string ${quoted(value)}`;
    case 'number':
      return `the number ${value}`;
    case 'bigint':
      return `the bigint ${value}n`;
    case 'boolean':
      return String(value);
    case 'symbol':
      return 'a symbol';
    case 'function':
      return 'a function';
  }
  if (Array.isArray(value)) return shownArray(value) ?? `an array of ${value.length} items`;
  if (value instanceof Uint8Array) return `a ${Buffer.isBuffer(value) ? 'Buffer' : 'Uint8Array'} of ${value.length} bytes`;
  const name = (Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null)?.constructor?.name;
  return !name || name === 'Object' ? 'an object' : `a ${name}`;
}
