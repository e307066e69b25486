import { SyncNode, type SyncOptions } from './sync-node';

export { SyncNode } from './sync-node';
export { localKey, mergeMapping } from './keys';
export type { SyncOptions, SyncUpdate, SyncDelete, SyncRefusal, ChangeSource } from './sync-node';
export type { SyncEvents } from './events';
export type { SyncStats, SyncNodeStats, SyncApplied } from './stats';
export { leaseAllows, leaseRuleThatAllows, refusalReason, LEASE_SECONDS } from './lease';
export type { Meta, LeaseContext } from './lease';
export { compareVersions } from './resolve';
export type { VersionMeta } from './resolve';
export { SyncTable } from './table';

/** Create a sync node and start listening: `const sync = await createSync({ port: 4444, leasing: true })`. */
export async function createSync(options: SyncOptions = {}): Promise<SyncNode> {
  const node = new SyncNode(options);
  await node.listen();
  return node;
}
