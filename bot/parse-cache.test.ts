import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readdir, rm, utimes, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiskParseCache, evict } from './parse-cache.ts';

test('eviction removes the least recently used files until the cache is within its bound', async () => {
  const root = await mkdtemp(join(tmpdir(), 'kbot-pc-'));
  try {
    const dir = join(root, 'v1', 'ab', 'abcd');
    await mkdir(dir, { recursive: true });
    const t0 = Date.now() / 1000 - 1000;
    for (let i = 0; i < 5; i++) {
      const f = join(dir, `${i}.bin`);
      await writeFile(f, Buffer.alloc(1000));
      await utimes(f, t0 + i * 10, t0 + i * 10);
    }
    await evict(root, 2500);
    assert.deepEqual((await readdir(dir)).sort(), ['3.bin', '4.bin']);
    await evict(root, 1_000_000);
    assert.deepEqual((await readdir(dir)).sort(), ['3.bin', '4.bin'], 'within the bound: nothing removed');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('an entry written by one process is read back by the next; a corrupt one is deleted and not returned', async () => {
  const root = await mkdtemp(join(tmpdir(), 'kbot-pc-'));
  try {
    const entry = { reads: { macros: ['A\u0001B', 'x\u0001\u0000absent'] as [string, string] }, payload: JSON.stringify({ writes: { macros: [], macroLoaded: [], headerDefines: [], notes: [] }, out: { notes: [], functions: [], enums: [{ name: 'E', value: 1, line: 2 }], globals: [] } }) };
    const a = new DiskParseCache(root, 1 << 20, 1 << 20);
    const key = a.hash('some file');
    const first = await a.lookup(key);
    assert.deepEqual(first.entries, []);
    first.done(entry);
    await a.flush();
    const b = new DiskParseCache(root, 1 << 20, 1 << 20);
    const second = await b.lookup(key);
    second.done(null);
    assert.deepEqual(second.entries, [entry]);
    const files = (await readdir(b.dir, { recursive: true })).map(String).filter((f) => f.endsWith('.bin'));
    assert.equal(files.length, 1);
    const file = join(b.dir, files[0]!);
    const data = await readFile(file);
    data[data.length - 1] ^= 1;
    await writeFile(file, data);
    const c = new DiskParseCache(root, 1 << 20, 1 << 20);
    const third = await c.lookup(key);
    third.done(null);
    assert.deepEqual(third.entries, []);
    assert.equal(c.stats.corrupt, 1);
    assert.deepEqual((await readdir(c.dir, { recursive: true })).map(String).filter((f) => f.endsWith('.bin')), []);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('a run walks the cache only when the running total of what runs wrote passes the bound', async () => {
  const root = await mkdtemp(join(tmpdir(), 'kbot-pc-'));
  const entry = (n: number) => ({ reads: {}, payload: JSON.stringify({ n, pad: 'x'.repeat(1000) }) });
  const total = async () => Number(await readFile(join(root, 'size'), 'utf8'));
  const write = async (maxBytes: number, key: string, n: number) => {
    const c = new DiskParseCache(root, maxBytes, 1 << 20);
    const l = await c.lookup(c.hash(key));
    l.done(entry(n));
    await c.flush();
    return c;
  };
  try {
    // No total yet: the first flush walks, and keeps what it counted.
    await write(1 << 20, 'a', 1);
    const one = await total();
    assert.ok(one > 1000 && one < 1200, String(one));
    // A file the total does not know (another kbot's, say): within the bound, the next flush adds what it wrote
    // to the total and does not walk.
    const stray = join(root, 'stray.bin');
    await writeFile(stray, Buffer.alloc(5000));
    await utimes(stray, Date.now() / 1000 - 1000, Date.now() / 1000 - 1000);
    await write(1 << 20, 'b', 2);
    assert.equal(await total(), 2 * one);
    // Past the bound by the total: the flush walks, the least recently used files go (the stray one, then the
    // oldest entry) until the cache is within it, and the total is what the walk counted.
    const c = await write(2 * one + 100, 'c', 3);
    assert.equal(c.stats.evicted, 2);
    await assert.rejects(readFile(stray));
    assert.equal(await total(), 2 * one);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
