/** Minimal `--name value` / `--flag` parser for the CLI. */
export function parseArgs(argv: string[]): { positional: string[]; options: Record<string, string | true> } {
  const positional: string[] = [];
  const options: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) {
      const [k, v] = a.slice(2).split('=', 2);
      if (v !== undefined) options[k] = v;
      else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) options[k] = argv[++i];
      else options[k] = true;
    } else positional.push(a);
  }
  return { positional, options };
}

export function hostPort(text: string): [string, number] {
  const i = text.lastIndexOf(':');
  const port = Number(text.slice(i + 1));
  if (i < 0 || !Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`expected host:port, got ${JSON.stringify(text)}`);
  return [text.slice(0, i).replace(/^\[|\]$/g, ''), port];
}
