// Trailers ("Signed-off-by: A <a@x>") live in the last paragraph of a commit message, as git interpret-trailers reads them.
import type { Trailer } from '../types.ts';

const TRAILER_LINE = /^([A-Za-z][A-Za-z0-9-]*[A-Za-z0-9]):\s*(\S.*)$/;
const KNOWN = new Set(
  [
    'signed-off-by', 'reviewed-by', 'acked-by', 'tested-by', 'reported-by', 'suggested-by', 'co-developed-by',
    'cc', 'fixes', 'link', 'closes', 'cc-stable', 'requested-by', 'debugged-by', 'originally-by',
  ],
);

export function readTrailers(commitMessage: string): Trailer[] {
  const paragraphs = commitMessage.replace(/\s+$/, '').split(/\n[ \t]*\n/);
  const last = paragraphs[paragraphs.length - 1] ?? '';
  const lines = last.split('\n').filter((l) => l.trim() !== '');
  const trailers: Trailer[] = [];
  let other = 0;
  for (const line of lines) {
    const m = TRAILER_LINE.exec(line);
    if (m) trailers.push({ name: m[1], value: m[2].trim() });
    else if (/^\s/.test(line) && trailers.length > 0) {
      // A folded continuation of the previous trailer.
      trailers[trailers.length - 1].value += ' ' + line.trim();
    } else if (!/^\s*\[.*\]\s*$/.test(line)) other++; // "[ akpm: ... ]" notes sit among trailers
  }
  // A paragraph of prose with one "Note: x" line is not a trailer block; git wants trailers to dominate,
  // or at least one well-known trailer name.
  const hasKnown = trailers.some((t) => KNOWN.has(t.name.toLowerCase()));
  if (trailers.length === 0 || (!hasKnown && other > 0)) return [];
  if (hasKnown && other > 0) return trailers.filter((t) => KNOWN.has(t.name.toLowerCase()));
  return trailers;
}
