// A SimPool worker (sim-pool.ts): runs simulateTree for the tasks it is sent, one at a time, each on its own
// view of the tree, and answers with the runs and the tree facts.
import { parentPort } from 'node:worker_threads';
import { GitTreeView } from './tree/git-tree-view.ts';
import { loadScenarios } from './load-scenarios.ts';
import { factsCache } from './facts-cache.ts';
import { flushParseCaches, parseCache } from './parse-cache.ts';
import { simulateTree } from '../sim/simulate.ts';
import type { WorkerReply, WorkerRequest } from './sim-pool.ts';

const port = parentPort;
if (!port) throw new Error('sim-worker.ts runs as a worker thread of SimPool');

port.on('message', async ({ id, task, maxMs }: WorkerRequest) => {
  let reply: WorkerReply;
  const view = new GitTreeView(task.tree, task.commit);
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
