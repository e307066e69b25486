/** The events of a ChordNode: a MeshNode's, plus keys announced on the network (js2p's `add` / `delete`). */
import type { MeshEvents } from '../mesh/events';
import type { Peer } from '../mesh/peer';

/** A key some node announced (the originals' notify broadcast, with `announceKeys`). */
export interface KeyEvent {
  key: Buffer;
  /** The key as UTF-8 text. */
  keyText: string;
  /** The peer the announcement came from. */
  peer?: Peer;
}

export interface ChordEvents extends MeshEvents {
  /** A key was announced as stored: it now shows in `keys()`. */
  add: [event: KeyEvent];
  /** A key was announced as deleted. */
  delete: [event: KeyEvent];
  /**
   * A legacy (js2p/py2p) peer that stores data joined: the compat ChordSocket's `connect`.
   * @internal
   */
  storingPeer: [peer: Peer];
}
