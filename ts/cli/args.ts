/**
 * A command's arguments, parsed by node:util's parseArgs in strict mode
 * (unknown options and options missing their value are errors) and then
 * checked against the command's spec (usage.ts): integers in range, host:port,
 * names from a set, the number of positional arguments. Every problem is a
 * UsageError naming the argument, with a "did you mean" for a near miss.
 */
import { parseArgs as parseNodeArgs, type ParseArgsConfig } from 'util';
import { closestName } from '../base/did-you-mean';
import { UsageError, type ArgSpec, type CommandSpec } from './usage';

export interface ParsedArgs {
  /** `--help` or `-h` was given: show the usage, run nothing. */
  help: boolean;
  /** Options by long name: the text given, or true for a flag. */
  options: Record<string, string | true>;
  positional: string[];
}

/** host:port ([::1]:4444 for IPv6) as [host, port]; the port is 1-65535. */
export function hostPort(text: string): [string, number] {
  const i = text.lastIndexOf(':');
  const port = /^\d+$/.test(text.slice(i + 1)) ? Number(text.slice(i + 1)) : NaN;
  if (i <= 0 || !(port >= 1 && port <= 65535)) throw new Error(`expected host:port with a port from 1 to 65535, got '${text}'`);
  return [text.slice(0, i).replace(/^\[|\]$/g, ''), port];
}

/** Why `text` is not a valid value of `spec`, or undefined when it is. */
function valueProblem(spec: ArgSpec, text: string): string | undefined {
  const kind = spec.kind;
  switch (kind.type) {
    case 'integer': {
      const n = /^-?\d+$/.test(text) ? Number(text) : NaN;
      return n >= kind.min && n <= kind.max ? undefined : `must be an integer from ${kind.min} to ${kind.max} (got '${text}')`;
    }
    case 'hostPort':
      try {
        hostPort(text);
        return undefined;
      } catch {
        return `must be host:port with a port from 1 to 65535, e.g. 127.0.0.1:4444 (got '${text}')`;
      }
    case 'oneOf': {
      if (kind.values.includes(text)) return undefined;
      const near = closestName(text, kind.values);
      return `must be one of ${kind.values.join(', ')} (got '${text}')${near ? `; did you mean '${near}'?` : ''}`;
    }
    default:
      return text === '' ? 'must not be empty' : undefined;
  }
}

/** The parseArgs config of a command's options, `--help`/`-h` included. */
function nodeConfig(command: CommandSpec): NonNullable<ParseArgsConfig['options']> {
  const config: NonNullable<ParseArgsConfig['options']> = { help: { type: 'boolean', short: 'h' } };
  for (const o of command.options) config[o.name] = { type: o.kind.type === 'flag' ? 'boolean' : 'string' };
  return config;
}

/** parseArgs's own errors (ERR_PARSE_ARGS_*) as UsageErrors, with a suggestion for an unknown option. */
function usageErrorFrom(err: unknown, command: CommandSpec): unknown {
  const e = err as { code?: string; message?: string };
  if (!e.code?.startsWith('ERR_PARSE_ARGS_')) return err;
  const unknown = e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? /'(-{1,2}[^'\s=]+)/.exec(e.message ?? '')?.[1] : undefined;
  if (!unknown) return new UsageError(e.message ?? String(err), command);
  const near = closestName(unknown.replace(/^-+/, ''), ['help', ...command.options.map((o) => o.name)]);
  return new UsageError(`unknown option '${unknown}'${near ? `; did you mean '--${near}'?` : ''}`, command);
}

/** Parse and check `argv` (what follows the command name) against the command's spec. */
export function parseCommandArgs(command: CommandSpec, argv: string[]): ParsedArgs {
  // package.json says node >= 18; util.parseArgs came in 18.3
  if (typeof parseNodeArgs !== 'function') throw new Error(`the command line needs Node.js 18.3 or later (util.parseArgs); this is ${process.version}`);
  let parsed: ReturnType<typeof parseNodeArgs>;
  try {
    parsed = parseNodeArgs({ args: argv, options: nodeConfig(command), allowPositionals: true, strict: true });
  } catch (e) {
    throw usageErrorFrom(e, command);
  }
  const { help, ...values } = parsed.values as Record<string, string | boolean | undefined>;
  if (help) return { help: true, options: {}, positional: [] };
  const options: Record<string, string | true> = {};
  for (const spec of command.options) {
    const v = values[spec.name];
    if (v === undefined || v === false) continue;
    const problem = typeof v === 'string' ? valueProblem(spec, v) : undefined;
    if (problem) throw new UsageError(`--${spec.name} ${problem}`, command);
    options[spec.name] = v;
  }
  return { help: false, options, positional: checkedPositionals(command, parsed.positionals) };
}

function checkedPositionals(command: CommandSpec, given: string[]): string[] {
  const specs = command.positionals;
  if (given.length > specs.length) throw new UsageError(`unexpected argument '${given[specs.length]}'`, command);
  specs.forEach((spec, i) => {
    if (i >= given.length) {
      if (!spec.optional) throw new UsageError(`missing <${spec.name}>`, command);
      return;
    }
    const problem = valueProblem(spec, given[i]);
    if (problem) throw new UsageError(`<${spec.name}> ${problem}`, command);
  });
  return given;
}
