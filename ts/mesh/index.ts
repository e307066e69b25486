import { MeshNode } from './mesh-node';
import type { MeshOptions } from './options';

export { MeshNode } from './mesh-node';
export type { MeshStats, MessageHandler, PeerErrorEvent, MeshEvents, DuplicateEvent } from './mesh-node';
export type { FlagHandler } from './flag-handlers';
export { MeshMessage } from './message';
export { Peer } from './peer';
export type { PeerInfo } from './peer';
export type { MeshOptions } from './options';

/** Create a mesh node and start listening: `const mesh = await createMesh({ port: 4444 })`. */
export async function createMesh(options: MeshOptions = {}): Promise<MeshNode> {
  const node = new MeshNode(options);
  await node.listen();
  return node;
}
