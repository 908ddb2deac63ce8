// `kbot status`: what the service is doing, read from Redis alone: job counts per queue, failed jobs with their
// reasons, the last message seen per source, and replies whose delivery is not confirmed.
import type { Service } from './service.ts';

export interface StatusReport {
  redis: { prefix: string };
  queues: Array<{ name: string; counts: Record<string, number>; failed: Array<{ id: string; name: string; reason: string; attempts: number }>; failedShown: number }>;
  sources: Array<{ name: string; last: { origin: string; at: string } | null }>;
  outbox: { records: number; replies: Record<string, number>; unconfirmed: Array<{ messageId: string; record: string; state: string }> };
}

export async function readStatus(svc: Service): Promise<StatusReport> {
  const limit = svc.config.service.status_failed_limit;
  const queues: StatusReport['queues'] = [];
  for (const name of svc.queueNames()) {
    const q = svc.queue(name);
    const counts = await q.getJobCounts('waiting', 'active', 'delayed', 'waiting-children', 'completed', 'failed');
    const failed = (await q.getFailed(0, limit - 1)).map((j) => ({ id: String(j.id), name: j.name, reason: j.failedReason ?? '', attempts: j.attemptsMade }));
    queues.push({ name, counts, failed, failedShown: failed.length });
  }
  const redis = svc.conn.redis;
  const seen = await redis.hgetall(svc.key('sources'));
  const sources = [...new Set([...svc.config.sources.map((s) => s.name), ...Object.keys(seen)])].map((name) => ({
    name,
    last: seen[name] ? (JSON.parse(seen[name]!) as { origin: string; at: string }) : null,
  }));
  const records = await redis.smembers(svc.key('outbox'));
  const replies: Record<string, number> = {};
  const unconfirmed: StatusReport['outbox']['unconfirmed'] = [];
  for (const record of records) {
    const h = await redis.hgetall(record);
    for (const [k, v] of Object.entries(h)) {
      if (!k.startsWith('state:')) continue;
      replies[v] = (replies[v] ?? 0) + 1;
      if (v === 'Unconfirmed' || v === 'Sending') unconfirmed.push({ messageId: k.slice('state:'.length), record, state: v });
    }
  }
  return { redis: { prefix: svc.conn.prefix }, queues, sources, outbox: { records: records.length, replies, unconfirmed } };
}

export function renderStatus(s: StatusReport, limit: number): string {
  const out: string[] = [`kbot status (redis prefix ${s.redis.prefix})`, '', 'queue          waiting active delayed children completed failed'];
  for (const q of s.queues) {
    const c = q.counts;
    out.push(`${q.name.padEnd(14)} ${String(c.waiting ?? 0).padStart(7)} ${String(c.active ?? 0).padStart(6)} ${String(c.delayed ?? 0).padStart(7)} ${String(c['waiting-children'] ?? 0).padStart(8)} ${String(c.completed ?? 0).padStart(9)} ${String(c.failed ?? 0).padStart(6)}`);
  }
  const failed = s.queues.filter((q) => q.failed.length);
  if (failed.length) {
    out.push('', 'failed jobs:');
    for (const q of failed) {
      for (const f of q.failed) out.push(`  ${q.name} ${f.id} (after ${f.attempts} attempt(s)): ${f.reason.split('\n').join('\n    ')}`);
      const total = q.counts.failed ?? 0;
      if (total > q.failed.length) out.push(`  ${q.name}: ${total - q.failed.length} more not shown (service.status_failed_limit is ${limit})`);
    }
  }
  out.push('', 'sources (last message queued):');
  if (s.sources.length === 0) out.push('  none configured');
  for (const src of s.sources) out.push(`  ${src.name}: ${src.last ? `${src.last.origin} at ${src.last.at}` : 'nothing yet'}`);
  const r = Object.entries(s.outbox.replies).map(([k, v]) => `${v} ${k}`).join(', ') || 'none';
  out.push('', `replies: ${r} (${s.outbox.records} review(s) with replies)`);
  for (const u of s.outbox.unconfirmed) {
    out.push(u.state === 'Unconfirmed'
      ? `  not confirmed sent: ${u.messageId} (a worker stopped while sending it; kbot does not send it again)`
      : `  sending: ${u.messageId} (Unconfirmed if its worker is gone when the job is taken again)`);
  }
  return `${out.join('\n')}\n`;
}
