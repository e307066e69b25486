/** A message delivered to the application. */
import type { Peer } from './peer';
import type { MeshNode } from './mesh-node';
import type { DecodedBody } from '../base/backend';

export class MeshMessage {
  constructor(
    /** Main flag: 0x00 broadcast, 0x02 whisper (others for custom protocols). */
    readonly type: number,
    /** Author's node ID as text. */
    readonly sender: string,
    /** Author's node ID exactly as received (string from js2p, Buffer from py2p). */
    readonly senderRaw: unknown,
    /** Author's timestamp (seconds). */
    readonly time: number,
    /** Message ID: SHA-256 of the msgpack bytes. */
    readonly id: Buffer,
    /** Payload: packets[0] is the sub-flag, user data starts at packets[1]. */
    readonly packets: unknown[],
    /** The peer it arrived from. */
    readonly peer: Peer,
    /** The decoded frame (msgpack bytes as received, compression used). */
    readonly raw: DecodedBody,
    private readonly node: MeshNode,
  ) {}

  /** The user's data (packets without the sub-flag). */
  get data(): unknown[] {
    return this.packets.slice(1);
  }

  /** Whisper back to the author (directly when connected, else via an address request). */
  reply(...data: unknown[]): void {
    this.node.replyTo(this, data);
  }
}
