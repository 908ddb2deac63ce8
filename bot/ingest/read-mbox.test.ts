// The mbox is read as git reads it: these tests make mboxes with the real `git format-patch` and compare kbot's
// messages with what the real `git mailsplit` writes, for a commit message with lines starting "From ",
// mboxrd quoting, and CRLF line ends.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { readSource } from './read-source.ts';
import { splitMbox } from './read-mbox.ts';
import { parseMessages } from '../mail/parse-message.ts';
import { assembleSeries } from '../series/assemble-series.ts';

const root = mkdtempSync(join(tmpdir(), 'kbot-mailsplit-'));
after(() => rmSync(root, { recursive: true, force: true }));
const workDir = join(root, 'work');

const env = {
  ...process.env,
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'Ada Marchetti',
  GIT_AUTHOR_EMAIL: 'ada@example.org',
  GIT_COMMITTER_NAME: 'Ada Marchetti',
  GIT_COMMITTER_EMAIL: 'ada@example.org',
};
const git = (cwd: string, args: string[]) => execFileSync('git', args, { cwd, env });

// A commit message a kernel developer could write: quoted mail and a sentence that starts with "From ".
const MESSAGE = [
  'mm: keep device private pages off the free list twice',
  '',
  'From the start, the driver assumed a page is freed once.',
  'As Hugh wrote:',
  '>From memory_failure() the walker takes a reference',
  '>>From an older thread, quoted twice',
  'From: lines in a body are not headers either.',
  '',
  'Signed-off-by: Ada Marchetti <ada@example.org>',
  '',
].join('\n');

/** A repository with three commits on top of a base; returns its path. */
function makeRepo(): string {
  const repo = join(root, 'repo');
  mkdirSync(repo);
  git(repo, ['-c', 'init.defaultBranch=master', 'init', '-q']);
  writeFileSync(join(repo, 'page_ref.h'), 'static inline void put_page(void) {}\n');
  git(repo, ['add', '.']);
  git(repo, ['commit', '-q', '-m', 'base']);
  for (const [i, msg] of [MESSAGE, 'mm: second patch\n\nFrom now on nothing else.\n', 'mm: third patch\n\nPlain.\n'].entries()) {
    writeFileSync(join(repo, 'page_ref.h'), `${readFileSync(join(repo, 'page_ref.h'), 'utf8')}/* ${i} */\n`);
    git(repo, ['commit', '-q', '-a', '-m', msg]);
  }
  return repo;
}
const repo = makeRepo();

function formatPatch(extra: string[] = []): Buffer {
  return git(repo, ['format-patch', '--stdout', '--cover-letter', ...extra, 'HEAD~3']);
}

/** What the real `git mailsplit` writes, each message without its "From " separator line. */
function gitMailsplit(mbox: Buffer, flags: string[] = []): string[] {
  const out = mkdtempSync(join(root, 'ref-'));
  execFileSync('git', ['mailsplit', `-o${out}`, ...flags], { input: mbox, env });
  return readdirSync(out)
    .sort()
    .map((n) => readFileSync(join(out, n), 'latin1').replace(/^From [^\n]*\n/, ''));
}

const texts = (r: { messages: Array<{ raw: Buffer }> }) => r.messages.map((m) => m.raw.toString('latin1'));

test('format-patch output with "From " lines in a commit message: one message per patch, as git mailsplit', async () => {
  const mbox = formatPatch();
  const path = join(root, 'series.mbox');
  writeFileSync(path, mbox);
  const src = await readSource(path, { workDir });
  assert.equal(src.kind, 'mbox');
  assert.equal(src.messages.length, 4, 'a cover letter and three patches');
  assert.deepEqual(src.rejected, []);
  assert.deepEqual(texts(src), gitMailsplit(mbox));
  // The lines are the commit message's own: nothing split off, nothing unquoted.
  const patch1 = texts(src)[1];
  for (const line of MESSAGE.split('\n').filter((l) => l.startsWith('From') || l.startsWith('>'))) {
    assert.ok(patch1.includes(`\n${line}\n`), `patch 1 keeps ${JSON.stringify(line)}`);
  }
  const parsed = await parseMessages(src.messages);
  assert.deepEqual(parsed.rejected, []);
  const { series } = assembleSeries(parsed.messages);
  assert.equal(series.length, 1);
  assert.deepEqual(series[0].missing, []);
  assert.equal(series[0].patches.length, 3);
});

