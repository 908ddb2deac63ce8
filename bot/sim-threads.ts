// The threads a review's simulation spreads its scenario runs over (sim.jobs): each a worker thread
// (sim-worker.ts) with its own views of the same two commits, running its part of the instances with
// simulate() under what is left of the one budget, and answering their judgements. The simulator stays pure:
// it is handed SimHelpers and never sees a thread.
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import type { Judgement } from '../sim/judge.ts';
import type { SimOptions } from '../sim/run-scenario.ts';
import type { Scenario } from '../sim/scenarios/scenario.ts';
import type { AnalyzerThreads, SimulatePart } from '../analyzers/types.ts';
import { workerEntry } from './sim-pool.ts';

/** What a worker is sent for a part of a series' simulation, and what it answers. */
export interface SeriesPartRequest {
  kind: 'series';
  id: number;
  tree: string;
  base: string;
  head: string;
  touched: string[];
  maxBlobBytes?: number;
  workDir: string;
  /** The parse cache's bounds (sim.parse_cache_mb, sim.parse_cache_memory_mb): the thread opens its own. */
  parseCacheMb: { disk: number; memory: number };
  scenarios: Scenario[];
  options: Omit<SimOptions, 'onProgress' | 'parseCache'>;
  changedLines: string[];
  hunks: Array<{ file: string; newStart: number; lines: string[] }>;
  onlyIds: string[];
}
export type SeriesPartReply = { id: number; ok: true; judgements: Judgement[] } | { id: number; ok: false; error: string };

/** How many threads sim.jobs means: 0 is the machine's cores. */
export function simJobs(jobs: number): number {
  return jobs > 0 ? jobs : Math.max(1, availableParallelism());
}

/**
 * Threads for one series on one tree: `count` workers, started on first use (a series with nothing to
 * simulate starts none), ended by close().
 */
export class SeriesSimThreads implements AnalyzerThreads {
  private workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: Array<() => void> = [];
  private nextId = 0;

  constructor(
    readonly count: number,
    private readonly at: { tree: string; base: string; head: string; touched: string[]; workDir: string; maxBlobBytes?: number; parseCacheMb: { disk: number; memory: number } },
  ) {}

  async simulate(part: SimulatePart): Promise<Judgement[]> {
    const w = await this.worker();
    const id = this.nextId++;
    // What cannot cross to a thread (a callback, the parse cache's object) stays; the thread opens its own.
    const { onProgress: _p, parseCache: _c, ...options } = part.options;
    const req: SeriesPartRequest = { kind: 'series', id, ...this.at, ...part, options };
    try {
      return await new Promise<Judgement[]>((resolve, reject) => {
        const onMessage = (m: SeriesPartReply) => {
          if (m.id !== id) return;
          off();
          if (m.ok) resolve(m.judgements);
          else reject(new Error(m.error));
        };
        const onError = (e: Error) => {
          off();
          reject(e);
        };
        const onExit = (code: number) => {
          off();
          reject(new Error(`the simulation thread exited (${code}) before it answered`));
        };
        const off = () => {
          w.off('message', onMessage);
          w.off('error', onError);
          w.off('exit', onExit);
        };
        w.on('message', onMessage);
        w.on('error', onError);
        w.on('exit', onExit);
        w.postMessage(req);
      });
    } finally {
      this.release(w);
    }
  }

  async close(): Promise<void> {
    const ws = this.workers;
    this.workers = [];
    await Promise.all(ws.map((w) => w.terminate()));
  }

  private async worker(): Promise<Worker> {
    if (this.idle.length) return this.idle.pop()!;
    if (this.workers.length < this.count) {
      const { url, execArgv } = workerEntry();
      const w = new Worker(url, { execArgv });
      this.workers.push(w);
      return w;
    }
    await new Promise<void>((resolve) => this.queue.push(resolve));
    return this.worker();
  }

  private release(w: Worker): void {
    if (!this.workers.includes(w)) return;
    this.idle.push(w);
    this.queue.shift()?.();
  }
}
