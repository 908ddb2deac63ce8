// `kbot review` without --json, as a maintainer reads it in a terminal: a verdict line per series, the findings
// under it, and the reply it would send, or why there is none.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exampleMessages, messageId, subject, toMbox } from './support/example-mail.ts';
import { runKbot, type KbotRun } from './support/run-kbot.ts';
import { makeWorkspace, type Workspace } from './support/workspace.ts';

const freeAt1 = exampleMessages('hmm-devpriv-free-at-1');
const noRefcount = exampleMessages('no-refcount');
const doesNotApply = exampleMessages('does-not-apply');

let ws: Workspace;
let run: KbotRun;
let lines: string[];

before(async () => {
  ws = await makeWorkspace('v4.12-style');
  const mbox = join(ws.root, 'three.mbox');
  await writeFile(mbox, toMbox([...freeAt1, ...noRefcount, ...doesNotApply]));
  run = await runKbot(['review', mbox, '--tree', ws.tree, '--config', ws.config]);
  lines = run.stdout.split('\n');
});

after(() => ws?.cleanup());

/** The lines from the verdict of the series titled `title` up to the next verdict. */
function block(title: string): string[] {
  const verdicts = lines.map((l, i) => (/^\[PATCH[^\]]*\] .* — /.test(l) ? i : -1)).filter((i) => i >= 0);
  const start = verdicts.find((i) => lines[i].includes(title));
  assert.ok(start !== undefined, `no verdict line for "${title}" in:\n${run.stdout}`);
  const end = verdicts.find((i) => i > start) ?? lines.length;
  return lines.slice(start, end);
}

test('exit 0, a header naming the tree and its HEAD, one verdict line per series', () => {
  assert.equal(run.code, 0, run.stderr);
  assert.equal(lines[0], `kbot review of ${ws.tree} at ${ws.head.slice(0, 12)}`);
  const verdicts = lines.filter((l) => /^\[PATCH[^\]]*\] .* — /.test(l));
  assert.equal(verdicts.length, 3, verdicts.join('\n'));
  assert.doesNotMatch(run.stdout, /^\{/m, 'no JSON without --json');
});

test('the buggy series: findings in the verdict and under it, then the reply mail in full', () => {
  const b = block('device private memory for ZONE_DEVICE');
  assert.match(b[0], new RegExp(`— applied on ${ws.head.slice(0, 12)} \\(base-commit\\); \\d+ findings \\(\\d+ errors?(, \\d+ warnings?)?\\)`));
  const findingLines = b.filter((l) => /^ {2}(error|warning) \[/.test(l));
  assert.ok(findingLines.some((l) => l.includes('[speculative-get-on-free-page]') && l.includes('(patch 2/3, refcount-sim)')), findingLines.join('\n'));
  assert.ok(findingLines.some((l) => l.includes('[double-free]') && l.includes('(patch 2/3, refcount-sim)')), findingLines.join('\n'));
  const text = b.join('\n');
  assert.match(text, /^--- reply 1 of 1 ---$/m);
  assert.match(text, /^--- end ---$/m);
  assert.ok(b.includes(`In-Reply-To: ${messageId(freeAt1[2])}`), 'the reply threads under patch 2/3');
  assert.match(text, /^Subject: Re: \[PATCH 2\/3\] mm\/ZONE_DEVICE: special case put_page\(\) for device/m);
  assert.match(text, /^To: Ada Marchetti <ada\.marchetti@example\.org>$/m);
  assert.match(text, /^Hi Ada,$/m);
  assert.match(text, /mm\/memory-failure\.c/);
  assert.doesNotMatch(text, /no reply/);
});

test('the clean series: "no findings" and "no reply (no findings)", no mail', () => {
  const b = block(subject(noRefcount[0]).replace(/^\[PATCH 0\/2\] /, ''));
  assert.match(b[0], /— applied on [0-9a-f]{12} \(base-commit\); no findings$/);
  assert.ok(b.includes('  no reply (no findings)'), b.join('\n'));
  assert.ok(b.some((l) => /^ {2}note: refcount-sim: nothing to check/.test(l)), b.join('\n'));
  assert.ok(!b.some((l) => /^--- reply/.test(l)));
});

test('the series that does not apply: says so, names patch and file, and drafts a reply to the author', () => {
  const b = block('skip ZONE_DEVICE pages before taking a');
  assert.match(b[0], /— does not apply on [0-9a-f]{12} \(head\): patch 1\/1 failed at mm\/page_idle\.c/);
  assert.ok(b.some((l) => /^ {2}base: used HEAD/.test(l)), b.join('\n'));
  const text = b.join('\n');
  assert.match(text, /^--- reply 1 of 1 ---$/m);
  assert.ok(b.includes(`In-Reply-To: ${messageId(doesNotApply[0])}`));
  assert.match(text, /could not apply/);
});
