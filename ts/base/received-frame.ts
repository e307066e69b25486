/**
 * One received message, as a view of the batch its connection read
 * (frame-batch.ts). The node routes it by its header (main flag, sender,
 * time, sub-flag), relays its bytes as they are, and decodes its values only
 * when something reads them: a relay that delivers nothing never decodes a
 * payload. Views keep the batch's buffer alive; detach() copies what a
 * message that stays (a queued one) needs.
 */
import type { DecodedBody, MsgpackValue } from './codec-types';
import { COL, FIELDS, MAX_JUDGED_SENDER, SENDER_BIN, SENDER_REPEATS, USUAL, type FrameBatch } from './frame-batch';

/** What a frame reads of its batch: a detached frame keeps its own row in plain numbers (no typed array per queued message). */
type BatchView = Pick<FrameBatch, 'bytes' | 'packets'> & { info: ArrayLike<number>; times: ArrayLike<number> };
import { msgpackDecode } from './js/msgpack-decode';

const HEADER = 4;
const ID = 32;

/**
 * The last sender text decoded and the row it came from: the frames of a read
 * nearly all come from one author (a flood, a relayed stream), and a row whose
 * reader marked its sender as the row before's (SENDER_REPEATS) reuses it
 * instead of decoding the same string again. The batch is known by its row
 * array, so the memo never keeps a read's bytes alive (its rows: at most
 * 48 bytes per frame of the read).
 */
const lastSender: { rows: unknown; index: number; text: string } = { rows: null, index: -1, text: '' };

export class ReceivedFrame {
  private packetsCache: MsgpackValue[] | undefined;
  private bytes: Buffer;
  private row: number;

  constructor(
    private batch: BatchView,
    private index: number,
  ) {
    this.bytes = batch.bytes;
    this.row = index * FIELDS;
    this.packetsCache = batch.packets?.[index];
  }

  private col(c: number): number {
    return this.batch.info[this.row + c];
  }

  /** The header has the usual types: the fields below come from the row, no decoding. */
  get usual(): boolean {
    return (this.col(COL.flags) & USUAL) !== 0;
  }

  /** The decoded message [main flag, sender, time, ...payload] (decoded on first use). */
  get packets(): MsgpackValue[] {
    return (this.packetsCache ??= msgpackDecode(this.msgpack) as MsgpackValue[]);
  }

  /** Main flag (a number, else whatever the message holds there). */
  get mainFlag(): unknown {
    return this.usual ? this.col(COL.mainFlag) : this.packets[0];
  }

  /** The first payload item: the sub-flag. */
  get subFlag(): unknown {
    return this.usual ? this.col(COL.subFlag) : this.packets[3];
  }

  get time(): unknown {
    return this.usual ? this.batch.times[this.index] : this.packets[2];
  }

  /** The sender as received: a string (str) or a Buffer (bin). */
  get senderRaw(): unknown {
    if (this.packetsCache || !this.usual || this.col(COL.senderStart) < 0) return this.packets[1];
    const start = this.col(COL.senderStart);
    const end = start + this.col(COL.senderLength);
    const flags = this.col(COL.flags);
    if (flags & SENDER_BIN) return Buffer.from(this.bytes.subarray(start, end));
    const memo = lastSender;
    const repeat = flags & SENDER_REPEATS && memo.rows === this.batch.info && memo.index === this.index - 1;
    const text = repeat ? memo.text : this.bytes.toString('utf8', start, end);
    // node IDs only: a longer sender is ignored by the node, and the memo would keep it for the process
    if (end - start <= MAX_JUDGED_SENDER) {
      memo.rows = this.batch.info;
      memo.index = this.index;
      memo.text = text;
    }
    return text;
  }

  /** Items after the header: [sub-flag, ...data]. */
  get payload(): MsgpackValue[] {
    return this.packets.slice(3);
  }

  private get frameStart(): number {
    return this.col(COL.frameStart);
  }

  /** SHA-256 of the msgpack: the message ID. */
  get id(): Buffer {
    const at = this.frameStart + HEADER;
    return this.bytes.subarray(at, at + ID);
  }

  /** The msgpack bytes exactly as received. */
  get msgpack(): Buffer {
    const at = this.frameStart + HEADER + ID;
    return this.bytes.subarray(at, at + this.col(COL.msgpackLength));
  }

  /** The message as a raw frame: length, checksum, msgpack (what an uncompressed link gets). */
  get rawFrame(): Buffer {
    return this.bytes.subarray(this.frameStart, this.frameStart + HEADER + ID + this.col(COL.msgpackLength));
  }

  /** The compression flag that decoded it, or null (raw). */
  get compression(): number | null {
    const c = this.col(COL.compression);
    return c < 0 ? null : c;
  }

  /** The compressed body as received (links of its method get it unchanged), when it came compressed. */
  get wire(): Buffer | undefined {
    const at = this.col(COL.wireStart);
    return at < 0 ? undefined : this.bytes.subarray(at, at + this.col(COL.wireLength));
  }

  /** msgpack values the message holds. */
  get values(): number {
    return this.col(COL.values);
  }

  /** What the reader's waterfall said of it (VERDICT; 0: not judged). */
  get verdict(): number {
    return this.col(COL.verdict);
  }

  /** Bytes this message keeps once detached (its msgpack; the compressed body too while it holds one). */
  get heldBytes(): number {
    const wire = this.col(COL.wireStart) < 0 ? 0 : this.col(COL.wireLength);
    return this.col(COL.msgpackLength) + wire;
  }

  /** The message in the shape of a decoded body (decodes it). */
  get decoded(): DecodedBody {
    return { packets: this.packets, id: this.id, msgpack: this.msgpack, compression: this.compression, values: this.values, wire: this.wire };
  }

  /**
   * Copy this message's bytes out of the batch, so that keeping it (in a
   * queue) keeps only its own bytes and not the whole read.
   */
  detach(): this {
    const start = this.frameStart;
    const end = start + HEADER + ID + this.col(COL.msgpackLength);
    const wireAt = this.col(COL.wireStart);
    if (this.bytes.length > end - start || wireAt >= 0) {
      const own = Buffer.from(this.bytes.subarray(start, end));
      const info: number[] = new Array<number>(FIELDS);
      for (let c = 0; c < FIELDS; c++) info[c] = this.col(c);
      info[COL.frameStart] = 0;
      if (info[COL.senderStart] >= 0) info[COL.senderStart] -= start;
      info[COL.wireStart] = -1; // the compressed body is not kept: relaying is over by now
      this.batch = { bytes: own, info, times: [this.batch.times[this.index]] };
      this.index = 0;
      this.row = 0;
      this.bytes = own;
    }
    return this;
  }
}
