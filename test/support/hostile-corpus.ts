// The hostile corpus of issue 10, built from code (no stored fixtures): each case is mail an attacker could
// send, put in an mbox beside the good example series. The test (test/review-hostile.test.ts) runs it at
// small sizes; the bench (bench/hostile.ts) at the issue's sizes, measuring time and peak memory.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { exampleMessages, mboxMessage, type MboxMessage } from './example-mail.ts';

const run = promisify(execFile);

/** Sizes: the test's keep the whole corpus well under a minute; the bench's are the issue's. */
export interface CorpusSizes {
  /** Messages in the reply chain, newest first (issue: 5,000). */
  chain: number;
  /** Bytes of the header a patch creates (issue: 300 MB from a binary patch; here a text one under 8 MiB). */
  blobBytes: number;
  /** Nesting of the QD macro (issue: 12). */
  macroDepth: number;
  /** Single-patch series in one input (issue: 10,000). */
  manySeries: number;
  /** Patches of one long series (issue: 10,000). */
  longSeries: number;
  /** References on one message (issue: 5,000). */
  references: number;
}

export const TEST_SIZES: CorpusSizes = { chain: 300, blobBytes: 400 * 1024, macroDepth: 12, manySeries: 60, longSeries: 1000, references: 300 };
// (The header stays under the 8 MiB a message may have: larger, the mail itself is rejected before any blob.)
export const BENCH_SIZES: CorpusSizes = { chain: 5000, blobBytes: 6 * 1024 * 1024, macroDepth: 12, manySeries: 10_000, longSeries: 10_000, references: 5000 };

export const good = exampleMessages('hmm-devpriv-free-at-1');

const DATE = 'Tue, 23 May 2017 10:00:00 +0000';

export function mail(headers: Record<string, string | undefined>, body: string): MboxMessage {
  const head = Object.entries({ Date: DATE, To: 'linux-mm@kvack.org', ...headers })
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n');
  return mboxMessage(`${head}\n\n${body}`);
}

export function patchMail(id: string, subject: string, diff: string, extra: Record<string, string | undefined> = {}): MboxMessage {
  const from = extra.From ?? 'Mallory <mallory@evil.example>';
  const body = `A change.\n\nSigned-off-by: ${from}\n---\n${diff}${diff.endsWith('\n') ? '' : '\n'}-- \n2.13.0\n`;
  return mail({ From: from, Subject: subject, 'Message-Id': `<${id}>`, 'Content-Type': 'text/plain; charset=UTF-8', ...extra }, body);
}

/** A patch that creates `path` with `text`, in the mode given as the sender wrote it. */
export function newFileDiff(path: string, text: string, mode = '100644'): string {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return `diff --git a/${path} b/${path}\nnew file mode ${mode}\nindex 0000000..1111111\n--- /dev/null\n+++ b/${path}\n@@ -0,0 +1,${lines.length} @@\n${lines.map((l) => `+${l}`).join('\n')}\n`;
}

