import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Message, RawMessage, Rejected } from '../types.ts';
import { isRejected, parseMessage, parseMessages } from './parse-message.ts';

const fixture = (name: string): RawMessage => {
  const path = fileURLToPath(new URL(`../../test/fixtures/mail/${name}`, import.meta.url));
  return { raw: readFileSync(path), source: `file:${name}` };
};

async function accepted(raw: RawMessage): Promise<Message> {
  const m = await parseMessage(raw);
  if (isRejected(m)) assert.fail(`rejected: ${m.reason}`);
  return m;
}
async function rejected(raw: RawMessage): Promise<Rejected> {
  const m = await parseMessage(raw);
  if (!isRejected(m)) assert.fail(`accepted ${m.messageId}`);
  return m;
}

test('a [PATCH net-next] mail: addresses, headers, diff facts', async () => {
  const m = await accepted(fixture('single-patch-net-next.eml'));
  assert.equal(m.messageId, '<20240401120000.4444-1-jane.doe@example.org>');
  assert.deepEqual(m.from, { name: 'Jane Doe', address: 'jane.doe@example.org' });
  assert.deepEqual(m.to, ['netdev@vger.example']);
  assert.deepEqual(m.cc, ['Andrew Maintainer <maint@example.org>', 'linux-kernel@vger.example']);
  assert.deepEqual(m.parsedSubject.treeTags, ['net-next']);
  assert.equal(m.date, '2024-04-01T12:00:00.000Z');
  assert.ok(m.headers.some(([k, v]) => k === 'X-Mailer' && v === 'git-send-email 2.43.0'));
  assert.deepEqual(
    m.diff?.map((d) => ({ to: d.to, symlink: d.isSymlink, binary: d.isBinary, renameFrom: d.renameFrom ?? null })),
    [
      { to: 'tools/testing/selftests/net/page_pool/frozen.sh', symlink: false, binary: false, renameFrom: 'tools/testing/selftests/net/frozen.sh' },
      { to: 'tools/testing/selftests/net/page_pool/config', symlink: true, binary: false, renameFrom: null },
      { to: 'tools/testing/selftests/net/page_pool/blob.bin', symlink: false, binary: true, renameFrom: null },
    ],
  );
  assert.deepEqual(m.trailers.map((t) => t.name), ['Fixes', 'Signed-off-by']);
  assert.deepEqual(m.problems, []);
});

test('multipart without its boundary is rejected as broken MIME', async () => {
  const r = await rejected(fixture('bad-multipart-no-boundary.eml'));
  assert.equal(r.reason, 'broken MIME: multipart/mixed without a boundary parameter');
  assert.equal(r.messageId, '<bad-mime-1@example.org>');
});

test('truncated base64 is rejected, not silently shortened', async () => {
  const r = await rejected(fixture('bad-truncated-base64.eml'));
  assert.match(r.reason, /^broken MIME: base64 body of \d+ characters is truncated/);
});

test('multipart cut before its closing boundary is rejected', async () => {
  const raw = Buffer.from(
    'From: a@example.org\nSubject: [PATCH] x\nMessage-ID: <cut@example.org>\nContent-Type: multipart/mixed; boundary="b1"\n\n' +
      '--b1\nContent-Type: text/plain\n\ndiff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n',
  );
  const r = await rejected({ raw, source: 'test' });
  assert.match(r.reason, /ends without its closing boundary/);
});

test('unknown charset: patch with undecodable bytes is rejected', async () => {
  const r = await rejected(fixture('unknown-charset-garbled-patch.eml'));
  assert.match(r.reason, /^undecodable patch text: charset "x-klingon" could not be decoded; 3 character\(s\)/);
});

test('unknown charset: prose-only damage is decoded best-effort and noted', async () => {
  const m = await accepted(fixture('unknown-charset-prose.eml'));
  assert.deepEqual(m.problems, ['unknown charset "x-klingon"; decoded best-effort as UTF-8']);
  assert.equal(m.diff?.[0].hunks[0].lines[1], '+\tpr_debug("frozen\\n");');
});

