// The parse cache: a file's parse (preprocessing, macro-generated functions, tree-sitter, the conversion to the
// AST) kept with everything it consulted, so that another program (the tree after a series, the next review)
// replays it instead of parsing again when everything it consulted is the same.
//
// A parse is not a function of the file's text alone: it reads the program's state (the macros known so far,
// which headers were already read, the headers' texts, where an #include resolves, enum constants) and
// writes to it (the macros of the headers it includes first). CProgram records both while it parses: every
// read of state the parse did not write itself, with a fingerprint of what it found (a header's text by
// content hash, a macro by its definition, an absent one as absent), and every write. An entry replays on a
// program only if every recorded read finds the same there (ccache's "direct mode", with the macro table in
// the manifest beside the files); replaying applies the writes and hands back the parse's result.
// Nothing here does I/O: a cache that keeps entries on disk is injected (bot/parse-cache.ts).
import type { FrontendNote, FunctionDef, MacroDef, Stmt } from './ast.ts';
import type { EnumConstant, GlobalDef } from './parse-c.ts';

/** Bump when the front end changes what a parse of the same inputs produces. */
export const PARSE_FORMAT = 1;

/** A function as stored: a body the parse left lazy is kept as its text and first row, converted on use. */
export type StoredFunction = Omit<FunctionDef, 'body'> & { body?: Stmt; lazy?: { text: string; row: number } };

/** A global as stored: as the parse gives it. */
export type StoredGlobal = GlobalDef;

/**
 * One parse as kept: what it read, and what it wrote and produced as JSON text (parsed anew for each program
 * that replays it, so no two programs share an object; JSON text is what restores fastest, see bench/README.md).
 */
export interface ParseEntry {
  /**
   * Per kind of state, each key the parse read before writing it, and the fingerprint of what it found: the
   * keys, and the fingerprints in the same order, each list joined with READ_SEP.
   */
  reads: Record<string, [string, string]>;
  /** ParseResult as JSON. */
  payload: string;
}

/** Joins the keys and fingerprints of ParseEntry.reads (no C text, path or macro body holds it). */
export const READ_SEP = '\u0001';

export interface ParseResult {
  /** What the parse wrote to the shared state: macros (null: #undef), headers read for their macros, notes. */
  writes: {
    macros: Array<[string, MacroDef | null]>;
    macroLoaded: string[];
    headerDefines: Array<[string, string[]]>;
    notes: FrontendNote[];
  };
  /** The parse's result. */
  out: {
    notes: FrontendNote[];
    functions: StoredFunction[];
    enums: EnumConstant[];
    globals: StoredGlobal[];
    /** The .c files the parse #included (absent in entries that never had one). */
    includedC?: string[];
  };
}

/** Where parses are kept. `lookup` waits for a parse of the same key another program has under way. */
export interface ParseCache {
  /** A content hash of a text (hex). */
  hash(text: string): string;
  /**
   * The entries kept under `key`, and a claim on it: call `done` with the new entry once the file is parsed
   * (or with null when no entry is made); until then another lookup of the key waits.
   */
  lookup(key: string): Promise<{ entries: ParseEntry[]; done: (entry: ParseEntry | null) => void }>;
  /**
   * The entries kept under `key`, without waiting: for a conversion asked for inside a getter (a function body
   * left lazy is converted on first use). No claim: two programs converting the same text both keep theirs.
   */
  lookupNow?(key: string): ParseEntry[];
  /** Keeps an entry under `key`, the newest first (what `lookupNow` gives back). */
  keepNow?(key: string, entry: ParseEntry): void;
}

/** What a program's parses cost: files parsed, and of them how many were replayed from the cache. */
export interface ParseStats {
  files: number;
  fromCache: number;
  /** C text made an AST after its file's parse (function bodies left lazy, macro bodies, glue), and of it how much the cache gave. */
  conversions: number;
  conversionsFromCache: number;
}

