/**
 * Typed errors shared by both backends. Every error carries a stable `code`
 * (the native addon throws plain errors with the same codes; toTypedError()
 * turns them into these classes so callers can use instanceof or `code`).
 */

export type ErrorCode =
  | 'ERR_FRAME_TOO_LARGE'
  | 'ERR_BAD_CHECKSUM'
  | 'ERR_BAD_MSGPACK'
  | 'ERR_DECOMPRESS_LIMIT'
  | 'ERR_DECOMPRESS_FAILED'
  | 'ERR_UNKNOWN_COMPRESSION'
  | 'ERR_BAD_BASE58'
  | 'ERR_TRUNCATED_FRAME'
  | 'ERR_MSGPACK_UNSUPPORTED'
  | 'ERR_WRONG_PROTOCOL'
  | 'ERR_MAX_PEERS'
  | 'ERR_HANDSHAKE_TIMEOUT'
  | 'ERR_FRAME_TIMEOUT'
  | 'ERR_IDLE_TIMEOUT'
  | 'ERR_WRITE_BUFFER_FULL'
  | 'ERR_CONNECT_FAILED'
  | 'ERR_ADDRESS_IN_USE'
  | 'ERR_PORT_ACCESS_DENIED'
  | 'ERR_ADDRESS_NOT_AVAILABLE'
  | 'ERR_INVALID_OPTION'
  | 'ERR_UNKNOWN_OPTION'
  | 'ERR_CLOSED'
  | 'ERR_NOT_CONNECTED'
  | 'ERR_LEASE'
  | 'ERR_NOT_FOUND'
  | 'ERR_QUORUM'
  | 'ERR_TIMEOUT'
  | 'ERR_PEER_AUTH'
  | 'ERR_TEXT_MESSAGE'
  | 'ERR_MESSAGE_TOO_LARGE'
  | 'ERR_ELEMENT_LIMIT'
  | 'ERR_MEMORY_BUDGET'
  | 'ERR_WRITE_TIMEOUT'
  | 'ERR_CONNECTION_LOST'
  | 'ERR_HANDLER'
  | 'ERR_IDENTITY_CHANGED'
  | 'ERR_DUPLICATE_ID'
  | 'ERR_NOT_A_PEER'
  | 'ERR_TRANSPORT_HANDSHAKE'
  | 'ERR_WS_PROTOCOL'
  | 'ABORT_ERR';

export class Polyp2pError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A frame announced a length above maxFrameSize. */
export class FrameTooLargeError extends Polyp2pError {
  constructor(message: string) {
    super('ERR_FRAME_TOO_LARGE', message);
  }
}
/** The SHA-256 checksum at the start of a body does not match its msgpack bytes. */
export class ChecksumError extends Polyp2pError {
  constructor(message: string) {
    super('ERR_BAD_CHECKSUM', message);
  }
}
/** The msgpack bytes are malformed, truncated, too deeply nested or have trailing bytes. */
export class MsgpackError extends Polyp2pError {
  constructor(message: string) {
    super('ERR_BAD_MSGPACK', message);
  }
}
/** A value cannot be encoded as msgpack (function, symbol, out-of-range bigint, cycle). */
export class MsgpackEncodeError extends Polyp2pError {
  constructor(message: string) {
    super('ERR_MSGPACK_UNSUPPORTED', message);
  }
}
/** Decompressed output would exceed the configured cap (decompression bomb guard). */
export class DecompressLimitError extends Polyp2pError {
  constructor(message: string) {
    super('ERR_DECOMPRESS_LIMIT', message);
  }
}
/** Compressed data is corrupt for the given method. */
export class DecompressError extends Polyp2pError {
  constructor(message: string) {
    super('ERR_DECOMPRESS_FAILED', message);
  }
}
/** A compression flag this build does not implement. */
export class UnknownCompressionError extends Polyp2pError {
  constructor(message: string) {
    super('ERR_UNKNOWN_COMPRESSION', message);
  }
}
/** Text with characters outside the base58 alphabet. */
export class Base58Error extends Polyp2pError {
  constructor(message: string) {
    super('ERR_BAD_BASE58', message);
  }
}
/** A frame body too short to hold the 32-byte checksum. */
export class TruncatedFrameError extends Polyp2pError {
  constructor(message: string) {
    super('ERR_TRUNCATED_FRAME', message);
  }
}

