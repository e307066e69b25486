/**
 * What the `polyp2p mesh|sync|chord` commands share: value printing, peer
 * events, the optional --connect, and a stdin command loop that runs one
 * command at a time and closes the node on Ctrl-D or Ctrl-C.
 */
import * as readline from 'readline';
import type { MeshNode, Peer } from '../mesh';
import { hostPort } from './args';

export const show = (v: unknown): string => (typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString() : JSON.stringify(v));
export const short = (id: string | null | undefined): string => (id ? id.slice(0, 10) + '…' : '?');

/** A typed value: JSON when it parses (and is not null), else the text itself. */
export function parseValue(text: string): unknown {
  try {
    const v: unknown = JSON.parse(text);
    return v === null ? text : v;
  } catch {
    return text;
  }
}

/** Print peers joining and leaving and per-peer errors; dial --connect if given. */
export function attachConsole(node: MeshNode, options: Record<string, string | true>): void {
  node.on('peer', (p: Peer) => console.log(`+ peer ${short(p.id)} at ${p.addr?.join(':')}`));
  node.on('peerLeft', (p: Peer) => console.log(`- peer ${short(p.id)} left`));
  node.on('peerError', (e: Error) => console.log(`! ${e.message}`));
  if (typeof options.connect === 'string') {
    const [h, p] = hostPort(options.connect);
    node.connect(h, p).catch((e: Error) => console.log(`! ${e.message}`));
  }
}

export type CommandHandler = (cmd: string, key: string | undefined, rest: string | undefined, line: string) => unknown;

/** Run `handle` for each stdin line (`cmd [key [rest…]]`), one at a time; close the node at the end. */
export function commandLoop(node: MeshNode, handle: CommandHandler): void {
  const rl = readline.createInterface({ input: process.stdin });
  let queue: Promise<unknown> = Promise.resolve();
  rl.on('line', (line) => {
    const m = /^\s*(\S+)(?:\s+(\S+))?(?:\s+(.*))?$/.exec(line);
    if (!m) return;
    const [, cmd, key, rest] = m;
    queue = queue.then(async () => {
      try {
        await handle(cmd, key, rest, line);
      } catch (e) {
        console.log(`! ${(e as Error).message}`);
      }
    });
  });
  const stop = async () => {
    rl.close();
    await queue;
    await node.close();
    process.exit(0);
  };
  rl.on('close', () => void stop());
  process.on('SIGINT', () => void stop());
}