/** Two programs' (or runs') parse figures together. */
export function addParseStats(a: ParseStats, b: ParseStats): ParseStats {
  return { files: a.files + b.files, fromCache: a.fromCache + b.fromCache, conversions: a.conversions + b.conversions, conversionsFromCache: a.conversionsFromCache + b.conversionsFromCache };
}

export const NO_PARSES: ParseStats = { files: 0, fromCache: 0, conversions: 0, conversionsFromCache: 0 };

/** "12 file(s) read, 2 parsed, 10 from the parse cache; 40 function, macro or glue bodies converted, 38 from the parse cache". */
export function parseNote(p: ParseStats): string {
  return `${p.files} file(s) read, ${p.files - p.fromCache} parsed, ${p.fromCache} from the parse cache; ` +
    `${p.conversions} function, macro or glue bodies converted, ${p.conversionsFromCache} from the parse cache`;
}

/**
 * A 128-bit FNV-1a of the text's UTF-16 code units, four 32-bit lanes with different offsets (pure JS, for
 * a cache with no hash of its own; bot/ gives SHA-256).
 */
export function jsHash(text: string): string {
  let a = 0x811c9dc5, b = 0x01000193 ^ 0x9e3779b9, c = 0x85ebca6b, d = 0xc2b2ae35;
  for (let i = 0; i < text.length; i++) {
    const x = text.charCodeAt(i);
    a = Math.imul(a ^ x, 0x01000193);
    b = Math.imul(b ^ x, 0x01000193) ^ (b >>> 15);
    c = Math.imul(c ^ x, 0x000193a7) + i;
    d = Math.imul(d ^ (x + 0x9e37), 0x01000193) ^ (d >>> 13);
  }
  return [a, b, c, d, text.length].map((v) => (v >>> 0).toString(16).padStart(8, '0')).join('');
}

/** The characters an entry holds (its texts are most of it). */
function entrySize(e: ParseEntry): number {
  let n = e.payload.length;
  for (const [k, f] of Object.values(e.reads)) n += k.length + f.length;
  return n;
}

/**
 * Entries in memory, shared by every program of the process that is given this cache: at most `maxChars`
 * characters of them (the least recently used keys go first) and `maxEntriesPerKey` entries a key (parses of
 * one file in different surroundings; the newest kept). What is dropped is parsed again, or read from disk.
 */
export class MemoryParseCache implements ParseCache {
  private readonly entries = new Map<string, ParseEntry[]>();
  private readonly underWay = new Map<string, Promise<void>>();
  private chars = 0;
  constructor(
    private readonly hashText: (text: string) => string = jsHash,
    private readonly maxChars = 64 * 1024 * 1024,
    private readonly maxEntriesPerKey = 4,
  ) {}

  private keep(key: string, list: ParseEntry[]): void {
    const old = this.entries.get(key);
    if (old) this.chars -= old.reduce((n, e) => n + entrySize(e), 0);
    this.entries.delete(key);
    const size = list.reduce((n, e) => n + entrySize(e), 0);
    if (size > this.maxChars) return;
    this.entries.set(key, list);
    this.chars += size;
    for (const [k, l] of this.entries) {
      if (this.chars <= this.maxChars) break;
      this.entries.delete(k);
      this.chars -= l.reduce((n, e) => n + entrySize(e), 0);
    }
  }

  hash(text: string): string {
    return this.hashText(text);
  }

  async lookup(key: string): Promise<{ entries: ParseEntry[]; done: (entry: ParseEntry | null) => void }> {
    for (let w = this.underWay.get(key); w; w = this.underWay.get(key)) await w;
    let release!: () => void;
    this.underWay.set(key, new Promise<void>((r) => { release = r; }));
    let entries: ParseEntry[];
    try {
      entries = this.lookupNow(key);
    } catch (err) {
      this.underWay.delete(key);
      release();
      throw err;
    }
    let settled = false;
    return {
      entries,
      done: (entry) => {
        if (settled) return;
        settled = true;
        if (entry) this.keepNow(key, entry);
        this.underWay.delete(key);
        release();
      },
    };
  }