/** The peer's handshake names another protocol (subnet, transport or version). */
export class ProtocolMismatchError extends Polyp2pError {
  constructor(message: string) {
    super('ERR_WRONG_PROTOCOL', message);
  }
}
/** The transport failed under a connection (reset, broken pipe, TLS error); `cause` is the transport's error. */
export class ConnectionLostError extends Polyp2pError {
  constructor(
    message: string,
    readonly cause?: unknown,
  ) {
    super('ERR_CONNECTION_LOST', message);
  }
}
/** An application handler (registerHandler, a 'message' listener run by the node) threw; the link is kept. `cause` is what it threw. */
export class HandlerError extends Polyp2pError {
  constructor(
    message: string,
    readonly cause?: unknown,
  ) {
    super('ERR_HANDLER', message);
  }
}
/** Frames queued for the peer were not written out for writeTimeout: it stopped reading. */
export class WriteTimeoutError extends Polyp2pError {
  constructor(message: string) {
    super('ERR_WRITE_TIMEOUT', message);
  }
}
/** A connection was refused or dropped because maxPeers connections are open. */
export class PeerLimitError extends Polyp2pError {
  constructor(message: string) {
    super('ERR_MAX_PEERS', message);
  }
}
/** The peer did not complete its handshake within handshakeTimeout. */
export class HandshakeTimeoutError extends Polyp2pError {
  constructor(message: string) {
    super('ERR_HANDSHAKE_TIMEOUT', message);
  }
}
/** The peer started a frame and stalled for longer than frameTimeout (slowloris). */
export class FrameTimeoutError extends Polyp2pError {
  constructor(message: string) {
    super('ERR_FRAME_TIMEOUT', message);
  }
}
/** A keep-alive capable peer sent nothing for longer than idleTimeout. */
export class IdleTimeoutError extends Polyp2pError {
  constructor(message: string) {
    super('ERR_IDLE_TIMEOUT', message);
  }
}
/** The peer stopped reading and more than maxWriteBuffer bytes queued up for it. */
export class WriteBufferFullError extends Polyp2pError {
  constructor(message: string) {
    super('ERR_WRITE_BUFFER_FULL', message);
  }
}
/**
 * An outgoing connection could not be opened or closed before its handshake.
 * `unreachable` is true when the transport itself failed (refused, timed out,
 * no route), false when a link opened and then closed.
 */
export class ConnectError extends Polyp2pError {
  /**
   * Why: the typed error that ended the link (e.g. NotAPeerError,
   * ProtocolMismatchError), or the transport's own error when it could not
   * connect (its `code`: ECONNREFUSED, ENOTFOUND, ETIMEDOUT, ...).
   */
  readonly cause?: Error;
  constructor(
    message: string,
    readonly unreachable = false,
    cause?: Error,
  ) {
    super('ERR_CONNECT_FAILED', message);
    if (cause) this.cause = cause;
  }
}
/**
 * Listening failed because of the address or port; `host` and `port` are what
 * the node tried to bind, `cause` is the system's error (EADDRINUSE, EACCES,
 * EADDRNOTAVAIL, ENOTFOUND).
 */
