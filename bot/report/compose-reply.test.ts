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

test('reply lines are at most 80 columns, prose 72, except quoted code; the interleaving is a ladder, one line per step', async () => {
  const [reply] = await composeReplies(review([doublePageFreeFinding()]), parseConfig(MM_LIST), { now: NOW });
  const lines = reply!.body.split('\n');
  const ladderStart = lines.findIndex((l) => /^ +step +page +CPU0 +CPU1$/.test(l));
  const ladderEnd = lines.indexOf('', ladderStart);
  assert.ok(ladderStart > 0 && ladderEnd > ladderStart, 'the reply has a ladder');
  lines.forEach((l, i) => {
    if (l.startsWith('>')) return;
    assert.ok(l.length <= 80, `line ${i + 1} is ${l.length} columns: ${l}`);
  });
  // under the two header lines (CPU, role) and the rule: one line per step, the moving CPU's column holding
  // what the step ran, the page's count and state on the left; where it is, in the legend below
  const rows = lines.slice(ladderStart + 3, ladderEnd);
  assert.equal(rows.length, doublePageFreeFinding().trace!.length);
  assert.match(rows[3]!, /^ +4 {2}2 free {5}\s{8}page_ref_add_unless\(page, 1, 0\) = true$/);
  assert.match(rows[6]!, /^ +7 {2}1 free x2 {2}\s{8}list_add\(\) of a page already on the list$/);
  const legend = lines.slice(ladderEnd + 1, lines.indexOf('', ladderEnd + 1));
  assert.ok(legend.includes('    4  mm/memory-failure.c:1342 get_page_unless_zero()'), legend.join('\n'));
  assert.ok(legend.includes('  3,7  drivers/misc/demo_devmem.c:91 demo_page_free()'), legend.join('\n'));
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
  // the ladder's legend survives as written, not quoted-printable
  assert.ok(reply!.eml.includes('4  mm/memory-failure.c:1342 get_page_unless_zero()'));
});

