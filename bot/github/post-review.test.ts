import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../config/read-config.ts';
import { startGithubStandIn, type GithubStandIn } from '../../test/support/github-stand-in.ts';
import { appliedOnBaseCommit, demoSeries, doublePageFreeFinding } from '../report/testdata/review-fixture.ts';
import { seriesKey } from '../commands/series-key.ts';
import { findingId } from '../commands/finding-id.ts';
import { postToGithub } from './post-review.ts';

let gh: GithubStandIn;
before(async () => {
  gh = await startGithubStandIn('kernel-patches', 'linux');
});
after(() => gh.close());

function githubConfig(extra: Record<string, unknown> = {}) {
  const c = parseConfig({ github: { repo: 'kernel-patches/linux', api_url: gh.url, ...extra } });
  return { ...c.github!, token: 'test-token' };
}

function reset() {
  gh.requests.length = 0;
  gh.pulls.length = 0;
  gh.comments.length = 0;
  gh.checkRuns.length = 0;
  gh.issues.length = 0;
}

const PR_HEAD = 'feedfacefeedfacefeedfacefeedfacefeedface';

test('the series\' pull request gets one comment: table, quoted hunk, mermaid interleaving, blob links at the applied commit; a check run on its head', async () => {
  reset();
  gh.pulls.push(
    { number: 7, title: 'mm: something else', headRef: 'series/900=>bpf-next', headSha: 'a'.repeat(40), state: 'open' },
    { number: 8, title: 'demo_devmem: simplify page refcounting', headRef: 'series/901=>bpf-next', headSha: PR_HEAD, state: 'open' },
  );
  const series = demoSeries();
  const f = doublePageFreeFinding();
  const posted = await postToGithub(githubConfig(), { seriesKey: seriesKey(series), series, apply: appliedOnBaseCommit(), findings: [f] });
  assert.equal(posted.target?.number, 8);
  assert.equal(gh.comments.length, 1);
  const body = gh.comments[0]!.body;
  assert.equal(gh.comments[0]!.issue, 8);
  assert.ok(body.startsWith(`<!-- kbot:series=${seriesKey(series)} -->\n`));
  assert.match(body, new RegExp(`^\\| 1 \\| error \\| \`double-free\` \\| page_free\\(\\) runs twice for one page: a pfn walker gets a reference to a free device page \\| \`${findingId(f)}\` \\| 2/3 \\|$`, 'm'));
  assert.ok(body.includes('```diff\n static void demo_page_free(struct page *page)\n'));
  assert.ok(body.includes('-\tset_page_count(page, 0);\n+\t/* idle pages stay at refcount 1, ready for the next user */'));
  // the interleaving, one arrow per step and the page's state after it
  const mermaid = body.slice(body.indexOf('```mermaid'), body.indexOf('```', body.indexOf('```mermaid') + 3));
  assert.match(mermaid, /participant CPU0 as CPU0 \(owner\)/);
  assert.match(mermaid, /participant CPU1 as CPU1 \(walker\)/);
  assert.equal(mermaid.split('\n').filter((l) => l.includes('->>page:')).length, f.trace!.length);
  assert.match(mermaid, /CPU1->>page: 4\. page_ref_add_unless\(page, 1, 0\) = true \(mm\/memory-failure\.c:1342\)\n {2}Note right of page: refcount 2 free/);
  assert.match(mermaid, /Note right of page: refcount 1 free x2/);
  // call sites link to the blob lines at the commit kbot applied
  assert.ok(body.includes(`- [\`mm/memory-failure.c:1342\`](https://github.com/kernel-patches/linux/blob/${appliedOnBaseCommit().head}/mm/memory-failure.c#L1342)`));
  // the check run: on the pull request's head, failure, the finding as an annotation at its hunk
  assert.equal(gh.checkRuns.length, 1);
  const run = gh.checkRuns[0]!;
  assert.equal(run.name, 'kbot/refcount');
  assert.equal(run.head_sha, PR_HEAD);
  assert.equal(run.status, 'completed');
  assert.equal(run.conclusion, 'failure');
  assert.deepEqual(run.output.annotations, [{ path: 'drivers/misc/demo_devmem.c', start_line: 84, end_line: 84, annotation_level: 'failure', title: `double-free (${findingId(f)})`, message: f.title }]);
  assert.ok(gh.requests.every((r) => r.authorization === 'token test-token'));
});

