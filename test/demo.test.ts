// `kbot demo`: builds the example tree, reviews the example series, prints what `kbot review` prints, and
// cleans up after itself.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runKbot, type KbotRun } from './support/run-kbot.ts';

let tmp: string;
let run: KbotRun;

before(async () => {
  // The demo works in the OS temp dir; give it one of its own to see that it leaves nothing there.
  tmp = await mkdtemp(join(tmpdir(), 'kbot-e2e-demo-'));
  run = await runKbot(['demo'], { env: { TMPDIR: tmp } });
});

after(() => rm(tmp, { recursive: true, force: true }));

/** The demo's section for one mbox: from its ===== header to the next. */
function section(mbox: string): string {
  const parts = run.stdout.split(/^(?====== )/m);
  const found = parts.find((p) => p.startsWith(`===== examples/series/${mbox} `));
  assert.ok(found, `no section for ${mbox} in:\n${run.stdout.slice(0, 3000)}`);
  return found;
}

function verdicts(text: string): string[] {
  return text.split('\n').filter((l) => /^\[PATCH[^\]]*\] .* — /.test(l));
}

test('exits 0 and says where it built the example tree', () => {
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^kbot demo: example tree v4\.12-style built at \S+ \([0-9a-f]{12}\)$/m);
});

test('free at refcount 1: findings, with a reply to patch 2/3', () => {
  const s = section('hmm-devpriv-free-at-1.mbox');
  const v = verdicts(s);
  assert.equal(v.length, 1);
  assert.match(v[0], /applied on [0-9a-f]{12} \(base-commit\); \d+ findings? \(\d+ errors?(, \d+ warnings?)?\)/);
  assert.match(s, /\[double-free\]/);
  assert.match(s, /\[speculative-get-on-free-page\]/);
  assert.match(s, /^Subject: Re: \[PATCH 2\/3\]/m);
});

test('free at refcount 0 and the documentation series: no findings, no reply', () => {
  for (const mbox of ['hmm-devpriv-free-at-0.mbox', 'no-refcount.mbox']) {
    const s = section(mbox);
    const v = verdicts(s);
    assert.equal(v.length, 1, mbox);
    assert.match(v[0], /applied on [0-9a-f]{12} \(base-commit\); no findings$/, mbox);
    assert.match(s, /no reply \(no findings\)/, mbox);
  }
  assert.match(section('no-refcount.mbox'), /nothing to check/);
});

test('the series that does not apply: says so', () => {
  const v = verdicts(section('does-not-apply.mbox'));
  assert.equal(v.length, 1);
  assert.match(v[0], /does not apply on [0-9a-f]{12} \(head\): patch 1\/1 failed at mm\/page_idle\.c/);
});

test('removes the tree it built, leaving nothing of its own in the temp dir', async () => {
  const built = /built at (\S+) \(/.exec(run.stdout)?.[1];
  assert.ok(built?.startsWith(tmp), `the demo tree ${built} is under TMPDIR`);
  assert.equal(await stat(built!).catch(() => null), null);
  // tsx keeps its compile cache (tsx-<uid>) in TMPDIR too; that one is not the demo's.
  assert.deepEqual((await readdir(tmp)).filter((n) => !/^tsx-\d+$/.test(n)), []);
});
