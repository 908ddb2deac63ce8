// A tree held in memory, for tests of analyzers and the simulator. Same answers as GitTreeView would give
// for the same files: sorted paths, prefixes meaning directories, 1-based lines, binary files not grepped.
import type { GrepHit, TreeView } from './types.ts';

export class MemTreeView implements TreeView {
  readonly commit: string;
  private readonly files: Map<string, string>;

  constructor(files: Record<string, string>, commit = 'mem') {
    this.commit = commit;
    this.files = new Map(Object.entries(files));
  }

  async readFile(path: string): Promise<string | null> {
    if (!isPlainPath(path)) return null;
    return this.files.get(path) ?? null;
  }

  async listFiles(prefix?: string): Promise<string[]> {
    const all = [...this.files.keys()].filter(isPlainPath).sort();
    return prefix === undefined ? all : all.filter((f) => pathUnder(f, prefix));
  }

  /** Throws a SyntaxError for a pattern that is not a valid regular expression (git grep fails likewise). */
  async grep(pattern: string, paths?: string[]): Promise<GrepHit[]> {
    const re = new RegExp(pattern);
    const files = (await this.listFiles()).filter((f) => paths === undefined || paths.some((p) => pathUnder(f, p)));
    const hits: GrepHit[] = [];
    for (const path of files) {
      const text = this.files.get(path)!;
      if (text.includes('\0')) continue;
      const lines = text.split('\n');
      if (lines[lines.length - 1] === '') lines.pop();
      lines.forEach((line, i) => {
        if (re.test(line)) hits.push({ path, line: i + 1, text: line });
      });
    }
    return hits;
  }

  async grepWords(words: string[], paths?: string[]): Promise<GrepHit[]> {
    const re = wordsMatcher(words);
    return re ? this.grep(re.source, paths) : [];
  }
}

/** Whole-word matches of any of `words`, as `git grep -w -F` finds them. */
export function wordsMatcher(words: string[]): RegExp | null {
  const ws = [...new Set(words)].filter((w) => /^\w+$/.test(w));
  if (!ws.length) return null;
  return new RegExp(`(?<![A-Za-z0-9_])(?:${ws.join('|')})(?![A-Za-z0-9_])`);
}

/** True when `path` is `prefix` or lies under the directory `prefix` ("" or "/" means everything). */
export function pathUnder(path: string, prefix: string): boolean {
  // Asked for every file of a tree against a few prefixes: the trailing-slash trim only where there is one.
  const p = prefix.endsWith('/') ? prefix.replace(/\/+$/, '') : prefix;
  if (p === '' || path === p) return true;
  return path.length > p.length && path.charCodeAt(p.length) === 47 && path.startsWith(p);
}

/** A relative path with no empty, "." or ".." components: the only kind of name a tree holds. */
export function isPlainPath(path: string): boolean {
  if (!path || path.includes('\0')) return false;
  return path.split('/').every((c) => c !== '' && c !== '.' && c !== '..');
}
