// The tree after a series, searched as the tree before it plus the files the series touches: a search of the
// base (often a checked-out work tree, and cached per view) with the touched files' hits replaced by a search of
// their new text. What a review searches costs what the series changed, not a pass over the whole tree again.
import type { GrepHit, TreeView } from '../../analyzers/types.ts';
import { pathUnder, wordsMatcher } from '../../analyzers/mem-tree-view.ts';

export class OverlayTreeView implements TreeView {
  readonly commit: string;
  private readonly touched: Set<string>;

  constructor(private readonly after: TreeView, private readonly before: TreeView, touched: string[]) {
    this.commit = after.commit;
    this.touched = new Set(touched);
  }

  readFile(path: string): Promise<string | null> {
    return this.after.readFile(path);
  }

  listFiles(prefix?: string): Promise<string[]> {
    return this.after.listFiles(prefix);
  }

  async grep(pattern: string, paths?: string[]): Promise<GrepHit[]> {
    return this.merge(await this.before.grep(pattern, paths), new RegExp(pattern), paths);
  }

  async grepWords(words: string[], paths?: string[]): Promise<GrepHit[]> {
    const re = wordsMatcher(words);
    if (!re) return [];
    return this.merge(await this.before.grepWords(words, paths), re, paths);
  }

  private async merge(base: GrepHit[], re: RegExp, paths?: string[]): Promise<GrepHit[]> {
    const out = base.filter((h) => !this.touched.has(h.path));
    for (const path of this.touched) {
      if (paths && !paths.some((p) => pathUnder(path, p))) continue;
      const text = await this.after.readFile(path);
      if (text === null || text.includes('\0')) continue;
      const lines = text.split('\n');
      if (lines[lines.length - 1] === '') lines.pop();
      lines.forEach((line, i) => {
        if (re.test(line)) out.push({ path, line: i + 1, text: line });
      });
    }
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.line - b.line));
  }
}
