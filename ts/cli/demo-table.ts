/** The demo's text tables: columns padded to their widest cell. */
export function textTable(header: string[], rows: string[][]): string[] {
  const widths = header.map((x, c) => Math.max(x.length, ...rows.map((r) => r[c].length)));
  const line = (r: string[]) => r.map((x, c) => x.padEnd(widths[c])).join('  ');
  return [line(header), ...rows.map(line)];
}
