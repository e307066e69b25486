/** The events of a SyncNode: a MeshNode's, plus the table's changes and refusals (payloads in sync-node.ts). */
import type { MeshEvents } from '../mesh/events';
import type { SyncDelete, SyncRefusal, SyncUpdate } from './sync-node';

export interface SyncEvents extends MeshEvents {
  /** A key was set or changed, here (`source: 'local'`) or by a peer. */
  update: [update: SyncUpdate];
  /** A key was deleted, here or by a peer. */
  delete: [deletion: SyncDelete];
  /** A change was refused: a peer's change broke a lease, or a write made here lost (`kind`). */
  refused: [refusal: SyncRefusal];
}
