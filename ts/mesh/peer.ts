/**
 * A connection to one peer as the mesh sees it. It also has the shape of
 * js2p's MeshConnection (id, addr, compression, outgoing, send(), close()),
 * so js2p handlers that receive "the connection" keep working.
 */
import type { FramedConnection } from '../base/connection';
import type { MeshNode } from './mesh-node';

export type IdForm = 'str' | 'bin';

export interface PeerInfo {
  id: string | null;
  host: string | undefined;
  port: number | undefined;
  outgoing: boolean;
}

/** At most n events per one-second window. */
class RateWindow {
  private at = 0;
  private count = 0;
  allow(now: number, perSecond: number): boolean {
    if (now - this.at >= 1000) {
      this.at = now;
      this.count = 0;
    }
    return this.count++ < perSecond;
  }
}

/** A connection class a node makes its peers of (MeshNode.peerClass, js2p's conn_type): Peer or a subclass. Its constructor is internal. */
export type PeerClass = typeof Peer;

/** A buffer larger than this that a kept frame is a small part of is not kept for it (compactLastSent). */
const LARGE_BUFFER = 64 * 1024;

export class Peer {
  /** Peer's node ID as text (null until its handshake). */
  id: string | null = null;
  /** Advertised outward address [host, port] (null until its handshake). */
  addr: [string, number] | null = null;
  /** Peer's advertised compression list. @internal */
  compression: number[] = [];
  /** How the peer encodes its protocol ID (we answer in the same msgpack type). @internal */
  protocolIdForm: IdForm | null = null;
  /** @internal */
  handshakeSent = false;
  /** @internal */
  handshakeReceived = false;
  /** The peer answered a keep-alive ping: it is a polyp2p node and can be idle-checked. @internal */
  answersPings = false;
  /** "host:port" this node dialled to open this link (null for incoming links): proves where the peer is. @internal */
  dialedAs: string | null = null;
  /** Largest frame body the peer accepts, from its ping or pong (polyp2p peers only; null: unknown). @internal */
  maxBody: number | null = null;
  /** TLS: the peer proved its node ID with its certificate key (node-ID pinning). */
  pinned = false;
  /** Why this node refused the peer (reported to a waiting connect()). @internal */
  refusedWith: Error | null = null;
  /** Handshaked, but held out of the routing table while another link holds its ID (mesh/duplicate-link.ts). @internal */
  standby = false;
  /** The first error reported on this connection, with its message before the peer was named in it (for connect()). @internal */
  failure: { error: Error; reason: string } | null = null;
  /** @internal */
  lastPingAt = 0;
  /** @internal */
  lastPeersSentAt = 0;
  /** @internal */
  lastResendAt = 0;
  /** Last whisper/broadcast frame sent to this peer, while it may ask for a resend (§13; keepForResend). @internal */
  lastSent: Buffer | null = null;

  /** lastSent as compactLastSent copied it (not copied again). @internal */
  private compactedLastSent: Buffer | null = null;

  /**
   * Keep `frame` for a resend request, from an original only: polyp2p nodes
   * never send one (docs/protocol.md §11). A kept frame is a view that pins
   * what it was cut from (an 8 KiB pool slab at least), per link: 69 KiB per
   * chord node of 17 links, 690 MB in a 10,000-node simulation. The frame is
   * `frames` from `start` on. @internal
   */
  keepForResend(frames: Buffer, start = 0): void {
    if (!this.answersPings) this.lastSent = start ? frames.subarray(start) : frames;
  }

  /** The peer answered a ping: a polyp2p node, which never asks for a resend. @internal */
  markPolyp2p(): void {
    this.answersPings = true;
    this.lastSent = this.compactedLastSent = null;
  }

  /**
   * Copy lastSent out of what it was cut from when that is a large buffer (a
   * tick's run of frames, a socket read): a frame kept for a rare resend must
   * not pin it. A pool slab (8 KiB, shared with the node's other small
   * buffers) is left as it is: copying every frame out of one cost more CPU
   * than the memory was worth. Once a second (maintain), not per send. @internal
   */
  compactLastSent(): void {
    const frame = this.lastSent;
    if (!frame || frame === this.compactedLastSent || frame.buffer.byteLength <= Math.max(2 * frame.length, LARGE_BUFFER)) return;
    this.lastSent = this.compactedLastSent = Buffer.from(frame);
  }

  /** ID expected from a peer list entry (an outgoing connection to a known node). @internal */
  expectedId: string | null;

  /** @internal */
  constructor(
    /** @internal */
    readonly conn: FramedConnection,
    readonly outgoing: boolean,
    /** @internal */
    readonly node: MeshNode,
    expectedId: string | null = null,
  ) {
    this.expectedId = expectedId;
  }

  private readonly addressAnswers = new RateWindow();
  private readonly pongs = new RateWindow();

  /** Rate limit for address answers to this peer: true while fewer than `perSecond` went out this second. @internal */
  allowAddressAnswer(now: number, perSecond: number): boolean {
    return this.addressAnswers.allow(now, perSecond);
  }

  /** Rate limit for pongs to this peer. @internal */
  allowPong(now: number, perSecond: number): boolean {
    return this.pongs.allow(now, perSecond);
  }

  get handshaked(): boolean {
    return this.handshakeReceived;
  }

  get info(): PeerInfo {
    return { id: this.id, host: this.addr?.[0] ?? this.conn.remoteAddress, port: this.addr?.[1] ?? this.conn.remotePort, outgoing: this.outgoing };
  }

  /** Describes the peer in error messages. */
  describe(): string {
    const where = this.addr ? `${this.addr[0]}:${this.addr[1]}` : `${this.conn.remoteAddress}:${this.conn.remotePort}`;
    return this.id ? `peer ${this.id.slice(0, 12)}… at ${where}` : `unidentified peer at ${where}`;
  }

  /** js2p: send(msg_type, packs, id?, time?) — main flag and full payload on this connection. */
  send(msgType: number, packs: unknown[], id?: string, time?: number): void {
    this.node.sendToPeer(this, msgType, packs, id, time);
  }

  close(): void {
    this.conn.close();
  }

  get counters() {
    return this.conn.counters;
  }
}
