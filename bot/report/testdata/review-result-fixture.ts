// A whole `kbot review` result for the rendering tests: one series with a finding and its reply, one that
// does not apply (incomplete and superseded), one clean, and a rejected message.
import type { KbotConfig } from '../../../config/schema.ts';
import type { ApplyResult, ReviewResult, SeriesReview } from '../../types.ts';
import { composeReplies } from '../compose-reply.ts';
import { appliedOnBaseCommit, demoSeries, doublePageFreeFinding, makeMessage } from './review-fixture.ts';

export const NOW = new Date('2024-05-02T10:00:00Z');

export async function reviewResult(config: KbotConfig): Promise<ReviewResult> {
  const withFinding = { series: demoSeries(), apply: appliedOnBaseCommit(), findings: [doublePageFreeFinding()], notes: ['refcount-sim: 3 scenarios, 1 unexpected outcome'] };
  const replies = await composeReplies(withFinding, config, { now: NOW });

  const old = demoSeries();
  old.id = '<20240420090000.500-1-alice@example.org>';
  old.version = 1;
  old.cover = makeMessage({ messageId: old.id, subject: '[PATCH 0/3] demo_devmem: simplify page refcounting', index: 0, total: 3 });
  old.patches = [
    makeMessage({ messageId: '<20240420090000.500-2-alice@example.org>', subject: '[PATCH 1/3] demo_devmem: add a free list lock', index: 1, total: 3 }),
    null,
    makeMessage({ messageId: '<20240420090000.500-4-alice@example.org>', subject: '[PATCH 3/3] demo_devmem: drop the allocation refcount reset', index: 3, total: 3 }),
  ];
  old.missing = [2];
  old.supersededBy = withFinding.series.id;
  const failed: ApplyResult = {
    status: 'failed',
    base: { commit: 'aaaabbbbccccddddeeeeffff0000111122223333', source: 'head', why: 'No base-commit: given; used the tree HEAD.' },
    patchIndex: 3,
    patch: '<20240420090000.500-4-alice@example.org>',
    file: 'drivers/misc/demo_devmem.c',
    hunk: '@@ -120,7 +120,6 @@',
    detail: 'error: patch failed: drivers/misc/demo_devmem.c:120',
  };

  const clean = {
    ...demoSeries(),
    id: '<cover-clean@example.org>',
    cover: makeMessage({ messageId: '<cover-clean@example.org>', subject: '[PATCH 0/1] mm: tidy a comment', index: 0, total: 1 }),
    patches: [makeMessage({ messageId: '<patch-clean@example.org>', subject: '[PATCH 1/1] mm: tidy a comment', index: 1, total: 1 })],
    total: 1,
    version: 1,
    title: 'mm: tidy a comment',
  };

  const reviews: SeriesReview[] = [
    { ...withFinding, reply: replies[0] ?? null, replies, verdict: '' },
    { series: old, apply: failed, findings: [], notes: [], reply: null, verdict: '' },
    { series: clean, apply: appliedOnBaseCommit(), findings: [], notes: [], reply: null, verdict: '' },
  ];
  return {
    tree: { path: '/srv/linux', head: '89abcdef0123456789abcdef0123456789abcdef' },
    series: reviews,
    rejected: [{ messageId: '<spam@example.net>', source: 'mbox:/fixtures/demo.mbox#7', reason: 'not a patch and not part of a series' }],
  };
}
