// A single 3 MB line is never a reviewable patch (git format-patch wraps nothing, but no source line is that long),
// and it makes every later regex slow; refuse it before parsing.

export const DEFAULT_MAX_LINE_BYTES = 64 * 1024;

/** The length of the longest line, stopping early once a line exceeds `limit`. */
export function longestLine(raw: Buffer, limit: number): number {
  let start = 0;
  let longest = 0;
  while (start <= raw.length) {
    let end = raw.indexOf(0x0a, start);
    if (end < 0) end = raw.length;
    const len = end - start - (end > start && raw[end - 1] === 0x0d ? 1 : 0);
    if (len > longest) longest = len;
    if (longest > limit) return longest;
    start = end + 1;
  }
  return longest;
}
