// The tracked tree's upkeep: the tree-update job fetches the upstream branches and drops applied series past
// keep_applied_days; a starting apply worker removes the scratch directories of workers that are gone.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueueEvents } from 'bullmq';
import { parseConfig } from '../../config/read-config.ts';
import { createService, type Service } from '../service.ts';
import { startWorkers } from '../workers.ts';
import { keepApplied } from '../tree-pool.ts';
import { dropKeys, randomPrefix } from '../../test/support/service.ts';
import { git } from '../../test/support/workspace.ts';

const REDIS = 'redis://127.0.0.1:6379';
const prefix = randomPrefix();
let root: string;
let upstream: string;
let tree: string;
let svc: Service;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'kbot-tree-update-'));
  upstream = join(root, 'upstream');
  tree = join(root, 'linux');
  await mkdir(upstream);
  await git(upstream, ['init', '-q', '--initial-branch=master']);
  await writeFile(join(upstream, 'README'), 'one\n');
  await git(upstream, ['add', '-A']);
  await git(upstream, ['commit', '-q', '-m', 'one']);
  await git(root, ['clone', '-q', upstream, tree]);
  svc = createService(parseConfig({ work_dir: join(root, 'work'), redis: { prefix }, trees: [{ name: 'linux', path: tree, keep_applied_days: 1 }], service: { log_level: 'fatal' } }));
});

after(async () => {
  await svc.close();
  await dropKeys(REDIS, prefix);
  await rm(root, { recursive: true, force: true });
});

test('tree-update fetches the new upstream commit and drops applied series older than keep_applied_days', async () => {
  await writeFile(join(upstream, 'README'), 'two\n');
  await git(upstream, ['commit', '-q', '-am', 'two']);
  const head = await git(upstream, ['rev-parse', 'HEAD']);
  const old = await git(tree, ['rev-parse', 'HEAD']);
  await git(tree, ['update-ref', 'refs/kbot/applied/1000000000-old', old]);
  const kept = await keepApplied(tree, 'new', old);
  const events = new QueueEvents('tree-update', { connection: { url: REDIS }, prefix });
  await events.waitUntilReady();
  const done = new Promise<{ returnvalue: unknown }>((ok) => events.on('completed', ok));
  const workers = await startWorkers(svc, ['tree-update']);
  try {
    await svc.queue('tree-update').add('tree-update', { tree: 'linux' });
    assert.deepEqual((await done).returnvalue, { fetched: ['origin'], pruned: 1 });
  } finally {
    await workers.close();
    await events.close();
  }
  assert.equal(await git(tree, ['rev-parse', 'refs/remotes/origin/master']), head);
  assert.equal(await git(tree, ['for-each-ref', '--format=%(refname)', 'refs/kbot/']), kept);
  // The checkout is not touched.
  assert.equal(await git(tree, ['rev-parse', 'HEAD']), old);
});

test('a starting apply worker removes the scratch directories of workers that are gone, not its own', async () => {
  const pool = join(root, 'work', 'pool', 'linux');
  // A pid no process has (above the kernel's pid_max of 2^22).
  await mkdir(join(pool, '4999999', 'apply-x'), { recursive: true });
  await mkdir(join(pool, String(process.pid)), { recursive: true });
  const workers = await startWorkers(svc, ['apply']);
  await workers.close();
  assert.deepEqual(await readdir(pool), [String(process.pid)]);
});
