// Cuts a patch into its per-file sections and reads each: parse-diff for hunks, our own reading of git's
// extended headers (modes, renames, binary), because those are what the apply stage must refuse or allow.
import parseDiff from 'parse-diff';
import type { FileDiff, Hunk } from '../types.ts';

const EXTENDED_HEADER =
  /^(old mode|new mode|deleted file mode|new file mode|copy from|copy to|rename from|rename to|similarity index|dissimilarity index|index) /;
const HUNK_HEADER = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;
const BINARY_DATA = /^(literal \d+|delta \d+|[A-Za-z][0-9A-Za-z!#$%&()*+\-;<=>?@^_`{|}~]*|)$/;

/** The sections of a patch, each exactly the lines of one file's diff (no diffstat, no mail signature). */
export function cutSections(patch: string): string[][] {
  const lines = patch.split('\n');
  const sections: string[][] = [];
  let i = 0;
  while (i < lines.length) {
    const isGit = lines[i].startsWith('diff --git ');
    const isPlain = !isGit && lines[i].startsWith('--- ') && (lines[i + 1] ?? '').startsWith('+++ ');
    if (!isGit && !isPlain) {
      i++;
      continue;
    }
    const section: string[] = [lines[i++]];
    let inBinary = false;
    // Extended headers and ---/+++ lines.
    while (i < lines.length) {
      const l = lines[i];
      if (inBinary) {
        if (l.startsWith('diff --git ') || !BINARY_DATA.test(l)) break;
        // A blank line after the last data block (reverse patch included) ends the binary patch.
        section.push(l);
        i++;
        continue;
      }
      if (EXTENDED_HEADER.test(l) || l.startsWith('Binary files ') || (l.startsWith('+++ ') && section.length > 0) ||
        (l.startsWith('--- ') && isGit)) {
        section.push(l);
        i++;
      } else if (l === 'GIT binary patch') {
        section.push(l);
        inBinary = true;
        i++;
      } else break;
    }
    // Hunks, counted so the section ends exactly where the last hunk does.
    while (!inBinary && i < lines.length) {
      const m = HUNK_HEADER.exec(lines[i]);
      if (!m) break;
      section.push(lines[i++]);
      let oldLeft = m[2] === undefined ? 1 : Number(m[2]);
      let newLeft = m[4] === undefined ? 1 : Number(m[4]);
      while (i < lines.length && (oldLeft > 0 || newLeft > 0)) {
        const l = lines[i];
        const c = l[0];
        if (c === '-') oldLeft--;
        else if (c === '+') newLeft--;
        else if (c === ' ' || l === '') {
          // Some mailers strip the trailing space of an empty context line.
          oldLeft--;
          newLeft--;
        } else if (c !== '\\') break; // a short hunk: stop rather than swallow the mail signature
        section.push(l);
        i++;
      }
      while (i < lines.length && lines[i].startsWith('\\')) section.push(lines[i++]);
    }
    // Trailing empty lines after a binary patch belong to the separator, not the file.
    while (inBinary && section.length > 1 && section[section.length - 1] === '') section.pop();
    sections.push(section);
  }
  return sections;
}

export function parseFileDiffs(patch: string): FileDiff[] {
  return cutSections(patch).map(readSection);
}

function readSection(lines: string[]): FileDiff {
  const text = lines.join('\n') + '\n';
  let from: string | null | undefined;
  let to: string | null | undefined;
  let newMode: string | undefined;
  let renameFrom: string | undefined;
  let renameTo: string | undefined;
  let isBinary = false;
  let isNew = false;
  let isDeleted = false;
  for (const l of lines) {
    if (l.startsWith('@@')) break;
    if (l.startsWith('new file mode ')) {
      newMode = l.slice('new file mode '.length).trim();
      isNew = true;
    } else if (l.startsWith('new mode ')) newMode = l.slice('new mode '.length).trim();
    else if (l.startsWith('deleted file mode ')) isDeleted = true;
    else if (l.startsWith('rename from ') || l.startsWith('copy from ')) renameFrom = unquote(l.replace(/^(rename|copy) from /, ''));
    else if (l.startsWith('rename to ') || l.startsWith('copy to ')) renameTo = unquote(l.replace(/^(rename|copy) to /, ''));
    else if (l.startsWith('Binary files ') || l === 'GIT binary patch') isBinary = true;
    else if (l.startsWith('--- ')) from = pathOf(l.slice(4), 'a/');
    else if (l.startsWith('+++ ')) to = pathOf(l.slice(4), 'b/');
  }
  // Renames without content change and mode-only or binary changes have no ---/+++ lines.
  const fromGitLine = pathsFromDiffGitLine(lines[0]);
  if (from === undefined) from = isNew ? null : renameFrom ?? fromGitLine?.[0] ?? null;
  if (to === undefined) to = isDeleted ? null : renameTo ?? fromGitLine?.[1] ?? null;
  if (isBinary && lines.some((l) => l.startsWith('Binary files '))) {
    const b = /^Binary files (.+) and (.+) differ$/.exec(lines.find((l) => l.startsWith('Binary files ')) ?? '');
    if (b) {
      from = pathOf(b[1], 'a/');
      to = pathOf(b[2], 'b/');
    }
  }

  const hunks: Hunk[] = [];
  const firstHunk = lines.findIndex((l) => l.startsWith('@@'));
  if (firstHunk >= 0) {
    // parse-diff wants file headers; give it only this section so one file's oddities cannot bleed into the next.
    const [parsed] = parseDiff(text);
    for (const chunk of parsed?.chunks ?? []) {
      hunks.push({
        header: chunk.content,
        oldStart: chunk.oldStart,
        oldLines: chunk.oldLines,
        newStart: chunk.newStart,
        newLines: chunk.newLines,
        lines: chunk.changes.map((c) => c.content).filter((c) => !c.startsWith('\\')),
      });
    }
  }

  const diff: FileDiff = { from, to, text, hunks, isSymlink: newMode === '120000', isBinary };
  if (newMode !== undefined) diff.newMode = newMode;
  if (renameFrom !== undefined && renameTo !== undefined) {
    diff.renameFrom = renameFrom;
    diff.renameTo = renameTo;
  }
  return diff;
}

function pathOf(raw: string, prefix: string): string | null {
  const p = unquote(raw.replace(/\t.*$/, '').trim());
  if (p === '/dev/null') return null;
  return p.startsWith(prefix) ? p.slice(prefix.length) : p;
}

/** "diff --git a/x b/x": the two paths when they can be told apart (they can when both are the same file). */
function pathsFromDiffGitLine(line: string): [string, string] | null {
  const rest = line.replace(/^diff --git /, '');
  const quoted = /^("(?:[^"\\]|\\.)*") ("(?:[^"\\]|\\.)*")$/.exec(rest);
  if (quoted) return [stripPrefix(unquote(quoted[1]), 'a/'), stripPrefix(unquote(quoted[2]), 'b/')];
  if (!line.startsWith('diff --git ')) return null;
  // Unquoted paths may contain spaces; "a/P b/P" splits in the middle when both halves name the same file.
  const half = (rest.length - 1) / 2;
  if (Number.isInteger(half) && rest[half] === ' ') {
    const a = rest.slice(0, half);
    const b = rest.slice(half + 1);
    if (a.startsWith('a/') && b.startsWith('b/') && a.slice(2) === b.slice(2)) return [a.slice(2), b.slice(2)];
  }
  const parts = rest.split(' ');
  if (parts.length === 2) return [stripPrefix(parts[0], 'a/'), stripPrefix(parts[1], 'b/')];
  return null;
}

function stripPrefix(p: string, prefix: string): string {
  return p.startsWith(prefix) ? p.slice(prefix.length) : p;
}

/** Git C-quotes paths with unusual bytes: "a/t\303\251st" → a/tést. */
function unquote(p: string): string {
  if (!(p.startsWith('"') && p.endsWith('"') && p.length >= 2)) return p;
  const bytes: number[] = [];
  const body = p.slice(1, -1);
  const simple: Record<string, number> = { n: 10, t: 9, '"': 34, '\\': 92, a: 7, b: 8, f: 12, r: 13, v: 11 };
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\') {
      bytes.push(...Buffer.from(c, 'utf8'));
      continue;
    }
    const next = body[i + 1];
    if (/[0-7]/.test(next ?? '')) {
      bytes.push(parseInt(body.slice(i + 1, i + 4), 8));
      i += 3;
    } else {
      bytes.push(simple[next] ?? next.charCodeAt(0));
      i += 1;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}
