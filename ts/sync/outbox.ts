/**
 * Everything a sync node sends one peer in bulk (initial sync, digests,
 * wants, entries, initial stores for the originals) goes through that
 * peer's outbox: one paced job at a time (mesh/bulk.ts sendPaced: written
 * only while the peer's queue is below the low-water mark, the event loop
 * gets a turn between messages), in pieces sized to what the peer accepts
 * (pieces.ts). Requests that arrive while a job runs are coalesced, never
 * answered twice at once: wanted and pushed keys are sets (the entry sent is
 * the one the table holds when its piece is built), a digest asked for
 * while one is pending is sent once. So a node can bring a newcomer a large
 * table without a burst past maxWriteBuffer, and a peer asking again and
 * again costs one answer at a time.
 */
import { flags } from '../base/flags';
import { MessageTooLargeError } from '../base/errors';
import { drainOrClose, sendPaced } from '../mesh/bulk';
import { WRITE_OVERHEAD } from '../base/write-queue';
import { Notifier, onEvent, waitUntil } from '../base/wait-until';
import type { Peer } from '../mesh/peer';
import { digestPieces, entriesPieces, storePieces, wantPieces, type DigestVersion, type Oversize, type Piece } from './pieces';
import type { Entry } from './table';
import type { SyncNode } from './sync-node';
import { SUB_DIGEST } from './wire';

/** How long the initial sync waits for the capability pong: polyp2p peers get the table by anti-entropy instead. */
export const INITIAL_SYNC_PONG_WAIT_MS = 500;
/** Bytes of keys one peer's pending wants may hold; more are dropped (the next digest asks again). */
export const PENDING_WANT_BYTES = 1024 * 1024;

type Job = () => Promise<boolean>;

export class PeerOutbox {
  private readonly wants = new Set<string>();
  private wantBytes = 0;
  /** Keys whose entries to send; a value is a snapshot to send before the current entry (a restamp). */
  private readonly entries = new Map<string, Entry | null>();
  /** Keys to send as initial stores (peers that are not polyp2p). */
  private readonly stores = new Set<string>();
  /** One-item digests telling a lease holder of a conflicting version (anti-entropy.ts). */
  private readonly notices = new Map<string, DigestVersion>();
  /** Told when the peer's capability pong arrives. */
  private readonly ponged = new Notifier();
  private initialPending = false;
  private digestPending = false;
  private running = false;

  constructor(
    private readonly node: SyncNode,
    private readonly peer: Peer,
  ) {}

  want(key: string): void {
    if (this.wants.has(key)) return;
    const bytes = Buffer.byteLength(key, 'utf8');
    if (this.wantBytes + bytes > PENDING_WANT_BYTES) return;
    this.wants.add(key);
    this.wantBytes += bytes;
    this.kick();
  }

  /** Send `key`'s entry as the table holds it then; `first`, when given, goes before it (and is kept until sent). */
  push(key: string, first?: Entry): void {
    const pending = this.entries.get(key);
    this.entries.set(key, first ?? pending ?? null);
    this.kick();
  }

  /** `e` is about to be replaced: if its key waits to be sent as "the current entry", send `e` first. */
  pin(e: Entry): void {
    if (this.entries.get(e.key) === null) this.entries.set(e.key, e);
  }

  store(key: string): void {
    this.stores.add(key);
    this.kick();
  }

  notice(version: DigestVersion): void {
    this.notices.set(version.key, version);
    this.kick();
  }

  initialSync(): void {
    this.initialPending = true;
    this.kick();
  }

  /** The peer answered the capability ping, so it is a polyp2p node: anti-entropy with it (an initial sync waiting for the pong goes on). */
  answeredPing(): void {
    this.ponged.notify();
    this.digest();
  }

  digest(): void {
    this.digestPending = true;
    this.kick();
  }

  /** True while a job runs or waits (tests and stats). */
  get busy(): boolean {
    return this.running;
  }

  private kick(): void {
    if (this.running || this.node.closed || this.peer.conn.closed) return;
    this.running = true;
    this.run()
      .catch((e: Error) => this.node.reportError(e, this.peer))
      .finally(() => {
        this.running = false;
        if (this.hasWork() && !this.node.closed && !this.peer.conn.closed) this.kick();
      });
  }

  private hasWork(): boolean {
    return this.wants.size > 0 || this.notices.size > 0 || this.entries.size > 0 || this.stores.size > 0 || this.initialPending || this.digestPending;
  }

  private async run(): Promise<void> {
    for (let job = this.nextJob(); job; job = this.nextJob()) {
      if (!(await job())) return;
    }
  }

