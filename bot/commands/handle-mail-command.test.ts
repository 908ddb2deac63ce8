import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { simpleParser } from 'mailparser';
import { parseConfig } from '../../config/read-config.ts';
import { testRedis, type TestRedis } from '../../test/support/test-redis.ts';
import { commandMail, dkimDomain, dnsResolver, signMail } from '../../test/support/dkim-mail.ts';
import { appliedOnBaseCommit, demoSeries, doublePageFreeFinding, makeMessage } from '../report/testdata/review-fixture.ts';
import { composeReplies } from '../report/compose-reply.ts';
import type { Series } from '../types.ts';
import { AnswerOnce } from './answer-once.ts';
import { findingId } from './finding-id.ts';
import { handleMailCommand } from './handle-mail-command.ts';
import { recordOf, RunHistory } from './run-record.ts';
import { seriesKey } from './series-key.ts';
import { ThreadIndex } from './thread-index.ts';
import { TriageStore } from './triage-store.ts';
import type { RerunRequest } from './execute-commands.ts';

const kernelOrg = dkimDomain('kernel.org');
const resolver = dnsResolver([kernelOrg]);
const REPORT = '<kbot-0123456789abcdef01234567@bots.example.org>';
const config = parseConfig({ identity: { email: 'kbot@bots.example.org' }, commands: { maintainers: ['akpm@kernel.org'] }, lists: [{ address: 'linux-mm@kvack.org', reply_to: 'list' }] });
let r: TestRedis;
let deps: Parameters<typeof handleMailCommand>[1];
const logged: string[] = [];
const reruns: RerunRequest[] = [];

/** Version 3 of the demo series: other Message-IDs, the same author and title. */
function nextVersion(): Series {
  const s = demoSeries();
  const renumber = (id: string) => id.replace('1000-', '3000-');
  return {
    ...s,
    id: renumber(s.id),
    version: 3,
    cover: makeMessage({ messageId: renumber(s.cover!.messageId), subject: '[PATCH v3 0/3] demo_devmem: simplify page refcounting', index: 0, total: 3 }),
    patches: s.patches.map((p) => p && { ...p, messageId: renumber(p.messageId), subject: p.subject.replace('v2', 'v3') }),
  };
}

before(async () => {
  r = await testRedis();
  const threads = new ThreadIndex(r.redis, r.prefix);
  const history = new RunHistory(r.redis, r.prefix);
  const series = demoSeries();
  const key = seriesKey(series);
  // what the report stage of v2 left: the report's thread, and the run with its finding
  await threads.rememberMail([REPORT], series.patches.map((p) => p!.messageId), { seriesKey: key, seriesId: series.id, title: series.title });
  await history.record(key, recordOf('run-1', { kbotVersion: '0.1.0', scenarios: ['devmap-put-free+walker-get-put'], configHash: 'sha256:x', tree: '/src/linux', commit: appliedOnBaseCommit().head!, base: appliedOnBaseCommit().base!.commit }, series.id, 2, [doublePageFreeFinding()], new Date('2026-01-01T00:00:00Z')));
  deps = {
    config,
    threads,
    resolver,
    triage: new TriageStore(r.redis, r.prefix),
    history,
    once: new AnswerOnce(r.redis, r.prefix),
    log: (l) => logged.push(l),
    rerun: async (q) => {
      reruns.push(q);
      return `job rerun:${q.seriesKey}`;
    },
    now: new Date('2026-01-02T00:00:00Z'),
  };
});
after(() => r.cleanup());

