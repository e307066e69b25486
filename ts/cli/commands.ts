/** The CLI's commands: each one's options and arguments (its usage and what is checked) and what it runs. */
import type { ArgSpec, CommandSpec } from './usage';
import type { ParsedArgs } from './args';
import { meshCommand } from './mesh-command';
import { syncCommand } from './sync-command';
import { chordCommand } from './chord-command';
import { seedCommand } from './seed-command';
import { demoCommand } from './demo';

export interface Command extends CommandSpec {
  run(args: ParsedArgs): Promise<void>;
}

const PORT = { type: 'integer', min: 0, max: 65535 } as const;

/** The options every node command takes. */
function nodeOptions(subnet: string): ArgSpec[] {
  return [
    { name: 'port', kind: PORT, placeholder: 'port', description: 'port to listen on; 0 picks a free one', default: '0' },
    { name: 'host', kind: { type: 'text' }, placeholder: 'address', description: 'address to listen on', default: '127.0.0.1' },
    { name: 'connect', kind: { type: 'hostPort' }, placeholder: 'host:port', description: 'a node to connect to' },
    { name: 'subnet', kind: { type: 'text' }, placeholder: 'name', description: 'subnet name; nodes of other subnets are refused', default: subnet },
  ];
}

export const commands: readonly Command[] = [
  {
    name: 'mesh',
    summary: 'a mesh node: each line typed is broadcast; Ctrl-D quits',
    options: nodeOptions('mesh'),
    positionals: [],
    run: (a) => meshCommand(a.options),
  },
  {
    name: 'sync',
    summary: 'a sync node (a replicated table): set <key> <value> | get <key> | del <key> | keys; Ctrl-D quits',
    options: [...nodeOptions('sync'), { name: 'no-leasing', kind: { type: 'flag' }, description: 'let any node change any key (subnet suffix 0)' }],
    positionals: [],
    run: (a) => syncCommand(a.options),
  },
  {
    name: 'chord',
    summary: 'a chord node (a DHT): set <key> <value> | get <key> | del <key> | keys | stats; Ctrl-D quits',
    options: [...nodeOptions('chord'), { name: 'leech', kind: { type: 'flag' }, description: 'read and write, but store no data for others' }],
    positionals: [],
    run: (a) => chordCommand(a.options),
  },
  {
    name: 'seed',
    summary: "a bootstrap seed for bootstrap() (js2p's and py2p's seed); Ctrl-C stops it",
    options: [],
    positionals: [
      { name: 'addr', kind: { type: 'text' }, description: 'address to listen on' },
      { name: 'port', kind: PORT, description: 'port to listen on; 0 picks a free one' },
      { name: 'transport', kind: { type: 'oneOf', values: ['Plaintext', 'SSL'] }, description: 'Plaintext or SSL', default: 'Plaintext', optional: true },
    ],
    run: (a) => seedCommand(a.positional),
  },
  {
    name: 'demo',
    summary: 'a local demonstration network (mesh, sync and chord, and js2p when installed) with a live status table',
    options: [
      { name: 'nodes', kind: { type: 'integer', min: 2, max: 32 }, placeholder: 'n', description: 'nodes of each kind', default: '6' },
      { name: 'seconds', kind: { type: 'integer', min: 2, max: 600 }, placeholder: 's', description: 'seconds it runs', default: '20' },
      { name: 'rate', kind: { type: 'integer', min: 1, max: 20000 }, placeholder: 'n', description: 'broadcasts per second, network-wide', default: '200' },
      { name: 'no-js2p', kind: { type: 'flag' }, description: 'leave the js2p node out' },
    ],
    positionals: [],
    run: (a) => demoCommand(a.options),
  },
];
