import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { IngestError } from './ingest-error.ts';
import { readSource } from './read-source.ts';
import { splitMbox } from './read-mbox.ts';
import { parseMessages } from '../mail/parse-message.ts';
import { assembleSeries } from '../series/assemble-series.ts';

const fixture = (name: string) => fileURLToPath(new URL(`../../test/fixtures/mail/${name}`, import.meta.url));
const temps: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'kbot-ingest-'));
  temps.push(d);
  return d;
};
after(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** The messages of the 3-patch fixture (cover, 1/3, 2/3, a reply, 3/3), as single-message buffers. */
async function seriesMessages(): Promise<Buffer[]> {
  const { messages } = await splitMbox(readFileSync(fixture('series-3-with-cover.mbox')), 'fixture', { maxMessageBytes: 1 << 20 });
  return messages.map((m) => m.raw);
}

/** What a user sees after ingest: the series titles with their parts, and the rejects. */
async function review(input: string, opts = {}) {
  const src = await readSource(input, opts);
  const parsed = await parseMessages(src.messages);
  const { series } = assembleSeries(parsed.messages);
  return {
    kind: src.kind,
    sources: src.messages.map((m) => m.source),
    series: series.map((s) => `${s.title} v${s.version} ${s.patches.filter(Boolean).length}/${s.total}`),
    rejected: [...src.rejected, ...parsed.rejected].map((r) => r.reason),
  };
}

const git = (cwd: string, args: string[], input?: string | Buffer) =>
  execFileSync('git', args, {
    cwd,
    input,
    env: { ...process.env, GIT_AUTHOR_NAME: 'pi', GIT_AUTHOR_EMAIL: 'pi@example.org', GIT_COMMITTER_NAME: 'pi', GIT_COMMITTER_EMAIL: 'pi@example.org' },
  }).toString().trim();

/** A public-inbox epoch: one commit per message, each with the blob "m" at the root (null = a purge commit). */
function makeEpoch(dir: string, messages: Array<Buffer | null>, bare: boolean): void {
  mkdirSync(dir, { recursive: true });
  git(dir, ['-c', 'init.defaultBranch=master', 'init', '-q', ...(bare ? ['--bare'] : [])]);
  let parent: string | null = null;
  for (const raw of messages) {
    const tree = raw ? git(dir, ['mktree'], `100644 blob ${git(dir, ['hash-object', '-w', '--stdin'], raw)}\tm\n`) : git(dir, ['mktree'], '');
    const commit: string = git(dir, ['commit-tree', tree, ...(parent ? ['-p', parent] : []), '-m', raw ? 'message' : 'purge']);
    parent = commit;
  }
  if (parent) git(dir, ['update-ref', 'refs/heads/master', parent]);
}

test('an mbox of a posted series: all messages, the reply rejected', async () => {
  const r = await review(fixture('series-3-with-cover.mbox'));
  assert.equal(r.kind, 'mbox');
  assert.equal(r.sources.length, 5);
  assert.match(r.sources[4], /^mbox:.*series-3-with-cover\.mbox#5$/);
  assert.deepEqual(r.series, ['mm: make folio refcount freezing explicit v1 3/3']);
  assert.deepEqual(r.rejected, ['not a patch: reply ("Re: [PATCH 1/3] mm: add folio_ref_is_frozen()")']);
});

test('a single .eml message', async () => {
  const r = await review(fixture('single-patch-net-next.eml'));
  assert.equal(r.kind, 'message');
  assert.deepEqual(r.series, ['net: move the frozen-page selftest and add its config link v1 1/1']);
});

test('a Maildir: cur/ and new/, in file name order', async () => {
  const dir = tempDir();
  const [cover, p1, p2, , p3] = await seriesMessages();
  for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(dir, sub));
  writeFileSync(join(dir, 'new', '1710149415.M4P99.host'), p3);
  writeFileSync(join(dir, 'cur', '1710149412.M1P99.host:2,S'), cover);
  writeFileSync(join(dir, 'new', '1710149414.M3P99.host'), p2);
  writeFileSync(join(dir, 'cur', '1710149413.M2P99.host:2,S'), p1);
  const r = await review(dir);
  assert.equal(r.kind, 'maildir');
  assert.deepEqual(r.sources.map((s) => s.replace(/^maildir:.*\/(cur|new)\//, '$1/')), [
    'cur/1710149412.M1P99.host:2,S',
    'cur/1710149413.M2P99.host:2,S',
    'new/1710149414.M3P99.host',
    'new/1710149415.M4P99.host',
  ]);
  assert.deepEqual(r.series, ['mm: make folio refcount freezing explicit v1 3/3']);
});

test('a public-inbox v1 repository (non-bare), oldest first', async () => {
  const dir = join(tempDir(), 'inbox');
  const msgs = await seriesMessages();
  makeEpoch(dir, msgs, false);
  const r = await review(dir);
  assert.equal(r.kind, 'public-inbox');
  assert.equal(r.sources.length, 5);
  assert.match(r.sources[0], /^public-inbox:.*inbox@[0-9a-f]{40}$/);
  assert.deepEqual(r.series, ['mm: make folio refcount freezing explicit v1 3/3']);
  const src = await readSource(dir);
  assert.deepEqual(src.messages.map((m) => m.raw), msgs);
  assert.match(src.messages[0].receivedAt ?? '', /^\d{4}-\d\d-\d\dT/);
});

test('a public-inbox v2 inbox: bare epochs read in order; a purge commit adds nothing', async () => {
  const inbox = tempDir();
  const [cover, p1, p2, reply, p3] = await seriesMessages();
  // Epoch 10 sorts after 2 numerically, not as text.
  makeEpoch(join(inbox, 'git', '0.git'), [cover, p1], true);
  makeEpoch(join(inbox, 'git', '2.git'), [p2, null, reply], true);
  makeEpoch(join(inbox, 'git', '10.git'), [p3], true);
  const r = await review(inbox);
  assert.equal(r.kind, 'public-inbox');
  assert.deepEqual(r.sources.map((s) => s.replace(/^public-inbox:.*\/git\/(\d+)\.git@.*$/, '$1')), ['0', '0', '2', '2', '10']);
  assert.deepEqual(r.series, ['mm: make folio refcount freezing explicit v1 3/3']);

  // One epoch given directly holds only patch 2 (and the reply): a series with its cover and parts 1, 3 missing.
  const oneEpoch = await review(join(inbox, 'git', '2.git'));
  assert.deepEqual(oneEpoch.series, ['mm/swap: use folio_ref_is_frozen() in __folio_put() v1 1/3']);
  assert.equal(oneEpoch.rejected.length, 1);
});

test('a message over the size limit is rejected unread; the rest go on', async () => {
  const dir = tempDir();
  const [cover, p1] = await seriesMessages();
  const big = Buffer.concat([
    Buffer.from('From: x@example.org\nSubject: [PATCH 2/3] huge\nMessage-ID: <big@example.org>\n\n'),
    Buffer.alloc(9 * 1024 * 1024, 'a\n'),
  ]);
  const path = join(dir, 'big.mbox');
  const from = Buffer.from('From mboxrd@z Thu Jan  1 00:00:00 1970\n');
  writeFileSync(path, Buffer.concat([from, cover, from, big, from, p1]));
  const src = await readSource(path);
  assert.deepEqual(src.rejected, [
    { messageId: '<big@example.org>', source: `mbox:${path}#2`, reason: `message of ${big.length} bytes exceeds the limit of ${8 * 1024 * 1024} bytes` },
  ]);
  assert.deepEqual(src.messages.map((m) => m.source), [`mbox:${path}#1`, `mbox:${path}#3`]);

  const eml = join(dir, 'big.eml');
  writeFileSync(eml, big);
  const one = await readSource(eml, { maxMessageBytes: 1024 });
  assert.deepEqual([one.messages.length, one.rejected[0]?.reason], [0, `message of ${big.length} bytes exceeds the limit of 1024 bytes`]);
});

test('a Message-ID or archive URL is fetched as t.mbox.gz from a public-inbox server', async (t) => {
  const mbox = gzipSync(readFileSync(fixture('series-3-with-cover.mbox')));
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    if (req.url === '/all/20240311093012.41234-1-jane.doe@example.org/t.mbox.gz') {
      res.writeHead(200, { 'content-type': 'application/gzip' }).end(mbox);
    } else if (req.url === '/all/html@example.org/t.mbox.gz') {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html>rate limited</html>');
    } else res.writeHead(404).end('not found');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/all`;

  const byId = await review('<20240311093012.41234-1-jane.doe@example.org>', { publicInboxBase: base });
  assert.equal(byId.kind, 'fetch');
  assert.deepEqual(byId.series, ['mm: make folio refcount freezing explicit v1 3/3']);
  const byUrl = await review(`${base}/20240311093012.41234-1-jane.doe@example.org/`);
  assert.deepEqual(byUrl.series, byId.series);
  assert.deepEqual(requests, [
    '/all/20240311093012.41234-1-jane.doe@example.org/t.mbox.gz',
    '/all/20240311093012.41234-1-jane.doe@example.org/t.mbox.gz',
  ]);

  await assert.rejects(readSource('missing@example.org', { publicInboxBase: base }), (e: unknown) => {
    assert.ok(e instanceof IngestError);
    assert.equal(e.message, `fetching ${base}/missing@example.org/t.mbox.gz: HTTP 404 Not Found`);
    assert.equal(e.permanent, true);
    return true;
  });
  await assert.rejects(readSource('html@example.org', { publicInboxBase: base }), {
    name: 'IngestError',
    message: `fetching ${base}/html@example.org/t.mbox.gz: the response is not gzip (it starts with "<html>rate limited</html")`,
  });
});

test('inputs that are nothing readable give clear errors', async () => {
  await assert.rejects(readSource('<abc@example.org>'), {
    name: 'IngestError',
    message: '<abc@example.org> looks like a Message-ID, but no public-inbox base URL is configured to fetch it from',
  });
  await assert.rejects(readSource('/nonexistent/kbot/file.mbox'), {
    message: 'no such file or directory, and not a Message-ID or URL: /nonexistent/kbot/file.mbox',
  });
  const empty = tempDir();
  await assert.rejects(readSource(empty), { message: /is a directory but not a Maildir/ });
});
