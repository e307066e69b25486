/** A msgpack extension value (type code + raw bytes), kept opaque. */
export class MsgpackExt {
  readonly type: number;
  readonly data: Buffer;
  constructor(type: number, data: Uint8Array) {
    this.type = type;
    this.data = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  }
}
