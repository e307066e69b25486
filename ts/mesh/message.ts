/** A message delivered to the application (or to a handler). */
import type { Peer } from './peer';
import type { MeshNode } from './mesh-node';
import type { DecodedBody } from '../base/codec-types';
import type { ReceivedFrame } from '../base/received-frame';

export class MeshMessage {
  private payloadCache: unknown[] | undefined;

  /** @internal */
  constructor(
    /** Main flag: 0x00 broadcast, 0x02 whisper (others for custom protocols). */
    readonly type: number,
    /** Author's node ID as text. */
    readonly sender: string,
    /** Author's timestamp (seconds). */
    readonly time: number,
    /** The peer it arrived from. */
    readonly peer: Peer,
    /** The received message its values are decoded from, on first use. @internal */
    readonly frame: ReceivedFrame,
    private readonly node: MeshNode,
  ) {}

  /** Author's node ID exactly as received (string from js2p, Buffer from py2p). */
  get senderRaw(): unknown {
    return this.frame.senderRaw;
  }

  /** Message ID: SHA-256 of the msgpack bytes. */
  get id(): Buffer {
    return this.frame.id;
  }

  /** Payload: packets[0] is the sub-flag, user data starts at packets[1]. */
  get packets(): unknown[] {
    return (this.payloadCache ??= this.frame.payload);
  }

  /** The decoded frame (msgpack bytes as received, compression used). */
  get raw(): DecodedBody {
    return this.frame.decoded;
  }

  /** The user's data (packets without the sub-flag). */
  get data(): unknown[] {
    return this.packets.slice(1);
  }

  /** Keep only this message's own bytes (it is being queued). */
  detach(): this {
    this.frame.detach();
    return this;
  }

  /** Whisper back to the author (directly when connected, else via an address request). */
  reply(...data: unknown[]): void {
    this.node.replyTo(this, data);
  }
}
