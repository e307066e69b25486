/**
 * Prometheus's text exposition format, version 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/): each
 * metric family as `# HELP`, `# TYPE` and its samples, one per line, label
 * values and help text escaped, every line ending with a newline.
 */

export type MetricType = 'counter' | 'gauge';

/** One sample of a family: its labels, in order, and its value. */
export interface Sample {
  labels: ReadonlyArray<readonly [name: string, value: string]>;
  value: number;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Throws a TypeError unless `name` is a valid metric name. */
export function checkMetricName(name: string): void {
  if (!METRIC_NAME.test(name)) throw new TypeError(`${JSON.stringify(name)} is not a Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)`);
}

/** Throws a TypeError unless `name` is a label name a user may set (names starting with __ are reserved). */
export function checkLabelName(name: string): void {
  if (!LABEL_NAME.test(name) || name.startsWith('__')) throw new TypeError(`${JSON.stringify(name)} is not a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with __)`);
}

/** A label value inside its double quotes: backslash, double quote and line feed escaped. */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

/** Help text: backslash and line feed escaped (a double quote stays as it is). */
export function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (c) => (c === '\n' ? '\\n' : '\\\\'));
}

/** A sample value as Go's ParseFloat reads it: NaN, +Inf and -Inf spelled out. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** One family's lines, appended to `out`; a family without samples writes nothing. */
export function writeFamily(out: string[], name: string, type: MetricType, help: string, samples: readonly Sample[]): void {
  if (!samples.length) return;
  out.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
  for (const s of samples) {
    const labels = s.labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',');
    out.push(`${name}${labels ? `{${labels}}` : ''} ${formatValue(s.value)}`);
  }
}
