/**
 * `polyp2p sync --port 4444 [--host h] [--connect host:port] [--subnet sync] [--no-leasing]`
 * stdin commands: `set k v` (v parsed as JSON when it is JSON, else text), `get k`, `del k`, `keys`.
 */
import { createSync } from '../sync';
import type { SyncDelete, SyncRefusal, SyncUpdate } from '../sync';
import { backend } from '../native';
import { attachConsole, commandLoop, parseValue, short, show } from './node-console';

export async function syncCommand(options: Record<string, string | true>): Promise<void> {
  const sync = await createSync({
    host: typeof options.host === 'string' ? options.host : '127.0.0.1',
    port: Number(options.port ?? 0),
    subnet: typeof options.subnet === 'string' ? options.subnet : 'sync',
    leasing: options['no-leasing'] === undefined,
  });
  console.log(`polyp2p sync node ${sync.id}`);
  console.log(`listening on ${sync.host}:${sync.port} (subnet ${sync.options.subnet}, leasing ${sync.leasing ? 'on' : 'off'}, backend ${backend})`);
  console.log('commands: set <key> <value> | get <key> | del <key> | keys; Ctrl-D to quit');
  sync.on('update', (u: SyncUpdate) => u.source !== 'local' && console.log(`~ ${u.key} = ${show(u.value)} (by ${short(u.owner)}, ${u.source})`));
  sync.on('delete', (d: SyncDelete) => d.source !== 'local' && console.log(`~ ${d.key} deleted (by ${short(d.owner)}, ${d.source})`));
  sync.on('refused', (r: SyncRefusal) => console.log(`! refused ${r.key ?? '?'}: ${r.reason}`));
  attachConsole(sync, options);
  commandLoop(sync, (cmd, key, rest) => {
    if (cmd === 'set' && key && rest !== undefined) {
      sync.set(key, parseValue(rest));
      console.log(`ok ${key}`);
    } else if (cmd === 'get' && key) {
      console.log(sync.has(key) ? `${key} = ${show(sync.get(key))}` : `${key} is not set`);
    } else if (cmd === 'del' && key) {
      console.log(sync.delete(key) ? `deleted ${key}` : `${key} is not set`);
    } else if (cmd === 'keys') {
      console.log(`keys: ${[...sync.keys()].join(' ')}`);
    } else {
      console.log('? commands: set <key> <value> | get <key> | del <key> | keys');
    }
  });
}