/** The diff git writes for `path` of `tree` edited by `edit` (git diff --no-index, headers renamed to the path). */
export async function editDiff(tree: string, path: string, edit: (text: string) => string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'kbot-hostile-diff-'));
  try {
    const text = await readFile(join(tree, path), 'utf8');
    await writeFile(join(dir, 'a'), text);
    await writeFile(join(dir, 'b'), edit(text));
    const out = await run('git', ['diff', '--no-index', '--no-color', 'a', 'b'], { cwd: dir, env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' } })
      .then(() => '', (e: { stdout?: string }) => e.stdout ?? '');
    return out
      .replace(/^diff --git a\/a b\/b$/m, `diff --git a/${path} b/${path}`)
      .replace(/^--- a\/a$/m, `--- a/${path}`)
      .replace(/^\+\+\+ b\/b$/m, `+++ b/${path}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** put_page() with `line` added as its first statement (example tree v4.12-style, include/linux/mm.h). */
export function inPutPage(line: string, before = ''): (text: string) => string {
  return (text) => {
    const head = 'static inline void put_page(struct page *page)\n{\n';
    if (!text.includes(head)) throw new Error('put_page() is not where the corpus expects it');
    return text.replace(head, `${before}${head}\t${line}\n`);
  };
}

/** Items 1: every spelling of a symlink or gitlink mode that git reads as one. */
export const MODE_CASES: Array<{ mode: string; kind: 'symlink' | 'submodule link' }> = [
  { mode: '0120000', kind: 'symlink' },
  { mode: '120644', kind: 'symlink' },
  { mode: '120755', kind: 'symlink' },
  { mode: '0160000', kind: 'submodule link' },
  { mode: '170000', kind: 'submodule link' },
  { mode: '150000', kind: 'submodule link' },
];

export function modeCase(mode: string): MboxMessage {
  return patchMail(`mode-${mode}@evil.example`, `[PATCH] mm: add link ${mode}`, newFileDiff(`mm/link-${mode}`, '../../../canary', mode));
}

/** Item 4: `n` patches of one series, each In-Reply-To the one before, newest first; patch 1 is never sent. */
export function replyChain(n: number): MboxMessage[] {
  const total = n + 1;
  const id = (i: number) => `chain-${i}@evil.example`;
  const out: MboxMessage[] = [];
  for (let i = total; i >= 2; i--) {
    out.push(patchMail(id(i), `[PATCH ${i}/${total}] mm: chained part ${i}`, newFileDiff(`Documentation/chain/${i}.txt`, `part ${i}\n`), {
      'In-Reply-To': `<${id(i - 1)}>`,
    }));
  }
  return out;
}

/** Item 5: the macro whose expansion work is 4^depth. */
export function macroBomb(depth: number): { define: string; line: string } {
  let e = 'page_count(page)';
  for (let i = 0; i < depth; i++) e = `QD(${e})`;
  return { define: '#define QD(x) ((x)+(x)+(x)+(x))\n', line: `int qd = ${e};` };
}

/** Item 6: a header of `bytes` bytes that also names the refcount API (so the simulator reads it). */
export function bigHeader(bytes: number): string {
  const lines = ['static inline int huge_ref(struct page *p) { return page_ref_count(p); }'];
  let size = lines[0].length + 1;
  for (let i = 0; size < bytes; i++) {
    const l = `#define HUGE_${i} ${i}`;
    lines.push(l);
    size += l.length + 1;
  }
  return `${lines.join('\n')}\n`;
}

/** Item 7: `n` single-patch series, each touching only documentation. */
export function manySeries(n: number, prefix = 'many'): MboxMessage[] {
  return Array.from({ length: n }, (_, i) =>
    patchMail(`${prefix}-${i}@evil.example`, `[PATCH] docs: ${prefix} note ${i}`, newFileDiff(`Documentation/${prefix}/${i}.txt`, `note ${i}\n`), { From: `Sender ${i} <s${i}@evil.example>` }));
}

/** Item 7: one series of `n` patches, each creating its own file (every patch applies). */
export function longSeries(n: number): MboxMessage[] {
  const id = (i: number) => `long-${i}@evil.example`;
  return Array.from({ length: n }, (_, k) => {
    const i = k + 1;
    return patchMail(id(i), `[PATCH ${i}/${n}] docs: long part ${i}`, newFileDiff(`Documentation/long/${i}.txt`, `part ${i}\n`), i > 1 ? { 'In-Reply-To': `<${id(1)}>` } : {});
  });
}

/** Item 12: `n` References ids ending with the message it replies to, folded one id a line as MTAs do. */
export function manyReferences(n: number, last: string): string {
  return [...Array.from({ length: n }, (_, i) => `<ref-${i}@thread.example>`), last].join('\n ');
}

/** The filter driver a test's global git config defines: each of its commands leaves a file behind. */
export function filterConfig(marker: string): string {
  return `[filter "evil"]\n\tclean = touch ${marker}.clean && cat\n\tsmudge = touch ${marker}.smudge && cat\n\trequired = true\n[diff "evil"]\n\ttextconv = touch ${marker}.textconv && cat\n`;
}
