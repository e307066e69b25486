/** js2p's InternalMessage and Message classes (JS2P_API.md §2.4-2.5). */
import * as util from 'util';
import { core } from '../native';
import { nowSeconds } from '../base/ids';
import { TruncatedFrameError } from '../base/errors';
import { flags } from '../base/flags';
import type { DecodedBody } from '../base/codec-types';

const DEFAULT_MAX = 16 * 1024 * 1024;

function supportedCompression(): readonly number[] {
  return core.compressionMethods;
}

export class InternalMessage {
  private _msg_type: number;
  private _sender: unknown;
  private _payload: unknown[];
  private _time: number;
  private _compression: number[];
  private _str: Buffer | null = null;
  private _id: Buffer | null = null;
  private _full: Buffer | null = null;
  compression_fail = false;

  constructor(msg_type: number, sender: unknown, payload?: unknown[], compression?: number[], timestamp?: number) {
    this._msg_type = msg_type;
    this._sender = sender;
    this._payload = payload ? Array.from(payload) : [];
    this._time = timestamp || nowSeconds();
    this._compression = compression ? Array.from(compression) : [];
  }

  private clear(): void {
    this._str = null;
    this._id = null;
    this._full = null;
  }

  get msg_type(): number {
    return this._msg_type;
  }
  set msg_type(x: number) {
    this.clear();
    this._msg_type = x;
  }
  get sender(): unknown {
    return this._sender;
  }
  set sender(x: unknown) {
    this.clear();
    this._sender = x;
  }
  get payload(): unknown[] {
    return [...this._payload];
  }
  set payload(x: unknown[]) {
    this.clear();
    this._payload = Array.from(x);
  }
  get time(): number {
    return this._time;
  }
  set time(x: number) {
    this.clear();
    this._time = x;
  }
  get compression(): number[] {
    return [...this._compression];
  }
  set compression(x: number[]) {
    this._full = null;
    this._compression = Array.from(x);
  }

  /** Parse a frame (or, with sizeless, a body): decompress, verify checksum, decode. */
  static feed_string(string: Uint8Array | string, sizeless?: boolean, compressions?: number[]): InternalMessage {
    const body = InternalMessage.sanitize_string(string, sizeless);
    const order = (compressions || []).filter((c) => supportedCompression().includes(c));
    const decoded = core.decodeBody(body, order, DEFAULT_MAX);
    const p = decoded.packets;
    const msg = new InternalMessage(p[0] as number, p[1], p.slice(3), compressions);
    msg._time = p[2] as number;
    msg.compression_fail = order.length > 0 && decoded.compression === null;
    msg._id = decoded.id;
    msg._str = decoded.msgpack;
    return msg;
  }

  /** Wrap a frame decoded by the core (the received msgpack bytes are kept, so the ID is exact). */
  static fromDecoded(decoded: DecodedBody, compressions: number[] = []): InternalMessage {
    const p = decoded.packets;
    const msg = new InternalMessage(p[0] as number, p[1], p.slice(3), compressions);
    msg._time = p[2] as number;
    msg._id = decoded.id;
    msg._str = decoded.msgpack;
    return msg;
  }

  static sanitize_string(string: Uint8Array | string, sizeless?: boolean): Buffer {
    const buf = typeof string === 'string' ? Buffer.from(string, 'latin1') : Buffer.from(string);
    if (sizeless) return buf;
    if (buf.length < 4 || buf.readUInt32BE(0) + 4 !== buf.length) {
      throw new TruncatedFrameError(`frame length header says ${buf.length >= 4 ? buf.readUInt32BE(0) : '?'} bytes but ${Math.max(0, buf.length - 4)} follow; pass one complete frame`);
    }
    return buf.subarray(4);
  }

  /** `[bytes, failed]`: try each method in turn, as js2p did. */
  static decompress_string(string: Uint8Array, compressions?: number[]): [Buffer, boolean] {
    let failed = false;
    for (const c of (compressions || []).filter((m) => supportedCompression().includes(m))) {
      try {
        return [core.decompress(string, c, DEFAULT_MAX), false];
      } catch {
        failed = true;
      }
    }
    return [Buffer.from(string), failed];
  }

  get compression_used(): number | undefined {
    return supportedCompression().find((c) => this._compression.includes(c));
  }

  get time_58(): string {
    return core.base58EncodeInt(BigInt(Math.floor(this.time)));
  }

  get packets(): unknown[] {
    return [this.msg_type, this.sender, this.time, ...this._payload];
  }

  get __non_len_string(): Buffer {
    if (this._str === null) this._str = core.msgpackEncode(this.packets);
    return this._str;
  }

  get id(): Buffer {
    if (this._id === null) this._id = core.sha256(this.__non_len_string);
    return this._id;
  }

  get string(): Buffer {
    if (this._full === null) {
      this._full = core.frameFromMsgpack(this.__non_len_string, this.id, this.compression_used ?? null);
    }
    return this._full;
  }

  /** Size of the msgpack part (js2p's meaning). */
  get length(): number {
    return this.__non_len_string.length;
  }

  /** Length of the complete frame (js2p's version threw). */
  len(): number {
    return this.string.length;
  }
}

interface ReplyCapableServer {
  routing_table?: Map<unknown, { send(type: number, packs: unknown[]): unknown }>;
  protocol?: unknown;
  reply_to?(msg: Message, packs: unknown[]): unknown;
}

export class Message {
  constructor(
    public msg: InternalMessage,
    public server: ReplyCapableServer | null,
  ) {}

  get time(): number {
    return this.msg.time;
  }
  get time_58(): string {
    return this.msg.time_58;
  }
  get sender(): unknown {
    return this.msg.sender;
  }
  get id(): Buffer {
    return this.msg.id;
  }
  get packets(): unknown[] {
    return this.msg.payload;
  }
  get length(): number {
    return this.msg.length;
  }
  get protocol(): unknown {
    return this.server?.protocol;
  }

  /** Whisper [0x02, ...packs] back to the sender. */
  reply(packs: unknown[]): void {
    if (!this.server) throw new Error('this message has no socket to reply through');
    if (typeof this.server.reply_to === 'function') {
      this.server.reply_to(this, packs);
      return;
    }
    const conn = this.server.routing_table?.get(String(this.sender));
    if (!conn) throw new Error(`not connected to ${String(this.sender)}; cannot reply`);
    conn.send(flags.whisper, [flags.whisper, ...packs]);
  }

  inspect(): string {
    const p = this.packets;
    return `Message {\n type: ${util.inspect(p[0])}\n packets: ${util.inspect(p.slice(1))}\n sender: ${util.inspect(String(this.sender))} }`;
  }

  [util.inspect.custom](): string {
    return this.inspect();
  }
}
