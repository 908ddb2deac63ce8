// Runs simulations on worker threads, one task per worker at a time, across the cores, under one time budget:
// each task gets, when it starts, its share of what is left of the budget times the pool's parallelism (as
// simulateTree shares the budget between instances one after the other). The simulator itself stays pure: a
// worker (sim-worker.ts) opens the tree, reads the scenarios and runs simulateTree for one scenario or
// instance, as `kbot sim --scenario` would.
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import type { ScenarioRun, SimOptions } from '../sim/run-scenario.ts';
import type { TreeFacts } from '../sim/facts/facts.ts';
import type { ParseStats } from '../sim/frontend/parse-cache.ts';

export interface PoolTask {
  /** The git repository and the commit to simulate. */
  tree: string;
  commit: string;
  /** A scenario name, or one instance (NAME[walker], NAME[walker]@driver). */
  only: string;
  /** The simulator's options; maxMs is set by the pool. onProgress is not sent to workers. */
  options: Omit<SimOptions, 'onProgress' | 'maxMs' | 'parseCache'>;
  /** Where the tree facts and parses are cached (config work_dir). */
  workDir: string;
  /** sim.parse_cache_mb and parse_cache_memory_mb: the worker opens the parse cache itself. */
  parseCacheMb?: { disk: number; memory: number };
}

export interface PoolResult {
  runs: ScenarioRun[];
  facts: TreeFacts;
  /** The worker's parses of the tree: how many, and of them from the parse cache. */
  parse: ParseStats;
  /** The budget the task was given. */
  maxMs: number;
}

/** What a worker is sent and answers (sim-worker.ts). */
export interface WorkerRequest {
  id: number;
  task: PoolTask;
  maxMs: number;
}
export type WorkerReply = { id: number; ok: true; runs: ScenarioRun[]; facts: TreeFacts; parse: ParseStats } | { id: number; ok: false; error: string };

/** The worker's entry: the bundle's (dist/sim-worker.js) beside the bundle, else the TypeScript sources through tsx. */
export function workerEntry(): { url: URL; execArgv: string[] } {
  const here = import.meta.url;
  if (here.endsWith('.ts')) return { url: new URL('./sim-worker-boot.mjs', here), execArgv: [] };
  return { url: new URL('./sim-worker.js', here), execArgv: [] };
}

export class SimPool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: Array<{ task: PoolTask; resolve: (r: PoolResult) => void; reject: (e: Error) => void }> = [];
  private readonly waiting = new Map<number, { resolve: (r: PoolResult) => void; reject: (e: Error) => void; maxMs: number }>();
  private nextId = 0;
  private readonly t0 = performance.now();
  /** Tasks submitted and not started yet, plus those running: what the budget left is shared among. */
  private pending = 0;

  /**
   * size: worker threads (default: the cores available). budgetMs: the time for every task together, from
   * now (sim.max_seconds).
   */
  constructor(private readonly budgetMs: number, readonly size: number = Math.max(1, availableParallelism())) {
    const { url, execArgv } = workerEntry();
    for (let i = 0; i < size; i++) {
      const w = new Worker(url, { execArgv });
      w.on('message', (m: WorkerReply) => this.done(w, m));
      w.on('error', (e) => this.crashed(w, e));
      this.workers.push(w);
      this.idle.push(w);
    }
  }

  run(task: PoolTask): Promise<PoolResult> {
    this.pending++;
    return new Promise((resolve, reject) => {
      this.queue.push({ task, resolve, reject });
      // Dispatch once the caller has submitted everything it submits at once, so that the first share already
      // counts every task.
      queueMicrotask(() => this.dispatch());
    });
  }

  /** Ends the workers (after the tasks given have finished, if the caller awaited them). */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private left(): number {
    return Math.max(0, this.budgetMs - (performance.now() - this.t0));
  }

  private dispatch(): void {
    while (this.idle.length && this.queue.length) {
      const w = this.idle.pop()!;
      const { task, resolve, reject } = this.queue.shift()!;
      // This task's share: what is left, times the workers that run at once, over the tasks not finished.
      const maxMs = Math.max(1, (this.left() * Math.min(this.size, this.pending)) / this.pending);
      const id = this.nextId++;
      this.waiting.set(id, { resolve, reject, maxMs });
      (w as Worker & { taskId?: number }).taskId = id;
      w.postMessage({ id, task, maxMs } satisfies WorkerRequest);
    }
  }

  private done(w: Worker, m: WorkerReply): void {
    const t = this.waiting.get(m.id);
    this.waiting.delete(m.id);
    this.pending--;
    this.idle.push(w);
    if (t) {
      if (m.ok) t.resolve({ runs: m.runs, facts: m.facts, parse: m.parse, maxMs: t.maxMs });
      else t.reject(new Error(m.error));
    }
    this.dispatch();
  }

  private crashed(w: Worker, e: Error): void {
    const id = (w as Worker & { taskId?: number }).taskId;
    const t = id === undefined ? undefined : this.waiting.get(id);
    if (id !== undefined) this.waiting.delete(id);
    t?.reject(e);
  }
}
