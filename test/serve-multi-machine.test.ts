// Stages on different machines: `kbot serve --stage ...` (pollers, ingest, series, report, send) and a
// `kbot worker --stage apply,analyze,analyzer` on the same Redis; and the same service on a Redis Cluster,
// with the hash-tag key prefix `{...}` that keeps every key in one slot.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { exampleMessages, messageId } from './support/example-mail.ts';
import { makeWorkspace, type Workspace } from './support/workspace.ts';
import { ALL_QUEUES, deliver, dropKeys, freePort, KbotProcess, PrivateRedis, randomPrefix, serviceConfig, settled, startSmtp } from './support/service.ts';

const REDIS = 'redis://127.0.0.1:6379';
const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function setUp(): Promise<{ ws: Workspace; smtp: Awaited<ReturnType<typeof startSmtp>>; maildir: string }> {
  const ws = await makeWorkspace('v4.12-style');
  const smtp = await startSmtp();
  cleanups.push(() => ws.cleanup(), smtp.close);
  return { ws, smtp, maildir: join(ws.root, 'Maildir') };
}

function start(args: string[]): KbotProcess {
  const p = new KbotProcess(args);
  cleanups.push(async () => void (await p.kill('SIGTERM')));
  return p;
}

test('two processes with different stages on one Redis review a series together', async () => {
  const { ws, smtp, maildir } = await setUp();
  const prefix = randomPrefix();
  cleanups.push(() => dropKeys(REDIS, prefix));
  const series = exampleMessages('hmm-devpriv-free-at-1');
  const config = await serviceConfig(ws.root, { tree: ws.tree, prefix, smtpPort: smtp.port, sources: [{ name: 'mine', type: 'maildir', url: maildir, interval_seconds: 0.5 }] });
  const front = start(['serve', '--config', config, '--stage', 'ingest,series,report,send,tree-update']);
  const back = start(['worker', '--config', config, '--stage', 'apply,analyze,analyzer']);
  await front.waitFor((l) => l.msg === 'workers started');
  await back.waitFor((l) => l.msg === 'workers started');
  for (const m of series) await deliver(maildir, m.text);
  await smtp.waitFor(1);
  await settled(REDIS, prefix, ALL_QUEUES);
  assert.equal(smtp.received.length, 1);
  assert.match(smtp.received[0]!.raw, new RegExp(`^In-Reply-To: ${messageId(series[2]!)}\\r$`, 'm'));
  // Each process ran only its own stages.
  const queuesOf = (p: KbotProcess) => new Set(p.lines.filter((l) => l.msg === 'job done').map((l) => l.queue as string));
  assert.deepEqual([...queuesOf(back)].sort(), ['analyze', 'analyzer', 'apply']);
  assert.deepEqual([...queuesOf(front)].sort(), ['ingest', 'report', 'send', 'series']);
});

/** Three cluster-mode redis-servers on loopback ports, joined by redis-cli --cluster create; null if it cannot be done here. */
async function startCluster(root: string): Promise<{ nodes: string[]; stop: () => Promise<void> } | null> {
  const ports = [await freePort(), await freePort(), await freePort()];
  const servers = ports.map((p, i) => new PrivateRedis(p, join(root, `cluster-${i}`), ['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${p}.conf`, '--cluster-node-timeout', '2000']));
  const stop = async () => {
    for (const s of servers) await s.stop();
  };
  try {
    for (const s of servers) await s.start();
  } catch {
    await stop();
    return null;
  }
  const create = spawnSync('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], { encoding: 'utf8' });
  if (create.status !== 0) {
    await stop();
    return null;
  }
  // The cluster is usable once every node says so.
  for (const p of ports) {
    for (;;) {
      const info = spawnSync('redis-cli', ['-p', String(p), 'cluster', 'info'], { encoding: 'utf8' }).stdout;
      if (/cluster_state:ok/.test(info)) break;
      await new Promise((ok) => setTimeout(ok, 100));
    }
  }
  return { nodes: ports.map((p) => `redis://127.0.0.1:${p}`), stop };
}

test('on a Redis Cluster, with a hash-tag prefix: a series that does not apply gets its one reply', async (t) => {
  const { ws, smtp, maildir } = await setUp();
  const cluster = await startCluster(ws.root);
  if (!cluster) {
    t.skip('redis-server cannot run in cluster mode on this machine');
    return;
  }
  cleanups.push(cluster.stop);
  const prefix = `{${randomPrefix()}}`;
  const config = await serviceConfig(ws.root, {
    tree: ws.tree, prefix, smtpPort: smtp.port,
    sources: [{ name: 'mine', type: 'maildir', url: maildir, interval_seconds: 0.5 }],
    extra: { redis: { prefix, cluster_nodes: cluster.nodes } },
  });
  const kbot = start(['serve', '--config', config]);
  await kbot.waitFor((l) => l.msg === 'workers started');
  const [patch] = exampleMessages('does-not-apply');
  await deliver(maildir, patch!.text);
  await smtp.waitFor(1);
  assert.match(smtp.received[0]!.raw, /does not apply|did not apply|could not apply/i);
  // Every key kbot wrote is in the slot of the hash tag.
  const slots = new Set<string>();
  for (const node of cluster.nodes) {
    const port = new URL(node).port;
    const keys = spawnSync('redis-cli', ['-p', port, '--scan', '--pattern', `${prefix}:*`], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
    for (const k of keys) slots.add(spawnSync('redis-cli', ['-p', port, 'cluster', 'keyslot', k], { encoding: 'utf8' }).stdout.trim());
  }
  assert.equal(slots.size, 1, [...slots].join(', '));
});
