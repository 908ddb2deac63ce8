// tree-update: fetches a tracked tree's upstream branches (bot/tree/update-tree, as `kbot review --fetch`) and
// drops applied series older than trees[].keep_applied_days from refs/kbot/applied/. Scheduled every
// trees[].fetch_interval_seconds by `kbot serve`.
import type { Job } from 'bullmq';
import { z } from 'zod';
import { updateTree } from '../../bot/tree/update-tree.ts';
import { parsePayload } from '../payloads.ts';
import type { Service } from '../service.ts';
import { pruneApplied } from '../tree-pool.ts';

export const treeUpdatePayload = z.strictObject({ tree: z.string() });
export type TreeUpdatePayload = z.output<typeof treeUpdatePayload>;

export async function scheduleTreeUpdates(svc: Service): Promise<void> {
  const q = svc.queue('tree-update');
  for (const t of svc.config.trees) {
    if (t.fetch_interval_seconds > 0) {
      await q.upsertJobScheduler(`tree-${t.name}`, { every: t.fetch_interval_seconds * 1000 }, { name: 'tree-update', data: { tree: t.name }, opts: { removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } } });
    } else {
      await q.removeJobScheduler(`tree-${t.name}`);
    }
  }
}

export async function processTreeUpdate(job: Job, svc: Service): Promise<{ fetched: string[]; pruned: number }> {
  const p = parsePayload(treeUpdatePayload, job.data, 'tree-update');
  const t = svc.tree(p.tree);
  const r = await updateTree(t.path, t.remotes);
  const pruned = await pruneApplied(t.path, t.keep_applied_days);
  // Every remote failing is worth a retry (the network); some failing is said in the log and the result.
  if (r.errors.length && r.fetched.length === 0 && (t.remotes?.length ?? 1) > 0 && r.errors.length > 0) throw new Error(r.errors.join('; '));
  if (r.errors.length) svc.log.warn({ tree: t.name, errors: r.errors }, 'tree-update: some remotes failed');
  return { fetched: r.fetched, pruned };
}
