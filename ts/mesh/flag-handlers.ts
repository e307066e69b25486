/**
 * The handlers a node runs for a message's sub-flag before the application's
 * (MeshNode.addHandler): the mesh's own (handshake, peer list, address
 * requests) and those of the layers built on it (sync, chord). Layers stack:
 * the handlers of one flag form a chain, the one added last first, so a layer
 * can look at a message before the layer under it (sync notes how a peer
 * writes IDs from its handshake) or take the shapes of a flag that are its
 * own (chord's meta shares 0x05 with the handshake). A handler's bug is a bug
 * of this node, never the peer's: it is reported and the message counts as
 * handled, so nothing a peer sends can throw out of dispatch.
 */
import type { MeshMessage } from './message';
import type { Peer } from './peer';

/**
 * Handles one message of its sub-flag from `peer`. Returns false to pass the
 * message on (to the handler of the flag added before it, then to the
 * application's handlers); anything else means it was handled.
 */
export type FlagHandler = (peer: Peer, msg: MeshMessage) => boolean | void;

export class FlagHandlers {
  /** Chains by sub-flag, the handler added last first. */
  private readonly chains = new Map<number, FlagHandler[]>();

  constructor(private readonly reportError: (err: Error, peer: Peer) => void) {}

  add(flag: number, handler: FlagHandler): void {
    const chain = this.chains.get(flag);
    if (chain) chain.unshift(handler);
    else this.chains.set(flag, [handler]);
  }

  has(flag: number): boolean {
    return this.chains.has(flag);
  }

  /** Run the chain of `flag`; true when a handler took the message (or threw). */
  run(flag: number, peer: Peer, msg: MeshMessage): boolean {
    const chain = this.chains.get(flag);
    if (!chain) return false;
    for (const handler of chain) {
      try {
        if (handler(peer, msg) !== false) return true;
      } catch (e) {
        this.reportError(e as Error, peer);
        return true;
      }
    }
    return false;
  }
}
