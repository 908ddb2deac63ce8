// The parse cache (bot/parse-cache.ts, sim/frontend/parse-cache.ts) as a user sees it: a second run on the same
// tree parses nothing, a header's change is seen, a corrupt entry is ignored, runs at once share the cache.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { exampleMboxPath } from './support/example-mail.ts';
import { reviewJson, runKbot } from './support/run-kbot.ts';
import { git, makeWorkspace, type Workspace } from './support/workspace.ts';

const INSTANCE = 'devpriv-free+walker-get-put[memory_failure]';
let ws: Workspace;
/** The free-at-1 series applied, then memory-failure.c asking a new header whether to skip the page (it says no). */
let revA: string;
/** The same with only the header changed: it says yes, so memory_failure() never takes its reference. */
let revB: string;

interface SimJson {
  parse: { files: number; fromCache: number; conversions: number; conversionsFromCache: number };
  scenarios: Array<{ name: string; status: string; violations: Array<{ category: string }> }>;
}

async function sim(rev: string, config: string): Promise<SimJson> {
  const r = await runKbot(['sim', '--tree', ws.tree, '--rev', rev, '--scenario', INSTANCE, '--json', '--config', config]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as SimJson;
}

/** A config of its own (work_dir `name` in the workspace), with extra sim settings. */
async function config(name: string, sim: Record<string, unknown> = {}): Promise<string> {
  const file = join(ws.root, `${name}.yaml`);
  await writeFile(file, stringify({ work_dir: join(ws.root, name), ...(Object.keys(sim).length ? { sim } : {}) }));
  return file;
}

const violations = (j: SimJson) => j.scenarios.flatMap((s) => s.violations.map((v) => `${s.name} ${v.category}`)).sort();

async function cacheFiles(workDir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      if (e.isDirectory()) await walk(join(d, e.name));
      else out.push(join(d, e.name));
    }
  };
  await walk(join(workDir, 'parse-cache'));
  return out.filter((f) => f.endsWith('.bin'));
}

before(async () => {
  ws = await makeWorkspace('v4.12-style');
  await git(ws.tree, ['am', '-q', '--empty=drop', exampleMboxPath('hmm-devpriv-free-at-1')]);
  const header = join(ws.tree, 'include/linux/hwpoison-skip.h');
  await writeFile(header, '#ifndef _LINUX_HWPOISON_SKIP_H\n#define _LINUX_HWPOISON_SKIP_H\n#define hwpoison_skip(page) 0\n#endif\n');
  const mf = join(ws.tree, 'mm/memory-failure.c');
  const text = await readFile(mf, 'utf8');
  const get = '\tif (get_page_unless_zero(head)) {';
  assert.equal(text.split(get).length, 2, 'the example tree changed: get_hwpoison_page() has one get_page_unless_zero(head)');
  await writeFile(mf, text.replace('#include <linux/mm.h>\n', '#include <linux/mm.h>\n#include <linux/hwpoison-skip.h>\n')
    .replace(get, `\tif (hwpoison_skip(head))\n\t\treturn 0;\n\n${get}`));
  await git(ws.tree, ['add', '-A']);
  await git(ws.tree, ['commit', '-q', '-m', 'memory-failure: ask hwpoison_skip()']);
  revA = await git(ws.tree, ['rev-parse', 'HEAD']);
  await writeFile(header, '#ifndef _LINUX_HWPOISON_SKIP_H\n#define _LINUX_HWPOISON_SKIP_H\n#define hwpoison_skip(page) 1\n#endif\n');
  await git(ws.tree, ['commit', '-q', '-am', 'hwpoison_skip() skips every page']);
  revB = await git(ws.tree, ['rev-parse', 'HEAD']);
});

after(() => ws?.cleanup());

