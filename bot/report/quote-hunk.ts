// Quotes the diff lines a finding is about, as a reviewer trims a patch down to the part they discuss.

const GAP = '> [...]';

/**
 * The lines prefixed with "> ". When there are more than `maxLines`, only the changed lines with
 * `context` lines around them are kept, and each cut is marked "> [...]".
 */
export function quoteHunk(lines: string[], maxLines = 16, context = 3): string[] {
  const q = (l: string) => `> ${l}`.trimEnd();
  if (lines.length <= maxLines) return lines.map(q);
  const keep = new Array<boolean>(lines.length).fill(false);
  lines.forEach((l, i) => {
    if (l.startsWith('+') || l.startsWith('-')) {
      for (let j = Math.max(0, i - context); j <= Math.min(lines.length - 1, i + context); j++) keep[j] = true;
    }
  });
  if (!keep.includes(true)) keep.fill(true, 0, maxLines);
  const out: string[] = [];
  let kept = 0;
  for (let i = 0; i < lines.length; i++) {
    if (!keep[i]) {
      if (out.at(-1) !== GAP) out.push(GAP);
      continue;
    }
    if (kept === maxLines) {
      if (out.at(-1) !== GAP) out.push(GAP);
      break;
    }
    out.push(q(lines[i]!));
    kept++;
  }
  return out;
}
