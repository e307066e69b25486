/**
 * Quorum reads: a value is returned once three of the five tables agree on it
 * (py2p's rule; js2p's off-by-one accepts two). A key is missing once three
 * tables answer "absent" for good: overlay answers and local lookups are
 * final, but an original that forwards a retrieve first answers nil and the
 * real value later (§15.4), so such nils only count after `missGrace` ms
 * without a newer answer.
 *
 * In overlay mode a table the ring answers "absent" for is also asked of the
 * original neighbour closest at or before its position, when that original
 * is closer than this node (an original keeps the writes its own find()
 * placed on itself); its answer counts like any legacy answer. It can only
 * fill a table the ring holds nothing for, never replace the ring's value.
 */
import { NotFoundError, QuorumError, TimeoutError } from '../base/errors';
import type { ChordNode } from './chord-node';
import { legacyLookup } from './legacy';
import type { LegacySlot } from './legacy-pending';
import { closestOriginal } from './legacy-handover';
import { READ_QUORUM, valueKey, type Slot } from './positions';
// A read's single lookup is also bounded by ATTEMPT_MS: a request lost on the way (a link
// closed under it while nodes come and go) is asked again after it. Gets are idempotent.
import { ATTEMPT_MS } from './requests';

export interface ReadOptions {
  /** ms before the read gives up (default: the node's `timeout`, 10 000). */
  timeout?: number;
  /** Rejects the read with an AbortError (code ABORT_ERR) when it fires. */
  signal?: AbortSignal;
}

/** One table's answer so far. */
interface Answer {
  answered: boolean;
  value: unknown;
  final: boolean;
  changedAt: number;
  /** An original's pending retrieve: its later answers count. */
  legacy?: LegacySlot;
}

/** The answers counted: agreeing values, absent ones, and when they last changed. */
interface Tally {
  groups: Map<string, { value: unknown; n: number }>;
  answered: number;
  absent: number;
  finalAbsent: number;
  allFinal: boolean;
  lastChange: number;
  lastAbsentChange: number;
}

function tally(answers: Answer[]): Tally {
  const t: Tally = { groups: new Map(), answered: 0, absent: 0, finalAbsent: 0, allFinal: true, lastChange: 0, lastAbsentChange: 0 };
  for (const a of answers) {
    if (!a.answered) {
      t.allFinal = false;
      continue;
    }
    t.answered++;
    t.lastChange = Math.max(t.lastChange, a.changedAt);
    if (!a.final) t.allFinal = false;
    if (a.value === undefined) {
      t.absent++;
      if (a.final) t.finalAbsent++;
      t.lastAbsentChange = Math.max(t.lastAbsentChange, a.changedAt);
      continue;
    }
    const k = valueKey(a.value);
    const g = t.groups.get(k);
    if (g) g.n++;
    else t.groups.set(k, { value: a.value, n: 1 });
  }
  return t;
}

export function readQuorum(node: ChordNode, slots: Slot[], options: ReadOptions & { timeout: number }): Promise<unknown> {
  return new Promise((resolve, reject) => new QuorumRead(node, slots, options.timeout, (err, value) => (err ? reject(err) : resolve(value))).start());
}

/**
 * One read: the tables are asked, and the answers judged whenever one
 * arrives (an overlay answer, an original's retrieved) and when a grace
 * period or the timeout runs out.
 */
class QuorumRead {
  private readonly answers: Answer[];
  private readonly started = Date.now();
  private done = false;
  /** Wakes the read when missGrace or the timeout runs out. */
  private timer: NodeJS.Timeout | null = null;
  private readonly evaluate = () => this.judge();

  constructor(
    private readonly node: ChordNode,
    private readonly slots: Slot[],
    private readonly timeout: number,
    private readonly settle: (err: Error | null, value?: unknown) => void,
  ) {
    this.answers = slots.map(() => ({ answered: false, value: undefined, final: false, changedAt: Date.now() }));
  }

  start(): void {
    const overlay = this.node.mode === 'overlay';
    this.slots.forEach((s, i) => (overlay ? this.askOverlay(s, this.answers[i], originalsCopy(this.node, s)) : this.askLegacy(s, this.answers[i])));
    this.judge();
  }