test('a reply to a patch is not a patch', async () => {
  const raw = Buffer.from(
    'From: Sam <sam@reviewer.example.net>\nSubject: Re: [PATCH 1/3] mm: add folio_ref_is_frozen()\n' +
      'Message-ID: <r1@reviewer.example.net>\nIn-Reply-To: <p1@example.org>\n\n> +static inline bool x(void)\n\nLooks good.\n',
  );
  const r = await rejected({ raw, source: 'test' });
  assert.equal(r.reason, 'not a patch: reply ("Re: [PATCH 1/3] mm: add folio_ref_is_frozen()")');
  assert.equal(r.messageId, '<r1@reviewer.example.net>');
});

test('plain list mail is not a patch', async () => {
  const r = await rejected(fixture('not-a-patch.eml'));
  assert.equal(r.reason, 'not a patch: no [PATCH] prefix and no diff ("mm alignment session notes, 2024-04-03")');
});

test('[PATCH 2/3] without a diff is rejected', async () => {
  const raw = Buffer.from('From: a@example.org\nSubject: [PATCH 2/3] mm: x\nMessage-ID: <nodiff@example.org>\n\nJust words.\n');
  assert.equal((await rejected({ raw, source: 't' })).reason, 'not a patch: "[PATCH 2/3] mm: x" carries no diff');
});

test('a 3 MB single-line body is rejected before parsing', async () => {
  const raw = Buffer.concat([
    Buffer.from('From: a@example.org\nSubject: [PATCH] huge\nMessage-ID: <huge@example.org>\n\n'),
    Buffer.alloc(3 * 1024 * 1024, 'x'),
    Buffer.from('\n'),
  ]);
  const r = await rejected({ raw, source: 'test' });
  assert.equal(r.reason, `line of ${3 * 1024 * 1024} bytes exceeds the limit of 65536 bytes`);
  assert.equal(r.messageId, '<huge@example.org>');
});

test('no Message-ID: a stable one is made from the bytes and noted', async () => {
  const a = await accepted(fixture('no-message-id.eml'));
  const b = await accepted(fixture('no-message-id.eml'));
  assert.match(a.messageId, /^<[0-9a-f]{32}@kbot\.synthesized>$/);
  assert.equal(a.messageId, b.messageId);
  assert.match(a.problems[0], /^no Message-ID header; using <[0-9a-f]{32}@kbot\.synthesized>/);
});

test('a patch attached as a .patch file is read from the attachment', async () => {
  const patch = 'mm: x\n\nSigned-off-by: A <a@example.org>\n---\ndiff --git a/mm/x.c b/mm/x.c\n--- a/mm/x.c\n+++ b/mm/x.c\n@@ -1 +1 @@\n-a\n+b\n';
  const raw = Buffer.from(
    'From: a@example.org\nSubject: [PATCH] mm: x\nMessage-ID: <att@example.org>\nMIME-Version: 1.0\n' +
      'Content-Type: multipart/mixed; boundary="zz"\n\n--zz\nContent-Type: text/plain\n\nPatch attached.\n' +
      '--zz\nContent-Type: text/x-patch; name="0001-x.patch"\nContent-Disposition: attachment; filename="0001-x.patch"\n' +
      `Content-Transfer-Encoding: base64\n\n${Buffer.from(patch).toString('base64')}\n--zz--\n`,
  );
  const m = await accepted({ raw, source: 't' });
  assert.equal(m.diff?.[0].to, 'mm/x.c');
  assert.deepEqual(m.problems, ['patch read from the attachment 0001-x.patch']);
});

test('parseMessages keeps going past bad messages and never throws', async () => {
  const result = await parseMessages([
    fixture('bad-multipart-no-boundary.eml'),
    fixture('single-patch-net-next.eml'),
    { raw: Buffer.from([0, 1, 2, 0xff, 0xfe]), source: 'garbage' },
    fixture('not-a-patch.eml'),
  ]);
  assert.deepEqual(result.messages.map((m) => m.parsedSubject.title), [
    'net: move the frozen-page selftest and add its config link',
  ]);
  assert.deepEqual(result.rejected.map((r) => r.source), ['file:bad-multipart-no-boundary.eml', 'garbage', 'file:not-a-patch.eml']);
  assert.equal(result.rejected[1].reason, 'not a mail message: no From or Subject header');
});