export abstract class ListenError extends Polyp2pError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly host: string,
    readonly port: number,
    readonly cause?: unknown,
  ) {
    super(code, message);
  }
}
/** Another socket already listens on the host and port. */
export class AddressInUseError extends ListenError {
  constructor(message: string, host: string, port: number, cause?: unknown) {
    super('ERR_ADDRESS_IN_USE', message, host, port, cause);
  }
}
/** The system does not allow this process to listen on the port (a port below 1024 without the privilege). */
export class PortAccessDeniedError extends ListenError {
  constructor(message: string, host: string, port: number, cause?: unknown) {
    super('ERR_PORT_ACCESS_DENIED', message, host, port, cause);
  }
}
/** The host is not an address of this machine (or a name that does not resolve to one). */
export class AddressNotAvailableError extends ListenError {
  constructor(message: string, host: string, port: number, cause?: unknown) {
    super('ERR_ADDRESS_NOT_AVAILABLE', message, host, port, cause);
  }
}
/** An option (or a js2p constructor argument) has the wrong type or is out of range; `option` is its name, e.g. 'port' or 'tls.pinning'. */
export class InvalidOptionError extends Polyp2pError {
  constructor(
    message: string,
    readonly option: string,
  ) {
    super('ERR_INVALID_OPTION', message);
  }
}
/** An option name the node does not know (usually a typo); `suggestion` is the known name closest to it, if one is close. */
export class UnknownOptionError extends Polyp2pError {
  constructor(
    message: string,
    readonly option: string,
    readonly suggestion?: string,
  ) {
    super('ERR_UNKNOWN_OPTION', message);
  }
}
/** The node was closed. */
export class ClosedError extends Polyp2pError {
  constructor(message: string) {
    super('ERR_CLOSED', message);
  }
}
/** No direct connection to that peer. */
export class NotConnectedError extends Polyp2pError {
  constructor(message: string) {
    super('ERR_NOT_CONNECTED', message);
  }
}

/** A sync-table write refused by the lease rule (PROTOCOL.md §14.4): another node holds the key. */
export class LeaseError extends Polyp2pError {
  constructor(message: string) {
    super('ERR_LEASE', message);
  }
}

/** A peer failed authentication (TLS node-ID pinning or an expected ID that it could not prove). */
export class PeerAuthError extends Polyp2pError {
  constructor(message: string) {
    super('ERR_PEER_AUTH', message);
  }
}
/** A WebSocket peer sent a text message; the protocol only uses binary messages (PROTOCOL.md §2.3). */
export class TextMessageError extends Polyp2pError {
  constructor(message: string) {
    super('ERR_TEXT_MESSAGE', message);
  }
}

/**
 * A message this node was asked to send is larger than a peer accepts
 * (its maxFrameSize / maxDecompressedSize, or this node's own): refused on the
 * sender, before anything is written, instead of failing on the receiver.
 */
export class MessageTooLargeError extends Polyp2pError {
  constructor(message: string) {
    super('ERR_MESSAGE_TOO_LARGE', message);
  }
}
/**
 * A body would decode into more msgpack values than its size on the wire
 * allows (maxElementsPerByte): a short, highly compressed body cannot unfold
 * into millions of values.
 */
export class ElementLimitError extends Polyp2pError {
  constructor(message: string) {
    super('ERR_ELEMENT_LIMIT', message);
  }
}
/**
 * A node-wide byte budget is exhausted (bytes held in partial frames across
 * all connections, queued messages, stored data): the connection or write
 * that costs the most is refused or dropped.
 */
export class MemoryBudgetError extends Polyp2pError {
  constructor(message: string) {
    super('ERR_MEMORY_BUDGET', message);
  }
}
/**
 * A handshake on an already identified connection named another node ID: one
 * connection is one peer, so the connection is closed (the peer may reconnect
 * under its new ID).
 */
export class IdentityChangedError extends Polyp2pError {
  constructor(message: string) {
    super('ERR_IDENTITY_CHANGED', message);
  }
}
/**
 * A connection claimed the node ID of a peer already connected, and may not
 * replace that link (it proves the ID no better, and comes from another
 * address): see docs/limits.md, "One connection, one peer".
 */
