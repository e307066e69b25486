/**
 * Copies a replica-set member answered without holding (0x35 status 0, not held, or 3, refused):
 * each is sent to it again at the next rounds, at most RETRIES times, instead of waiting for the
 * full repair (repairInterval). Tries are counted per copy (member, slot and version) and kept
 * until the member holds that copy, a newer version replaces it, or the full repair runs: pushes
 * that keep coming do not restart them. Only the slot and version are kept (the value sent is
 * the store's at that time), within fixed caps.
 */
import type { Member } from './ring';
import { compareVersions, type Item, type Version } from './store';
import type { TableName } from './positions';
import { holds } from './wire';

/** Times a copy a member did not hold is sent to it again before the full repair is left to heal it. */
export const RETRIES = 3;
/** Members, and copies per member, remembered (beyond: left to the full repair). */
const MAX_MEMBERS = 64;
const MAX_COPIES = 1000;

export interface MissedCopy {
  table: TableName;
  pos: bigint;
  ver: Version;
  tries: number;
}

export class CopyRetries {
  private readonly byMember = new Map<string, { member: Member; copies: Map<string, MissedCopy> }>();

  /** A member's answers (`statuses[i]` for `items[i]`; undefined: not sent or not answered). */
  note(member: Member, items: Item[], statuses: (number | undefined)[]): void {
    let entry = this.byMember.get(member.id);
    items.forEach((it, i) => {
      const status = statuses[i];
      if (status === undefined) return;
      const slot = `${it.table}:${it.pos}`;
      const prev = entry?.copies.get(slot);
      const order = prev ? compareVersions(it.ver, prev.ver) : 1;
      if (holds(status)) {
        if (prev && order >= 0) entry!.copies.delete(slot);
        return;
      }
      if (order === 0 || order < 0) return; // already counted (a later push must not restart it), or older
      if (!entry) {
        if (this.byMember.size >= MAX_MEMBERS) return;
        entry = { member, copies: new Map() };
        this.byMember.set(member.id, entry);
      }
      if (!prev && entry.copies.size >= MAX_COPIES) return;
      entry.copies.set(slot, { table: it.table, pos: it.pos, ver: it.ver, tries: 0 });
    });
  }

  /** The copies due again now, by member; each counts as one more try. */
  take(): { member: Member; copies: MissedCopy[] }[] {
    const due: { member: Member; copies: MissedCopy[] }[] = [];
    for (const { member, copies } of this.byMember.values()) {
      const left = [...copies.values()].filter((c) => c.tries < RETRIES);
      for (const c of left) c.tries++;
      if (left.length) due.push({ member, copies: left });
    }
    return due;
  }

  /** The full repair sends everything again: counting starts over. */
  clear(): void {
    this.byMember.clear();
  }
}
