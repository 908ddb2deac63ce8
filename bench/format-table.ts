// Plain-text tables for the bench output: a header row, a rule, columns padded to their widest cell; cells
// that look like numbers are right-aligned.

const NUMERIC = /^[-+]?[\d.,]+(?:\s?(?:ms|s|x|%|MiB|KiB))?$/;

export function formatTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (NUMERIC.test(c) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** "1234" ms as "1234", with no decimals; undefined as "-". */
export const ms = (v: number | undefined): string => (v === undefined ? '-' : v.toFixed(0));
/** A ratio as "2.35x". */
export const ratio = (a: number | undefined, b: number | undefined): string => (a === undefined || !b ? '-' : `${(a / b).toFixed(2)}x`);
/** KiB as MiB with one decimal. */
export const mib = (kb: number | undefined): string => (kb === undefined ? '-' : (kb / 1024).toFixed(1));
