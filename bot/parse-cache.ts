// The parse cache on disk (sim/frontend/parse-cache.ts says what an entry is): under
// <work_dir>/parse-cache/<version>/<key[0:2]>/<key>/<entry hash>.bin, one file per entry, content-addressed.
// <version> is a digest of kbot's version, the entry format and the front end's own sources, so another
// kbot's entries are never read. A file is written under a temporary name and renamed into place; it starts
// with a magic and the SHA-256 of what follows, checked on every read: a torn or corrupt file is deleted and
// ignored. Bounded: past the size the config gives (sim.parse_cache_mb), the least recently used files go.
// A run adds what it wrote to a running total kept in <work_dir>/parse-cache/size and walks the cache (a stat
// of every file) only when that total passes the bound, or is missing: the walk counts the true size and
// writes it back. Two runs flushing at once may each add to the same old total, so it can fall short by what
// they wrote together, and the cache overshoot its bound by that much until the next walk.
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync, readdirSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { MemoryParseCache, PARSE_FORMAT, type ParseEntry } from '../sim/frontend/parse-cache.ts';
import { kbotVersion } from './version.ts';
import { projectRoot } from './project-root.ts';

const MAGIC = Buffer.from('kbotpc2\n');
const HEADER = MAGIC.length + 32;

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

let frontendDigest: string | undefined;

/** kbot's version, the entry format, and (from a checkout) the front end's sources: what makes entries another kbot's. */
export function parseCacheVersion(): string {
  if (frontendDigest === undefined) {
    const h = createHash('sha256').update(`${kbotVersion()}\0${PARSE_FORMAT}\0`);
    try {
      const dir = join(projectRoot(), 'sim', 'frontend');
      if (existsSync(dir)) {
        for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts') && !n.endsWith('.test.ts')).sort()) h.update(f).update(readFileSync(join(dir, f)));
      }
    } catch {
      // a bundle without the sources: its version says which front end it is
    }
    frontendDigest = h.digest('hex').slice(0, 16);
  }
  return frontendDigest;
}

export interface DiskParseCacheStats {
  /** Entries read from disk, written, and files found corrupt (deleted). */
  read: number;
  written: number;
  corrupt: number;
  /** Files removed to stay under the size bound. */
  evicted: number;
}

export class DiskParseCache extends MemoryParseCache {
  readonly dir: string;
  readonly stats: DiskParseCacheStats = { read: 0, written: 0, corrupt: 0, evicted: 0 };
  private readonly writes = new Set<Promise<void>>();
  /** Bytes of the files this process wrote since its last flush. */
  private writtenBytes = 0;

  constructor(readonly root: string, readonly maxBytes: number, memoryBytes: number) {
    // Entries' texts are mostly ASCII: a character a byte.
    super((text) => sha256(text), memoryBytes);
    this.dir = join(root, parseCacheVersion());
  }

  private keyDir(key: string): string {
    return join(this.dir, key.slice(0, 2), key);
  }

  /**
   * The entries of a key, each file's magic and checksum checked: a corrupt one is counted and removed. Read
   * synchronously (a conversion is asked for inside a getter; a file's parse reads them the same way): a key
   * holds a few files of a few KB to a few MB, from the page cache as a rule.
   */
  protected override loadNow(key: string): ParseEntry[] {
    if (this.maxBytes <= 0) return [];
    const dir = this.keyDir(key);
    let names: string[];
    try {
      names = readdirSync(dir).filter((n) => n.endsWith('.bin'));
    } catch {
      return [];
    }
    const out: ParseEntry[] = [];
    for (const n of names) {
      const file = join(dir, n);
      try {
        out.push(decodeEntry(readFileSync(file)));
        const now = new Date();
        try {
          utimesSync(file, now, now);
        } catch {
          // evicted meanwhile: what was read stands
        }
        this.stats.read++;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        this.stats.corrupt++;
        rmSync(file, { force: true });
      }
    }
    return out;
  }

  protected override store(key: string, entry: ParseEntry): void {
    if (this.maxBytes <= 0) return;
    const p = this.write(key, entry).catch(() => undefined).finally(() => this.writes.delete(p));
    this.writes.add(p);
  }

