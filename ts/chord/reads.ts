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
import { legacyLookup, type LegacySlot } from './legacy';
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

interface Answer {
  answered: boolean;
  value: unknown;
  final: boolean;
  changedAt: number;
  legacy?: LegacySlot;
}

export function readQuorum(node: ChordNode, slots: Slot[], options: ReadOptions & { timeout: number }): Promise<unknown> {
  const answers: Answer[] = slots.map(() => ({ answered: false, value: undefined, final: false, changedAt: Date.now() }));
  const keyText = () => slots[0].b58.slice(0, 8);
  return new Promise((resolve, reject) => {
    let done = false;
    const started = Date.now();
    const finish = (err: Error | null, value?: unknown) => {
      if (done) return;
      done = true;
      clearInterval(poll);
      if (err) reject(err);
      else resolve(value);
    };
    const evaluate = () => {
      if (done) return;
      const now = Date.now();
      for (const a of answers) {
        if (a.legacy && a.legacy.changedAt >= a.changedAt && a.legacy.answered) {
          a.answered = true;
          a.value = a.legacy.value;
          a.changedAt = a.legacy.changedAt;
        }
      }
      const groups = new Map<string, { value: unknown; n: number }>();
      let absent = 0;
      let finalAbsent = 0;
      let lastAbsentChange = 0;
      let answered = 0;
      let allFinal = true;
      let lastChange = 0;
      for (const a of answers) {
        if (!a.answered) {
          allFinal = false;
          continue;
        }
        answered++;
        lastChange = Math.max(lastChange, a.changedAt);
        if (!a.final) allFinal = false;
        if (a.value === undefined) {
          absent++;
          if (a.final) finalAbsent++;
          lastAbsentChange = Math.max(lastAbsentChange, a.changedAt);
          continue;
        }
        const k = valueKey(a.value);
        const g = groups.get(k);
        if (g) g.n++;
        else groups.set(k, { value: a.value, n: 1 });
      }
      for (const g of groups.values()) if (g.n >= READ_QUORUM) return finish(null, g.value);
      if (absent >= READ_QUORUM && (finalAbsent >= READ_QUORUM || now - lastAbsentChange >= node.chord.missGrace)) {
        return finish(new NotFoundError(`no value: ${absent} of the five tables answered "absent"`));
      }
      if (answered === answers.length && (allFinal || now - lastChange >= node.chord.missGrace)) {
        const counts = [...groups.values()].map((g) => g.n);
        return finish(new QuorumError(`no value agreed by ${READ_QUORUM} of the five tables (answers: ${counts.join('/') || 'none'} agreeing, ${absent} absent)`));
      }
      if (now - started >= options.timeout) {
        finish(new TimeoutError(`read of ${keyText()}… timed out after ${options.timeout} ms with ${answered} of 5 tables answered`));
      }
    };
    const poll = setInterval(evaluate, 100);
    poll.unref?.();
    const overlay = node.mode === 'overlay';
    slots.forEach((s, i) => {
      const a = answers[i];
      if (overlay) {
        const fallback = originalsCopy(node, s);
        const ask = (): void => {
          const left = options.timeout - (Date.now() - started);
          if (done || left <= 0 || node.closed) return;
          void node.overlay.requests.lookup(s, 'get', undefined, Math.min(left, ATTEMPT_MS)).then((ans) => {
            if (ans.status === 'ok' || ans.status === 'absent') {
              a.answered = true;
              a.final = ans.status === 'ok' || !fallback;
              a.value = ans.status === 'ok' ? ans.value : fallback?.answered ? fallback.value : undefined;
              a.changedAt = Date.now();
              if (!a.final) a.legacy = fallback; // a later answer of the original counts
            } else setTimeout(ask, 100).unref?.(); // a route broke or the request was lost: ask again
            evaluate();
          });
        };
        ask();
        return;
      }
      const r = legacyLookup(node, s.table, s.pos);
      if ('local' in r) {
        a.answered = true;
        a.final = true;
        a.value = r.local;
      } else a.legacy = r.slot;
    });
    evaluate();
  });
}

/** The pending retrieve of a table from the closest original neighbour, when it is closer than this node. */
function originalsCopy(node: ChordNode, s: Slot): LegacySlot | undefined {
  const target = closestOriginal(node, s.pos);
  if (!target) return undefined;
  const r = legacyLookup(node, s.table, s.pos, undefined, target);
  return 'slot' in r ? r.slot : undefined;
}
