import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testRedis } from '../../test/support/test-redis.ts';
import { doublePageFreeFinding } from '../report/testdata/review-fixture.ts';
import { findingId } from './finding-id.ts';
import { recordOf, RunHistory } from './run-record.ts';

test('a rerun says what changed since the last run: new and fixed findings; a retried run is not compared with itself', async () => {
  const r = await testRedis();
  try {
    const h = new RunHistory(r.redis, r.prefix);
    const pin = (commit: string) => ({ kbotVersion: '0.1.0', scenarios: ['devmap-put-free+walker-get-put'], configHash: 'sha256:x', tree: 'linux', commit, base: 'b'.repeat(40) });
    const old = doublePageFreeFinding();
    const fresh = { ...old, category: 'use-after-free' as const, title: 'the page is handed out again' };
    const at = new Date('2026-01-01T00:00:00Z');
    assert.equal(await h.record('s', recordOf('run-1', pin('a'.repeat(40)), '<s@x>', 2, [old], at)), null);
    const second = recordOf('run-2', pin('c'.repeat(40)), '<s@x>', 2, [fresh], at);
    const changes = await h.record('s', second);
    assert.deepEqual(changes?.added.map((f) => f.id), [findingId(fresh)]);
    assert.deepEqual(changes?.fixed.map((f) => f.id), [findingId(old)]);
    assert.equal(changes?.previous.commit, 'a'.repeat(40));
    assert.deepEqual(await h.record('s', second), changes, 'the retried run-2 is compared with run-1 again');
    assert.equal((await h.last('s'))?.runId, 'run-2');
  } finally {
    await r.cleanup();
  }
});