  private async write(key: string, entry: ParseEntry): Promise<void> {
    // The reads as one JSON line, then the payload (JSON already): restored with JSON.parse, which is faster
    // on this data than v8.deserialize (measured in bench/README.md).
    const body = Buffer.from(`${JSON.stringify(entry.reads)}\n${entry.payload}`);
    const hash = sha256(body);
    const dir = this.keyDir(key);
    await mkdir(dir, { recursive: true });
    const file = join(dir, `${hash.slice(0, 32)}.bin`);
    // Unique per writer (threads of one process share its pid), renamed into place whole: a reader sees the
    // old file, the new one, or none.
    const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(tmp, Buffer.concat([MAGIC, Buffer.from(hash, 'hex'), body]));
    await rename(tmp, file);
    this.stats.written++;
    this.writtenBytes += HEADER + body.length;
  }

  /**
   * Waits for the entries being written, then adds their size to the cache's running total; past the bound
   * (or with no total yet), evicts the least recently used files and writes the total the walk counted.
   */
  async flush(): Promise<void> {
    while (this.writes.size) await Promise.all([...this.writes]);
    if (this.writtenBytes === 0) return;
    const added = this.writtenBytes;
    this.writtenBytes = 0;
    const file = join(this.root, 'size');
    const before = Number((await readFile(file, 'utf8').catch(() => '')).trim());
    const total = Number.isFinite(before) && before > 0 ? before + added : Infinity;
    await writeTotal(file, total <= this.maxBytes ? total : await evict(this.root, this.maxBytes, this.stats));
  }
}

/** Writes the running total (under a temporary name, renamed: a reader sees one total or the other). */
async function writeTotal(file: string, bytes: number): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, String(bytes));
    await rename(tmp, file);
  } catch {
    await rm(tmp, { force: true }).catch(() => undefined);
  }
}

/**
 * Removes the least recently used files under `root` (every version's) until they take at most `maxBytes`;
 * returns the bytes left.
 */
export async function evict(root: string, maxBytes: number, stats?: DiskParseCacheStats): Promise<number> {
  const files: Array<{ path: string; size: number; mtime: number }> = [];
  const totalFile = join(root, 'size');
  const walk = async (dir: string): Promise<void> => {
    let names;
    try {
      names = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const d of names) {
      const p = join(dir, d.name);
      if (p === totalFile) continue;
      if (d.isDirectory()) await walk(p);
      else {
        try {
          const s = await stat(p);
          // A temporary file an interrupted writer left behind is removed once it is an hour old.
          if (d.name.endsWith('.tmp') && Date.now() - s.mtimeMs > 3600_000) await rm(p, { force: true });
          else files.push({ path: p, size: s.size, mtime: s.mtimeMs });
        } catch {
          // gone meanwhile (another run evicting)
        }
      }
    }
  };
  await walk(root);
  let total = files.reduce((n, f) => n + f.size, 0);
  if (total <= maxBytes) return total;
  files.sort((a, b) => a.mtime - b.mtime);
  for (const f of files) {
    if (total <= maxBytes) break;
    await rm(f.path, { force: true }).catch(() => undefined);
    total -= f.size;
    if (stats) stats.evicted++;
  }
  return total;
}

/** An entry file's contents, checked: the magic, the SHA-256 of the rest, the reads line. Throws when corrupt. */
function decodeEntry(data: Buffer): ParseEntry {
  const body = data.subarray(HEADER);
  if (data.length < HEADER || !data.subarray(0, MAGIC.length).equals(MAGIC) || data.subarray(MAGIC.length, HEADER).toString('hex') !== sha256(body)) {
    throw new Error('corrupt');
  }
  const text = body.toString('utf8');
  const nl = text.indexOf('\n');
  const reads = nl < 0 ? null : (JSON.parse(text.slice(0, nl)) as ParseEntry['reads']);
  if (!reads || typeof reads !== 'object') throw new Error('corrupt');
  return { reads, payload: text.slice(nl + 1) };
}

const caches = new Map<string, DiskParseCache>();

/** The process's parse cache for a work dir: one, so every program of the process shares its entries. */
export function parseCache(workDir: string, maxMb: number, memoryMb: number): DiskParseCache {
  const root = join(workDir, 'parse-cache');
  let c = caches.get(root);
  if (!c) caches.set(root, (c = new DiskParseCache(root, maxMb * 1024 * 1024, memoryMb * 1024 * 1024)));
  return c;
}

/** Waits for every parse cache of the process to finish writing (before the process exits). */
export async function flushParseCaches(): Promise<void> {
  await Promise.all([...caches.values()].map((c) => c.flush()));
}
