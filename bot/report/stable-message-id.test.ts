import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appliedOnBaseCommit, demoSeries, doublePageFreeFinding } from './testdata/review-fixture.ts';
import { stableMessageId } from './stable-message-id.ts';

const base = () => ({
  series: demoSeries(),
  apply: appliedOnBaseCommit(),
  findings: [doublePageFreeFinding()],
  kbotVersion: '0.1.0',
  inReplyTo: '<20240501120000.1000-3-alice@example.org>',
  email: 'kbot@example.org',
});

test('the same review gives the same id; each thing the reply is about changes it', () => {
  const id = stableMessageId(base());
  assert.match(id, /^<kbot-[0-9a-f]{24}@example\.org>$/);
  assert.equal(stableMessageId(base()), id);
  const changed = [
    { ...base(), kbotVersion: '0.2.0' },
    { ...base(), findings: [{ ...doublePageFreeFinding(), title: 'another title' }] },
    { ...base(), findings: [] },
    { ...base(), inReplyTo: '<20240501120000.1000-2-alice@example.org>' },
    { ...base(), apply: { ...appliedOnBaseCommit(), head: 'f'.repeat(40) } },
    { ...base(), series: { ...demoSeries(), version: 3 } },
  ];
  for (const c of changed) assert.notEqual(stableMessageId(c), id);
});
