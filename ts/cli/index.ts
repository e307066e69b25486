#!/usr/bin/env node
/**
 * polyp2p command line: `polyp2p <command> [options]` (commands.ts). Exit
 * codes: 0 after --help, 2 for bad usage (an unknown command or option, a
 * malformed or out-of-range value; the usage goes to stderr), 1 when the
 * command fails (a port in use, ...).
 */
import { parseCommandArgs } from './args';
import { commands } from './commands';
import { closestName } from '../base/did-you-mean';
import { UsageError, commandUsage, overallUsage } from './usage';

const EXIT_USAGE = 2;

/** Run the command named by argv[0]; --help, -h and `help [command]` print usage instead. */
async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (name === undefined) throw new UsageError('no command given');
  if (name === '--help' || name === '-h' || name === 'help') {
    const about = commands.find((c) => c.name === rest[0]);
    console.log(about ? commandUsage(about) : overallUsage(commands));
    return;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    const near = closestName(
      name,
      commands.map((c) => c.name),
    );
    throw new UsageError(`unknown command '${name}'${near ? `; did you mean '${near}'?` : ''}`);
  }
  const args = parseCommandArgs(command, rest);
  if (args.help) return console.log(commandUsage(command));
  await command.run(args);
}

main(process.argv.slice(2)).catch((e: Error) => {
  if (e instanceof UsageError) {
    console.error(`polyp2p${e.command ? ' ' + e.command.name : ''}: ${e.message}\n\n${e.command ? commandUsage(e.command) : overallUsage(commands)}`);
    process.exitCode = EXIT_USAGE;
    return;
  }
  console.error(`polyp2p: ${e.message}`);
  process.exit(1);
});
