// A SimPool worker (sim-pool.ts): runs simulateTree for the tasks it is sent, one at a time, each on its own
// view of the tree, and answers with the runs and the tree facts.
import { parentPort } from 'node:worker_threads';
import { GitTreeView } from './tree/git-tree-view.ts';
import { loadScenarios } from './load-scenarios.ts';
import { factsCache, grepCache } from './facts-cache.ts';
import { flushParseCaches, parseCache } from './parse-cache.ts';
import { simulateTree } from '../sim/simulate.ts';
import type { WorkerReply, WorkerRequest } from './sim-pool.ts';
import type { SeriesPartReply, SeriesPartRequest } from './sim-threads.ts';
import { OverlayTreeView } from './tree/overlay-tree-view.ts';
import { simulate } from '../sim/simulate.ts';

const port = parentPort;
if (!port) throw new Error('sim-worker.ts runs as a worker thread of SimPool');

port.on('message', async (m: WorkerRequest | SeriesPartRequest) => {
  if ('kind' in m && m.kind === 'series') {
    port.postMessage(await seriesPart(m));
    return;
  }
  const { id, task, maxMs } = m as WorkerRequest;
  let reply: WorkerReply;
  const view = new GitTreeView(task.tree, task.commit, { grepCache: grepCache(task.workDir) });
  try {
    const { runs, facts, parse } = await simulateTree(view, await loadScenarios(), { ...task.options, maxMs, ...(task.parseCacheMb === undefined ? {} : { parseCache: parseCache(task.workDir, task.parseCacheMb.disk, task.parseCacheMb.memory) }) }, task.only, factsCache(task.workDir));
    await flushParseCaches();
    reply = { id, ok: true, runs, facts, parse };
  } catch (e) {
    reply = { id, ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
  } finally {
    await view.close();
  }
  port.postMessage(reply);
});

/** A part of a series' simulation (sim-threads.ts): the same two commits, the instances it is given. */
async function seriesPart(m: SeriesPartRequest): Promise<SeriesPartReply> {
  const before = new GitTreeView(m.tree, m.base, { maxBlobBytes: m.maxBlobBytes, grepCache: grepCache(m.workDir) });
  const head = new GitTreeView(m.tree, m.head, { maxBlobBytes: m.maxBlobBytes, grepCache: grepCache(m.workDir) });
  try {
    const res = await simulate({
      before, after: new OverlayTreeView(head, before, m.touched), scenarios: m.scenarios,
      options: { ...m.options, parseCache: parseCache(m.workDir, m.parseCacheMb.disk, m.parseCacheMb.memory) },
      changedLines: m.changedLines, touched: m.touched, hunks: m.hunks, cache: factsCache(m.workDir), onlyIds: m.onlyIds,
    });
    await flushParseCaches();
    return { id: m.id, ok: true, judgements: res.judgements };
  } catch (e) {
    return { id: m.id, ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
  } finally {
    await Promise.all([before.close(), head.close()]);
  }
}
