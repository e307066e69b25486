/**
 * Recognizes a remote end that does not speak the protocol from the first
 * bytes it sends, where the 4-byte length header of a frame belongs (§5). A
 * header over maxFrameSize fails the connection anyway; this says what the
 * remote sent, so that connect() to an HTTP or SSH server (or any server that
 * talks first) fails at once with the reason instead of a bare
 * ERR_FRAME_TOO_LARGE or a handshake timeout.
 *
 * Only a header that would be refused is judged, so a p2p node is never
 * mistaken for something else: printable text (a status line, a banner, a
 * request) gives NotAPeerError on any connection; binary bytes give it on a
 * connection we dialled (an incoming one keeps ERR_FRAME_TOO_LARGE, the limit
 * that a hostile peer hit).
 */
import type { ByteStream } from '../base/byte-stream';
import { NotAPeerError } from '../base/errors';

/** Bytes kept to describe what the remote sent. */
const SAMPLE = 64;

/** Watch the first bytes of `stream`; calls `onForeign` at most once, then stops watching. */
export function watchFirstHeader(stream: ByteStream, maxFrameSize: number, outgoing: boolean, onForeign: (err: NotAPeerError) => void): void {
  let sample = Buffer.alloc(0);
  const onData = (chunk: Buffer) => {
    sample = Buffer.concat([sample, chunk.subarray(0, SAMPLE - sample.length)]);
    if (sample.length < 4) return;
    stream.off?.('data', onData);
    const err = judgeFirstHeader(sample, maxFrameSize, outgoing);
    if (err) onForeign(err);
  };
  stream.on('data', onData);
}

/** NotAPeerError when `first` (at least 4 bytes) cannot begin a frame from a p2p node; null when it can. */
export function judgeFirstHeader(first: Buffer, maxFrameSize: number, outgoing: boolean): NotAPeerError | null {
  const length = first.readUInt32BE(0);
  if (length <= maxFrameSize) return null;
  if (isText(first.subarray(0, 4))) {
    return new NotAPeerError(`it is not a p2p node: it sent ${quoteFirstLine(first)} where a frame header belongs${guess(first)}`);
  }
  if (!outgoing) return null;
  return new NotAPeerError(`it is not a p2p node: its first bytes (${hexOf(first.subarray(0, 8))}) are no frame header (length ${length} > maxFrameSize ${maxFrameSize})`);
}

function isText(bytes: Buffer): boolean {
  for (const b of bytes) if (!(b >= 0x20 && b < 0x7f) && b !== 0x09 && b !== 0x0a && b !== 0x0d) return false;
  return true;
}

/** The first line of the sample, non-printable bytes shown as '.', quoted. */
function quoteFirstLine(sample: Buffer): string {
  const text = sample.toString('latin1');
  const end = text.search(/[\r\n]/);
  const line = (end >= 0 ? text.slice(0, end) : text).replace(/[^\x20-\x7e]/g, '.');
  return `'${line}'${end < 0 && sample.length >= SAMPLE ? '…' : ''}`;
}

/** A hint for the common cases. */
function guess(sample: Buffer): string {
  const text = sample.toString('latin1');
  if (text.startsWith('HTTP/')) return ' (an HTTP server: check the port, or use encryption "ws" for a WebSocket node)';
  if (text.startsWith('SSH-')) return ' (an SSH server: check the port)';
  if (/^(GET|POST|HEAD|PUT|OPTIONS|CONNECT) /.test(text)) return ' (an HTTP client)';
  return '';
}

function hexOf(bytes: Buffer): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ');
}
