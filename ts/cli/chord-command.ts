/**
 * `polyp2p chord --port 4444 [--host h] [--connect host:port] [--subnet chord] [--leech]`
 * stdin commands: `set k v` (v parsed as JSON when it is JSON, else text), `get k`, `del k`, `keys`, `stats`.
 */
import * as readline from 'readline';
import { createChord } from '../chord';
import type { KeyEvent } from '../chord';
import { backend } from '../native';
import { hostPort } from './args';

const show = (v: unknown) => (typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString() : JSON.stringify(v));
const short = (id: string | null | undefined) => (id ? id.slice(0, 10) + '…' : '?');

function parseValue(text: string): unknown {
  try {
    const v = JSON.parse(text);
    return v === null ? text : v;
  } catch {
    return text;
  }
}

export async function chordCommand(options: Record<string, string | true>): Promise<void> {
  const chord = await createChord({
    host: typeof options.host === 'string' ? options.host : '127.0.0.1',
    port: Number(options.port ?? 0),
    subnet: typeof options.subnet === 'string' ? options.subnet : 'chord',
    join: options.leech === undefined,
  });
  console.log(`polyp2p chord node ${chord.id}`);
  console.log(`listening on ${chord.host}:${chord.port} (subnet ${chord.options.subnet}, ${chord.storing ? 'storing data' : 'leeching'}, backend ${backend})`);
  console.log('commands: set <key> <value> | get <key> | del <key> | keys | stats; Ctrl-D to quit');
  chord.on('peer', (p) => console.log(`+ peer ${short(p.id)} at ${p.addr?.join(':')}`));
  chord.on('peer-left', (p) => console.log(`- peer ${short(p.id)} left`));
  chord.on('add', (e: KeyEvent) => console.log(`~ key ${e.keyText} added`));
  chord.on('delete', (e: KeyEvent) => console.log(`~ key ${e.keyText} deleted`));
  if (typeof options.connect === 'string') {
    const [h, p] = hostPort(options.connect);
    chord.connect(h, p).catch((e: Error) => console.log(`! ${e.message}`));
  }
  const rl = readline.createInterface({ input: process.stdin });
  let queue = Promise.resolve();
  rl.on('line', (line) => {
    const m = /^\s*(\S+)(?:\s+(\S+))?(?:\s+(.*))?$/.exec(line);
    if (!m) return;
    const [, cmd, key, rest] = m;
    queue = queue.then(async () => {
      try {
        if (cmd === 'set' && key && rest !== undefined) {
          await chord.set(key, parseValue(rest));
          console.log(`ok ${key}`);
        } else if (cmd === 'get' && key) {
          const missing = Symbol('missing');
          const v = await chord.getOr(key, missing);
          console.log(v === missing ? `${key} is not set` : `${key} = ${show(v)}`);
        } else if (cmd === 'del' && key) {
          await chord.delete(key);
          console.log(`deleted ${key}`);
        } else if (cmd === 'keys') {
          console.log(`keys: ${chord.keys().map((k) => k.toString()).join(' ')}`);
        } else if (cmd === 'stats') {
          console.log(JSON.stringify(chord.chordStats()));
        } else {
          console.log('? commands: set <key> <value> | get <key> | del <key> | keys | stats');
        }
      } catch (e) {
        console.log(`! ${(e as Error).message}`);
      }
    });
  });
  const stop = async () => {
    rl.close();
    await queue;
    await chord.close();
    process.exit(0);
  };
  rl.on('close', stop);
  process.on('SIGINT', stop);
}
