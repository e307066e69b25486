/**
 * polyp2p for browsers (`import { createMesh } from 'polyp2p/browser'`): the
 * pure-TypeScript backend over the browser's WebSocket, client only. Nodes
 * dial Node polyp2p (or js2p) nodes that listen with encryption "ws".
 */
import { MeshNode } from '../mesh/mesh-node';
import type { MeshOptions } from '../mesh/options';

import { backend as loadedBackend } from '../native';

/** Always 'js' in a browser: the pure-TypeScript backend. */
export const backend: 'native' | 'js' = loadedBackend;
export * from '../base/errors';
export { flags } from '../base/flags';
export { COMPRESSION, COMPRESSION_PREFERENCE, compressionName } from '../base/compression-flags';
export { PROTOCOL_VERSION, protocolId, nodeId, js2pNodeIdPreimage, createUserSalt } from '../base/ids';
export { MeshNode, MeshMessage, Peer } from '../mesh';
export type { MeshOptions, MeshStats, MessageHandler, PeerInfo, PeerErrorEvent, MeshEvents, DuplicateEvent } from '../mesh';

/** A browser mesh node (encryption "ws", never listens): `const mesh = createMesh(); await mesh.connect(host, port)`. */
export function createMesh(options: MeshOptions = {}): MeshNode {
  return new MeshNode({ encryption: 'ws', ...options });
}

export { SyncNode, SyncTable, leaseAllows, compareVersions, LEASE_SECONDS } from '../sync';
export type { SyncOptions, SyncUpdate, SyncDelete, SyncRefusal, ChangeSource, SyncEvents } from '../sync';
import { SyncNode } from '../sync';
import type { SyncOptions } from '../sync';

/** A browser sync node (encryption "ws", never listens): `const s = createSync({ leasing: false }); await s.connect(host, port)`. */
export function createSync(options: SyncOptions = {}): SyncNode {
  return new SyncNode({ encryption: 'ws', ...options });
}
