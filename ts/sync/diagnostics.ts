/**
 * The sync layer's diagnostics channel (base/diagnostics.ts): every change
 * this node refused, and every write of its own that lost to another
 * replica's, as the 'refused' event reports them.
 */
import { defineChannel } from '../base/diagnostics';
import type { SyncNode, SyncRefusal } from './sync-node';

/** A message of `polyp2p:sync:refused`: the 'refused' event's fields, and the node. */
export interface SyncRefusedEvent extends SyncRefusal {
  node: SyncNode;
}

export const syncRefusedChannel = defineChannel<SyncRefusedEvent>('polyp2p:sync:refused');

/** Publish a refusal when someone subscribes. */
export function noteRefusal(node: SyncNode, r: SyncRefusal): void {
  if (syncRefusedChannel.hasSubscribers) syncRefusedChannel.publish({ node, ...r });
}
