import { ChordNode } from './chord-node';
import type { ChordOptions } from './options';

export { ChordNode } from './chord-node';
export type { ChordStats, ChordNodeStats, KeyEvent, ChordEvents } from './chord-node';
export type { ChordOptions } from './options';
export type { ReadOptions } from './reads';
export { TABLES, READ_QUORUM, slotsOf } from './positions';

/**
 * Create a chord node, listen, and (unless `join: false`) store data:
 * `const chord = await createChord({ port: 4444 }); await chord.connect(host, port)`.
 */
export async function createChord(options: ChordOptions = {}): Promise<ChordNode> {
  const node = new ChordNode(options);
  await node.listen();
  return node;
}
