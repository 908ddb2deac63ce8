// Versions and gaps: when v1 and v2 of a series arrive together only v2 is reviewed (v1 is marked superseded and
// not applied); a series with a part missing is reported as incomplete and not applied.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exampleMessages, messageId, toMbox } from './support/example-mail.ts';
import { reviewJson, seriesBySubject, type JsonReport, type JsonSeries } from './support/run-kbot.ts';
import { makeWorkspace, type Workspace } from './support/workspace.ts';

const v1 = exampleMessages('hmm-devpriv-free-at-1');
const v2 = exampleMessages('hmm-devpriv-free-at-0');
const docs = exampleMessages('no-refcount');
// Another message numbered 2/2 in the docs thread, under its own Message-ID.
const secondPatch2 = { ...docs[2], text: docs[2].text.replace(/2067-2-/, '2067-9-').replace('mention LRU pages', 'another take on the help text') };

let ws: Workspace;
let versions: JsonReport;
let gap: JsonReport;

before(async () => {
  ws = await makeWorkspace('v4.12-style');
  const both = join(ws.root, 'v2-then-v1.mbox');
  // v2 first: the newest is chosen by version, not by position in the mailbox.
  await writeFile(both, toMbox([...v2, ...v1]));
  const missing = join(ws.root, 'missing-2.mbox');
  await writeFile(missing, toMbox([v1[0], v1[1], v1[3], ...docs, secondPatch2]));
  const args = ['--tree', ws.tree, '--config', ws.config];
  const [a, b] = await Promise.all([reviewJson([both, ...args]), reviewJson([missing, ...args])]);
  versions = a.json;
  gap = b.json;
});

after(() => ws?.cleanup());

function byVersion(n: number): JsonSeries {
  const s = versions.series.filter((x) => x.version === n);
  assert.equal(s.length, 1, `one v${n}: ${versions.series.map((x) => x.subject).join(' | ')}`);
  return s[0];
}

test('v1 is marked superseded by v2, and not applied or reviewed', () => {
  assert.equal(versions.series.length, 2);
  const old = byVersion(1);
  assert.equal(old.id, messageId(v1[0]));
  assert.equal(old.superseded, true);
  assert.equal(old.supersededBy, messageId(v2[0]));
  assert.notEqual(old.apply.status, 'applied');
  assert.match(old.apply.detail ?? '', /superseded/);
  assert.deepEqual(old.findings, [], 'the bug in v1 is not reported: v2 replaces it');
  assert.deepEqual(old.replies, []);
});

test('v2 is applied and reviewed', () => {
  const s = byVersion(2);
  assert.equal(s.id, messageId(v2[0]));
  assert.equal(s.superseded, false);
  assert.equal(s.apply.status, 'applied');
  assert.equal(s.base?.source, 'base-commit');
  assert.ok(s.notes.some((n) => /refcount-sim: \d+ scenario run/.test(n)), s.notes.join(' | '));
  assert.deepEqual(s.findings, []);
  assert.deepEqual(s.replies, []);
});

test('a series with patch 2/3 missing: incomplete "2/3 missing", not applied, no findings, no reply', () => {
  assert.equal(gap.series.length, 2);
  const s = seriesBySubject(gap, 'device private memory');
  assert.equal(s.incomplete, '2/3 missing');
  assert.equal(s.total, 3);
  assert.deepEqual(s.messages, [v1[0], v1[1], v1[3]].map(messageId));
  assert.notEqual(s.apply.status, 'applied');
  assert.match(s.apply.detail ?? '', /2\/3 missing/);
  assert.deepEqual(s.findings, []);
  assert.deepEqual(s.replies, []);
  assert.deepEqual(gap.rejected, []);
});

test('a second patch 2/2 in a thread is not used, and the series says so', () => {
  const s = seriesBySubject(gap, 'idle page tracking');
  assert.deepEqual(s.messages, docs.map(messageId), 'the first 2/2 is the one applied');
  assert.equal(s.apply.status, 'applied');
  assert.ok(s.notes.some((n) => n.includes(messageId(secondPatch2)) && /ignored/.test(n)), `notes: ${s.notes.join(' | ')}`);
});

test('the superseded v1 says which version replaced it', () => {
  const old = byVersion(1);
  assert.ok(old.notes.some((n) => n.includes(messageId(v2[0])) && /superseded/.test(n)), `notes: ${old.notes.join(' | ')}`);
});