test('a second run on the same tree parses nothing, with the same result; a header the file includes changing is parsed again, and the result follows the header', async () => {
  const c = await config('second-run');
  const cold = await sim(revA, c);
  assert.equal(cold.parse.fromCache, 0);
  assert.ok(cold.parse.files > 3, JSON.stringify(cold.parse));
  assert.ok(violations(cold).some((v) => v.endsWith('speculative-get-on-free-page')), violations(cold).join('\n'));
  // The tree's facts are cached too (work_dir/facts/): the second run reads fewer files, every one from the cache.
  const warm = await sim(revA, c);
  assert.ok(warm.parse.files > 0);
  assert.equal(warm.parse.fromCache, warm.parse.files, JSON.stringify(warm.parse));
  // Nor does it convert C text to an AST: the bodies and macros the runs reach, and the scenarios' glue. (The
  // first run converts most; what two of its programs both ask for, the second replays from memory.)
  assert.ok(cold.parse.conversionsFromCache < cold.parse.conversions / 2, JSON.stringify(cold.parse));
  assert.ok(warm.parse.conversions > 10, JSON.stringify(warm.parse));
  assert.equal(warm.parse.conversionsFromCache, warm.parse.conversions, JSON.stringify(warm.parse));
  assert.deepEqual(violations(warm), violations(cold));

  // Only the header differs at B: memory-failure.c's text is the same, its entry is not used.
  const b = await sim(revB, c);
  assert.ok(b.parse.fromCache < b.parse.files, JSON.stringify(b.parse));
  assert.ok(b.parse.fromCache > 0, 'the files the header change leaves alone come from the cache');
  assert.deepEqual(violations(b), [], 'hwpoison_skip() now says 1: memory_failure() never takes its reference');
  const bCold = await sim(revB, await config('no-cache', { parse_cache_mb: 0 }));
  assert.equal(bCold.parse.fromCache, 0);
  assert.deepEqual(b.scenarios.map((s) => [s.name, s.status]), bCold.scenarios.map((s) => [s.name, s.status]));
});

test('a corrupt or torn entry is ignored and removed, not a crash', async () => {
  const c = await config('corrupt');
  const cold = await sim(revA, c);
  const files = await cacheFiles(join(ws.root, 'corrupt'));
  assert.ok(files.length > 0);
  // Every other entry cut short (a torn write), the rest with a byte flipped past the header.
  for (const [i, f] of files.entries()) {
    const data = await readFile(f);
    if (i % 2) await writeFile(f, data.subarray(0, data.length >> 1));
    else {
      data[data.length - 2] ^= 0x55;
      await writeFile(f, data);
    }
  }
  const again = await sim(revA, c);
  assert.ok(again.parse.files > 0);
  assert.equal(again.parse.fromCache, 0, 'no corrupt entry was used');
  assert.equal(again.parse.conversionsFromCache, 0, 'no corrupt conversion was used');
  assert.deepEqual(violations(again), violations(cold));
  const third = await sim(revA, c);
  assert.equal(third.parse.fromCache, third.parse.files, 'the corrupt files were replaced');
  assert.equal(third.parse.conversionsFromCache, third.parse.conversions);
});

test('two runs at once on one cache both succeed, and leave entries a third run uses', async () => {
  const c = await config('concurrent');
  const [x, y] = await Promise.all([sim(revA, c), sim(revA, c)]);
  assert.deepEqual(violations(x), violations(y));
  assert.ok(violations(x).length > 0);
  const z = await sim(revA, c);
  assert.ok(z.parse.files > 0);
  assert.equal(z.parse.fromCache, z.parse.files, JSON.stringify(z.parse));
  assert.deepEqual(violations(z), violations(x));
  const names = (await readdir(join(ws.root, 'concurrent', 'parse-cache'), { recursive: true })).map(String);
  assert.deepEqual(names.filter((n) => n.endsWith('.tmp')), [], 'no temporary file left behind');
});

test('a review: the trees before and after the series share the parses of what it leaves alone; the second review parses nothing', async () => {
  const c = await config('review');
  await mkdir(join(ws.root, 'review'), { recursive: true });
  const note = (j: Awaited<ReturnType<typeof reviewJson>>['json']) => {
    const n = j.series[0]!.notes.find((x) => /the trees before and after the series: /.test(x));
    assert.ok(n, j.series[0]!.notes.join('\n'));
    const m = /(\d+) file\(s\) read, (\d+) parsed, (\d+) from the parse cache; (\d+) function, macro or glue bodies converted, (\d+) from the parse cache/.exec(n)!;
    return { files: Number(m[1]), parsed: Number(m[2]), fromCache: Number(m[3]), conversions: Number(m[4]), conversionsFromCache: Number(m[5]) };
  };
  const first = await reviewJson([exampleMboxPath('hmm-devpriv-free-at-1'), '--tree', ws.tree, '--config', c]);
  const a = note(first.json);
  assert.ok(a.fromCache > 0 && a.parsed > 0, JSON.stringify(a));
  const second = await reviewJson([exampleMboxPath('hmm-devpriv-free-at-1'), '--tree', ws.tree, '--config', c]);
  const b = note(second.json);
  assert.ok(b.files > 0);
  assert.ok(b.conversions > 0);
  assert.deepEqual(b, { files: b.files, parsed: 0, fromCache: b.files, conversions: b.conversions, conversionsFromCache: b.conversions });
  const shown = (j: typeof first.json) => j.series[0]!.findings.map((f) => `${f.category} ${f.title}`).sort();
  assert.deepEqual(shown(second.json), shown(first.json));
  assert.ok(shown(first.json).length > 0);
});
