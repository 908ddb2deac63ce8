import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { parseConfig } from '../../config/read-config.ts';
import { composeReplies } from '../report/compose-reply.ts';
import { appliedOnBaseCommit, demoSeries, doublePageFreeFinding } from '../report/testdata/review-fixture.ts';
import type { ReplyDraft } from '../types.ts';
import { outboxFileName, writeOutbox } from './write-outbox.ts';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'kbot-outbox-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function draftWithId(id: string): ReplyDraft {
  const eml = `Message-ID: ${id}\r\nSubject: Re: x\r\n\r\nbody\r\n`;
  return { inReplyTo: 'p@x', references: ['p@x'], subject: 'Re: x', from: 'kbot <kbot@localhost>', to: ['a@x'], cc: [], body: 'body\n', eml };
}

test('one .eml per reply, named after its Message-ID, holding the exact message', async () => {
  const findings = [doublePageFreeFinding(), { ...doublePageFreeFinding(), patch: '<20240501120000.1000-2-alice@example.org>' }];
  const drafts = await composeReplies({ series: demoSeries(), apply: appliedOnBaseCommit(), findings, notes: [] }, parseConfig({}));
  assert.equal(drafts.length, 2);
  await withDir(async (dir) => {
    const outbox = join(dir, 'outbox');
    const paths = await writeOutbox(outbox, drafts);
    assert.deepEqual((await readdir(outbox)).sort(), paths.map((p) => basename(p)).sort());
    for (const [i, p] of paths.entries()) {
      assert.match(basename(p), /^kbot-[0-9a-f]{24}@localhost\.eml$/);
      assert.equal(await readFile(p, 'utf8'), drafts[i]!.eml);
    }
  });
});

test('hostile Message-IDs cannot escape the outbox or hide as dot files', async () => {
  const hostile = ['<../../etc/passwd>', '</abs/path@x>', '<..>', '<.hidden@x>', '<a\\b@x>', '<>', '<' + 'x'.repeat(500) + '@x>'];
  await withDir(async (dir) => {
    const outbox = join(dir, 'outbox');
    const paths = await writeOutbox(outbox, hostile.map(draftWithId));
    for (const p of paths) {
      assert.equal(dirname(p), outbox);
      assert.ok(!basename(p).startsWith('.'), basename(p));
      assert.ok(basename(p).length <= 120, basename(p));
    }
    assert.equal(new Set(paths).size, hostile.length);
    assert.deepEqual((await readdir(dir)).sort(), ['outbox']);
    assert.equal((await readdir(outbox)).length, hostile.length);
  });
});

test('ids that clean up alike still get distinct names', () => {
  assert.notEqual(outboxFileName('<a/b@x>'), outboxFileName('<a:b@x>'));
  assert.equal(outboxFileName('<plain.id@example.org>'), 'plain.id@example.org.eml');
});

test('writing the same replies again replaces the files, it does not pile up copies', async () => {
  await withDir(async (dir) => {
    const drafts = [draftWithId('<same@x>')];
    await writeOutbox(dir, drafts);
    await writeOutbox(dir, drafts);
    assert.deepEqual(await readdir(dir), ['same@x.eml']);
  });
});
