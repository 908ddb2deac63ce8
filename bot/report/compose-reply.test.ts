import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simpleParser } from 'mailparser';
import { parseConfig } from '../../config/read-config.ts';
import type { Finding } from '../../analyzers/types.ts';
import type { ApplyResult } from '../types.ts';
import { composeReplies, planReplies } from './compose-reply.ts';
import { appliedOnBaseCommit, demoSeries, doublePageFreeFinding } from './testdata/review-fixture.ts';
import { assertGolden } from './testdata/golden.ts';

const NOW = new Date('2024-05-02T10:00:00Z');
const MM_LIST = { lists: [{ address: 'linux-mm@kvack.org', reply_to: 'list' }] };

function review(findings: Finding[], apply: ApplyResult = appliedOnBaseCommit()) {
  return { series: demoSeries(), apply, findings, notes: [] };
}

test('a finding becomes one reply under the patch that introduced it, body as in the golden file', async () => {
  const [reply, ...rest] = await composeReplies(review([doublePageFreeFinding()]), parseConfig(MM_LIST), { now: NOW });
  assert.equal(rest.length, 0);
  assert.ok(reply);
  assertGolden('double-page-free.reply.txt', reply.body);
  assert.equal(reply.subject, 'Re: [PATCH v2 2/3] demo_devmem: keep idle pages at refcount 1');
  assert.equal(reply.inReplyTo, '<20240501120000.1000-3-alice@example.org>');
  assert.deepEqual(reply.references, ['<20240501120000.1000-1-alice@example.org>', '<20240501120000.1000-3-alice@example.org>']);
  assert.deepEqual(reply.to, ['Alice Example <alice@example.org>']);
  assert.deepEqual(reply.cc, ['linux-mm@kvack.org']);
  assert.equal(reply.from, 'kbot <kbot@localhost>');
});

test('reply lines are at most 72 columns, except quoted code and the trace table', async () => {
  const [reply] = await composeReplies(review([doublePageFreeFinding()]), parseConfig(MM_LIST), { now: NOW });
  const lines = reply!.body.split('\n');
  const tableStart = lines.findIndex((l) => l.startsWith('  #  CPU0'));
  const tableEnd = lines.indexOf('', tableStart);
  assert.ok(tableStart > 0 && tableEnd > tableStart, 'the reply has a trace table');
  lines.forEach((l, i) => {
    if (l.startsWith('>') || (i >= tableStart && i < tableEnd)) return;
    assert.ok(l.length <= 72, `line ${i + 1} is ${l.length} columns: ${l}`);
  });
  // the table has one row per step, and the moving CPU's column names the function
  const rows = lines.slice(tableStart + 2, tableEnd);
  assert.equal(rows.length, doublePageFreeFinding().trace!.length);
  assert.match(rows[3]!, /^ {2}4 {2}\s+get_page_unless_zero\(\) mm\/memory-failure\.c:1342 +2 +\[page0\] +free/);
  // only the hunk is quoted, never the whole patch: every quoted line is one of the finding's hunk lines
  const quoted = lines.filter((l) => l.startsWith('>'));
  assert.equal(quoted.length, doublePageFreeFinding().hunk.length);
});

test('the eml is a plain-text mail a client threads under the patch', async () => {
  const [reply] = await composeReplies(review([doublePageFreeFinding()]), parseConfig(MM_LIST), { now: NOW });
  const mail = await simpleParser(reply!.eml);
  assert.equal(mail.subject, 'Re: [PATCH v2 2/3] demo_devmem: keep idle pages at refcount 1');
  assert.equal(mail.inReplyTo, '<20240501120000.1000-3-alice@example.org>');
  assert.deepEqual(mail.references, ['<20240501120000.1000-1-alice@example.org>', '<20240501120000.1000-3-alice@example.org>']);
  assert.match(mail.messageId ?? '', /^<kbot-[0-9a-f]{24}@localhost>$/);
  assert.equal(mail.date?.toISOString(), NOW.toISOString());
  assert.equal(mail.html, false);
  assert.equal(mail.text, reply!.body);
  assert.match(reply!.eml, /^Content-Type: text\/plain; charset=utf-8\r$/m);
  assert.match(reply!.eml, /^Content-Transfer-Encoding: 7bit\r$/m);
  // the table survives as written, not quoted-printable
  assert.ok(reply!.eml.includes('get_page_unless_zero() mm/memory-failure.c:1342'));
});

test('the same review composed twice gives the same Message-ID; another time gives another', async () => {
  const config = parseConfig(MM_LIST);
  const a = await composeReplies(review([doublePageFreeFinding()]), config, { now: NOW });
  const b = await composeReplies(review([doublePageFreeFinding()]), config, { now: NOW });
  const c = await composeReplies(review([doublePageFreeFinding()]), config, { now: new Date('2024-05-03T10:00:00Z') });
  const id = (eml: string) => /^Message-ID: (.*)\r$/m.exec(eml)![1];
  assert.equal(id(a[0]!.eml), id(b[0]!.eml));
  assert.notEqual(id(a[0]!.eml), id(c[0]!.eml));
});

