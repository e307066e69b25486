/**
 * `polyp2p chord --port 4444 [--host h] [--connect host:port] [--subnet chord] [--leech]`
 * stdin commands: `set k v` (v parsed as JSON when it is JSON, else text), `get k`, `del k`, `keys`, `stats`.
 */
import { createChord } from '../chord';
import type { KeyEvent } from '../chord';
import { backend } from '../native';
import { attachConsole, commandLoop, parseValue, show } from './node-console';

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
  chord.on('add', (e: KeyEvent) => console.log(`~ key ${e.keyText} added`));
  chord.on('delete', (e: KeyEvent) => console.log(`~ key ${e.keyText} deleted`));
  attachConsole(chord, options);
  commandLoop(chord, async (cmd, key, rest) => {
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
      console.log(
        `keys: ${chord
          .keys()
          .map((k) => k.toString())
          .join(' ')}`,
      );
    } else if (cmd === 'stats') {
      console.log(JSON.stringify(chord.chordStats()));
    } else {
      console.log('? commands: set <key> <value> | get <key> | del <key> | keys | stats');
    }
  });
}
