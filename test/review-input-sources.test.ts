// The same series handed to `kbot review` four ways: an mbox, a Maildir, a public-inbox v2 archive and a bare
// Message-ID fetched from an archive over HTTP (a loopback server, config public_inbox_base). A user gets the
// same review from each.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { stringify } from 'yaml';
import { gitEnv } from '../examples/build-tree.ts';
import { exampleMboxPath, exampleMessages, messageId, toMbox } from './support/example-mail.ts';
import { reviewJson, type JsonReport } from './support/run-kbot.ts';
import { makeWorkspace, type Workspace } from './support/workspace.ts';

const messages = exampleMessages('hmm-devpriv-free-at-1');
const coverId = messageId(messages[0]);

let ws: Workspace;
let server: Server;
const requested: string[] = [];
const reports: Record<'mbox' | 'maildir' | 'publicInbox' | 'messageId', JsonReport> = {} as never;

async function makeMaildir(dir: string): Promise<void> {
  for (const sub of ['cur', 'new', 'tmp']) await mkdir(join(dir, sub), { recursive: true });
  // Delivery-time names, so name order is arrival order; the last two already seen (cur/, with flags).
  for (const [i, m] of messages.entries()) {
    const seen = i >= 2;
    const name = `${1495471860 + i}.M${i}P4242.mailhost${seen ? ':2,S' : ''}`;
    await writeFile(join(dir, seen ? 'cur' : 'new', name), m.text);
  }
}

/** A public-inbox v2 archive: epoch git/0.git, one commit per message, each writing the blob "m". */
function makePublicInbox(dir: string): void {
  const repo = join(dir, 'git', '0.git');
  const env = gitEnv('2017-05-22 16:51:00 +0000', { name: 'public-inbox', email: 'pi@example.org' });
  const git = (args: string[], input?: string) => execFileSync('git', args, { cwd: repo, env, input }).toString().trim();
  execFileSync('git', ['init', '-q', '--bare', '--initial-branch=master', repo], { env });
  let parent: string | null = null;
  for (const m of messages) {
    const blob = git(['hash-object', '-w', '--stdin'], m.text);
    const tree = git(['mktree'], `100644 blob ${blob}\tm\n`);
    const commit: string = git(['commit-tree', tree, ...(parent ? ['-p', parent] : []), '-m', 'message'], '');
    parent = commit;
  }
  git(['update-ref', 'refs/heads/master', parent!]);
}

before(async () => {
  ws = await makeWorkspace('v4.12-style');
  const maildir = join(ws.root, 'Maildir');
  await makeMaildir(maildir);
  const inbox = join(ws.root, 'inbox');
  makePublicInbox(inbox);

  const thread = gzipSync(toMbox(messages));
  server = createServer((req, res) => {
    requested.push(req.url ?? '');
    if (req.url === `/list/${coverId.slice(1, -1)}/t.mbox.gz`) {
      res.writeHead(200, { 'content-type': 'application/gzip' }).end(thread);
    } else {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const fetchConfig = join(ws.root, 'fetch.yaml');
  await writeFile(fetchConfig, stringify({ work_dir: ws.workDir, public_inbox_base: `http://127.0.0.1:${port}/list` }));

  const args = ['--tree', ws.tree, '--config', ws.config];
  const [a, b, c, d] = await Promise.all([
    reviewJson([exampleMboxPath('hmm-devpriv-free-at-1'), ...args]),
    reviewJson([maildir, ...args]),
    reviewJson([inbox, ...args]),
    reviewJson([coverId.slice(1, -1), '--tree', ws.tree, '--config', fetchConfig]),
  ]);
  reports.mbox = a.json;
  reports.maildir = b.json;
  reports.publicInbox = c.json;
  reports.messageId = d.json;
});

after(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await ws?.cleanup();
});

test('the mbox review is the reference: one series, applied, with the simulator\'s findings', () => {
  const s = reports.mbox.series[0];
  assert.equal(reports.mbox.series.length, 1);
  assert.equal(s.apply.status, 'applied');
  assert.ok(s.findings.some((f) => f.category === 'double-free'));
});

for (const kind of ['maildir', 'publicInbox', 'messageId'] as const) {
  test(`${kind}: the same series, messages, base, findings and reply as the mbox`, () => {
    const want = reports.mbox;
    const got = reports[kind];
    assert.deepEqual(got.rejected, []);
    assert.equal(got.series.length, 1, got.series.map((s) => s.subject).join(' | '));
    const [g, w] = [got.series[0], want.series[0]];
    assert.equal(g.id, w.id);
    assert.deepEqual(g.messages, w.messages);
    assert.deepEqual(g.base, w.base);
    assert.equal(g.apply.status, 'applied');
    assert.deepEqual(g.findings, w.findings);
    // The same reply, down to its Message-ID (made from what it is about); only the Date is the run's own.
    const undated = (rs: typeof g.replies) => rs.map(({ date: _date, ...r }) => r);
    assert.deepEqual(undated(g.replies), undated(w.replies));
  });
}

test('the Message-ID was fetched as <public_inbox_base>/<id>/t.mbox.gz', () => {
  assert.deepEqual(requested, [`/list/${coverId.slice(1, -1)}/t.mbox.gz`]);
});
