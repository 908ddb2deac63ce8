// kbot's benchmark (`npm run bench [-- --walkers 1,2,3,4 --repeat 3 --reviews 5 --scenario NAME]`):
//  1. the seed scenario, kbot sim vs SPIN on the same model (bench/spin/seed.pml), N walkers: whole-process
//     wall times, states, transitions, the error categories each finds;
//  2. review latency of a 3-patch series and of a series with nothing to simulate;
//  3. peak RSS of the kbot runs.
// Every figure comes from this one run; the results also go to bench/out/results.json.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { measureProcess, type ProcessRun } from './measure-process.ts';
import { existsSync } from 'node:fs';
import { patchedTree, unpatchedTree, BENCH_TREE } from './example-trees.ts';
import { runSpin, type SpinRun } from './spin/run-spin.ts';
import { seedDefines, spinCategories } from './spin/seed-properties.ts';
import { formatTable, mib, ms, ratio } from './format-table.ts';
import { explorerTable } from './explorer-table.ts';
import { serviceBench, type ServiceRow } from './service.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const KBOT = join(root, 'bin', 'kbot.js');
const SERIES = join(root, 'examples', 'series', 'hmm-devpriv-free-at-1.mbox');
const NOTHING_SERIES = join(root, 'examples', 'series', 'no-refcount.mbox');
/** The same feature done as Linux later did it (free at refcount 0): the correct semantics. */
const CORRECT_SERIES = join(root, 'examples', 'series', 'hmm-devpriv-free-at-0.mbox');
const SEED_PML = join(root, 'bench', 'spin', 'seed.pml');
const SEED_SCENARIO = 'devpriv-free+walker-get-put';
/** The walkers kbot should use for the seed, in order of preference (the brief's instance first). */
const SEED_WALKERS = ['get_hwpoison_page', 'memory_failure'];
const REVIEW_TARGET_MS = 2000;

interface SimJson {
  ms: number;
  scenarios: Array<{
    name: string;
    scenario: string;
    walker?: string;
    status: string;
    stats: { states: number; transitions: number; ms: number; complete: boolean };
    violations: Array<{ category: string }>;
    reached?: Record<string, unknown>;
  }>;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const maxOf = (xs: Array<number | undefined>): number | undefined => {
  const d = xs.filter((x): x is number => x !== undefined);
  return d.length ? Math.max(...d) : undefined;
};

function version(cmd: string, args: string[]): string | null {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).split('\n')[0]!.trim();
  } catch {
    return null;
  }
}