test('mboxrd (format-patch --pretty=mboxrd): ">From " unquoted one level, as git mailsplit --mboxrd', async () => {
  const mboxrd = formatPatch(['--pretty=mboxrd']);
  assert.match(mboxrd.toString(), /^>From the start/m, 'format-patch quoted the line');
  assert.match(mboxrd.toString(), /^>>From memory_failure/m);
  const path = join(root, 'series.mboxrd');
  writeFileSync(path, mboxrd);
  const src = await readSource(path, { workDir });
  assert.deepEqual(texts(src), gitMailsplit(mboxrd, ['--mboxrd']));
  // The same commit messages as the unquoted format-patch mbox.
  const plain = gitMailsplit(formatPatch());
  assert.deepEqual(texts(src).map((t) => t.replace(/^Date: .*$/m, '')), plain.map((t) => t.replace(/^Date: .*$/m, '')));
});

test('a fetched thread is mboxrd: quoted lines are unquoted even with no bare "From " line to tell', async () => {
  const mboxrd = Buffer.from(['From mboxrd@z Thu Jan  1 00:00:00 1970', 'From: a@example.org', 'Subject: x', 'Message-ID: <q@x>', '', '>From quoted', '>>From twice', ''].join('\n'));
  const r = await splitMbox(mboxrd, 'fetch:x', { maxMessageBytes: 1 << 20, workDir, mboxrd: true });
  assert.deepEqual(texts(r), gitMailsplit(mboxrd, ['--mboxrd']));
  assert.match(texts(r)[0], /\nFrom quoted\n>From twice\n$/);
});

test('CRLF line ends: read as git mailsplit reads them (LF), the same messages as the LF file', async () => {
  const mbox = formatPatch();
  const crlf = Buffer.from(mbox.toString('latin1').replace(/\n/g, '\r\n'), 'latin1');
  const path = join(root, 'series-crlf.mbox');
  writeFileSync(path, crlf);
  const src = await readSource(path, { workDir });
  assert.equal(src.messages.length, 4);
  assert.deepEqual(texts(src), gitMailsplit(crlf));
  assert.deepEqual(texts(src), gitMailsplit(mbox));
});

test('"-" reads an mbox or a single message from standard input', async () => {
  const mbox = formatPatch();
  const fromStdin = await readSource('-', { workDir, stdin: Readable.from([mbox.subarray(0, 100), mbox.subarray(100)]) });
  assert.equal(fromStdin.kind, 'mbox');
  assert.deepEqual(texts(fromStdin), gitMailsplit(mbox));
  assert.deepEqual(fromStdin.messages.map((m) => m.source), ['mbox:-#1', 'mbox:-#2', 'mbox:-#3', 'mbox:-#4']);
  const one = await readSource('-', { workDir, stdin: Readable.from([Buffer.from(gitMailsplit(mbox)[1], 'latin1')]) });
  assert.equal(one.kind, 'message');
  assert.deepEqual(one.messages.map((m) => m.source), ['stdin']);
  await assert.rejects(readSource('-', { workDir, stdin: Readable.from([]) }), { name: 'IngestError', message: 'standard input is empty' });
});

test('odd mboxes never crash and never lose the good messages', async () => {
  const [cover, p1] = gitMailsplit(formatPatch());
  const sep = 'From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n';
  // An empty message between two separators, a separator at the very end, an oversized message.
  const huge = `From: x@example.org\nSubject: [PATCH] huge\nMessage-ID: <huge@example.org>\n\n${'a\n'.repeat(600)}`;
  const mbox = Buffer.from(`${sep}${cover}${sep}${sep}${huge}${sep}${p1}${sep}`, 'latin1');
  const r = await splitMbox(mbox, 'mbox:odd', { maxMessageBytes: 1000, workDir });
  assert.deepEqual(r.rejected.map((x) => [x.messageId, x.source]), [['<huge@example.org>', 'mbox:odd#2']]);
  assert.deepEqual(r.messages.map((m) => m.source), ['mbox:odd#1', 'mbox:odd#3']);
  assert.deepEqual(texts(r), [cover, p1]);
  // A first line that starts "From " but is no separator: one message, its first line dropped.
  const bare = await splitMbox(Buffer.from('From somewhere\nSubject: x\n\nhi\n'), 'mbox:bare', { maxMessageBytes: 1000, workDir });
  assert.deepEqual(texts(bare), ['Subject: x\n\nhi\n']);
  // An mbox over the input limit is refused as a whole, with the reason.
  await assert.rejects(splitMbox(mbox, 'mbox:big', { maxMessageBytes: 1000, workDir, maxInputBytes: 100 }), {
    name: 'IngestError',
    message: `mbox:big: an mbox of ${mbox.length} bytes exceeds the limit of 100 bytes for one input`,
  });
  // Nothing is left behind in the work dir.
  assert.deepEqual(readdirSync(workDir), []);
});
