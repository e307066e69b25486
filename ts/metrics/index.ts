/**
 * `polyp2p/metrics`: one or more nodes' stats() as Prometheus text
 * (exposition format 0.0.4), for a `/metrics` endpoint. Dependency-free:
 * which field becomes which metric is in families.ts, the format in
 * exposition.ts.
 *
 * ```js
 * const { metrics, CONTENT_TYPE } = require('polyp2p/metrics');
 * res.setHeader('Content-Type', CONTENT_TYPE);
 * res.end(metrics([mesh, sync], { labels: { instance: 'eu-1' } }));
 * ```
 */
import type { MeshStats } from '../mesh/stats';
import type { SyncStats } from '../sync/stats';
import type { ChordStats } from '../chord/chord-node';
import { checkLabelName, checkMetricName, writeFamily, type Sample } from './exposition';
import { chordFamilies, meshFamilies, peerFamilies, syncFamilies, type Family } from './families';

export type { MeshStats } from '../mesh/stats';
export type { SyncStats, SyncNodeStats, SyncApplied } from '../sync/stats';
export type { ChordStats, ChordNodeStats } from '../chord/chord-node';

/** The Content-Type of the text metrics() returns. */
export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** What stats() returns on any node: the mesh's fields, with `sync` on a SyncNode and `chord` on a ChordNode. */
export interface NodeStats extends MeshStats {
  sync?: SyncStats;
  chord?: ChordStats;
}

/** A node (MeshNode, SyncNode, ChordNode), or anything else whose stats() has that shape. */
export interface StatsSource {
  stats(): NodeStats;
}

export interface MetricsOptions {
  /** Prepended to every metric name (default 'polyp2p_'). */
  prefix?: string;
  /** Labels added to every sample after `node` (e.g. `{ instance: 'eu-1' }`); values are escaped. */
  labels?: Record<string, string>;
  /**
   * Also one series per open connection (`connection_*` with labels `peer` and
   * `address`). Off by default: their number follows the peers', and each
   * starts again from 0 when its connection is replaced.
   */
  perPeer?: boolean;
}

type Label = readonly [string, string];

const isSource = (x: unknown): x is StatsSource => typeof (x as StatsSource | null)?.stats === 'function';
const isStats = (x: unknown): x is NodeStats => typeof (x as NodeStats | null)?.framesIn === 'number';

/** Snapshots: one stats() call per node, so every family of a node is read at one moment. */
function snapshots(nodes: StatsSource | NodeStats | Iterable<StatsSource | NodeStats>): NodeStats[] {
  // a node is tested first: a SyncNode is iterable too (its entries)
  const list = isSource(nodes) || isStats(nodes) ? [nodes] : [...nodes];
  return list.map((n) => {
    if (isSource(n)) return n.stats();
    if (isStats(n)) return n;
    throw new TypeError('metrics() takes nodes (objects with stats()), stats() results, or a list of them');
  });
}

function samplesOf<S>(family: Family<S>, rows: ReadonlyArray<readonly [S, Label[]]>): Sample[] {
  const out: Sample[] = [];
  for (const [s, labels] of rows) {
    const v = family.value(s);
    if (typeof v === 'number' || typeof v === 'boolean') out.push({ labels, value: Number(v) });
    else for (const [kind, n] of Object.entries(v)) out.push({ labels: [...labels, [family.label as string, kind]], value: n });
  }
  return out;
}

/**
 * The Prometheus text (format 0.0.4) of `nodes`' stats(): each family once,
 * with one sample per node labelled `node="<its ID>"`. Sync and chord
 * families appear when some node has that section. Counters only grow while
 * a node runs; a restarted node starts them from 0 again, as Prometheus
 * expects of counters.
 */
export function metrics(nodes: StatsSource | NodeStats | Iterable<StatsSource | NodeStats>, options: MetricsOptions = {}): string {
  const prefix = options.prefix ?? 'polyp2p_';
  checkMetricName(`${prefix}x`);
  const extra = Object.entries(options.labels ?? {}).map(([k, v]): Label => {
    checkLabelName(k);
    if (k === 'node' || (options.perPeer && (k === 'peer' || k === 'address'))) throw new TypeError(`the label "${k}" is set by metrics() itself`);
    return [k, String(v)];
  });
  const all = snapshots(nodes).map((s): [NodeStats, Label[]] => [s, [['node', s.id], ...extra]]);
  const out: string[] = [];
  const write = <S>(families: Family<S>[], rows: ReadonlyArray<readonly [S, Label[]]>) => {
    for (const f of families) writeFamily(out, prefix + f.name, f.type, f.help, samplesOf(f, rows));
  };
  write(meshFamilies, all);
  write(
    syncFamilies,
    all.filter(([s]) => s.sync).map(([s, l]) => [s.sync as SyncStats, l] as const),
  );
  write(
    chordFamilies,
    all.filter(([s]) => s.chord).map(([s, l]) => [s.chord as ChordStats, l] as const),
  );
  if (options.perPeer) {
    const rows = all.flatMap(([s, l]) => s.perPeer.map((r) => [r, [...l, ['peer', r.id ?? ''], ['address', `${r.host ?? ''}:${r.port ?? ''}`]] as Label[]] as const));
    write(peerFamilies, rows);
  }
  return out.length ? out.join('\n') + '\n' : '';
}
