// The service's HTTP endpoint and its stop: /healthz, /metrics, the dashboard behind its token, and SIGTERM in
// the middle of an analysis (the job finishes, then the process exits 0). `kbot status` without Redis.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { exampleMessages } from './support/example-mail.ts';
import { runKbot } from './support/run-kbot.ts';
import { makeWorkspace, type Workspace } from './support/workspace.ts';
import { deliver, dropKeys, freePort, KbotProcess, randomPrefix, serviceConfig } from './support/service.ts';

const REDIS = 'redis://127.0.0.1:6379';
const prefix = randomPrefix();
let ws: Workspace;
let kbot: KbotProcess;
let base: string;
let maildir: string;

before(async () => {
  ws = await makeWorkspace('v4.12-style');
  maildir = join(ws.root, 'Maildir');
  const config = await serviceConfig(ws.root, { tree: ws.tree, prefix, sources: [{ name: 'mine', type: 'maildir', url: maildir, interval_seconds: 0.5 }] });
  kbot = new KbotProcess(['serve', '--config', config], { KBOT_ADMIN_TOKEN: 's3cret-token' });
  const line = await kbot.waitFor((l) => l.msg === 'http endpoint listening');
  base = String(line.url).replace(/\/$/, '');
});

after(async () => {
  await kbot?.kill('SIGKILL');
  await dropKeys(REDIS, prefix);
  await ws?.cleanup();
});

test('/healthz says ok while Redis answers; /metrics counts jobs per queue and state', async () => {
  const h = await fetch(`${base}/healthz`);
  assert.equal(h.status, 200);
  assert.equal(await h.text(), 'ok\n');
  const m = await (await fetch(`${base}/metrics`)).text();
  assert.match(m, /^kbot_jobs\{queue="ingest",state="failed"\} 0$/m);
  assert.match(m, /^kbot_jobs\{queue="analyzer",state="active"\} 0$/m);
});

test('the dashboard needs the token', async () => {
  assert.equal((await fetch(`${base}/admin/queues`)).status, 401);
  assert.equal((await fetch(`${base}/admin/queues`, { headers: { authorization: 'Bearer wrong' } })).status, 401);
  const ok = await fetch(`${base}/admin/queues`, { headers: { authorization: 'Bearer s3cret-token' } });
  assert.equal(ok.status, 200);
  assert.match(await ok.text(), /<html/i);
  const api = await fetch(`${base}/admin/queues/api/queues`, { headers: { authorization: 'Bearer s3cret-token' } });
  assert.equal(api.status, 200);
  const names = ((await api.json()) as { queues: Array<{ name: string }> }).queues.map((q) => q.name);
  assert.ok(names.includes('analyzer') && names.includes('send'), names.join(', '));
});

test('SIGTERM during an analysis: the running job finishes first, then kbot exits 0', async () => {
  for (const m of exampleMessages('hmm-devpriv-free-at-1')) await deliver(maildir, m.text);
  await kbot.waitFor((l) => l.msg === 'analyzer started');
  const from = kbot.lines.length;
  const code = await kbot.kill('SIGTERM');
  assert.equal(code, 0, kbot.stderr);
  const after = kbot.lines.slice(from);
  assert.ok(after.some((l) => l.msg === 'job done' && l.queue === 'analyzer'), JSON.stringify(after));
});

test('kbot status with no Redis to reach: one line, exit 1', async () => {
  const cfg = join(ws.root, 'nowhere.yaml');
  const { writeFile } = await import('node:fs/promises');
  await writeFile(cfg, `redis: { url: "redis://127.0.0.1:${await freePort()}" }\n`);
  const r = await runKbot(['status', '--config', cfg]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^kbot: cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+: .+\n$/);
});