test('non-ASCII names are encoded in headers and the body goes out as 8bit utf-8', async () => {
  const series = demoSeries();
  series.patches[1]!.from = { name: 'Jörg Müller', address: 'joerg@example.de' };
  const [reply] = await composeReplies({ ...review([doublePageFreeFinding()]), series }, parseConfig(MM_LIST), { now: NOW });
  assert.ok(reply!.body.startsWith('Hi Jörg,\n'));
  assert.match(reply!.eml, /^To: =\?UTF-8\?Q\?J=C3=B6rg_M=C3=BCller\?= <joerg@example\.de>\r$/m);
  assert.match(reply!.eml, /^Content-Transfer-Encoding: 8bit\r$/m);
  const mail = await simpleParser(reply!.eml);
  assert.equal(mail.text, reply!.body);
});

test('findings are grouped by patch; series-wide ones go under the cover letter', async () => {
  const onPatch1: Finding = { ...doublePageFreeFinding(), title: 'first', patch: '<20240501120000.1000-2-alice@example.org>', trace: undefined };
  const seriesWide: Finding = { ...doublePageFreeFinding(), title: 'series-wide', patch: null, hunk: [], trace: undefined, callSites: [] };
  const unknownPatch: Finding = { ...seriesWide, title: 'from elsewhere', patch: '<not-in-this-series@example.org>' };
  const replies = await composeReplies(
    review([doublePageFreeFinding(), onPatch1, seriesWide, { ...doublePageFreeFinding(), title: 'second on patch 2' }, unknownPatch]),
    parseConfig(MM_LIST),
    { now: NOW },
  );
  assert.deepEqual(
    replies.map((r) => r.subject),
    [
      'Re: [PATCH v2 0/3] demo_devmem: simplify page refcounting',
      'Re: [PATCH v2 1/3] demo_devmem: add a free list lock',
      'Re: [PATCH v2 2/3] demo_devmem: keep idle pages at refcount 1',
    ],
  );
  assert.match(replies[0]!.body, /found 2 problems in this series\./);
  assert.ok(replies[0]!.body.includes('series-wide') && replies[0]!.body.includes('from elsewhere'));
  assert.deepEqual(replies[0]!.references, ['<20240501120000.1000-1-alice@example.org>']);
  assert.match(replies[2]!.body, /found 2 problems in this patch\./);
  assert.ok(replies[2]!.body.includes('second on patch 2'));
  // one trailer block per reply, however many findings
  assert.equal(replies[2]!.body.match(/^Reported-by:/gm)?.length, 1);
});

test('a clean series gets no reply', async () => {
  assert.deepEqual(await composeReplies(review([]), parseConfig(MM_LIST), { now: NOW }), []);
});

test('a failed apply gets one reply under the cover letter naming base, patch, file and hunk', async () => {
  const apply: ApplyResult = {
    status: 'failed',
    base: appliedOnBaseCommit().base,
    patchIndex: 2,
    patch: '<20240501120000.1000-3-alice@example.org>',
    file: 'drivers/misc/demo_devmem.c',
    hunk: '@@ -84,9 +84,9 @@ static void demo_page_free(struct page *page)',
    detail: 'error: patch failed: drivers/misc/demo_devmem.c:84\nerror: drivers/misc/demo_devmem.c: patch does not apply',
  };
  const replies = await composeReplies(review([], apply), parseConfig(MM_LIST), { now: NOW });
  assert.equal(replies.length, 1);
  assertGolden('apply-failure.reply.txt', replies[0]!.body);
  assert.equal(replies[0]!.subject, 'Re: [PATCH v2 0/3] demo_devmem: simplify page refcounting');
  assert.equal(replies[0]!.inReplyTo, '<20240501120000.1000-1-alice@example.org>');
  // without a cover letter it goes under patch 1
  const noCover = { ...review([], apply), series: { ...demoSeries(), cover: null } };
  const [r] = await composeReplies(noCover, parseConfig(MM_LIST), { now: NOW });
  assert.equal(r!.inReplyTo, '<20240501120000.1000-2-alice@example.org>');
  // and not at all when the config says so
  assert.deepEqual(await composeReplies(review([], apply), parseConfig({ ...MM_LIST, reply_on_apply_failure: false }), { now: NOW }), []);
});

test('policy author: the author alone, no Cc', async () => {
  const [r] = await composeReplies(review([doublePageFreeFinding()]), parseConfig({ lists: [{ address: 'linux-mm@kvack.org' }] }), { now: NOW });
  assert.deepEqual(r!.to, ['Alice Example <alice@example.org>']);
  assert.deepEqual(r!.cc, []);
  assert.doesNotMatch(r!.eml, /^Cc:/m);
});

