import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { splitMbox } from '../ingest/read-mbox.ts';
import { isRejected, parseMessage, parseMessages } from '../mail/parse-message.ts';
import type { Message } from '../types.ts';
import { assembleSeries } from './assemble-series.ts';

async function fromFixture(name: string): Promise<Message[]> {
  const path = fileURLToPath(new URL(`../../test/fixtures/mail/${name}`, import.meta.url));
  const { messages } = await splitMbox(readFileSync(path), name, { maxMessageBytes: 1 << 20 });
  return (await parseMessages(messages)).messages;
}

/** A small patch mail, as git send-email would write it. */
async function mail(o: { subject: string; id: string; from?: string; inReplyTo?: string; body?: string }): Promise<Message> {
  const headers = [
    `From: ${o.from ?? 'Jane Doe <jane.doe@example.org>'}`,
    `Subject: ${o.subject}`,
    `Message-ID: <${o.id}>`,
    ...(o.inReplyTo ? [`In-Reply-To: <${o.inReplyTo}>`, `References: <${o.inReplyTo}>`] : []),
  ];
  const body = o.body ?? 'x\n\nSigned-off-by: Jane Doe <jane.doe@example.org>\n---\ndiff --git a/mm/x.c b/mm/x.c\n--- a/mm/x.c\n+++ b/mm/x.c\n@@ -1 +1 @@\n-a\n+b\n';
  const m = await parseMessage({ raw: Buffer.from(headers.join('\n') + '\n\n' + body), source: `test:${o.id}` });
  if (isRejected(m)) throw new Error(m.reason);
  return m;
}

