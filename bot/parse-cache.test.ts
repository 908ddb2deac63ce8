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
