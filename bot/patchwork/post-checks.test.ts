import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../config/read-config.ts';
import { startPatchworkStandIn, type PatchworkStandIn } from '../../test/support/patchwork-stand-in.ts';
import { appliedOnBaseCommit, demoSeries, doublePageFreeFinding } from '../report/testdata/review-fixture.ts';
import { postPatchworkChecks, PatchworkError } from './post-checks.ts';

let pw: PatchworkStandIn;
before(async () => {
  pw = await startPatchworkStandIn('pw-secret');
});
after(() => pw.close());

const pwConfig = (token = 'pw-secret', extra: Record<string, unknown> = {}) => ({ ...parseConfig({ patchwork: { url: pw.url, ...extra } }).patchwork!, token });

test('each patch of the series gets a kbot-refcount check: fail where an error was found, success elsewhere, with the target URL', async () => {
  pw.checks.length = 0;
  pw.patches.splice(0, pw.patches.length,
    { id: 101, msgid: '<20240501120000.1000-2-alice@example.org>', series: 77, name: '[v2,1/3] demo_devmem: add a free list lock' },
    { id: 102, msgid: '<20240501120000.1000-3-alice@example.org>', series: 77, name: '[v2,2/3] demo_devmem: keep idle pages at refcount 1' },
  );
  const r = await postPatchworkChecks(pwConfig('pw-secret', { target_url: 'https://kbot.example.org/r/{series}' }), { series: demoSeries(), apply: appliedOnBaseCommit(), findings: [doublePageFreeFinding()], seriesKey: 'abc' });
  assert.deepEqual(pw.checks, [
    { patch: 101, state: 'success', context: 'kbot-refcount', description: 'no refcount problem found', target_url: 'https://kbot.example.org/r/abc', user: 'kbot' },
    { patch: 102, state: 'fail', context: 'kbot-refcount', description: '1 error(s): page_free() runs twice for one page: a pfn walker gets a reference to a free device page', target_url: 'https://kbot.example.org/r/abc', user: 'kbot' },
  ]);
  assert.equal(r.seriesId, 77);
  // patch 3/3 is not in Patchwork: said, not skipped silently
  assert.ok(r.notes.includes(`patchwork: ${pw.url} has no patch <20240501120000.1000-4-alice@example.org>: no check posted for it`), r.notes.join('\n'));
  assert.ok(pw.requests.filter((q) => q.method === 'POST').every((q) => q.authorization === 'Token pw-secret'));
});

test('pending while under review; a series that does not apply warns on every patch', async () => {
  pw.checks.length = 0;
  pw.patches.splice(0, pw.patches.length, { id: 101, msgid: '<20240501120000.1000-2-alice@example.org>', series: 77, name: 'p1' });
  await postPatchworkChecks(pwConfig(), { series: demoSeries(), apply: appliedOnBaseCommit(), findings: [], seriesKey: 'abc' }, true);
  await postPatchworkChecks(pwConfig(), { series: demoSeries(), apply: { status: 'failed', base: appliedOnBaseCommit().base, detail: 'x' }, findings: [], seriesKey: 'abc' });
  assert.deepEqual(pw.checks.map((c) => [c.state, c.description]), [
    ['pending', 'kbot is reviewing this series'],
    ['warning', 'not reviewed: the series does not apply on 0f1e2d3c4b5a'],
  ]);
});

test('a token Patchwork refuses is an error naming the status, not a silent skip', async () => {
  pw.patches.splice(0, pw.patches.length, { id: 101, msgid: '<20240501120000.1000-2-alice@example.org>', series: 77, name: 'p1' });
  await assert.rejects(postPatchworkChecks(pwConfig('wrong'), { series: demoSeries(), apply: appliedOnBaseCommit(), findings: [], seriesKey: 'abc' }), (e: Error) => e instanceof PatchworkError && / 403 /.test(e.message));
});
