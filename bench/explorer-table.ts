// The explorer against SPIN on the same model (issue 9's "Done means"): both seed instances, buggy and correct
// semantics, N walkers, kbot and SPIN run one after the other (interleaved: kbot, SPIN, kbot, SPIN ...), the
// median of R pairs. kbot runs with --exhaustive (as pan -c0 searches the whole space) and a budget no run
// reaches; a run that still hits it is marked INCOMPLETE.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { measureProcess, type ProcessRun } from './measure-process.ts';
import { runSpin, type SpinRun } from './spin/run-spin.ts';
import { seedDefines } from './spin/seed-properties.ts';
import { formatTable, mib, ms, ratio } from './format-table.ts';

export interface TableOptions {
  kbot: string;
  root: string;
  /** Trees with the series applied: buggy (free at 1) and correct (free at 0) semantics. */
  trees: { buggy: string; correct: string };
  walkers: number[];
  repeat: number;
  work: string;
  /** Budget for each kbot run (sim.max_seconds); the table's runs must finish well within it. */
  maxSeconds: number;
  maxStates: number;
  spin: boolean;
  pml: string;
  /** Only these cases, as "instance:semantics" ("get_hwpoison_page:correct"); default every one. */
  cases?: string[];
  /** pan's memory bound in MiB (runSpin's memLimitMb); a pan run that reaches it is marked in the table. */
  panMemMb?: number;
}

export interface TableRow {
  instance: string;
  semantics: 'buggy' | 'correct';
  walkers: number;
  kbot: {
    wallMs: number;
    exploreMs: number;
    states: number;
    transitions: number;
    complete: boolean;
    verdict?: string;
    stateBytes?: number;
    peakRssKb?: number;
    categories: string[];
    runs: number[];
  };
  spin?: { totalMs: number; panMs: number; states: number; transitions: number; stateBytes?: number; panBytes?: number; runs: number[]; incomplete?: string };
}

interface SimJson {
  ms: number;
  scenarios: Array<{
    name: string;
    stats: { states: number; transitions: number; ms: number; complete: boolean; verdict?: string; stateBytes?: number; loadMs?: number };
    violations: Array<{ category: string }>;
  }>;
}

