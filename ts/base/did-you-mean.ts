/**
 * "Did you mean …?" for misspelled names (options, CLI commands and flags):
 * the known name nearest to what was typed, by edit distance.
 */

/**
 * Edit distance with adjacent transpositions (optimal string alignment): a
 * swapped pair ('prot' for 'port') costs one edit, as a typist makes it.
 */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) rows.push([i]);
  for (let j = 1; j <= b.length; j++) rows[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2][j - 2] + 1);
      rows[i][j] = d;
    }
  }
  return rows[a.length][b.length];
}

/** Case, '_' and '-' do not count: 'max_outgoing' and 'MaxOutgoing' are both 'maxOutgoing' misspelled. */
const folded = (name: string) => name.toLowerCase().replace(/[-_]/g, '');

/**
 * The known name closest to `name`, when it is close enough to be a slip (at
 * most one edit in three characters, and at least one); undefined otherwise.
 */
export function closestName(name: string, known: Iterable<string>): string | undefined {
  const typed = folded(name);
  const allowed = Math.max(1, Math.floor(typed.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = editDistance(typed, folded(candidate));
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return bestDistance <= allowed ? best : undefined;
}
