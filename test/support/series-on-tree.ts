// Writes a patch series against a real kernel tree as its author would (commits, then git format-patch), without
// checking the tree out: a shared clone of the tree, blobs and trees written with git's plumbing. For tests
// and benchmarks that review a series on a whole tree.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TreeEdit {
  path: string;
  /** Text that occurs exactly once in the file, and what it becomes. */
  find: string;
  replace: string;
}

export interface TreePatch {
  subject: string;
  body: string;
  edits: TreeEdit[];
}

const AUTHOR = { GIT_AUTHOR_NAME: 'Ines Albrecht', GIT_AUTHOR_EMAIL: 'ines.albrecht@example.org', GIT_AUTHOR_DATE: '2026-11-30T10:00:00+01:00' };

/** The series as an mbox (`git format-patch --stdout --base`), one patch per TreePatch, on `rev` of `repo`. */
export async function seriesOnTree(repo: string, patches: TreePatch[], rev = 'HEAD'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'kbot-series-'));
  try {
    const clone = join(dir, 'r');
    await run('git', ['clone', '-q', '--shared', '--no-checkout', repo, clone]);
    const env = { ...process.env, ...AUTHOR, GIT_COMMITTER_NAME: AUTHOR.GIT_AUTHOR_NAME, GIT_COMMITTER_EMAIL: AUTHOR.GIT_AUTHOR_EMAIL, GIT_COMMITTER_DATE: AUTHOR.GIT_AUTHOR_DATE, GIT_INDEX_FILE: join(dir, 'index'), GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };
    const git = async (args: string[], input?: string): Promise<string> => {
      if (input === undefined) return (await run('git', args, { cwd: clone, env, maxBuffer: 256 << 20 })).stdout;
      return new Promise((resolve, reject) => {
        const child = execFile('git', args, { cwd: clone, env, maxBuffer: 256 << 20 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
        child.stdin!.end(input);
      });
    };
    const base = (await git(['rev-parse', `${rev}^{commit}`])).trim();
    let head = base;
    await git(['read-tree', base]);
    for (const p of patches) {
      const texts = new Map<string, string>();
      for (const e of p.edits) {
        const text = texts.get(e.path) ?? (await git(['show', `${head}:${e.path}`]));
        const at = text.indexOf(e.find);
        if (at < 0 || text.indexOf(e.find, at + 1) >= 0) throw new Error(`${p.subject}: the text to replace is not once in ${e.path}`);
        texts.set(e.path, text.slice(0, at) + e.replace + text.slice(at + e.find.length));
      }
      for (const [path, text] of texts) {
        const blob = (await git(['hash-object', '-w', '--stdin'], text)).trim();
        await git(['update-index', '--cacheinfo', `100644,${blob},${path}`]);
      }
      const tree = (await git(['write-tree'])).trim();
      // The author is the one who signs the patch off first, as checkpatch expects of a real series.
      const sob = /^Signed-off-by: (.+?) <([^>]+)>$/m.exec(p.body);
      const envAuthor = sob ? { GIT_AUTHOR_NAME: sob[1], GIT_AUTHOR_EMAIL: sob[2] } : {};
      head = (await run('git', ['commit-tree', tree, '-p', head, '-m', `${p.subject}\n\n${p.body}`], { cwd: clone, env: { ...env, ...envAuthor }, maxBuffer: 256 << 20 })).stdout.trim();
    }
    return await git(['format-patch', '--stdout', '--no-signature', `--base=${base}`, `${base}..${head}`]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