  lookupNow(key: string): ParseEntry[] {
    let entries = this.entries.get(key);
    if (entries) this.keep(key, entries);
    else {
      entries = this.loadNow(key);
      if (entries.length) this.keep(key, entries);
    }
    return [...entries];
  }

  keepNow(key: string, entry: ParseEntry): void {
    this.keep(key, [entry, ...(this.entries.get(key) ?? [])].slice(0, this.maxEntriesPerKey));
    this.store(key, entry);
  }

  /** Entries from a slower layer (disk) when memory has none, read without waiting; none here. */
  protected loadNow(_key: string): ParseEntry[] {
    return [];
  }

  /** Keeps a new entry in a slower layer; nothing here. */
  protected store(_key: string, _entry: ParseEntry): void {}
}

/** What a fingerprint of "not there" looks like, per kind (a text's hash or a macro's definition never is this). */
export const ABSENT = '\u0000absent';

export function macroFingerprint(m: MacroDef | undefined): string {
  if (!m) return ABSENT;
  return `${m.params ? m.params.join(',') : '-'}|${m.variadic ? 1 : 0}|${m.file}:${m.line}|${m.body}`;
}

/** Reads and writes of one parse, by kind of state. */
export class Recorder {
  readonly reads = new Map<string, Map<string, string>>();
  private readonly written = new Map<object, Set<string>>();

  read(kind: string, owner: object, key: string, fingerprint: () => string): void {
    if (this.written.get(owner)?.has(key)) return;
    let r = this.reads.get(kind);
    if (!r) this.reads.set(kind, (r = new Map()));
    if (!r.has(key)) r.set(key, fingerprint());
  }

  wrote(owner: object, key: string): void {
    let w = this.written.get(owner);
    if (!w) this.written.set(owner, (w = new Set()));
    w.add(key);
  }

  writtenKeys(owner: object): string[] {
    return [...(this.written.get(owner) ?? [])];
  }

  /** Whether anything was written while this recorded. */
  wroteAny(): boolean {
    return this.written.size > 0;
  }
}

/** A Map whose reads and writes go to a Recorder while one is set. */
export class RecordedMap<V> extends Map<string, V> {
  rec: Recorder | null = null;
  constructor(readonly kind: string, private readonly fingerprint: (v: V | undefined, has: boolean) => string) {
    super();
  }

  override get(key: string): V | undefined {
    const v = super.get(key);
    if (this.rec) this.rec.read(this.kind, this, key, () => this.fingerprint(v, v !== undefined || super.has(key)));
    return v;
  }

  override has(key: string): boolean {
    const h = super.has(key);
    if (this.rec) this.rec.read(this.kind, this, key, () => this.fingerprint(super.get(key), h));
    return h;
  }

  override set(key: string, value: V): this {
    this.rec?.wrote(this, key);
    return super.set(key, value);
  }

  override delete(key: string): boolean {
    this.rec?.wrote(this, key);
    return super.delete(key);
  }

  /** The fingerprint of what `key` holds now, unrecorded. */
  current(key: string): string {
    return this.fingerprint(super.get(key), super.has(key));
  }

  /** A copy (same kind: its reads are reads of this map's state) that records into `rec`. */
  copyRecorded(rec: Recorder | null): RecordedMap<V> {
    const c = new RecordedMap<V>(this.kind, this.fingerprint);
    for (const [k, v] of super.entries()) Map.prototype.set.call(c, k, v);
    c.rec = rec;
    return c;
  }
}

/** A Set of strings whose reads and writes go to a Recorder while one is set. */
export class RecordedSet extends Set<string> {
  rec: Recorder | null = null;
  constructor(readonly kind: string) {
    super();
  }

  override has(key: string): boolean {
    const h = super.has(key);
    if (this.rec) this.rec.read(this.kind, this, key, () => (h ? '1' : '0'));
    return h;
  }

  override add(key: string): this {
    this.rec?.wrote(this, key);
    return super.add(key);
  }

  current(key: string): string {
    return super.has(key) ? '1' : '0';
  }
}