function kbot(args: string[]): Promise<ProcessRun> {
  // The user's git config must not change what kbot does.
  return measureProcess(process.execPath, [KBOT, ...args], { cwd: root, env: { GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' } });
}

function parseJson<T>(r: ProcessRun, what: string): T {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}:\n${r.stderr.slice(-2000)}`);
  try {
    return JSON.parse(r.stdout) as T;
  } catch (e) {
    throw new Error(`${what} printed no JSON (${(e as Error).message}):\n${r.stdout.slice(0, 2000)}`);
  }
}

/** The seed instance kbot runs on this tree: the brief's walker if the simulator offers it, else the next. */
async function seedInstance(tree: string, wanted?: string): Promise<{ name: string; walker?: string }> {
  const r = parseJson<SimJson>(await kbot(['sim', '--tree', tree, '--walkers', '1', '--json', ...(wanted ? ['--scenario', wanted] : [])]), 'kbot sim (discovery)');
  if (wanted) {
    const hit = r.scenarios.find((s) => s.name === wanted);
    if (!hit) throw new Error(`kbot sim has no scenario instance named ${wanted} on ${tree}`);
    return { name: hit.name, walker: hit.walker };
  }
  const seeds = r.scenarios.filter((s) => s.scenario === SEED_SCENARIO && s.status !== 'not-applicable');
  for (const w of SEED_WALKERS) {
    const hit = seeds.find((s) => s.walker === w);
    if (hit) return { name: hit.name, walker: hit.walker };
  }
  const via = seeds.find((s) => s.reached && 'get_hwpoison_page' in s.reached);
  if (via) return { name: via.name, walker: via.walker };
  throw new Error(`kbot sim offers no ${SEED_SCENARIO} instance with a get_hwpoison_page walker: ${r.scenarios.map((s) => s.name).join(', ')}`);
}

interface SeedRow {
  walkers: number;
  kbot: {
    wallMs: number;
    /** The CLI's own figure: scenarios loaded, tree read and parsed, explored (JSON "ms"). */
    simMs: number;
    exploreMs: number;
    states: number;
    transitions: number;
    complete: boolean;
    categories: string[];
    peakRssKb?: number;
    runs: number[];
  };
  spin?: {
    totalMs: number;
    spinAMs: number;
    gccMs: number;
    panMs: number;
    states: number;
    transitions: number;
    errors: number;
    categories: string[];
    runs: number[];
  };
  sameCategories?: boolean;
}

async function seedRow(tree: string, instance: string, n: number, repeat: number, spinDefines: string[] | null, pml: string): Promise<SeedRow> {
  const kruns: Array<{ run: ProcessRun; json: SimJson }> = [];
  for (let i = 0; i < repeat; i++) {
    const run = await kbot(['sim', '--tree', tree, '--scenario', instance, '--walkers', String(n), '--json']);
    const json = parseJson<SimJson>(run, `kbot sim --walkers ${n}`);
    if (json.scenarios.length !== 1) throw new Error(`kbot sim --scenario ${instance} ran ${json.scenarios.length} instances`);
    kruns.push({ run, json });
  }
  const wall = kruns.map((k) => k.run.ms);
  const mid = kruns.find((k) => k.run.ms === median(wall)) ?? kruns[0]!;
  const sc = mid.json.scenarios[0]!;
  const row: SeedRow = {
    walkers: n,
    kbot: {
      wallMs: median(wall),
      simMs: median(kruns.map((k) => k.json.ms)),
      exploreMs: median(kruns.map((k) => k.json.scenarios[0]!.stats.ms)),
      states: sc.stats.states,
      transitions: sc.stats.transitions,
      complete: sc.stats.complete,
      categories: [...new Set(sc.violations.map((v) => v.category))].sort(),
      peakRssKb: maxOf(kruns.map((k) => k.run.peakRssKb)),
      runs: wall,
    },
  };
  if (spinDefines) {
    const sruns: SpinRun[] = [];
    for (let i = 0; i < repeat; i++) sruns.push(await runSpin(pml, n, { defines: spinDefines }));
    const total = sruns.map((s) => s.msTotal);
    const smid = sruns.find((s) => s.msTotal === median(total)) ?? sruns[0]!;
    row.spin = {
      totalMs: median(total),
      spinAMs: median(sruns.map((s) => s.msSpinA)),
      gccMs: median(sruns.map((s) => s.msGcc)),
      panMs: median(sruns.map((s) => s.msPan)),
      states: smid.states,
      transitions: smid.transitions,
      errors: smid.errors,
      categories: spinCategories(smid.assertions),
      runs: total,
    };
    row.sameCategories = row.spin.categories.join() === row.kbot.categories.join();
  }
  return row;
}

interface ReviewRow {
  series: string;
  patches: number;
  medianMs: number;
  runs: number[];
  /** The refcount simulator's own time, from its note in the JSON report. */
  analyzerMs?: number;
  note?: string;
  findings: string[];
  peakRssKb?: number;
}

interface ReviewJson {
  series: Array<{ total: number; notes: string[]; findings: Array<{ category: string }>; apply: { status: string } }>;
}

async function reviewRow(work: string, mbox: string, runs: number): Promise<ReviewRow> {
  const times: number[] = [];
  const rss: Array<number | undefined> = [];
  let last: ReviewJson | undefined;
  for (let i = 0; i < runs; i++) {
    const dir = await mkdtemp(join(work, 'review-'));
    const tree = await unpatchedTree(join(dir, 'linux'));
    const run = await kbot(['review', mbox, '--tree', tree.path, '--json']);
    last = parseJson<ReviewJson>(run, `kbot review ${mbox}`);
    times.push(run.ms);
    rss.push(run.peakRssKb);
    await rm(dir, { recursive: true, force: true });
  }
  const s = last!.series[0];
  if (!s || s.apply.status !== 'applied') throw new Error(`kbot review ${mbox}: the series did not apply (${JSON.stringify(s?.apply)})`);
  const note = s.notes.find((n) => n.startsWith('refcount-sim:'));
  const m = note ? /\((\d+(?:\.\d+)?) ms\)\s*$/.exec(note) : null;
  return {
    series: mbox.replace(/^.*\//, ''),
    patches: s.total,
    medianMs: median(times),
    runs: times,
    analyzerMs: m ? Number(m[1]) : undefined,
    note,
    findings: [...new Set(s.findings.map((f) => f.category))].sort(),
    peakRssKb: maxOf(rss),
  };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      walkers: { type: 'string', default: '1,2,3,4' },
      repeat: { type: 'string', default: '3' },
      reviews: { type: 'string', default: '5' },
      scenario: { type: 'string' },
      'real-trees': { type: 'string', default: '6.1,6.12' },
      // 7 and 8 can be asked for; pan's buggy [get_hwpoison_page] model needs 4 GiB and 9 min at N = 6, x4.5 a walker.
      'table-walkers': { type: 'string', default: '1,2,3,4,5,6' },
      'table-repeat': { type: 'string', default: '5' },
      'table-max-seconds': { type: 'string', default: '300' },
      'table-cases': { type: 'string' },
      // pan's memory bound (-DMEMLIM), MiB; default three quarters of this machine's memory. A pan run that
      // reaches it stops there and is marked STOPPED (pan has no bound of its own and grows until it is killed).
      'table-pan-mib': { type: 'string' },
      /** The service section: series in its synthetic archive (0: skip it); worker process counts. */
      'service-series': { type: 'string', default: '500' },
      'service-workers': { type: 'string', default: '1,2' },
      sections: { type: 'string', default: 'seed,review,real,table,service' },
      /** Run only this section (service): as --sections service, without the seed's tree set-up. */
      only: { type: 'string' },
      quick: { type: 'boolean' },
    },
  });
  // Quick mode (--quick or KBOT_BENCH_QUICK=1): every section, fewer walkers and one run each, no real trees.
  if (values.quick || process.env.KBOT_BENCH_QUICK === '1') {
    Object.assign(values, { walkers: '1,2', repeat: '1', reviews: '1', 'real-trees': '', 'table-walkers': '1,2,3', 'table-repeat': '1', 'service-series': '50' });
  }
  if (values.only === 'service') return serviceOnly(Number(values['service-series']), values['service-workers'].split(',').map(Number));
  const sections = new Set(values.sections.split(','));
  const tableWalkers = values['table-walkers'].split(',').map(Number);
  const walkers = sections.has('seed') ? values.walkers.split(',').map(Number) : [];
  const repeat = Number(values.repeat);
  const reviews = Number(values.reviews);
  const panMib = values['table-pan-mib'];
  if (walkers.some((n) => !Number.isInteger(n) || n < 1) || !(repeat >= 1) || !(reviews >= 1) || (panMib !== undefined && !(Number(panMib) >= 16))) {
    process.stderr.write('usage: npm run bench [-- --quick] [-- --walkers 1,2,3,4 --repeat 3 --reviews 5 --scenario NAME --table-walkers 1,...,8 --table-repeat 5 --table-pan-mib 4096 --sections seed,review,real,table,service --service-series 500 --service-workers 1,2 | --only service]\n');
    return 1;
  }
  const t0 = performance.now();
  const spinV = version('spin', ['-V']);
  const gccV = version('gcc', ['--version']);
  const haveSpin = spinV !== null && gccV !== null;
  const env = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? '?',
    node: process.version,
    spin: spinV,
    gcc: gccV,
    gnuTime: version('/usr/bin/time', ['--version']) !== null,
    /** 1-minute load average at the start and the end: other work on the machine inflates every wall time. */
    loadavg: [loadavg()[0]!],
  };
  const out: string[] = [];
  const say = (s = '') => {
    out.push(s);
    process.stdout.write(`${s}\n`);
  };
  say(`kbot bench: ${env.cpus} CPU(s) (${env.cpuModel}), node ${env.node}, ${env.spin ?? 'spin: not installed'}, ${env.gcc ?? 'gcc: not installed'}`);
  say(`load average at start: ${env.loadavg[0]!.toFixed(2)} (wall times are only comparable on an otherwise idle machine)`);
  if (!haveSpin) say('spin or gcc is missing (apt-get install -y spin gcc): running the kbot side only.');
  // bin/kbot.js runs the dist/ bundle only while it is newer than every source; in a checkout being edited it
  // would run the sources through tsx, whose helpers (a __name() call on every closure made) cost the explorer
  // about half its time. The bench measures what an installed kbot runs: the bundle, built now.
  execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  say('kbot runs from its dist/ bundle (npm run build, done by the bench before it measures)');

  const work = await mkdtemp(join(tmpdir(), 'kbot-bench-'));
  try {
    const patched = await patchedTree(join(work, 'patched'), SERIES);
    const inst = await seedInstance(patched.path, values.scenario);
    const defines = haveSpin ? seedDefines(inst.walker) : null;
    const pml = readFileSync(SEED_PML, 'utf8');
    say();
    say(`1. Seed scenario: kbot sim ${inst.name} on ${BENCH_TREE} + hmm-devpriv-free-at-1 (${patched.head.slice(0, 12)})`);
    say(`   vs SPIN on bench/spin/seed.pml${defines?.length ? ` -D${defines.join(' -D')}` : ''}; whole processes, median of ${repeat}`);
    if (haveSpin && !defines) say(`   no variant of seed.pml mirrors the walker ${inst.walker ?? '(fallback glue)'}: SPIN not run`);
    const seed: SeedRow[] = [];
    for (const n of walkers) {
      const row = await seedRow(patched.path, inst.name, n, repeat, defines, pml);
      seed.push(row);
      process.stderr.write(`  N=${n}: kbot ${ms(row.kbot.wallMs)} ms${row.spin ? `, SPIN ${ms(row.spin.totalMs)} ms` : ''}\n`);
    }
    say(formatTable(
      ['N', 'kbot ms', 'startup', 'parse', 'explore', 'states', 'trans', 'SPIN ms', 'spin -a', 'gcc', 'pan', 'states', 'trans', 'time k/S', 'states k/S', 'kbot RSS MiB'],
      seed.map((r) => [
        String(r.walkers), ms(r.kbot.wallMs), ms(r.kbot.wallMs - r.kbot.simMs), ms(r.kbot.simMs - r.kbot.exploreMs), ms(r.kbot.exploreMs),
        String(r.kbot.states), String(r.kbot.transitions),
        ms(r.spin?.totalMs), ms(r.spin?.spinAMs), ms(r.spin?.gccMs), ms(r.spin?.panMs),
        r.spin ? String(r.spin.states) : '-', r.spin ? String(r.spin.transitions) : '-',
        ratio(r.kbot.wallMs, r.spin?.totalMs), ratio(r.kbot.states, r.spin?.states), mib(r.kbot.peakRssKb),
      ]),
    ));
    say('   kbot ms = spawn to exit; startup = kbot ms - the CLI\'s own "ms" (node, loading the bundle or the sources, git rev-parse);');
    say('   parse = "ms" - exploration (scenarios, tree read through git, C parsing, compiling, release check); explore = stats.ms.');
    say('   SPIN ms = spin -a + gcc + pan. k/S = kbot / SPIN.');
    for (const r of seed) {
      const spinCats = r.spin ? r.spin.categories.join(', ') || 'none' : '-';
      say(`   N=${r.walkers}: kbot finds ${r.kbot.categories.join(', ') || 'none'}${r.kbot.complete ? '' : ' (INCOMPLETE)'}; SPIN finds ${spinCats}` +
        (r.spin ? ` (${r.spin.errors} assertion reports)${r.sameCategories ? ': same categories' : ': CATEGORIES DIFFER'}` : ''));
    }

    say();
    say(`2. Review latency: kbot review <mbox> --tree <fresh ${BENCH_TREE} tree> --json, spawn to exit, median of ${reviews}`);
    const review: ReviewRow[] = [];
    for (const mbox of sections.has('review') ? [SERIES, NOTHING_SERIES] : []) {
      const row = await reviewRow(work, mbox, reviews);
      review.push(row);
      process.stderr.write(`  ${row.series}: ${ms(row.medianMs)} ms\n`);
    }
    say(formatTable(
      ['series', 'patches', 'median ms', 'min', 'max', 'vs 2 s target', 'analyzer ms', 'peak RSS MiB', 'findings'],
      review.map((r) => [
        r.series, String(r.patches), ms(r.medianMs), ms(Math.min(...r.runs)), ms(Math.max(...r.runs)), ratio(r.medianMs, REVIEW_TARGET_MS),
        ms(r.analyzerMs), mib(r.peakRssKb), r.findings.join(', ') || 'none',
      ]),
    ));
    for (const r of review) if (r.note) say(`   ${r.series}: ${r.note}`);

    say();
    const realTrees = sections.has('real') ? values['real-trees'].split(',').filter(Boolean) : [];
    const real = await realTreesSection(realTrees, work, say);

    say();
    const realReview = await realReviewSection(realTrees.includes('6.1') && review.length > 0, work, review, say);

    say();
    const service = sections.has('service') ? await serviceSection(Number(values['service-series']), values['service-workers'].split(',').map(Number), work, say) : [];

    say();
    const rss = seed.map((r) => r.kbot.peakRssKb).filter((x): x is number => x !== undefined);
    const rssSource = env.gnuTime ? '/usr/bin/time -v' : 'process.resourceUsage in the child';
    say(`3. Memory: peak RSS of the kbot sim runs (${rssSource}): ${rss.length ? `${mib(Math.min(...rss))}-${mib(Math.max(...rss))} MiB over N = ${walkers.join(', ')}` : 'not measured'}`);

    say();
    const table = sections.has('table')
      ? await explorerTable({
        kbot: KBOT, root, work, pml, spin: haveSpin, walkers: tableWalkers, repeat: Number(values['table-repeat']),
        maxSeconds: Number(values['table-max-seconds']), maxStates: 50_000_000, cases: values['table-cases']?.split(','),
        panMemMb: values['table-pan-mib'] !== undefined ? Number(values['table-pan-mib']) : Math.floor((totalmem() * 0.75) / 2 ** 20),
        trees: { buggy: patched.path, correct: (await patchedTree(join(work, 'correct'), CORRECT_SERIES)).path },
      }, say)
      : [];
    const totalMs = performance.now() - t0;
    env.loadavg.push(loadavg()[0]!);
    say(`\nbench took ${(totalMs / 1000).toFixed(1)} s; load average at the end: ${env.loadavg[1]!.toFixed(2)}`);

    const results = { date: new Date().toISOString(), env, tree: BENCH_TREE, patchedHead: patched.head, instance: inst, spinDefines: defines, seed, review, real, realReview, table, service, reviewTargetMs: REVIEW_TARGET_MS, benchMs: totalMs };
    const outDir = join(root, 'bench', 'out');
    await mkdir(outDir, { recursive: true });
    await writeFile(join(outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
    await writeFile(join(outDir, 'results.txt'), `${out.join('\n')}\n`);
    process.stderr.write(`results: ${join(outDir, 'results.json')}\n`);
    return seed.some((r) => r.sameCategories === false) ? 3 : 0;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Section 4 (bench/service.ts): the queue service on a synthetic archive, needing Redis. */
async function serviceSection(series: number, workers: number[], work: string, say: (s?: string) => void): Promise<unknown[]> {
  if (!(series > 0)) {
    say('4. Service: skipped (--service-series 0)');
    return [];
  }
  say(`4. Service: kbot serve (poller) + kbot worker x N on a synthetic public-inbox archive of ${series} series (one in five gets a reply)`);
  let rows: ServiceRow[];
  try {
    rows = await serviceBench(KBOT, work, series, workers, say);
  } catch (e) {
    say(`   not run: ${(e as Error).message}`);
    return [];
  }
  say(formatTable(
    ['workers', 'series', 'messages', 's', 'msg/s', 'verdict p50 ms', 'verdict p95 ms', 'replies', 'reply p50 ms', 'reply p95 ms'],
    rows.map((r) => [String(r.workers), String(r.series), String(r.messages), r.seconds.toFixed(1), r.messagesPerSecond.toFixed(1), ms(r.verdict.p50), ms(r.verdict.p95), String(r.reply.n), ms(r.reply.p50), ms(r.reply.p95)]),
  ));
  say('   latency: from the series\' last message queued by the poller to its verdict (report done) / its reply written');
  return rows;
}

async function serviceOnly(series: number, workers: number[]): Promise<number> {
  const work = await mkdtemp(join(tmpdir(), 'kbot-bench-'));
  try {
    const out: string[] = [];
    const say = (s = '') => {
      out.push(s);
      process.stdout.write(`${s}\n`);
    };
    say(`kbot bench (service only): ${cpus().length} CPU(s), node ${process.version}, load average ${loadavg()[0]!.toFixed(2)}`);
    const rows = await serviceSection(series, workers, work, say);
    return rows.length ? 0 : 1;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * `kbot facts` on whole real trees (Debian's linux-source, made by scripts/real-trees.sh), a cold run (its own
 * empty work dir: the tree is read) and a warm one (the cache), beside one `git grep -w -F` of the same names
 * the facts searched for first, in the same run: the ratio says what reading the tree costs over searching it.
 */
async function realTreesSection(versions: string[], work: string, say: (s?: string) => void): Promise<unknown[]> {
  const rootTrees = process.env.KBOT_TREES ?? '/var/cache/kbot/trees';
  say(`4. Tree facts on whole real trees: kbot facts --json (cold: empty work dir; warm: from the cache) vs git grep -w -F of the API names, median of 3`);
  const rows: Array<{ tree: string; grepMs: number; coldMs: number; warmMs: number; rssKb?: number; sites: number; stats: unknown }> = [];
  for (const v of versions) {
    const tree = join(rootTrees, `linux-${v}`);
    const kconfig = `/usr/src/linux-config-${v}/config.amd64_none_amd64.xz`;
    if (!existsSync(join(tree, '.git')) || !existsSync(kconfig)) {
      say(`   linux-${v}: not there (scripts/real-trees.sh ${v}); skipped`);
      continue;
    }
    const cold: number[] = [];
    const warm: number[] = [];
    const grep: number[] = [];
    let rssKb: number | undefined;
    let sites = 0;
    let stats: unknown = null;
    for (let i = 0; i < 3; i++) {
      const dir = join(work, `facts-${v}-${i}`);
      await mkdir(dir, { recursive: true });
      const env = { GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', TMPDIR: dir };
      const g = await measureProcess('git', ['grep', '-n', '-I', '-w', '-F', ...['get_page_unless_zero', 'folio_try_get', 'folio_try_get_rcu', 'page_cache_get_speculative', 'folio_ref_try_add_rcu', 'try_grab_folio', 'page_ref_add_unless', 'folio_ref_add_unless', 'atomic_inc_not_zero', 'atomic_add_unless'].flatMap((w) => ['-e', w])], { cwd: tree });
      grep.push(g.ms);
      const c = await measureProcess(process.execPath, [KBOT, 'facts', '--tree', tree, '--kconfig', kconfig, '--json'], { cwd: root, env });
      if (c.code !== 0) throw new Error(`kbot facts on ${tree}: ${c.stderr}`);
      cold.push(c.ms);
      rssKb = Math.max(rssKb ?? 0, c.peakRssKb ?? 0) || undefined;
      const j = JSON.parse(c.stdout) as { sites: unknown[]; stats: unknown };
      sites = j.sites.length;
      stats = j.stats;
      const w = await measureProcess(process.execPath, [KBOT, 'facts', '--tree', tree, '--kconfig', kconfig, '--json'], { cwd: root, env });
      warm.push(w.ms);
    }
    rows.push({ tree: `linux-${v}`, grepMs: median(grep), coldMs: median(cold), warmMs: median(warm), rssKb, sites, stats });
  }
  if (rows.length) {
    say(formatTable(
      ['tree', 'git grep ms', 'facts cold ms', 'cold/grep', 'facts warm ms', 'warm/grep', 'peak RSS MiB', 'sites'],
      rows.map((r) => [r.tree, ms(r.grepMs), ms(r.coldMs), ratio(r.coldMs, r.grepMs), ms(r.warmMs), ratio(r.warmMs, r.grepMs), mib(r.rssKb), String(r.sites)]),
    ));
    for (const r of rows) say(`   ${r.tree}: phases of the cold run (ms, overlapping): ${JSON.stringify(r.stats)}`);
  }
  return rows;
}

const REAL_REVIEW_TARGET_MS = 30_000;

/**
 * `kbot review` of series written against the whole Debian 6.1 tree (test/support/series-on-tree.ts, as the
 * real-tree tests write them): the device-private-free-at-1 series and a comment-only one, cold (an empty work
 * dir: the base's facts are read and every file parsed), warm (the facts and parses cached) and parse-cold (the
 * facts cached, the parse cache removed: what the parse cache saves, warm/parse-cold, run next to warm), median
 * of 3, beside the same command on the example tree (section 2), with the stages the review's notes give (tree
 * facts, simulation, files parsed and from the parse cache). Then `kbot sim` of one instance on the same tree,
 * with a state budget (so both runs do the same search), parse-cold against warm, median of 3.
 */
async function realReviewSection(run: boolean, work: string, example: ReviewRow[], say: (s?: string) => void): Promise<unknown[]> {
  say(`5. kbot review on the whole linux-6.1 tree (series written by test/support/series-on-tree.ts), spawn to exit, median of 3; target ${REAL_REVIEW_TARGET_MS / 1000} s`);
  const tree = join(process.env.KBOT_TREES ?? '/var/cache/kbot/trees', 'linux-6.1');
  const kconfig = '/usr/src/linux-config-6.1/config.amd64_none_amd64.xz';
  if (!run || !existsSync(join(tree, '.git')) || !existsSync(kconfig)) {
    say('   linux-6.1: not there (scripts/real-trees.sh 6.1) or not asked for; skipped');
    return [];
  }
  const { seriesOnTree } = await import('../test/support/series-on-tree.ts');
  const { REAL_SERIES_61: REAL_SERIES } = await import('../test/support/real-series-61.ts');
  const rows: Array<{ series: string; coldMs: number; warmMs: number; parseColdMs: number; parsed: Record<string, string>; factsMs: number; simMs: number; findings: string[] }> = [];
  for (const [name, patches] of Object.entries(REAL_SERIES)) {
    const mbox = join(work, `${name}.mbox`);
    await writeFile(mbox, await seriesOnTree(tree, patches));
    const cold: number[] = [];
    const warm: number[] = [];
    const parseCold: number[] = [];
    const parsed: Record<string, string> = {};
    let factsMs = 0;
    let simMs = 0;
    let findings: string[] = [];
    for (let i = 0; i < 3; i++) {
      const dir = join(work, `real-review-${name}-${i}`);
      await mkdir(dir, { recursive: true });
      const config = join(dir, 'kbot.yaml');
      await writeFile(config, `work_dir: ${join(dir, 'kbot')}\nsim:\n  kconfig_file: ${kconfig}\n`);
      const env = { GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', TMPDIR: dir };
      for (const [label, into] of [['cold', cold], ['warm', warm], ['parse-cold', parseCold]] as const) {
        if (label === 'parse-cold') await rm(join(dir, 'kbot', 'parse-cache'), { recursive: true, force: true });
        const r = await measureProcess(process.execPath, [KBOT, 'review', mbox, '--tree', tree, '--config', config, '--json'], { cwd: root, env });
        if (r.code !== 0) throw new Error(`kbot review ${name} on ${tree}: ${r.stderr}`);
        into.push(r.ms);
        const j = JSON.parse(r.stdout) as { series: Array<{ notes: string[]; findings: Array<{ category: string }> }> };
        const notes = j.series[0]?.notes ?? [];
        factsMs = Number(/\(facts: (\d+) ms\)/.exec(notes.join('\n'))?.[1] ?? 0);
        simMs = Number(/scenario run\(s\) before and after the series, .* \((\d+) ms\)/.exec(notes.join('\n'))?.[1] ?? 0);
        findings = [...new Set((j.series[0]?.findings ?? []).map((f) => f.category))];
        const p = /(\d+) file\(s\) read, (\d+) parsed, (\d+) from the parse cache/.exec(notes.join('\n'));
        if (p) parsed[label] = `${p[2]}/${p[1]}`;
      }
    }
    rows.push({ series: name, coldMs: median(cold), warmMs: median(warm), parseColdMs: median(parseCold), parsed, factsMs, simMs, findings });
  }
  const ex = example[0];
  say(formatTable(
    ['series', 'cold ms', 'warm ms', 'vs 30 s', 'warm vs example tree', 'parse-cold ms', 'warm/parse-cold', 'parsed (cold, parse-cold, warm)', 'after-facts ms', 'simulation ms', 'findings'],
    rows.map((r) => [r.series, ms(r.coldMs), ms(r.warmMs), ratio(r.warmMs, REAL_REVIEW_TARGET_MS), ex ? ratio(r.warmMs, ex.medianMs) : '-', ms(r.parseColdMs), ratio(r.warmMs, r.parseColdMs),
      ['cold', 'parse-cold', 'warm'].map((l) => r.parsed[l] ?? '?').join(', '), ms(r.factsMs), ms(r.simMs), r.findings.join(', ') || 'none']),
  ));
  say('   The simulation is bounded by sim.max_seconds (20 s by default): it includes the tree facts; the rest is reading mail, applying (no checkout) and replying.');
  say('   parsed: files parsed / files read, of the trees before and after the series (the rest came from the parse cache).');
  return [...rows, await realSimParse(tree, kconfig, work, say)];
}

/** `kbot sim` of one instance on linux-6.1 with a state budget: the parse cache removed (facts cached) vs warm. */
async function realSimParse(tree: string, kconfig: string, work: string, say: (s?: string) => void): Promise<unknown> {
  const instance = 'devpriv-free+walker-get-put[memory_failure]';
  const dir = join(work, 'real-sim-parse');
  await mkdir(dir, { recursive: true });
  const config = join(dir, 'kbot.yaml');
  await writeFile(config, `work_dir: ${join(dir, 'kbot')}\nsim:\n  kconfig_file: ${kconfig}\n`);
  const env = { GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', TMPDIR: dir };
  const args = [KBOT, 'sim', '--tree', tree, '--config', config, '--scenario', instance, '--max-states', '2000', '--json'];
  const once = async () => {
    const r = await measureProcess(process.execPath, args, { cwd: root, env });
    if (r.code !== 0) throw new Error(`kbot sim on ${tree}: ${r.stderr}`);
    return { ms: r.ms, parse: (JSON.parse(r.stdout) as { parse: { files: number; fromCache: number } }).parse };
  };
  await once(); // the facts, cached
  const cold: number[] = [];
  const warm: number[] = [];
  let parse = { cold: '', warm: '' };
  for (let i = 0; i < 3; i++) {
    await rm(join(dir, 'kbot', 'parse-cache'), { recursive: true, force: true });
    const c = await once();
    const w = await once();
    cold.push(c.ms);
    warm.push(w.ms);
    parse = { cold: `${c.parse.files - c.parse.fromCache}/${c.parse.files}`, warm: `${w.parse.files - w.parse.fromCache}/${w.parse.files}` };
  }
  say(`   kbot sim --scenario '${instance}' --max-states 2000 on linux-6.1 (facts cached), median of 3: parse-cold ${ms(median(cold))} ms (parsed ${parse.cold}), warm ${ms(median(warm))} ms (parsed ${parse.warm}), warm/parse-cold ${ratio(median(warm), median(cold))}`);
  return { sim: instance, parseColdMs: median(cold), warmMs: median(warm), parse };
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`bench failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exitCode = 2;
  },
);