test('the Message-ID is made from what the reply is about: the same review at another time gives the same one, other findings another', async () => {
  const config = parseConfig(MM_LIST);
  const a = await composeReplies(review([doublePageFreeFinding()]), config, { now: NOW });
  const b = await composeReplies(review([doublePageFreeFinding()]), config, { now: NOW });
  const c = await composeReplies(review([doublePageFreeFinding()]), config, { now: new Date('2024-05-03T10:00:00Z') });
  const d = await composeReplies(review([{ ...doublePageFreeFinding(), title: 'another title' }]), config, { now: NOW });
  const id = (eml: string) => /^Message-ID: (.*)\r$/m.exec(eml)![1];
  assert.match(id(a[0]!.eml), /^<kbot-[0-9a-f]{24}@/);
  assert.equal(id(a[0]!.eml), id(b[0]!.eml));
  assert.equal(id(a[0]!.eml), id(c[0]!.eml));
  assert.notEqual(id(a[0]!.eml), id(d[0]!.eml));
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
  // two findings of one scenario with one interleaving: one race, its ladder once, both results listed
  assert.match(replies[2]!.body, /found 2 problems in this patch; 2 of them are results\nof one race, shown once\./);
  assert.equal(replies[2]!.body.match(/^ +step +page +CPU0/gm)?.length, 1);
  assert.match(replies[2]!.body, /^ {2}- step 7: second on patch 2 \[double-free\]$/m);
  // one trailer block per reply, however many findings
  assert.equal(replies[2]!.body.match(/^\| Reported-by:/gm)?.length, 1);
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

test('the tags are the 0-day robot\'s, prefixed "| "; with report.domain the address is one per report, with report.archive_url a Closes: names it', async () => {
  const plain = (await composeReplies(review([doublePageFreeFinding()]), parseConfig(MM_LIST), { now: NOW }))[0]!.body;
  assert.match(plain, /^If you fix the issue in a separate patch\/commit \(i\.e\. not just a new\nversion of the same patch\/commit\), kindly add following tags\n\| Reported-by: kbot <kbot@localhost>\n\n/m);
  assert.doesNotMatch(plain, /^(Reported-by|Closes):/m, 'no unprefixed tag for a tool to pick up');
  assert.doesNotMatch(plain, /Closes:/, 'no archive configured: no Closes:');
  const config = parseConfig({ ...MM_LIST, identity: { email: 'kbot@bots.example.org' }, report: { domain: 'bots.example.org', archive_url: 'https://kbot.example.org/r/' } });
  const body = (await composeReplies(review([doublePageFreeFinding()]), config, { now: NOW }))[0]!.body;
  const id = /^\| Reported-by: kbot <kbot\+([0-9a-f]{12})@bots\.example\.org>$/m.exec(body)?.[1];
  assert.ok(id, body);
  assert.match(body, new RegExp(`^\\| Closes: https://kbot\\.example\\.org/r/${id}$`, 'm'));
  // the same report gets the same id at another time; another report another id
  const later = (await composeReplies(review([doublePageFreeFinding()]), config, { now: new Date('2025-01-01T00:00:00Z') }))[0]!.body;
  assert.ok(later.includes(`kbot+${id}@`));
  const other = (await composeReplies(review([{ ...doublePageFreeFinding(), title: 'another' }]), config, { now: NOW }))[0]!.body;
  assert.ok(!other.includes(`kbot+${id}@`));
});

test('the signature: "-- ", the version, the bot disclaimer, the contact line, and how to run the finding again', async () => {
  const f: Finding = { ...doublePageFreeFinding(), run: { rev: 'c0ffee'.padEnd(40, '0'), walkers: 2, maxStates: 5000, maxSeconds: 20 } };
  const [r] = await composeReplies(review([f]), parseConfig({ ...MM_LIST, report: { contact: 'Ask kbot-admins@example.org.' } }), { now: NOW, tree: '/src/linux', version: '9.9.9' });
  const sig = r!.body.slice(r!.body.indexOf('\n-- \n') + 5);
  assert.equal(
    sig,
    [
      'kbot 9.9.9',
      'This report was generated by a bot. It may contain errors.',
      'Ask kbot-admins@example.org.',
      '',
      'To reproduce (2 walkers, budget 5000 states and 20 s):',
      '  kbot sim --tree /src/linux \\',
      `    --rev ${f.run!.rev} \\`,
      `    --scenario '${f.scenario}' \\`,
      '    --walkers 2 --max-states 5000',
      `where ${f.run!.rev.slice(0, 12)} is this series applied on 0f1e2d3c4b5a.`,
      '',
    ].join('\n'),
  );
});

test('a long interleaving is shown by its start and its end, with its real step numbers, and the reply says how many steps it left out', async () => {
  // 2,000 steps of a walker spinning before the race the fixture's trace shows.
  const f = doublePageFreeFinding();
  const spin = Array.from({ length: 2000 }, () => ({ ...f.trace![0]!, op: 'read ->flags' }));
  const long = { ...f, trace: [...spin, ...f.trace!] };
  const [reply] = await composeReplies(review([long]), parseConfig({ ...MM_LIST, report: { max_trace_steps: 40 } }), { now: NOW });
  const lines = reply!.body.split('\n');
  const ladderStart = lines.findIndex((l) => /^ +step +page +CPU0 +CPU1$/.test(l));
  const ladderEnd = lines.indexOf('', ladderStart);
  const rows = lines.slice(ladderStart + 3, ladderEnd);
  const total = long.trace.length;
  assert.ok(rows.includes(`  ... ${total - 40} steps not shown (report.max_trace_steps = 40; the JSON report has all ${total}) ...`), rows.join('\n'));
  assert.equal(rows.filter((r) => /^ +\d+ /.test(r)).length, 40);
  // The last step keeps its number in the whole interleaving, and "what it leads to" points at it.
  assert.ok(rows.some((r) => new RegExp(`^ +${total} `).test(r)), rows.slice(-3).join('\n'));
  assert.ok(reply!.body.includes(`step ${total}:`), reply!.body.slice(-600));
  assert.ok(reply!.body.length < 20_000, `${reply!.body.length} characters`);
});

test('with commands configured, the reply ends with the real command, the finding ids and who may use them; without, it offers none', async () => {
  const { findingId } = await import('../commands/finding-id.ts');
  const withCommands = parseConfig({ ...MM_LIST, commands: { maintainers: ['akpm@kernel.org'] } });
  const [reply] = await composeReplies(review([doublePageFreeFinding()]), withCommands, { now: NOW });
  const beforeSignature = reply!.body.slice(0, reply!.body.indexOf('\n-- \n')).trimEnd().replace(/\n(?=\S)/g, ' ');
  assert.ok(beforeSignature.endsWith(
    "To have kbot review the series again on the tracked tree's current head, reply with a line '#kbot rerun'. " +
      "A line '#kbot invalid <id>' marks a finding as not a bug, '#kbot ignore <category>' a whole category, for this series and its later versions; " +
      `the findings here are ${findingId(doublePageFreeFinding())} (double-free). ` +
      'kbot takes commands from the maintainers listed in its config, in mail with a DKIM signature of the From domain.',
  ), beforeSignature.slice(-400));
  assert.ok(reply!.body.split('\n').every((l) => l.startsWith('>') || l.length <= 80));
  const [plain] = await composeReplies(review([doublePageFreeFinding()]), parseConfig(MM_LIST), { now: NOW });
  assert.ok(!plain!.body.includes('#kbot'));
  assert.ok(!/rerun/i.test(plain!.body));
});