  private askOverlay(s: Slot, a: Answer, fallback: LegacySlot | undefined): void {
    const left = this.timeout - (Date.now() - this.started);
    if (this.done || left <= 0 || this.node.closed) return;
    void this.node.overlay.requests.lookup(s, 'get', undefined, Math.min(left, ATTEMPT_MS)).then((ans) => {
      if (ans.status === 'ok' || ans.status === 'absent') {
        a.answered = true;
        a.final = ans.status === 'ok' || !fallback;
        a.value = ans.status === 'ok' ? ans.value : fallback?.answered ? fallback.value : undefined;
        a.changedAt = Date.now();
        if (!a.final) this.watch(a, fallback!); // a later answer of the original counts
      } else setTimeout(() => this.askOverlay(s, a, fallback), 100).unref?.(); // a route broke or the request was lost: ask again
      this.judge();
    });
  }

  private askLegacy(s: Slot, a: Answer): void {
    const r = legacyLookup(this.node, s.table, s.pos);
    if ('local' in r) {
      a.answered = true;
      a.final = true;
      a.value = r.local;
    } else this.watch(a, r.slot);
  }

  private watch(a: Answer, slot: LegacySlot): void {
    a.legacy = slot;
    slot.watchers.add(this.evaluate);
  }

  /** Take the originals' answers that came since, then decide, or sleep until the next deadline. */
  private judge(): void {
    if (this.done) return;
    const now = Date.now();
    for (const a of this.answers) {
      if (a.legacy && a.legacy.changedAt >= a.changedAt && a.legacy.answered) {
        a.answered = true;
        a.value = a.legacy.value;
        a.changedAt = a.legacy.changedAt;
      }
    }
    const t = tally(this.answers);
    const outcome = this.outcome(t, now);
    if (outcome) this.finish(outcome);
    else this.wakeAt(this.nextDeadline(t));
  }

  /** The read's result when the answers decide it by `now`: a value, or why there is none. */
  private outcome(t: Tally, now: number): { value: unknown } | { error: Error } | null {
    const grace = this.node.chord.missGrace;
    for (const g of t.groups.values()) if (g.n >= READ_QUORUM) return { value: g.value };
    if (t.absent >= READ_QUORUM && (t.finalAbsent >= READ_QUORUM || now - t.lastAbsentChange >= grace)) {
      return { error: new NotFoundError(`no value: ${t.absent} of the five tables answered "absent"`) };
    }
    if (t.answered === this.answers.length && (t.allFinal || now - t.lastChange >= grace)) {
      const counts = [...t.groups.values()].map((g) => g.n);
      return { error: new QuorumError(`no value agreed by ${READ_QUORUM} of the five tables (answers: ${counts.join('/') || 'none'} agreeing, ${t.absent} absent)`) };
    }
    if (now - this.started >= this.timeout) {
      const key = this.slots[0].b58.slice(0, 8);
      return { error: new TimeoutError(`read of ${key}… timed out after ${this.timeout} ms with ${t.answered} of 5 tables answered`) };
    }
    return null;
  }

  /** When the answers held now could decide the read by time alone: a grace period ends, or the timeout. */
  private nextDeadline(t: Tally): number {
    const grace = this.node.chord.missGrace;
    let at = this.started + this.timeout;
    if (t.absent >= READ_QUORUM) at = Math.min(at, t.lastAbsentChange + grace);
    if (t.answered === this.answers.length) at = Math.min(at, t.lastChange + grace);
    return at;
  }

  private wakeAt(at: number): void {
    if (this.timer) clearTimeout(this.timer);
    // a timer may fire a millisecond before Date.now() reaches `at`: judge() then sets the next one
    this.timer = setTimeout(this.evaluate, Math.max(1, at - Date.now()));
    this.timer.unref?.();
  }

  private finish(outcome: { value: unknown } | { error: Error }): void {
    this.done = true;
    if (this.timer) clearTimeout(this.timer);
    for (const a of this.answers) a.legacy?.watchers.delete(this.evaluate);
    if ('error' in outcome) this.settle(outcome.error);
    else this.settle(null, outcome.value);
  }
}

/** The pending retrieve of a table from the closest original neighbour, when it is closer than this node. */
function originalsCopy(node: ChordNode, s: Slot): LegacySlot | undefined {
  const target = closestOriginal(node, s.pos);
  if (!target) return undefined;
  const r = legacyLookup(node, s.table, s.pos, undefined, target);
  return 'slot' in r ? r.slot : undefined;
}