test('a cover letter and three patches make one complete series', async () => {
  const { series, notes } = assembleSeries(await fromFixture('series-3-with-cover.mbox'));
  assert.equal(series.length, 1);
  const [s] = series;
  assert.equal(s.id, '<20240311093012.41234-1-jane.doe@example.org>');
  assert.equal(s.title, 'mm: make folio refcount freezing explicit');
  assert.deepEqual([s.version, s.revisionInferred, s.total, s.missing], [1, true, 3, []]);
  assert.deepEqual(s.patches.map((p) => p?.parsedSubject.title), [
    'mm: add folio_ref_is_frozen()',
    'mm/swap: use folio_ref_is_frozen() in __folio_put()',
    'Documentation/mm: describe frozen folio references',
  ]);
  assert.equal(s.baseCommit, '0123456789abcdef0123456789abcdef01234567');
  assert.deepEqual(s.prerequisitePatchIds, ['89abcdef0123456789abcdef0123456789abcdef']);
  // The mboxrd ">From " escape in patch 2 is undone.
  assert.match(s.patches[1]!.body, /^From the caller's side nothing changes\.$/m);
  assert.deepEqual(notes, []);
});

test('v1 and v2 in one mbox: v2 is reviewed, v1 is superseded', async () => {
  const { series } = assembleSeries(await fromFixture('series-v1-v2.mbox'));
  assert.deepEqual(series.map((s) => [s.version, s.title]), [
    [1, 'mm: warn on refcount underflow in put_page()'],
    [2, 'mm: catch refcount underflow early'],
  ]);
  const [v1, v2] = series;
  assert.equal(v1.supersededBy, v2.id);
  assert.equal(v2.supersededBy, undefined);
  assert.deepEqual(v2.olderVersions, ['<20240201101500.1111-1-jane.doe@example.org>']);
  assert.equal(v1.id, '<20240201101500.1111-1-jane.doe@example.org>');
  assert.equal(v1.cover, null);
  assert.deepEqual([v1.revisionInferred, v2.revisionInferred], [true, false]);
  assert.equal(v2.baseCommit, 'fedcba9876543210fedcba9876543210fedcba98');
});

test('a missing part is listed, never guessed', async () => {
  const { series } = assembleSeries(await fromFixture('series-missing-part.mbox'));
  assert.equal(series.length, 1);
  const [s] = series;
  assert.deepEqual([s.title, s.version, s.total, s.missing, s.treeTags], [
    'mm/gup: back off from frozen folios', 3, 4, [3], ['mm-unstable'],
  ]);
  assert.equal(s.patches[2], null);
  assert.equal(s.patches[3]?.parsedSubject.index, 4);
});

test('duplicate Message-IDs: the later copy is ignored with a note', async () => {
  const { series, notes } = assembleSeries(await fromFixture('duplicate-message-id.mbox'));
  assert.equal(series.length, 1);
  assert.equal(series[0].patches.length, 1);
  assert.deepEqual(notes, [
    'duplicate Message-ID <dup-1@example.org> from duplicate-message-id.mbox#2 ignored (first seen in duplicate-message-id.mbox#1)',
  ]);
});

test('chained replies (each patch replying to the previous) stay one series', async () => {
  const p1 = await mail({ subject: '[PATCH v2 1/3] mm: a', id: 'c1@x' });
  const p2 = await mail({ subject: '[PATCH v2 2/3] mm: b', id: 'c2@x', inReplyTo: 'c1@x' });
  const p3 = await mail({ subject: '[PATCH v2 3/3] mm: c', id: 'c3@x', inReplyTo: 'c2@x' });
  const { series } = assembleSeries([p3, p1, p2]);
  assert.equal(series.length, 1);
  assert.deepEqual([series[0].id, series[0].title, series[0].missing], ['<c1@x>', 'mm: a', []]);
});

test('unthreaded parts are grouped by version, total and sender', async () => {
  const a2 = await mail({ subject: '[PATCH 2/2] mm: second', id: 'a2@x' });
  const b2 = await mail({ subject: '[PATCH 2/2] net: other', id: 'b2@x', from: 'Bob <bob@example.com>' });
  const a1 = await mail({ subject: '[PATCH 1/2] mm: first', id: 'a1@x' });
  const { series } = assembleSeries([a2, b2, a1]);
  assert.deepEqual(
    series.map((s) => [s.id, s.title, s.missing]),
    [
      ['<a1@x>', 'mm: first', []],
      ['<b2@x>', 'net: other', [1]],
    ],
  );
  assert.deepEqual(series[1].problems, ['no cover letter and no patch 1; the title is taken from patch 2/2']);
});

test('a lone [PATCH] is a series of one, even when sent in reply to another', async () => {
  const a = await mail({ subject: '[PATCH] mm: one', id: 'l1@x' });
  const b = await mail({ subject: '[PATCH] mm: follow-up fix', id: 'l2@x', inReplyTo: 'l1@x' });
  const { series, notes } = assembleSeries([a, b]);
  assert.deepEqual(series.map((s) => [s.id, s.total, s.missing, s.problems]), [['<l1@x>', 1, [], []], ['<l2@x>', 1, [], []]]);
  assert.deepEqual(notes, []);
});

test('a v2 sent in reply to v1 is not merged into v1', async () => {
  const v1 = await mail({ subject: '[PATCH] mm: fix the thing', id: 'v1@x' });
  const v2 = await mail({ subject: '[PATCH v2] mm: fix the thing', id: 'v2@x', inReplyTo: 'v1@x' });
  const { series } = assembleSeries([v1, v2]);
  assert.deepEqual(series.map((s) => [s.version, s.supersededBy ?? null, s.olderVersions]), [
    [1, '<v2@x>', []],
    [2, null, ['<v1@x>']],
  ]);
});

test('same title from another author is a different series', async () => {
  const a = await mail({ subject: '[PATCH] mm: fix the thing', id: 'x1@x' });
  const b = await mail({ subject: '[PATCH v2] mm: fix the thing', id: 'x2@x', from: 'Bob <bob@example.com>' });
  const { series } = assembleSeries([a, b]);
  assert.deepEqual(series.map((s) => s.supersededBy ?? null), [null, null]);
});

test('a part from another sender is reported in problems', async () => {
  const c = await mail({ subject: '[PATCH 0/2] mm: pair', id: 'q0@x', body: 'cover\n' });
  const p1 = await mail({ subject: '[PATCH 1/2] mm: a', id: 'q1@x', inReplyTo: 'q0@x' });
  const p2 = await mail({ subject: '[PATCH 2/2] mm: b', id: 'q2@x', inReplyTo: 'q0@x', from: 'Eve <eve@example.net>' });
  const { series } = assembleSeries([c, p1, p2]);
  assert.equal(series.length, 1);
  assert.deepEqual(series[0].problems, ['patch 2/2 is from eve@example.net, the series from jane.doe@example.org']);
});

test('two series whose cover letters were not received are kept apart by their parent id', async () => {
  const a1 = await mail({ subject: '[PATCH 1/2] mm: series A first', id: 'a1@x', inReplyTo: 'coverA@x' });
  const b1 = await mail({ subject: '[PATCH 1/2] mm: series B first', id: 'b1@x', inReplyTo: 'coverB@x' });
  const a2 = await mail({ subject: '[PATCH 2/2] mm: series A second', id: 'a2@x', inReplyTo: 'coverA@x' });
  const b2 = await mail({ subject: '[PATCH 2/2] mm: series B second', id: 'b2@x', inReplyTo: 'coverB@x' });
  const { series } = assembleSeries([a1, b1, a2, b2]);
  assert.deepEqual(
    series.map((s) => [s.title, s.patches.map((p) => p?.messageId), s.problems]),
    [
      ['mm: series A first', ['<a1@x>', '<a2@x>'], ['no cover letter; the patches reply to <coverA@x>, which is not in the input']],
      ['mm: series B first', ['<b1@x>', '<b2@x>'], ['no cover letter; the patches reply to <coverB@x>, which is not in the input']],
    ],
  );
});
