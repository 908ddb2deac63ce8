// Splits a patch mail body the way git am does: commit message, then "---" (diffstat, notes), then the diff.
import type { FileDiff, Trailer } from '../types.ts';
import { parseFileDiffs } from './parse-file-diffs.ts';
import { readTrailers } from './read-trailers.ts';

export interface SplitPatch {
  /** The commit message: everything before the "---" separator or the first diff. */
  commitMessage: string;
  /** From the separator on, when the body holds a diff. */
  patch?: string;
  diff: FileDiff[];
  trailers: Trailer[];
  baseCommit?: string;
  prerequisitePatchIds: string[];
}

const BASE_COMMIT = /^base-commit:\s*([0-9a-f]{7,40})\s*$/gm;
const PREREQUISITE = /^prerequisite-patch-id:\s*([0-9a-f]{40})\s*$/gm;

export function splitPatch(body: string): SplitPatch {
  const text = body.replace(/\r\n/g, '\n');
  const lines = text.split('\n');
  const firstDiff = lines.findIndex(
    (l, i) => l.startsWith('diff --git ') || (l.startsWith('--- ') && (lines[i + 1] ?? '').startsWith('+++ ')),
  );
  // "---" alone ends the commit message; only the first one before the diff counts (a later "---" may be inside notes).
  const separatorLimit = firstDiff < 0 ? lines.length : firstDiff;
  const separator = lines.slice(0, separatorLimit).findIndex((l) => l === '---');
  const cut = separator >= 0 ? separator : firstDiff >= 0 ? firstDiff : lines.length;

  const commitMessage = lines.slice(0, cut).join('\n').replace(/\s+$/, '') + '\n';
  const diff = firstDiff >= 0 ? parseFileDiffs(lines.slice(firstDiff).join('\n')) : [];
  const result: SplitPatch = {
    commitMessage,
    diff,
    trailers: readTrailers(commitMessage),
    prerequisitePatchIds: [...text.matchAll(PREREQUISITE)].map((m) => m[1]),
  };
  if (diff.length > 0) result.patch = lines.slice(cut).join('\n');
  const base = [...text.matchAll(BASE_COMMIT)].map((m) => m[1]);
  if (base.length > 0) result.baseCommit = base[base.length - 1];
  return result;
}
