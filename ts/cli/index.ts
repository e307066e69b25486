#!/usr/bin/env node
/** polyp2p command line: `polyp2p mesh ...`, `polyp2p demo ...`. */
import { parseArgs } from './args';
import { meshCommand } from './mesh-command';
import { demoCommand } from './demo';
import { syncCommand } from './sync-command';
import { chordCommand } from './chord-command';
import { seedCommand } from './seed-command';

const usage = `usage:
  polyp2p mesh --port 4444 [--host 127.0.0.1] [--connect host:port] [--subnet mesh]
  polyp2p sync --port 4444 [--host 127.0.0.1] [--connect host:port] [--subnet sync] [--no-leasing]
  polyp2p chord --port 4444 [--host 127.0.0.1] [--connect host:port] [--subnet chord] [--leech]
  polyp2p seed <addr> <port> [Plaintext|SSL]     a bootstrap seed (see bootstrap() in the README)
  polyp2p demo [--nodes 6] [--seconds 20] [--rate 200] [--no-js2p]`;

async function main(): Promise<void> {
  const { positional, options } = parseArgs(process.argv.slice(2));
  switch (positional[0]) {
    case 'mesh':
      return meshCommand(options);
    case 'sync':
      return syncCommand(options);
    case 'chord':
      return chordCommand(options);
    case 'seed':
      return seedCommand(positional.slice(1));
    case 'demo':
      return demoCommand(options);
    default:
      console.log(usage);
      process.exitCode = positional[0] ? 1 : 0;
  }
}

main().catch((e: Error) => {
  console.error(`polyp2p: ${e.message}`);
  process.exit(1);
});