test('policy list: the author, with the list in Cc; another configured list set to author stays out', async () => {
  const config = parseConfig({
    lists: [
      { address: 'linux-mm@kvack.org', reply_to: 'list' },
      { address: 'linux-kernel@vger.kernel.org', reply_to: 'author' },
    ],
  });
  const [r] = await composeReplies(review([doublePageFreeFinding()]), config, { now: NOW });
  assert.deepEqual(r!.cc, ['linux-mm@kvack.org']);
});

test('policy all: reply-all, lists first, names kept, capped at cc_cap', async () => {
  const all = { lists: [{ address: 'linux-mm@kvack.org', reply_to: 'all' }] };
  const [r] = await composeReplies(review([doublePageFreeFinding()]), parseConfig(all), { now: NOW });
  assert.deepEqual(r!.cc, [
    'linux-mm@kvack.org',
    'Andrew Morton <akpm@linux-foundation.org>',
    'linux-kernel@vger.kernel.org',
    '"Doe, John" <john.doe@example.com>',
  ]);
  const mail = await simpleParser(r!.eml);
  const ccs = Array.isArray(mail.cc) ? mail.cc : mail.cc ? [mail.cc] : [];
  assert.deepEqual(ccs.flatMap((a) => a.value.map((v) => v.address)), [
    'linux-mm@kvack.org',
    'akpm@linux-foundation.org',
    'linux-kernel@vger.kernel.org',
    'john.doe@example.com',
  ]);
  const [capped] = await composeReplies(review([doublePageFreeFinding()]), parseConfig({ ...all, cc_cap: 2 }), { now: NOW });
  assert.deepEqual(capped!.cc, ['linux-mm@kvack.org', 'Andrew Morton <akpm@linux-foundation.org>']);
});

test('mail to no configured list follows default_policy', async () => {
  const author = await composeReplies(review([doublePageFreeFinding()]), parseConfig({}), { now: NOW });
  assert.deepEqual(author[0]!.cc, []);
  const list = await composeReplies(review([doublePageFreeFinding()]), parseConfig({ default_policy: { reply_to: 'list' } }), { now: NOW });
  assert.equal(list[0]!.cc.length, 4);
  const muted = await planReplies(review([doublePageFreeFinding()]), parseConfig({ default_policy: { mute: true } }), { now: NOW });
  assert.deepEqual(muted.drafts, []);
  assert.match(muted.skipped[0]!.reason, /default policy/);
});

test('a muted list or an ignored sender gets no reply at all, and the plan says why', async () => {
  const muted = await planReplies(
    review([doublePageFreeFinding()]),
    parseConfig({ lists: [{ address: 'linux-mm@kvack.org', reply_to: 'all' }, { address: 'linux-kernel@vger.kernel.org', mute: true }] }),
    { now: NOW },
  );
  assert.deepEqual(muted.drafts, []);
  assert.deepEqual(muted.skipped, [
    { inReplyTo: '<20240501120000.1000-3-alice@example.org>', reason: 'muted: linux-kernel@vger.kernel.org is set to mute' },
  ]);
  const ignored = await planReplies(
    review([doublePageFreeFinding()]),
    parseConfig({ lists: [{ address: 'linux-mm@kvack.org', reply_to: 'list', ignore_senders: ['*@example.org'] }] }),
    { now: NOW },
  );
  assert.deepEqual(ignored.drafts, []);
  assert.match(ignored.skipped[0]!.reason, /alice@example\.org matches "\*@example\.org"/);
  // a glob that does not match lets the reply through
  const other = await composeReplies(
    review([doublePageFreeFinding()]),
    parseConfig({ lists: [{ address: 'linux-mm@kvack.org', ignore_senders: ['syzbot*', 'bob@example.org'] }] }),
    { now: NOW },
  );
  assert.equal(other.length, 1);
});

test('kbot never replies to its own mail', async () => {
  const series = demoSeries();
  series.patches[1]!.from = { name: 'kbot', address: 'KBOT@localhost' };
  const plan = await planReplies({ ...review([doublePageFreeFinding()]), series }, parseConfig(MM_LIST), { now: NOW });
  assert.deepEqual(plan.drafts, []);
});

test('hostile Message-IDs and subjects cannot inject headers', async () => {
  const series = demoSeries();
  const p = series.patches[1]!;
  p.messageId = '<evil@x>\r\nBcc: victim@example.org';
  p.subject = '[PATCH] x\r\nBcc: victim@example.org';
  const finding = { ...doublePageFreeFinding(), patch: p.messageId };
  const [r] = await composeReplies({ ...review([finding]), series }, parseConfig(MM_LIST), { now: NOW });
  assert.doesNotMatch(r!.eml, /^Bcc:/im);
  assert.equal(r!.inReplyTo, '<evil@xBcc:victim@example.org>');
});
