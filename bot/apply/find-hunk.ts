// Which hunk git am choked on: git names the file and the line the hunk claimed ("patch failed: mm/swap.c:9");
// the hunk of that file whose old start is nearest that line is the one to quote.
import type { FileDiff } from '../types.ts';
import { scanPatch } from './scan-patch.ts';

/** The header ("@@ -9,4 +9,5 @@ ...") of the hunk of `file` nearest `line` (the first hunk when no line). */
export function findHunk(patchText: string, files: FileDiff[], file: string, line?: number): string | undefined {
  let hunks: Array<{ header: string; oldStart: number }> = files.find((f) => f.to === file || f.from === file)?.hunks ?? [];
  if (hunks.length === 0) {
    // No parsed diff (or the parser missed this file): read the raw text ourselves.
    hunks = scanPatch(patchText).sections.find((s) => s.names.includes(file))?.hunks ?? [];
  }
  if (hunks.length === 0) return undefined;
  if (line === undefined) return hunks[0].header;
  let best = hunks[0];
  for (const h of hunks) if (Math.abs(h.oldStart - line) < Math.abs(best.oldStart - line)) best = h;
  return best.header;
}
