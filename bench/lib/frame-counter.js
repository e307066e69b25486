'use strict';
// Counting frames in a raw byte stream by their 4-byte big-endian length
// headers, without parsing the bodies: what the raw-TCP ceiling does at its
// receiving end (bench/mesh-worker.js, bench/procs-node.js).

/** Counts frames in a byte stream by their 4-byte big-endian length headers. */
class FrameCounter {
  constructor() {
    this.hdr = Buffer.alloc(4);
    this.hdrLen = 0;
    this.remaining = 0;
    this.count = 0;
  }
  /** Feed a chunk; returns how many frames it completed. */
  push(chunk) {
    let pos = 0;
    let n = 0;
    const len = chunk.length;
    while (pos < len) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, len - pos);
        this.remaining -= take;
        pos += take;
        if (this.remaining === 0) n++;
      } else if (this.hdrLen === 0 && len - pos >= 4) {
        this.remaining = chunk.readUInt32BE(pos);
        pos += 4;
        if (this.remaining === 0) n++;
      } else {
        this.hdr[this.hdrLen++] = chunk[pos++];
        if (this.hdrLen === 4) {
          this.hdrLen = 0;
          this.remaining = this.hdr.readUInt32BE(0);
          if (this.remaining === 0) n++;
        }
      }
    }
    this.count += n;
    return n;
  }
}

module.exports = { FrameCounter };