export class DuplicateIdError extends Polyp2pError {
  constructor(message: string) {
    super('ERR_DUPLICATE_ID', message);
  }
}
/** The remote end does not speak the p2p.today protocol (it sent text such as an HTTP or SSH banner, or no frame header). */
export class NotAPeerError extends Polyp2pError {
  constructor(message: string) {
    super('ERR_NOT_A_PEER', message);
  }
}
/** An incoming connection's TLS handshake or WebSocket upgrade failed (a client of another protocol or encryption). */
export class TransportHandshakeError extends Polyp2pError {
  constructor(message: string) {
    super('ERR_TRANSPORT_HANDSHAKE', message);
  }
}
/** A WebSocket peer broke RFC 6455 (bad opcode, unmasked client frame, invalid close code...). */
export class WebSocketProtocolError extends Polyp2pError {
  constructor(message: string) {
    super('ERR_WS_PROTOCOL', message);
  }
}

/** A chord read found no value: at least three of the five tables answered "absent" (PROTOCOL.md §15.4). */
export class NotFoundError extends Polyp2pError {
  constructor(message: string) {
    super('ERR_NOT_FOUND', message);
  }
}
/** A chord read got answers, but no value was agreed by three of the five tables. */
export class QuorumError extends Polyp2pError {
  constructor(message: string) {
    super('ERR_QUORUM', message);
  }
}
/** A chord operation did not complete within its timeout. */
export class TimeoutError extends Polyp2pError {
  constructor(message: string) {
    super('ERR_TIMEOUT', message);
  }
}

/**
 * The caller's AbortSignal fired (`{ signal }` of connect, drain, close, get, set, …). Name and
 * code are Node's own (`err.name === 'AbortError'`, `code === 'ABORT_ERR'`); `cause` is the
 * signal's reason.
 */
export class AbortError extends Polyp2pError {
  constructor(message = 'the operation was aborted', options?: { cause?: unknown }) {
    super('ABORT_ERR', message);
    if (options && 'cause' in options) Object.defineProperty(this, 'cause', { value: options.cause, writable: true, configurable: true });
  }
}

const byCode: Partial<Record<ErrorCode, new (message: string) => Polyp2pError>> = {
  ERR_FRAME_TOO_LARGE: FrameTooLargeError,
  ERR_BAD_CHECKSUM: ChecksumError,
  ERR_BAD_MSGPACK: MsgpackError,
  ERR_DECOMPRESS_LIMIT: DecompressLimitError,
  ERR_DECOMPRESS_FAILED: DecompressError,
  ERR_UNKNOWN_COMPRESSION: UnknownCompressionError,
  ERR_BAD_BASE58: Base58Error,
  ERR_TRUNCATED_FRAME: TruncatedFrameError,
  ERR_MSGPACK_UNSUPPORTED: MsgpackEncodeError,
  ERR_ELEMENT_LIMIT: ElementLimitError,
};

/** Convert an error thrown by the native addon into the matching typed error. */
export function toTypedError(err: unknown): unknown {
  if (err instanceof Polyp2pError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  const Ctor = typeof code === 'string' ? byCode[code as ErrorCode] : undefined;
  if (Ctor) {
    return new Ctor((err as Error).message);
  }
  return err;
}

/** An error from below polyp2p (a socket, a TLS stack) as a typed one: polyp2p's own pass through, others become ERR_CONNECTION_LOST with `cause`. */
export function asConnectionError(err: unknown): Polyp2pError {
  if (err instanceof Polyp2pError) return err;
  const e = err as { code?: unknown; message?: unknown } | null;
  const what = [e?.code, e?.message].filter((x) => typeof x === 'string' && x).join(': ') || String(err);
  return new ConnectionLostError(`connection lost (${what})`, err);
}

export function hex(n: number): string {
  return '0x' + n.toString(16).padStart(2, '0');
}
