/**
 * What the CLI says about how it is used: the spec of each command's options
 * and arguments, the usage text made from it (`--help`, and after a usage
 * error), and UsageError, which the entry point turns into exit code 2.
 */

/** What a value must look like; checked by args.ts, described here. */
export type ValueKind = { type: 'flag' } | { type: 'text' } | { type: 'integer'; min: number; max: number } | { type: 'hostPort' } | { type: 'oneOf'; values: readonly string[] };

export interface ArgSpec {
  /** The option's long name without `--`, or the positional argument's name. */
  name: string;
  kind: ValueKind;
  /** Shown after the option name: `--port <port>`. */
  placeholder?: string;
  description: string;
  /** Shown as "(default …)"; the command applies it. */
  default?: string;
  /** Positional arguments only: may be left out. */
  optional?: boolean;
}

export interface CommandSpec {
  name: string;
  /** One line: what the command runs. */
  summary: string;
  options: readonly ArgSpec[];
  positionals: readonly ArgSpec[];
}

/** Bad usage: an unknown command or option, a missing or malformed value. `command` is whose usage to print (none: the overall usage). */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: CommandSpec,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

const HELP: ArgSpec = { name: 'help', kind: { type: 'flag' }, description: 'show this help' };

function optionLabel(o: ArgSpec): string {
  const flag = o.name === 'help' ? '-h, --help' : `--${o.name}`;
  return o.kind.type === 'flag' ? flag : `${flag} <${o.placeholder ?? o.name}>`;
}

/** Rows of two columns, the first padded to the widest. */
function table(rows: [string, string][]): string[] {
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`);
}

const described = (a: ArgSpec) => a.description + (a.default !== undefined ? ` (default ${a.default})` : '');

/** `polyp2p <command> --help`. */
export function commandUsage(c: CommandSpec): string {
  const args = c.positionals.map((p) => (p.optional ? `[${p.name}]` : `<${p.name}>`)).join(' ');
  const lines = [`usage: polyp2p ${c.name}${args ? ' ' + args : ''} [options]`, c.summary];
  if (c.positionals.length) lines.push('', 'arguments:', ...table(c.positionals.map((p) => [p.name, described(p)])));
  lines.push('', 'options:', ...table([...c.options, HELP].map((o) => [optionLabel(o), described(o)])));
  return lines.join('\n');
}

/** `polyp2p --help`. */
export function overallUsage(commands: readonly CommandSpec[]): string {
  return ['usage: polyp2p <command> [options]', '', 'commands:', ...table(commands.map((c) => [c.name, c.summary])), '', "'polyp2p <command> --help' lists a command's options."].join('\n');
}