  /** Small requests first (they let the peer start its own answers), the whole table last. */
  private nextJob(): Job | null {
    if (this.node.closed || this.peer.conn.closed) return null;
    if (this.wants.size) return this.wantJob();
    if (this.notices.size) return this.noticeJob();
    if (this.entries.size) return this.entriesJob();
    if (this.stores.size) return this.storesJob();
    if (this.initialPending) return this.initialJob();
    if (this.digestPending) return this.digestJob();
    return null;
  }

  private wantJob(): Job {
    const keys = [...this.wants];
    this.wants.clear();
    this.wantBytes = 0;
    return () => this.send('want', (skip) => wantPieces(keys, this.limit(), skip));
  }

  private noticeJob(): Job {
    const versions = [...this.notices.values()];
    this.notices.clear();
    return () => this.send('digest item', (skip) => digestPieces(versions, this.limit(), skip));
  }

  private entriesJob(): Job {
    const pending = [...this.entries];
    this.entries.clear();
    const table = this.node.table;
    function* current(): Generator<Entry> {
      for (const [key, first] of pending) {
        if (first) yield first;
        const e = table.any(key);
        if (e && e !== first) yield e;
      }
    }
    return () => this.send('entry', (skip) => entriesPieces(current(), this.limit(), skip));
  }

  private storesJob(): Job {
    const keys = [...this.stores];
    this.stores.clear();
    return () => this.send('value', (skip) => storePieces(this.liveOf(keys), this.limit(), skip));
  }

  /**
   * §14.5 for peers that are not polyp2p: every live key as an initial store.
   * A peer that answers the capability ping first gets the table through the
   * digest exchange instead (pieces of entries rather than a message per key).
   */
  private initialJob(): Job {
    this.initialPending = false;
    return async () => {
      if (!(await this.pongOrTimeout(INITIAL_SYNC_PONG_WAIT_MS))) return false;
      if (this.peer.answersPings) return true;
      const peer = this.peer;
      const table = this.node.table;
      function* live(): Generator<Entry> {
        for (const e of table.walk()) {
          if (peer.answersPings) return; // it answered late: anti-entropy takes over
          if (!e.deleted) yield e;
        }
      }
      return this.send('value', (skip) => storePieces(live(), this.limit(), skip));
    };
  }

  private digestJob(): Job {
    this.digestPending = false;
    if (!this.node.table.count) return () => this.send('digest', () => [{ payload: [SUB_DIGEST, []], bytes: 256 }]);
    return () => this.send('digest item', (skip) => digestPieces(this.node.table.walk(), this.limit(), skip));
  }

  private *liveOf(keys: string[]): Generator<Entry> {
    for (const k of keys) {
      const e = this.node.table.live(k);
      if (e) yield e;
    }
  }

  private limit(): number {
    return this.node.bodyLimitFor(this.peer);
  }

  /**
   * Writes each piece paced; a piece larger than the free part of the write
   * buffer waits until the queue is empty. Items too large for the peer are
   * left out and reported once per job (a peer advertising a small limit
   * cannot turn one request into thousands of error events).
   */
  private async send(what: string, build: (skip: Oversize) => Iterable<Piece>): Promise<boolean> {
    let skipped = 0;
    let first = '';
    const skip: Oversize = (key, bytes, limit) => {
      if (skipped++ === 0) first = `${JSON.stringify(key.slice(0, 64))} needs ${bytes} bytes, more than this peer accepts (${limit})`;
    };
    try {
      for (const piece of build(skip)) {
        if (!(await this.roomFor(piece.bytes))) return false;
        if (!(await sendPaced(this.node, this.peer, flags.whisper, [piece.payload]))) return false;
      }
      return true;
    } finally {
      if (skipped) {
        this.node.counters.tooLargeForPeer += skipped;
        this.node.reportError(new MessageTooLargeError(`${skipped} ${what}${skipped > 1 ? 's' : ''} not sent to this peer (${first}); raise maxFrameSize on every node`), this.peer);
      }
    }
  }

  private async roomFor(bytes: number): Promise<boolean> {
    const conn = this.peer.conn;
    const max = this.node.options.maxWriteBuffer;
    while (conn.queuedBytes > 0 && conn.queueCost + bytes + WRITE_OVERHEAD > max) {
      if (this.node.closed || conn.closed) return false;
      await drainOrClose(this.peer, 1000);
    }
    return !this.node.closed && !conn.closed;
  }

  /** Resolves true once the peer answered a ping or `ms` passed, false if it closed. */
  private async pongOrTimeout(ms: number): Promise<boolean> {
    const node = this.node;
    const conn = this.peer.conn;
    // a closing node closes its links
    await waitUntil(() => this.peer.answersPings || node.closed || conn.closed, [this.ponged.trigger, onEvent(conn, 'close')], ms);
    return !node.closed && !conn.closed;
  }
}
