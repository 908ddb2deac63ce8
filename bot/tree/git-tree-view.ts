// Read-only access to one commit of a git repository. File reads go through one long-lived
// `git cat-file --batch` process per view, because analyzers read many small files and a process per read
// costs more than the read.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { Socket } from 'node:net';
import type { GrepHit, TreeView } from '../../analyzers/types.ts';
import { gitComplaint, gitEnv, runGit } from './run-git.ts';
import { isPlainPath, pathUnder, wordsMatcher } from '../../analyzers/mem-tree-view.ts';
import { DEFAULT_LIMITS } from '../../config/defaults.ts';
import type { FactsCache } from '../../analyzers/types.ts';

interface Pending {
  resolve: (text: string | null) => void;
  reject: (e: Error) => void;
  /** What was asked for, for the error of a blob over the limit. */
  name: string;
}

/** The response being read from cat-file: its header, then its body gathered as chunks (joined once). */
interface Incoming {
  type: string;
  size: number;
  /** Body bytes still to come, the trailing newline included. */
  left: number;
  chunks: Buffer[];
  /** Over maxBlobBytes: the bytes are counted and dropped, never kept. */
  skip: boolean;
}

/** Reads are cached up to this many bytes in total; beyond it they still work, uncached. */
const READ_CACHE_BYTES = 64 * 1024 * 1024;

/**
 * Below this many bytes under the searched paths, grep reads the files through the cat-file process and
 * searches them here: a process per grep costs far more than searching a small tree (and the simulator
 * greps a dozen times per tree). Above it, git grep's threads win.
 */
const IN_PROCESS_GREP_BYTES = 16 * 1024 * 1024;

/**
 * Searches of a kernel tree are CPU-bound and git grep runs threads of its own: a few at a time, the rest wait,
 * rather than a dozen processes sharing two cores.
 */
const GREP_SLOTS = 2;
let grepsRunning = 0;
const grepQueue: Array<() => void> = [];
async function grepSlot<T>(f: () => Promise<T>): Promise<T> {
  if (grepsRunning >= GREP_SLOTS) await new Promise<void>((r) => grepQueue.push(r));
  grepsRunning++;
  try {
    return await f();
  } finally {
    grepsRunning--;
    grepQueue.shift()?.();
  }
}

export class GitTreeView implements TreeView {
  readonly repo: string;
  readonly commit: string;
  private batch: ChildProcessWithoutNullStreams | null = null;
  private pending: Pending[] = [];
  private buf: Buffer = Buffer.alloc(0);
  private reads = new Map<string, Promise<string | null>>();
  private cachedBytes = 0;
  private files: Promise<Array<{ path: string; size: number }>> | null = null;
  private greps = new Map<string, Promise<GrepHit[]>>();
  private checkedOut: Promise<boolean> | null = null;
  private readonly grepStore: FactsCache | undefined;
  /** Searches of fewer bytes than this run in this process; larger ones are git's (and cached, see stored()). */
  private readonly inProcessGrepBytes: number;

  private incoming: Incoming | null = null;
  /** limits.max_blob_bytes: a larger blob is not read, and the read says so (an Error naming the key). */
  readonly maxBlobBytes: number;

  /** `commit` should be a full sha (see `open`); any revision git understands works. */
  constructor(repo: string, commit: string, opts: { maxBlobBytes?: number; grepCache?: FactsCache; inProcessGrepBytes?: number } = {}) {
    this.inProcessGrepBytes = opts.inProcessGrepBytes ?? IN_PROCESS_GREP_BYTES;
    this.repo = repo;
    this.commit = commit;
    this.maxBlobBytes = opts.maxBlobBytes ?? DEFAULT_LIMITS.max_blob_bytes;
    // Only a commit named by its full sha is the same tree every time it is asked for.
    this.grepStore = /^[0-9a-f]{40}$/.test(commit) ? opts.grepCache : undefined;
  }

