/**
 * Follows the frame headers (RFC 6455 §5.2) in the bytes a WebSocket peer
 * sends, without keeping any payload, to know when a message is in progress.
 * The `ws` library buffers a message until its last fragment arrives, so the
 * framing layer never sees a message that starts and stalls (one FIN=0
 * fragment, or a large message dripped slowly); this tells the node since when
 * one has been incomplete, so frameTimeout bounds it as it bounds a frame.
 * It also counts the payload bytes of that message (`bytes`), which ws holds
 * meanwhile, so they count against the node's maxPendingFrameBytes.
 * Memory is constant: at most one frame header (14 bytes) is kept.
 */

const MAX_HEADER = 14;

export class WebSocketMessageWatch {
  /** When the message (or control frame) still incomplete began to arrive, in ms; 0 when none is. */
  startedAt = 0;
  private readonly header = new Uint8Array(MAX_HEADER);
  private headerLength = 0;
  /** Payload bytes of the current frame still to come (after its header). */
  private payloadLeft = 0;
  private inPayload = false;
  /** A data frame without FIN arrived: the message goes on in continuation frames. */
  private fragmented = false;
  /** Payload bytes of the incomplete data message received so far (what ws buffers for it). */
  bytes = 0;

  constructor(private readonly clock: () => number = Date.now) {}

  get incomplete(): boolean {
    return this.fragmented || this.inPayload || this.headerLength > 0;
  }

  push(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length) {
      if (!this.incomplete) this.startedAt = this.clock();
      if (this.inPayload) {
        const n = Math.min(this.payloadLeft, chunk.length - i);
        this.payloadLeft -= n;
        if ((this.header[0] & 0x0f) < 8) this.bytes += n; // data, not control frames (at most 125 bytes each)
        i += n;
        if (this.payloadLeft === 0) this.endFrame();
        continue;
      }
      this.header[this.headerLength++] = chunk[i++];
      this.parseHeader();
    }
    if (!this.incomplete) {
      this.startedAt = 0;
      this.bytes = 0;
    }
  }

  /** Once the header is complete, move on to its payload. */
  private parseHeader(): void {
    const h = this.header;
    if (this.headerLength < 2) return;
    const len7 = h[1] & 0x7f;
    const extended = len7 === 126 ? 2 : len7 === 127 ? 8 : 0;
    const masked = (h[1] & 0x80) !== 0;
    if (this.headerLength < 2 + extended + (masked ? 4 : 0)) return;
    let length = extended ? 0 : len7;
    if (extended === 2) length = (h[2] << 8) | h[3];
    // 64-bit lengths beyond 2^53 come out inexact, which does not matter: ws
    // closes the connection on any length over maxPayload.
    else if (extended === 8) for (let k = 2; k < 10; k++) length = length * 256 + h[k];
    this.payloadLeft = length;
    this.inPayload = true;
    if (this.payloadLeft === 0) this.endFrame();
  }

  private endFrame(): void {
    const fin = (this.header[0] & 0x80) !== 0;
    const opcode = this.header[0] & 0x0f;
    // control frames (opcode >= 8) may come between fragments and do not end the message
    if (opcode < 8) {
      this.fragmented = !fin;
      if (fin) this.bytes = 0; // ws has handed the message on
    }
    this.headerLength = 0;
    this.inPayload = false;
    this.payloadLeft = 0;
  }
}