const INSTANCES = ['memory_failure', 'get_hwpoison_page'];

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function kbotRun(o: TableOptions, args: string[]): Promise<ProcessRun> {
  return measureProcess(process.execPath, [o.kbot, ...args], { cwd: o.root, env: { GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' } });
}

export async function explorerTable(o: TableOptions, say: (s?: string) => void): Promise<TableRow[]> {
  const config = join(o.work, 'bench-explorer.yaml');
  await writeFile(config, `sim:\n  max_seconds: ${o.maxSeconds}\n  max_states: ${o.maxStates}\n`);
  say(`6. The explorer vs SPIN: kbot sim --exhaustive vs spin -a + gcc + pan -c0 on bench/spin/seed.pml, both instances,`);
  say(`   buggy (free at 1) and correct (free at 0, seed.pml -DFIXED) semantics; kbot and SPIN interleaved, median of ${o.repeat}`);
  if (o.spin && o.panMemMb !== undefined) say(`   pan's memory bound: ${Math.floor(o.panMemMb)} MiB (-DMEMLIM; --table-pan-mib)`);
  const rows: TableRow[] = [];
  for (const walker of INSTANCES) {
    const instance = `devpriv-free+walker-get-put[${walker}]`;
    for (const semantics of ['buggy', 'correct'] as const) {
      if (o.cases && !o.cases.includes(`${walker}:${semantics}`)) continue;
      const tree = o.trees[semantics];
      const defines = [...(seedDefines(walker) ?? []), ...(semantics === 'correct' ? ['FIXED'] : [])];
      for (const n of o.walkers) {
        const kruns: Array<{ run: ProcessRun; json: SimJson }> = [];
        const sruns: SpinRun[] = [];
        for (let i = 0; i < o.repeat; i++) {
          const run = await kbotRun(o, ['sim', '--tree', tree, '--scenario', instance, '--walkers', String(n), '--exhaustive', '--json', '--config', config]);
          if (run.code !== 0) throw new Error(`kbot sim ${instance} --walkers ${n} exited ${run.code}:\n${run.stderr.slice(-2000)}`);
          const json = JSON.parse(run.stdout) as SimJson;
          if (json.scenarios.length !== 1) throw new Error(`kbot sim --scenario ${instance} ran ${json.scenarios.length} instances`);
          kruns.push({ run, json });
          if (o.spin) sruns.push(await runSpin(o.pml, n, { defines, ...(o.panMemMb !== undefined ? { memLimitMb: o.panMemMb } : {}) }));
        }
        const wall = kruns.map((k) => k.run.ms);
        const mid = kruns.find((k) => k.run.ms === median(wall)) ?? kruns[0]!;
        const sc = mid.json.scenarios[0]!;
        const row: TableRow = {
          instance: walker,
          semantics,
          walkers: n,
          kbot: {
            wallMs: median(wall),
            exploreMs: median(kruns.map((k) => k.json.scenarios[0]!.stats.ms - (k.json.scenarios[0]!.stats.loadMs ?? 0))),
            states: sc.stats.states,
            transitions: sc.stats.transitions,
            complete: sc.stats.complete,
            verdict: sc.stats.verdict,
            stateBytes: sc.stats.stateBytes,
            peakRssKb: Math.max(...kruns.map((k) => k.run.peakRssKb ?? 0)) || undefined,
            categories: [...new Set(sc.violations.map((v) => v.category))].sort(),
            runs: wall,
          },
        };
        if (sruns.length) {
          const total = sruns.map((s) => s.msTotal);
          const smid = sruns.find((s) => s.msTotal === median(total)) ?? sruns[0]!;
          row.spin = {
            totalMs: median(total), panMs: median(sruns.map((s) => s.msPan)), states: smid.states, transitions: smid.transitions,
            stateBytes: smid.stateBytes, panBytes: smid.panBytes, runs: total,
          };
          const short = sruns.find((s) => s.incomplete)?.incomplete;
          if (short) row.spin.incomplete = short;
        }
        rows.push(row);
        process.stderr.write(`  [${walker}] ${semantics} N=${n}: kbot ${ms(row.kbot.wallMs)} ms${row.spin ? `, SPIN ${ms(row.spin.totalMs)} ms` : ''}\n`);
      }
    }
  }
  const us = (t: number, n: number) => (n ? ((t * 1000) / n).toFixed(2) : '-');
  const bytes = (b: number | undefined, n: number) => (b === undefined || !n ? '-' : (b / n).toFixed(0));
  say(formatTable(
    ['instance', 'sem', 'N', 'kbot ms', 'SPIN ms', 'k/S', 'explore', 'pan', 'expl/pan', 'states', 'pan st', 'trans', 'pan tr',
      'µs/tr', 'pan µs/tr', 'B/state', 'pan B/st', 'RSS MiB', 'pan MiB'],
    rows.map((r) => [
      r.instance, r.semantics, String(r.walkers), ms(r.kbot.wallMs), ms(r.spin?.totalMs), ratio(r.kbot.wallMs, r.spin?.totalMs),
      ms(r.kbot.exploreMs), ms(r.spin?.panMs), ratio(r.kbot.exploreMs, r.spin?.panMs),
      `${r.kbot.states}${r.kbot.complete ? '' : ' INCOMPLETE'}`, r.spin ? `${r.spin.states}${r.spin.incomplete ? ' STOPPED' : ''}` : '-',
      String(r.kbot.transitions), r.spin ? String(r.spin.transitions) : '-',
      us(r.kbot.exploreMs, r.kbot.transitions), r.spin ? us(r.spin.panMs, r.spin.transitions) : '-',
      bytes(r.kbot.stateBytes, r.kbot.states), r.spin ? bytes(r.spin.stateBytes, r.spin.states) : '-',
      mib(r.kbot.peakRssKb), r.spin?.panBytes === undefined ? '-' : (r.spin.panBytes / 2 ** 20).toFixed(1),
    ]),
  ));
  say('   kbot ms, SPIN ms: whole processes (kbot: spawn to exit; SPIN: spin -a + gcc + pan). explore: kbot\'s search of');
  say('   every interleaving (stats.ms - stats.loadMs: the code it loads on the way is not counted; searches it restarted');
  say('   after loading code are); pan: pan alone. µs/tr: explore (pan) time per');
  say('   transition. B/state: kbot\'s visited table and per-state bookkeeping as allocated / states; pan\'s "equivalent');
  say('   memory usage for states" / states. RSS: kbot\'s peak RSS (whole process); pan MiB: pan\'s "total actual memory usage".');
  const stopped = rows.filter((r) => r.spin?.incomplete);
  if (stopped.length) {
    say('   STOPPED: pan did not search the whole space, so its times and counts are of the part it searched:');
    for (const r of stopped) say(`     [${r.instance}] ${r.semantics} N=${r.walkers}: ${r.spin!.incomplete}`);
  }
  return rows;
}
