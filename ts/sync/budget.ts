/**
 * Byte budgets of a sync table (README "Sync table", limits): a cap on
 * everything the table holds and a cap on what one writer (owner ID) may
 * place in it, so that no peer can make a node store without bound. Running
 * totals, O(1) per change; the table charges an entry when it stores it and
 * releases exactly that charge when the entry is replaced, deleted or pruned.
 */

/** Per-entry bytes besides key, value and owner: timestamp, flags, bookkeeping. */
export const ENTRY_OVERHEAD_BYTES = 16;

export interface BudgetLimits {
  /** Cap on the bytes of every entry together (tombstones included). */
  maxTableBytes: number;
  /** Cap on the bytes of the entries one owner wrote (this node's own writes excepted). */
  maxBytesPerOwner: number;
}

/** What a stored entry was charged, and to whom. */
export interface Charge {
  owner: string;
  bytes: number;
}

/** The charge of an entry: key and owner as UTF-8, the value's msgpack size (0 for a tombstone), and the overhead. */
export function entryBytes(key: string, owner: string, valueBytes: number): number {
  return Buffer.byteLength(key, 'utf8') + Buffer.byteLength(owner, 'utf8') + valueBytes + ENTRY_OVERHEAD_BYTES;
}

function mib(n: number): string {
  return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
}

export class TableBudget {
  /** Bytes charged for every entry the table holds. */
  total = 0;
  private readonly byOwner = new Map<string, number>();

  /** `isOwnId` tells this node's own ID (known only once it listens), whose writes have no per-owner cap. */
  constructor(
    readonly limits: BudgetLimits,
    private readonly isOwnId: (owner: string) => boolean,
  ) {}

  /** Bytes charged to one owner's entries. */
  ownerBytes(owner: string): number {
    return this.byOwner.get(owner) ?? 0;
  }

  /**
   * Why replacing `prev` (absent: a new key) by an entry of `bytes` written
   * by `owner` would break a budget, or null when it fits. A change never
   * breaks a budget it does not grow: replacing a value by a smaller one, or
   * deleting, always fits.
   */
  refusal(prev: Charge | undefined, owner: string, bytes: number): string | null {
    const total = this.total - (prev?.bytes ?? 0) + bytes;
    if (total > this.total && total > this.limits.maxTableBytes) {
      return `the table would hold ${mib(total)}, over its budget of ${mib(this.limits.maxTableBytes)} (raise maxTableBytes)`;
    }
    if (this.isOwnId(owner)) return null;
    const share = this.ownerBytes(owner);
    const next = share - (prev && prev.owner === owner ? prev.bytes : 0) + bytes;
    if (next > share && next > this.limits.maxBytesPerOwner) {
      return `writer ${owner.slice(0, 16)} would hold ${mib(next)} in the table, over its budget of ${mib(this.limits.maxBytesPerOwner)} per writer (raise maxBytesPerOwner)`;
    }
    return null;
  }

  charge(c: Charge): void {
    this.total += c.bytes;
    this.byOwner.set(c.owner, this.ownerBytes(c.owner) + c.bytes);
  }

  release(c: Charge): void {
    this.total -= c.bytes;
    const left = this.ownerBytes(c.owner) - c.bytes;
    if (left > 0) this.byOwner.set(c.owner, left);
    else this.byOwner.delete(c.owner);
  }
}