  /** A view of `rev` resolved to its commit sha, or an Error saying the tree has no such commit. */
  static async open(repo: string, rev: string): Promise<GitTreeView> {
    const r = await runGit(['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`], { cwd: repo });
    if (r.code !== 0) throw new Error(`${repo} has no commit ${rev}`);
    return new GitTreeView(repo, r.stdout.trim());
  }

  readFile(path: string): Promise<string | null> {
    // cat-file --batch reads one request per line, so a path with a newline cannot be asked for (and
    // cannot be in a kernel tree).
    if (!isPlainPath(path) || /[\n\r]/.test(path)) return Promise.resolve(null);
    const cached = this.reads.get(path);
    if (cached) return cached;
    const p = this.request(`${this.commit}:${path}\n`, path);
    if (this.cachedBytes < READ_CACHE_BYTES) {
      this.reads.set(path, p);
      p.then(
        (t) => {
          this.cachedBytes += t?.length ?? 0;
        },
        () => this.reads.delete(path),
      );
    }
    return p;
  }

  async listFiles(prefix?: string): Promise<string[]> {
    const all = (await this.entries()).map((e) => e.path);
    return prefix === undefined ? all : all.filter((f) => pathUnder(f, prefix));
  }

  /** Every file of the commit with its size, in path order; one ls-tree per view. */
  private entries(): Promise<Array<{ path: string; size: number }>> {
    if (!this.files) {
      this.files = runGit(['ls-tree', '-r', '-l', '-z', '--full-tree', this.commit], { cwd: this.repo }).then((r) => {
        if (r.code !== 0) throw new Error(`git ls-tree ${this.commit} failed: ${gitComplaint(r)}`);
        const out: Array<{ path: string; size: number }> = [];
        for (const rec of r.stdout.split('\0')) {
          const tab = rec.indexOf('\t');
          if (tab < 0) continue;
          const [mode, type, , size] = rec.slice(0, tab).split(/ +/);
          if (type !== 'blob' || mode === '120000') continue;
          out.push({ path: rec.slice(tab + 1), size: Number(size) || 0 });
        }
        return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      });
      this.files.catch(() => {
        this.files = null;
      });
    }
    return this.files;
  }

  grep(pattern: string, paths?: string[]): Promise<GrepHit[]> {
    return this.cachedGrep(JSON.stringify([pattern, paths ?? null]), () => this.runGrep(pattern, paths));
  }

  grepWords(words: string[], paths?: string[]): Promise<GrepHit[]> {
    const ws = [...new Set(words)].filter((w) => /^\w+$/.test(w)).sort();
    if (!ws.length) return Promise.resolve([]);
    return this.cachedGrep(JSON.stringify(['words', ws, paths ?? null]), () => this.runGrepWords(ws, paths));
  }

  /** One search per question per view; each caller gets its own copy of the hits. */
  private cachedGrep(key: string, run: () => Promise<GrepHit[]>): Promise<GrepHit[]> {
    let p = this.greps.get(key);
    if (!p) {
      p = run();
      this.greps.set(key, p);
      p.catch(() => this.greps.delete(key));
    }
    return p.then((hits) => hits.map((h) => ({ ...h })));
  }

  /**
   * A search git runs over the whole tree (a second or so on a kernel), kept per commit when the view has a
   * grep cache: read back (checked to be hits) when the same commit is asked the same again.
   */
  private async stored(question: unknown, run: () => Promise<GrepHit[]>): Promise<GrepHit[]> {
    const store = this.grepStore;
    if (!store) return run();
    const key = JSON.stringify([GREP_CACHE_VERSION, this.commit, question]);
    const hit = await store.get(key).catch(() => null);
    if (Array.isArray(hit) && hit.every(isGrepHit)) return hit;
    const hits = await run();
    await store.put(key, hits).catch(() => undefined);
    return hits;
  }

  private async runGrepWords(words: string[], paths?: string[]): Promise<GrepHit[]> {
    if (paths && paths.length === 0) return [];
    const under = (await this.entries()).filter((e) => !paths || paths.some((p) => pathUnder(e.path, p)));
    if (under.reduce((n, e) => n + e.size, 0) <= this.inProcessGrepBytes) return this.grepHere(wordsMatcher(words)!.source, under.map((e) => e.path));
    const specs = (paths ?? []).map((p) => `:(literal)${p.replace(/\/+$/, '')}`).filter((s) => s !== ':(literal)');
    // The words go in on standard input (-f -): a list of hundreds of names would not fit on a command line.
    // Where the repository's checkout is this very commit, unmodified, git reads the files from disk, which
    // is several times faster than inflating every blob of a kernel tree.
    return this.stored(['words', words, specs], async () => {
      const here = await this.isCheckedOut();
      const args = ['grep', '-n', '-I', '-z', '--no-color', '--full-name', '-w', '-F', '-f', '-', ...(here ? [] : [this.commit]), '--', ...specs];
      const r = await grepSlot(() => runGit(args, { cwd: this.repo, input: `${words.join('\n')}\n` }));
      if (r.code === 1) return [];
      if (r.code !== 0) throw new Error(`git grep -w -F (${words.length} words) failed: ${gitComplaint(r)}`);
      return parseGrep(r.stdout, `${this.commit}:`).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.line - b.line));
    });
  }

