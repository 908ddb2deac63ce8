// A small, independent reading of raw patch text: the extended header lines git acts on, and the hunks
// of each file section. It counts hunk lines the way git apply does, so a removed line "-- x" (which reads
// "--- x" in the patch) is never mistaken for a file header. Used to double-check the mail parser's FileDiff
// (safety) and to find hunks when a FileDiff is missing.

export type HeaderKind =
  | 'diff --git'
  | '---'
  | '+++'
  | 'rename from'
  | 'rename to'
  | 'rename old'
  | 'rename new'
  | 'copy from'
  | 'copy to'
  | 'new file mode'
  | 'new mode'
  | 'old mode'
  | 'deleted file mode'
  | 'index';

export interface HeaderLine {
  /** 1-based line in the patch text. */
  lineNo: number;
  kind: HeaderKind;
  /** The rest of the line after the keyword and one space, as written (still quoted if git quoted it). */
  value: string;
  /** Index in `sections` of the file section the line belongs to. */
  section: number;
}

export interface ScannedHunk {
  header: string;
  oldStart: number;
  newStart: number;
}

export interface ScannedSection {
  /** Every name the section's headers give, with a/ b/ prefixes removed; /dev/null left out. */
  names: string[];
  hunks: ScannedHunk[];
}

export interface PatchScan {
  headers: HeaderLine[];
  sections: ScannedSection[];
}

// Longest keywords first so "new file mode" wins over "new mode".
const KINDS: HeaderKind[] = [
  'diff --git',
  'deleted file mode',
  'new file mode',
  'rename from',
  'rename to',
  'rename old',
  'rename new',
  'copy from',
  'copy to',
  'new mode',
  'old mode',
  'index',
  '---',
  '+++',
];

const HUNK = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;

export function scanPatch(text: string): PatchScan {
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  const headers: HeaderLine[] = [];
  const sections: ScannedSection[] = [];
  let section: ScannedSection | null = null;
  let oldLeft = 0;
  let newLeft = 0;
  const open = () => {
    section = { names: [], hunks: [] };
    sections.push(section);
    return section;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (oldLeft > 0 || newLeft > 0) {
      // Inside a hunk: every line is content until both counts are used up.
      const c = line[0];
      if (c === ' ' || line === '') {
        oldLeft--;
        newLeft--;
        continue;
      }
      if (c === '-') {
        oldLeft--;
        continue;
      }
      if (c === '+') {
        newLeft--;
        continue;
      }
      if (c === '\\') continue;
      // A short hunk: git would call the patch corrupt; read on as headers, which is the cautious choice.
      oldLeft = newLeft = 0;
    }
    const h = HUNK.exec(line);
    if (h) {
      const s: ScannedSection = section ?? open();
      oldLeft = h[2] === undefined ? 1 : Number(h[2]);
      newLeft = h[4] === undefined ? 1 : Number(h[4]);
      s.hunks.push({ header: line, oldStart: Number(h[1]), newStart: Number(h[3]) });
      continue;
    }
    const kind = KINDS.find((k) => line.startsWith(k + ' '));
    if (!kind) continue;
    const value = line.slice(kind.length + 1);
    // A new file section starts at "diff --git", or at a "---" that does not follow one.
    let s: ScannedSection;
    if (kind === 'diff --git') s = open();
    else if (kind === '---' && (section === null || (section as ScannedSection).hunks.length > 0)) s = open();
    else s = section ?? open();
    headers.push({ lineNo: i + 1, kind, value, section: sections.length - 1 });
    for (const n of headerNames(kind, value)) {
      const name = stripPrefix(n);
      if (name !== null && !s.names.includes(name)) s.names.push(name);
    }
  }
  return { headers, sections };
}

/** The path names a header line gives, unquoted, still with their a/ b/ prefix where git writes one. */
export function headerNames(kind: HeaderKind, value: string): string[] {
  switch (kind) {
    case 'diff --git':
      return splitNames(value);
    case '---':
    case '+++': {
      const v = value.startsWith('"') ? unquoteC(value).text : value.split('\t')[0].trimEnd();
      return v === '/dev/null' || v === '' ? [] : [v];
    }
    case 'rename from':
    case 'rename to':
    case 'rename old':
    case 'rename new':
    case 'copy from':
    case 'copy to':
      // These carry no a/ b/ prefix; mark them so stripPrefix leaves them whole.
      return [NO_PREFIX + (value.startsWith('"') ? unquoteC(value).text : value)];
    default:
      return [];
  }
}

/** Marks a name that git writes without a/ b/ (rename/copy lines). */
export const NO_PREFIX = '\u0000';

/** Remove the first path component (git apply -p1), or the NO_PREFIX mark. Null for /dev/null. */
export function stripPrefix(name: string): string | null {
  if (name.startsWith(NO_PREFIX)) return name.slice(1);
  if (name === '/dev/null') return null;
  const slash = name.indexOf('/');
  return slash < 0 ? name : name.slice(slash + 1);
}

/** Split "a/x b/y" (either side possibly quoted) into names; unquoted names with spaces split on every space. */
export function splitNames(value: string): string[] {
  const names: string[] = [];
  let rest = value;
  while (rest.length > 0) {
    if (rest.startsWith('"')) {
      const q = unquoteC(rest);
      names.push(q.text);
      rest = rest.slice(q.consumed);
    } else {
      const sp = rest.indexOf(' ');
      names.push(sp < 0 ? rest : rest.slice(0, sp));
      rest = sp < 0 ? '' : rest.slice(sp);
    }
    rest = rest.replace(/^ +/, '');
  }
  return names;
}

/** Undo git's C-style quoting ("a/\303\251\t.c"), octal escapes included: they can spell "..". */
export function unquoteC(s: string): { text: string; consumed: number } {
  const bytes: number[] = [];
  const simple: Record<string, number> = { a: 7, b: 8, t: 9, n: 10, v: 11, f: 12, r: 13, '"': 34, '\\': 92 };
  let i = 1;
  for (; i < s.length; i++) {
    const c = s[i];
    if (c === '"') {
      i++;
      break;
    }
    if (c === '\\' && i + 1 < s.length) {
      const n = s[i + 1];
      const oct = /^[0-7]{3}/.exec(s.slice(i + 1));
      if (oct) {
        bytes.push(parseInt(oct[0], 8) & 0xff);
        i += 3;
      } else {
        bytes.push(simple[n] ?? n.charCodeAt(0));
        i += 1;
      }
      continue;
    }
    const ch = String.fromCodePoint(s.codePointAt(i)!);
    for (const b of Buffer.from(ch, 'utf8')) bytes.push(b);
    i += ch.length - 1;
  }
  return { text: Buffer.from(bytes).toString('utf8'), consumed: i };
}