test('a maintainer marks a finding invalid by signed mail; the next version of the series is not told about it again', async () => {
  const id = findingId(doublePageFreeFinding());
  const mail = await signMail(commandMail({ from: 'Andrew Morton <akpm@kernel.org>', inReplyTo: REPORT, body: `Not a bug: the driver holds the lock.\n\n#kbot invalid ${id}`, messageId: '<triage-1@kernel.org>' }), kernelOrg);
  const res = await handleMailCommand(mail, deps);
  assert.equal(res.decision.kind, 'accept');
  assert.match(res.reply!.body, new RegExp(`^Marked invalid: ${id} \\(page_free\\(\\) runs twice`));
  const sent = await simpleParser(res.reply!.eml);
  assert.equal(sent.inReplyTo, '<triage-1@kernel.org>');
  assert.equal(sent.to && !Array.isArray(sent.to) ? sent.to.text : '', 'akpm@kernel.org');
  assert.equal(sent.subject, 'Re: [PATCH v2 2/3] demo_devmem: keep idle pages at refcount 1');

  // v3 arrives with the same finding: it is left out, so v3 gets no reply at all
  const v3 = nextVersion();
  assert.notEqual(v3.id, demoSeries().id);
  const { kept, suppressed } = await deps.triage.apply(seriesKey(v3), [doublePageFreeFinding()]);
  assert.deepEqual(kept, []);
  assert.deepEqual(suppressed.map((s) => s.why), ['marked invalid by akpm@kernel.org on 2026-01-02']);
  assert.deepEqual(await composeReplies({ series: v3, apply: appliedOnBaseCommit(), findings: kept, notes: [] }, config), []);
  // another finding of v3 is still reported
  const other = { ...doublePageFreeFinding(), category: 'use-after-free' as const, title: 'the driver hands the page out again while the walker holds it' };
  assert.equal((await deps.triage.apply(seriesKey(v3), [other])).kept.length, 1);
});

test('an id that is not in the last report is said, and nothing is stored', async () => {
  const mail = await signMail(commandMail({ from: 'akpm@kernel.org', inReplyTo: REPORT, body: '#kbot invalid ffffffffff', messageId: '<triage-2@kernel.org>' }), kernelOrg);
  const res = await handleMailCommand(mail, deps);
  assert.match(res.reply!.body.replace(/\n(?=\S)/g, ' '), /^ffffffffff is not a finding of kbot's last report on this series \(its findings: [0-9a-f]{10}\): nothing is changed\./);
  assert.ok(!(await deps.triage.list(seriesKey(demoSeries()))).some((e) => e.what === 'ffffffffff'));
});

test('a rerun is handed on with the series and who asked; an unknown command gets the list of valid ones', async () => {
  const mail = await signMail(commandMail({ from: 'akpm@kernel.org', inReplyTo: REPORT, body: '#kbot rerun mm/mm-unstable\n#kbot frobnicate', messageId: '<rerun-1@kernel.org>' }), kernelOrg);
  const res = await handleMailCommand(mail, deps);
  assert.deepEqual(reruns.map((q) => [q.seriesKey, q.on, q.by, q.via]), [[seriesKey(demoSeries()), { tree: 'mm', branch: 'mm-unstable' }, 'akpm@kernel.org', '<rerun-1@kernel.org>']]);
  assert.match(res.reply!.body.replace(/\n(?=\S)/g, ' '), /^Rerun queued \(job rerun:[0-9a-f]{16}\): kbot applies the series on mm\/mm-unstable and reviews it again/);
  assert.match(res.reply!.body, /kbot did not understand "#kbot frobnicate"/);
  assert.match(res.reply!.body, /^ {2}#kbot ignore <category> {6}do not report that category again$/m);
});

test('a refusal is logged and answered once: the same mail delivered again gets no second answer', async () => {
  const unsigned = Buffer.from(commandMail({ from: 'akpm@kernel.org', inReplyTo: REPORT, body: '#kbot rerun', messageId: '<forged-1@kernel.org>' }));
  const first = await handleMailCommand(unsigned, deps);
  const second = await handleMailCommand(unsigned, deps);
  assert.equal(first.decision.kind, 'refuse');
  assert.equal(first.reply!.to, 'akpm@kernel.org');
  assert.equal(first.reply!.body, [
    'kbot did not act on your commands: akpm@kernel.org could not be',
    'verified: it carries no DKIM signature.',
    '',
    'kbot takes commands from the maintainers listed in its config, in mail',
    'with a DKIM signature of the From domain.',
    '',
  ].join('\n'));
  assert.equal(second.reply, undefined);
  assert.equal(second.duplicate, true);
  assert.equal(reruns.filter((q) => q.via === '<forged-1@kernel.org>').length, 0);
  assert.ok(logged.includes('commands: refused <forged-1@kernel.org> from akpm@kernel.org: akpm@kernel.org could not be verified: it carries no DKIM signature'), logged.join('\n'));
});
