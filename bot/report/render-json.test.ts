import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../config/read-config.ts';
import { toJson } from './render-json.ts';
import { doublePageFreeFinding } from './testdata/review-fixture.ts';
import { NOW, reviewResult } from './testdata/review-result-fixture.ts';

const config = parseConfig({ lists: [{ address: 'linux-mm@kvack.org', reply_to: 'list' }] });

test('the JSON report has the contract shape and survives a JSON round trip', async () => {
  const json = toJson(await reviewResult(config));
  assert.deepEqual(JSON.parse(JSON.stringify(json)), json);
  assert.deepEqual(Object.keys(json), ['schema', 'kbot', 'config', 'tree', 'series', 'rejected']);
  assert.equal(json.schema, 1);
  assert.match(json.kbot.version, /^\d+\.\d+\.\d+/);
  assert.deepEqual(json.tree, { path: '/srv/linux', head: '89abcdef0123456789abcdef0123456789abcdef' });
  for (const s of json.series) {
    const keys = ['id', 'subject', 'version', 'total', 'messages', 'superseded', 'incomplete', 'base', 'apply', 'verdict', 'summary', 'counts', 'findings', 'coverage', 'notes', 'replies'];
    assert.deepEqual(Object.keys(s).filter((k) => k !== 'supersededBy').sort(), keys.sort());
  }
  assert.deepEqual(json.rejected, [{ messageId: '<spam@example.net>', source: 'mbox:/fixtures/demo.mbox#7', reason: 'not a patch and not part of a series' }]);
});

test('a reviewed series: messages cover first, base, findings as-is, the reply', async () => {
  const [s] = toJson(await reviewResult(config)).series;
  assert.equal(s!.id, '<20240501120000.1000-1-alice@example.org>');
  assert.equal(s!.subject, '[PATCH v2 0/3] demo_devmem: simplify page refcounting');
  assert.equal(s!.version, 2);
  assert.equal(s!.total, 3);
  assert.deepEqual(s!.messages, [1, 2, 3, 4].map((i) => `<20240501120000.1000-${i}-alice@example.org>`));
  assert.equal(s!.superseded, false);
  assert.equal('supersededBy' in s!, false);
  assert.equal(s!.incomplete, null);
  assert.deepEqual(s!.base, { commit: '0f1e2d3c4b5a69788796a5b4c3d2e1f001234567', source: 'base-commit', why: 'The cover letter gives base-commit: 0f1e2d3c4b5a, which the tree has.' });
  assert.deepEqual(s!.apply, { status: 'applied' });
  assert.deepEqual(s!.findings, [doublePageFreeFinding()]);
  assert.deepEqual(s!.notes, ['refcount-sim: 3 scenarios, 1 unexpected outcome']);
  assert.equal(s!.verdict, 'findings');
  assert.deepEqual(s!.counts, { error: 1, warning: 0, info: 0 });
  assert.match(s!.summary, /^\[PATCH v2 0\/3\] demo_devmem: simplify page refcounting — applied on 0f1e2d3c4b5a \(base-commit\); 1 finding \(1 error\)$/);
  assert.equal(s!.replies.length, 1);
  const r = s!.replies[0]!;
  assert.deepEqual(Object.keys(r), ['messageId', 'from', 'date', 'inReplyTo', 'references', 'subject', 'to', 'cc', 'body']);
  assert.match(r.messageId, /^<kbot-[0-9a-f]{24}@localhost>$/);
  assert.equal(r.from, 'kbot <kbot@localhost>');
  assert.equal(r.date, NOW.toISOString());
  assert.equal(r.inReplyTo, '<20240501120000.1000-3-alice@example.org>');
  assert.equal(r.subject, 'Re: [PATCH v2 2/3] demo_devmem: keep idle pages at refcount 1');
  assert.deepEqual(r.cc, ['linux-mm@kvack.org']);
  assert.match(r.body, /^Hi Alice,\n/);
});

test('a failed, incomplete, superseded series', async () => {
  const s = toJson(await reviewResult(config)).series[1]!;
  assert.deepEqual(s.messages, ['<20240420090000.500-1-alice@example.org>', '<20240420090000.500-2-alice@example.org>', '<20240420090000.500-4-alice@example.org>']);
  assert.equal(s.superseded, true);
  assert.equal(s.supersededBy, '<20240501120000.1000-1-alice@example.org>');
  assert.equal(s.incomplete, '2/3 missing');
  assert.deepEqual(s.apply, {
    status: 'failed',
    patch: '<20240420090000.500-4-alice@example.org>',
    file: 'drivers/misc/demo_devmem.c',
    hunk: '@@ -120,7 +120,6 @@',
    detail: 'error: patch failed: drivers/misc/demo_devmem.c:120',
  });
  assert.equal(s.base?.source, 'head');
  assert.equal(s.verdict, 'failed');
  assert.deepEqual(s.counts, { error: 0, warning: 0, info: 0 });
  assert.deepEqual(s.replies, []);
});

test('a review carrying only `reply` (no `replies`) still lists it in replies', async () => {
  const result = await reviewResult(config);
  delete result.series[0]!.replies;
  const s = toJson(result).series[0]!;
  assert.equal(s.replies.length, 1);
  assert.equal(s.replies[0]!.inReplyTo, '<20240501120000.1000-3-alice@example.org>');
});