  /** Whether the repository's work tree holds exactly this commit (HEAD is it and no tracked file differs). */
  private isCheckedOut(): Promise<boolean> {
    if (!this.checkedOut) {
      this.checkedOut = (async () => {
        const head = await runGit(['rev-parse', '--verify', '--quiet', 'HEAD'], { cwd: this.repo });
        if (head.code !== 0 || head.stdout.trim() !== this.commit) return false;
        const bare = await runGit(['rev-parse', '--is-bare-repository'], { cwd: this.repo });
        if (bare.stdout.trim() !== 'false') return false;
        const st = await runGit(['status', '--porcelain', '--untracked-files=no', '--ignore-submodules'], { cwd: this.repo });
        return st.code === 0 && st.stdout.trim() === '';
      })();
    }
    return this.checkedOut;
  }

  /**
   * Stop the cat-file process; resolves once it has exited and been reaped, so a command that awaits it leaves
   * no git behind (an idle batch process does not keep node alive, and node does not wait for it at exit). The
   * view stays usable: a later read starts a new one.
   */
  close(): Promise<void> {
    const child = this.batch;
    this.batch = null;
    this.failPending(new Error('tree view closed'));
    if (!child) return Promise.resolve();
    return new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) {
        resolve();
        return;
      }
      child.once('exit', () => resolve());
      child.ref();
      child.stdin.end();
      child.kill();
    });
  }

  private async runGrep(pattern: string, paths?: string[]): Promise<GrepHit[]> {
    if (paths && paths.length === 0) return [];
    const under = (await this.entries()).filter((e) => !paths || paths.some((p) => pathUnder(e.path, p)));
    if (under.reduce((n, e) => n + e.size, 0) <= this.inProcessGrepBytes) return this.grepHere(pattern, under.map((e) => e.path));
    return this.stored(['pattern', pattern, paths ?? null], () => this.gitGrep(pattern, paths));
  }

  private async grepHere(pattern: string, files: string[]): Promise<GrepHit[]> {
    let re: RegExp;
    try {
      re = new RegExp(pattern);
    } catch (e) {
      // Worded as the git grep path words it: the caller sees one kind of error whichever path ran.
      throw new Error(`git grep -E ${JSON.stringify(pattern)} failed: invalid pattern: ${(e as Error).message}`);
    }
    const texts = await Promise.all(files.map((f) => this.readFile(f)));
    const hits: GrepHit[] = [];
    files.forEach((path, i) => {
      const text = texts[i];
      if (text === null || text.includes('\0')) return; // binary, like git grep -I
      const lines = text.split('\n');
      if (lines[lines.length - 1] === '') lines.pop();
      for (let n = 0; n < lines.length; n++) if (re.test(lines[n])) hits.push({ path, line: n + 1, text: lines[n] });
    });
    return hits;
  }

  private async gitGrep(pattern: string, paths?: string[]): Promise<GrepHit[]> {
    // Literal pathspecs: a prefix like "mm" means the directory mm, never a glob.
    const specs = (paths ?? []).map((p) => `:(literal)${p.replace(/\/+$/, '')}`).filter((s) => s !== ':(literal)');
    const here = await this.isCheckedOut();
    const args = ['grep', '-n', '-I', '-E', '-z', '--no-color', '--full-name', '-e', pattern, ...(here ? [] : [this.commit]), '--', ...specs];
    const r = await grepSlot(() => runGit(args, { cwd: this.repo }));
    if (r.code === 1) return [];
    if (r.code !== 0) throw new Error(`git grep -E ${JSON.stringify(pattern)} failed: ${gitComplaint(r)}`);
    // Tree order, like listFiles and MemTreeView, whatever order git's threads finished in.
    return parseGrep(r.stdout, `${this.commit}:`).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.line - b.line));
  }

  private request(line: string, name = line.trim()): Promise<string | null> {
    return new Promise((resolve, reject) => {
      let child: ChildProcessWithoutNullStreams;
      try {
        child = this.ensureBatch();
      } catch (e) {
        reject(e as Error);
        return;
      }
      this.pending.push({ resolve, reject, name });
      this.setRef(true);
      child.stdin.write(line);
    });
  }

  private ensureBatch(): ChildProcessWithoutNullStreams {
    if (this.batch) return this.batch;
    const child = spawn('git', ['cat-file', '--batch'], { cwd: this.repo, env: gitEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    this.batch = child;
    this.buf = Buffer.alloc(0);
    this.incoming = null;
    let stderr = '';
    // Answers still in the pipe when the view was closed (its requests already failed) belong to no one.
    child.stdout.on('data', (b: Buffer) => {
      if (this.batch === child) this.take(b);
    });
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString('utf8');
    });
    child.stdin.on('error', () => {
      // Reported through 'close' below.
    });
    const fail = (why: string) => {
      if (this.batch !== child) return;
      this.batch = null;
      this.failPending(new Error(`git cat-file --batch in ${this.repo} ${why}${stderr ? `: ${stderr.trim()}` : ''}`));
    };
    child.on('error', (e) => fail(`could not run: ${e.message}`));
    child.on('close', (code) => fail(`exited with ${code}`));
    return child;
  }

  /**
   * Parse responses as the bytes come: "<sha> <type> <size>\n<bytes>\n" or "<name> missing\n". A body is kept
   * as its chunks and joined once (appending each 64 KB chunk to one buffer is quadratic in the blob's size);
   * only a header, a line, is ever carried over from one chunk to the next.
   */
  private take(chunk: Buffer): void {
    let b = chunk;
    while (b.length > 0) {
      const cur = this.incoming;
      if (cur) {
        const n = Math.min(cur.left, b.length);
        if (!cur.skip) cur.chunks.push(b.subarray(0, n));
        cur.left -= n;
        b = b.subarray(n);
        if (cur.left > 0) return;
        this.incoming = null;
        const p = this.pending.shift()!;
        if (cur.skip) p.reject(new Error(`${p.name} is ${cur.size} bytes, over limits.max_blob_bytes (${this.maxBlobBytes}); not read`));
        // A directory or submodule at that path is not a file.
        else p.resolve(cur.type === 'blob' ? Buffer.concat(cur.chunks).subarray(0, cur.size).toString('utf8') : null);
        if (this.pending.length === 0) this.setRef(false);
        continue;
      }
      const nl = b.indexOf(0x0a);
      if (nl < 0) {
        this.buf = this.buf.length ? Buffer.concat([this.buf, b]) : Buffer.from(b);
        return;
      }
      const header = (this.buf.length ? Buffer.concat([this.buf, b.subarray(0, nl)]) : b.subarray(0, nl)).toString('utf8');
      this.buf = Buffer.alloc(0);
      b = b.subarray(nl + 1);
      const m = /^[0-9a-f]+ (\w+) (\d+)$/.exec(header);
      if (!m) {
        // "missing", "ambiguous", or a name git could not resolve: no such file here.
        this.pending.shift()!.resolve(null);
        if (this.pending.length === 0) this.setRef(false);
        continue;
      }
      const size = Number(m[2]);
      this.incoming = { type: m[1]!, size, left: size + 1, chunks: [], skip: size > this.maxBlobBytes };
    }
  }

  private failPending(e: Error): void {
    const pending = this.pending;
    this.pending = [];
    for (const p of pending) p.reject(e);
  }

  /** The idle batch process must not keep node alive (a caller may forget close()); a busy one must. */
  private setRef(on: boolean): void {
    const child = this.batch;
    if (!child) return;
    for (const s of [child.stdin, child.stdout, child.stderr] as unknown as Socket[]) {
      if (on) s.ref?.();
      else s.unref?.();
    }
    if (on) child.ref();
    else child.unref();
  }
}

/** Bumped when what a search answers changes: hits stored by another version are not used. */
const GREP_CACHE_VERSION = 1;

function isGrepHit(h: unknown): h is GrepHit {
  const x = h as GrepHit;
  return typeof x === 'object' && x !== null && typeof x.path === 'string' && typeof x.line === 'number' && typeof x.text === 'string';
}

/** Parse `git grep -n -z` output: "<rev>:<path>\0<line>\0<text>\n" per hit. */
export function parseGrep(out: string, revPrefix: string): GrepHit[] {
  const hits: GrepHit[] = [];
  let i = 0;
  while (i < out.length) {
    const a = out.indexOf('\0', i);
    if (a < 0) break;
    const b = out.indexOf('\0', a + 1);
    if (b < 0) break;
    let c = out.indexOf('\n', b + 1);
    if (c < 0) c = out.length;
    let path = out.slice(i, a);
    if (path.startsWith(revPrefix)) path = path.slice(revPrefix.length);
    hits.push({ path, line: Number(out.slice(a + 1, b)), text: out.slice(b + 1, c) });
    i = c + 1;
  }
  return hits;
}