test('a rerun edits kbot\'s own comment (found by its marker), never a maintainer\'s comment quoting it', async () => {
  reset();
  gh.pulls.push({ number: 8, title: '[PATCH v2 0/3] demo_devmem: simplify page refcounting', headRef: 'b4/demo', headSha: PR_HEAD, state: 'open' });
  const series = demoSeries();
  const key = seriesKey(series);
  gh.comments.push({ id: 1, issue: 8, body: `quoting kbot: <!-- kbot:series=${key} -->`, login: 'maintainer', created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z' });
  const cfg = githubConfig();
  const first = await postToGithub(cfg, { seriesKey: key, series, apply: appliedOnBaseCommit(), findings: [doublePageFreeFinding()] });
  const second = await postToGithub(cfg, { seriesKey: key, series, apply: appliedOnBaseCommit(), findings: [] });
  assert.equal(first.comment?.action, 'created');
  assert.equal(second.comment?.action, 'updated');
  assert.equal(second.comment?.id, first.comment?.id);
  assert.equal(gh.comments.length, 2);
  assert.equal(gh.comments[0]!.body, `quoting kbot: <!-- kbot:series=${key} -->`);
  assert.match(gh.comments[1]!.body, /and found no problems\./);
  assert.deepEqual(gh.checkRuns.map((r) => r.conclusion), ['failure', 'success']);
});

test('a Patchwork series id matches kernel-patches-daemon\'s branch; two pull requests of one title go to the tracking issue, and the notes say why', async () => {
  reset();
  gh.pulls.push(
    { number: 10, title: 'demo_devmem: simplify page refcounting', headRef: 'series/41=>bpf', headSha: 'b'.repeat(40), state: 'open' },
    { number: 11, title: 'demo_devmem: simplify page refcounting', headRef: 'series/42=>bpf-next', headSha: 'c'.repeat(40), state: 'open' },
  );
  gh.issues.push({ number: 3, title: 'kbot reports' });
  const series = demoSeries();
  const byBranch = await postToGithub(githubConfig(), { seriesKey: seriesKey(series), series, apply: appliedOnBaseCommit(), findings: [], patchworkSeriesId: 42 });
  assert.equal(byBranch.target?.number, 11);
  const ambiguous = await postToGithub(githubConfig({ tracking_issue: 3, check_run: false }), { seriesKey: seriesKey(series), series, apply: appliedOnBaseCommit(), findings: [] });
  assert.equal(ambiguous.target?.kind, 'issue');
  assert.equal(ambiguous.target?.number, 3);
  assert.ok(ambiguous.notes.some((n) => n.includes('2 open pull requests of kernel-patches/linux match the series by title (#10, #11); none is chosen')), ambiguous.notes.join('\n'));
  assert.equal(gh.comments.filter((c) => c.issue === 3).length, 1);
  assert.equal(gh.checkRuns.length, 1, 'check_run: false posts no check');
});

test('no pull request and no tracking issue: nothing is posted, and the note says so', async () => {
  reset();
  const series = demoSeries();
  const r = await postToGithub(githubConfig(), { seriesKey: seriesKey(series), series, apply: appliedOnBaseCommit(), findings: [doublePageFreeFinding()] });
  assert.equal(r.target, null);
  assert.equal(gh.comments.length, 0);
  assert.deepEqual(r.notes, ['github: no open pull request of kernel-patches/linux matches the series, and no tracking_issue is configured: nothing posted']);
});

test('more findings than GitHub takes annotations in one request: all of them reach the check run, 50 at a time', async () => {
  reset();
  gh.pulls.push({ number: 8, title: 'demo_devmem: simplify page refcounting', headRef: 'x', headSha: PR_HEAD, state: 'open' });
  const series = demoSeries();
  const many = Array.from({ length: 120 }, (_, i) => ({ ...doublePageFreeFinding(), title: `finding ${i}`, hunkFile: `mm/f${i}.c:${i + 1}`, trace: undefined }));
  const r = await postToGithub(githubConfig(), { seriesKey: seriesKey(series), series, apply: appliedOnBaseCommit(), findings: many });
  assert.equal(r.check?.annotations, 120);
  assert.equal(gh.checkRuns[0]!.output.annotations.length, 120);
  assert.deepEqual(gh.requests.filter((q) => q.path.includes('check-runs')).map((q) => `${q.method} ${q.body.output.annotations.length}`), ['POST 50', 'PATCH 50', 'PATCH 20']);
});

test('a finding that names only its hunk\'s file is annotated at the hunk\'s first added line', async () => {
  const { annotationOf } = await import('./post-check-run.ts');
  const f = { ...doublePageFreeFinding(), hunkFile: 'include/linux/mm.h', hunk: ['@@ -100,6 +104,7 @@ static inline void put_page(struct page *page)', ' {', '-\told();', ' \tkeep();', '+\tnew();'], callSites: [] };
  assert.deepEqual([annotationOf(f)?.path, annotationOf(f)?.start_line], ['include/linux/mm.h', 106]);
});
