// kbot's command line: review, sim, facts, demo. Exit status: 0 done; 4 review interrupted by a signal; 3 `review --exit-code` found findings at
// or above the severity given; 1 bad usage, config or input; 2 internal error.
import { resolve } from 'node:path';
import { readConfig, type KbotConfig } from '../config/read-config.ts';
import { oneOf, parseCommand, positiveInt, UsageError, type CommandSpec } from './cli-args.ts';
import { kconfigFor, simOptions } from './sim-options.ts';
import { sideAnalyzers } from './side-analyzers.ts';
import type { SimOptions } from '../sim/run-scenario.ts';
import { kbotVersion } from './version.ts';
import { checkCommit, checkTree } from './tree/check-tree.ts';
import { resolveCommit } from './tree/run-git.ts';
import { addParseStats, NO_PARSES, parseNote } from '../sim/frontend/parse-cache.ts';

// Each command loads what it needs when it runs: `kbot sim` never loads the mail stack, and `--help` loads
// nothing at all.

export const EXIT = { ok: 0, usage: 1, internal: 2, findings: 3, interrupted: 4 } as const;

const SEVERITIES = ['error', 'warning', 'info'] as const;

const COMMON = `  --config FILE   the kbot config (YAML; see config/kbot.example.yaml); also before the command
  -h, --help      this help
`;

const REVIEW: CommandSpec = {
  name: 'review',
  usage: `usage: kbot review <input> --tree <git repo> [options]
  <input>         an mbox, one message (.eml), a Maildir, a public-inbox repo, a Message-ID,
                  an archive URL, or - for an mbox or message on standard input
  --tree DIR      the kernel git repository to apply the series on (never checked out)
  --base REV      the base when the series names no base-commit: the tree has
  --json          print the JSON report (README: the JSON contract)
  --json-lines    print JSON Lines as the review goes: a start line, one line per series as
                  soon as it is done, one per rejected message, an end line
  --outbox DIR    also write each reply as a ready-to-send .eml (one file per reply, named
                  for its Message-ID, so the same review twice writes the same file)
  --exit-code[=SEVERITY]
                  exit 3 when a finding of SEVERITY or above is found (error, the default;
                  warning; info), as git diff --exit-code
  --walkers N     walkers per scenario (positive integer; default sim.walkers)
  --kconfig FILE  a kernel .config (plain, .gz, .xz) for the tree's #if blocks
  --fetch         git fetch --prune the tree's remotes first
${COMMON}`,
  options: {
    tree: { type: 'string' }, base: { type: 'string' }, json: { type: 'boolean' }, 'json-lines': { type: 'boolean' }, outbox: { type: 'string' },
    config: { type: 'string' }, walkers: { type: 'string' }, fetch: { type: 'boolean' }, kconfig: { type: 'string' },
    'exit-code': { type: 'string', bareValue: 'error' },
  },
  positionals: { min: 1, max: 1, what: 'one input (a file, a directory, a Message-ID, a URL or -)' },
};

const SIM: CommandSpec = {
  name: 'sim',
  usage: `usage: kbot sim --tree <git repo> [options]
  --tree DIR      the kernel git repository
  --rev REV       the commit to simulate (default HEAD)
  --scenario NAME run one scenario, or one instance NAME[walker] (NAME[walker]@driver: one driver's)
  --walkers N     walkers per scenario (positive integer)
  --max-states N  the state budget per run (positive integer)
  --exhaustive    search every state, even once each property has its counterexample
  --jobs N        run the scenarios on N worker threads, under the one time budget (default 1)
  --kconfig FILE  a kernel .config (plain, .gz, .xz) for the tree's #if blocks
  --json          print JSON
${COMMON}`,
  options: {
    tree: { type: 'string' }, rev: { type: 'string' }, scenario: { type: 'string' }, walkers: { type: 'string' },
    'max-states': { type: 'string' }, json: { type: 'boolean' }, config: { type: 'string' }, kconfig: { type: 'string' },
    exhaustive: { type: 'boolean' }, jobs: { type: 'string' },
  },
  positionals: { min: 0, max: 0 },
};

const FACTS: CommandSpec = {
  name: 'facts',
  usage: `usage: kbot facts --tree <git repo> [options]
  --tree DIR      the kernel git repository
  --rev REV       the commit to read (default HEAD)
  --kconfig FILE  a kernel .config (plain, .gz, .xz) for the tree's #if blocks
  --json          print JSON
${COMMON}`,
  options: { tree: { type: 'string' }, rev: { type: 'string' }, json: { type: 'boolean' }, config: { type: 'string' }, kconfig: { type: 'string' } },
  positionals: { min: 0, max: 0 },
};

const DEMO: CommandSpec = {
  name: 'demo',
  usage: `usage: kbot demo [options]
  Builds the example kernel tree in a temp dir and reviews the example series on it.
  --json          print the JSON reports
  --keep          keep the tree
${COMMON}`,
  options: { json: { type: 'boolean' }, keep: { type: 'boolean' }, config: { type: 'string' } },
  positionals: { min: 0, max: 0 },
};

const SERVE: CommandSpec = {
  name: 'serve',
  usage: `usage: kbot serve --config FILE [--stage NAMES]
  Runs the service: pollers of the configured sources, workers of every stage, and the HTTP
  endpoint (/healthz, /metrics, /admin/queues). Redis from redis.url; stops on SIGTERM.
  --stage NAMES   run the workers of these stages only (comma-separated); 'none' for none
                  (the other stages run in 'kbot worker' processes)
${COMMON}`,
  options: { config: { type: 'string' }, stage: { type: 'string' } },
  positionals: { min: 0, max: 0 },
};

const WORKER: CommandSpec = {
  name: 'worker',
  usage: `usage: kbot worker --stage NAME[,NAME...] --config FILE
  Runs the workers of some stages only (on this machine), on the service's Redis.
  --stage NAMES   ingest, series, apply, analyze, analyzer, report, send, tree-update, command
                  (comma-separated: --stage apply,analyzer)
${COMMON}`,
  options: { config: { type: 'string' }, stage: { type: 'string' } },
  positionals: { min: 0, max: 0 },
};

const STATUS: CommandSpec = {
  name: 'status',
  usage: `usage: kbot status --config FILE [--json]
  Queue counts, failed jobs with their reasons, the last message seen per source, and
  replies whose delivery is not confirmed.
  --json          print JSON
${COMMON}`,
  options: { config: { type: 'string' }, json: { type: 'boolean' } },
  positionals: { min: 0, max: 0 },
};

const COMMANDS: Record<string, { spec: CommandSpec; run: (v: Values, p: string[], config: ConfigRef) => Promise<number> }> = {
  review: { spec: REVIEW, run: review },
  sim: { spec: SIM, run: sim },
  facts: { spec: FACTS, run: facts },
  demo: { spec: DEMO, run: demo },
  serve: { spec: SERVE, run: serve },
  worker: { spec: WORKER, run: worker },
  status: { spec: STATUS, run: status },
};

const USAGE = `usage: kbot [--version] [-h | --help] [--config FILE] <command> [<args>]

  review    review patch series: apply them to a tree, simulate, compose the replies
  sim       run the simulator on one commit of a tree
  facts     what a tree says about page refcounts: page types and speculative references
  demo      review the example series on the example tree
  serve     the always-on service: pollers, workers, HTTP health/metrics/dashboard
  worker    the workers of some stages only (scale a stage on another machine)
  status    queue counts, failed jobs, last message per source, unconfirmed replies

'kbot <command> -h' shows a command's options.
Exit status: 0 done; 3 'review --exit-code' found findings at or above its severity; 4 interrupted (SIGINT, SIGTERM);
1 bad usage, config or input; 2 internal error.
`;

type Values = Record<string, string | boolean | undefined>;
/** The config file named before the command (`kbot --config x.yaml review ...`), if any. */
type ConfigRef = { file?: string };

export async function main(argv: string[]): Promise<number> {
  try {
    const global: ConfigRef = {};
    let i = 0;
    // Options before the command: --version, --help, --config.
    for (; i < argv.length && argv[i]!.startsWith('-'); i++) {
      const a = argv[i]!;
      if (a === '--version') {
        process.stdout.write(`kbot ${kbotVersion()}\n`);
        return EXIT.ok;
      }
      if (a === '-h' || a === '--help') {
        process.stdout.write(USAGE);
        return EXIT.ok;
      }
      if (a === '--config' || a.startsWith('--config=')) {
        const file = a === '--config' ? argv[++i] : a.slice('--config='.length);
        if (!file || (a === '--config' && file.startsWith('-'))) throw new UsageError(`option '--config' needs a value\n${USAGE}`);
        global.file = file;
        continue;
      }
      throw new UsageError(`unknown option '${a}'\n${USAGE}`);
    }
    const cmd = argv[i];
    const rest = argv.slice(i + 1);
    if (cmd === undefined) {
      process.stderr.write(USAGE);
      return EXIT.usage;
    }
    if (cmd === 'help') {
      const about = rest[0] ? COMMANDS[rest[0]] : undefined;
      if (rest[0] && !about) throw new UsageError(`no command '${rest[0]}'\n${USAGE}`);
      process.stdout.write(about ? about.spec.usage : USAGE);
      return EXIT.ok;
    }
    const command = COMMANDS[cmd];
    if (!command) throw new UsageError(`no command '${cmd}'\n${USAGE}`);
    const parsed = parseCommand(command.spec, rest);
    if (parsed.help) {
      process.stdout.write(command.spec.usage);
      return EXIT.ok;
    }
    try {
      return await command.run(parsed.values, parsed.positionals, global);
    } finally {
      // The parses this run kept are on disk before it exits (bot/parse-cache.ts).
      await (await import('./parse-cache.ts')).flushParseCaches();
    }
  } catch (e) {
    const err = e as Error;
    if (['ConfigError', 'IngestError', 'UsageError', 'ScenarioError'].includes(err.name)) {
      process.stderr.write(`kbot: ${err.message}${err.message.endsWith('\n') ? '' : '\n'}`);
      return EXIT.usage;
    }
    process.stderr.write(`kbot: internal error: ${err.stack ?? err.message}\n`);
    return EXIT.internal;
  }
}

/** The config: the command's --config, else the one given before the command, else the defaults. */
function loadConfig(values: Values, global: ConfigRef): KbotConfig {
  return readConfig((values.config as string | undefined) ?? global.file, process.env);
}

/**
 * The values of independent steps run together (git, a file, module loads), or the error of the first of them
 * that failed in the order given, not in time: a command complains as if it had checked one thing after the
 * other (--tree before --kconfig before --rev), and no failure goes unhandled.
 */
async function inOrder<T extends readonly unknown[]>(steps: readonly [...{ [K in keyof T]: Promise<T[K]> }]): Promise<T> {
  const done = await Promise.allSettled(steps);
  for (const d of done) if (d.status === 'rejected') throw d.reason;
  return done.map((d) => (d as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

function str(v: string | boolean | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function requireTree(values: Values, spec: CommandSpec): string {
  const tree = str(values.tree);
  if (!tree) throw new UsageError(`${spec.name} needs --tree\n${spec.usage}`);
  return tree;
}

async function review(values: Values, positionals: string[], global: ConfigRef): Promise<number> {
  const treeArg = requireTree(values, REVIEW);
  const walkers = positiveInt('walkers', values.walkers);
  const exitCode = str(values['exit-code']);
  const threshold = exitCode === undefined ? undefined : oneOf('exit-code', exitCode, SEVERITIES);
  const config = loadConfig(values, global);
  const tree = await checkTree(treeArg);
  // The tree's #if blocks are read under the .config named (--kconfig, sim.kconfig_file), as in kbot sim.
  const kc = await kconfigFor(config, str(values.kconfig));
  const [{ reviewInput }, , { toJson }, { writeOutbox }, { loadScenarios }, { refcountSimAnalyzer }] = await Promise.all([
    import('./review.ts'), import('./report/render-text.ts'), import('./report/render-json.ts'), import('./send/write-outbox.ts'),
    import('./load-scenarios.ts'), import('../analyzers/refcount-sim.ts'),
  ]);
  const scenarios = await loadScenarios();
  if (values.fetch) {
    // Bring the tracked tree's remote branches up to date first (the network: production only).
    const { updateTree } = await import('./tree/update-tree.ts');
    const up = await updateTree(tree);
    for (const e of up.errors) process.stderr.write(`kbot: fetch: ${e}\n`);
  }
  if (!(await resolveCommit(tree, 'HEAD'))) throw new UsageError(`--tree ${treeArg}: the repository has no commit at HEAD`);
  // A --base that names nothing is the user's typo: never fall back to HEAD and tell an author so.
  const base = str(values.base);
  if (base !== undefined) await checkCommit(tree, base, '--base');
  // Output streams per series: what is done is printed (and its replies written) before the next series
  // starts, so a later series' trouble, a kill or a budget costs nothing already found.
  const lines = !!values['json-lines'];
  const json = !!values.json && !lines;
  const head = (await resolveCommit(tree, 'HEAD'))!;
  const { configHash } = await import('../config/config-hash.ts');
  const { seriesJson, JSON_SCHEMA_VERSION } = await import('./report/render-json.ts');
  const { renderTextHead, renderTextSeries, renderTextTail } = await import('./report/render-text.ts');
  const emit = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
  const about = { schema: JSON_SCHEMA_VERSION, kbot: { version: kbotVersion() }, config: configHash(config), tree: { path: tree, head } };
  const done: import('./types.ts').SeriesReview[] = [];
  let rejected: import('./types.ts').Rejected[] = [];
  let outboxFiles = 0;
  // SIGINT/SIGTERM: stop the series under review, print what is done, exit 4 (README: exit status).
  const stop = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (stop.signal.aborted) return;
    stop.abort(`interrupted by ${sig}`);
    finishOutput(`interrupted by ${sig}`);
    process.exit(EXIT.interrupted);
  };
  let finished = false;
  const finishOutput = (interrupted?: string) => {
    if (finished) return;
    finished = true;
    if (lines) {
      emit({ type: 'end', series: done.length, rejected: rejected.length, complete: !interrupted, ...(interrupted ? { interrupted } : {}) });
    } else if (json) {
      const report = toJson({ tree: { path: tree, head }, series: done, rejected, configHash: configHash(config) });
      process.stdout.write(`${JSON.stringify(interrupted ? { ...report, interrupted } : report, null, 2)}\n`);
    } else {
      process.stdout.write(renderTextTail(done.length, rejected) + (interrupted ? `\nkbot: ${interrupted}; the series above are all that was reviewed\n` : ''));
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // (After the handlers: a signal as soon as the start line is read still gets its end line.)
  if (lines) emit({ type: 'start', ...about });
  else if (!json) process.stdout.write(renderTextHead({ path: tree, head }));
  try {
    await reviewInput({
      input: positionals[0]!,
      tree,
      cliBase: base,
      config,
      signal: stop.signal,
      analyzers: [refcountSimAnalyzer({ scenarios, sim: simOptions(config, { walkers, kconfig: kc.kconfig }) }), ...(await sideAnalyzers(config, kc))],
      onAssembled: (info) => {
        rejected = info.rejected;
        if (lines) for (const r of rejected) emit({ type: 'rejected', messageId: r.messageId, source: r.source, reason: r.reason });
      },
      onSeries: async (review) => {
        done.push(review);
        if (values.outbox) outboxFiles += (await writeOutbox(resolve(String(values.outbox)), review.replies ?? (review.reply ? [review.reply] : []))).length;
        if (lines) emit({ type: 'series', ...seriesJson(review) });
        else if (!json) process.stdout.write(renderTextSeries(review));
      },
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  finishOutput();
  if (values.outbox && !json && !lines) process.stderr.write(`kbot: wrote ${outboxFiles} reply file(s) to ${values.outbox}\n`);
  if (threshold) {
    const at = SEVERITIES.indexOf(threshold);
    const found = done.flatMap((s) => s.findings).filter((f) => SEVERITIES.indexOf(f.severity) <= at);
    if (found.length > 0) return EXIT.findings;
  }
  return EXIT.ok;
}

async function sim(values: Values, _positionals: string[], global: ConfigRef): Promise<number> {
  const treeArg = requireTree(values, SIM);
  const walkers = positiveInt('walkers', values.walkers);
  const maxStates = positiveInt('max-states', values['max-states']);
  const jobs = positiveInt('jobs', values.jobs) ?? 1;
  const config = loadConfig(values, global);
  const modules = Promise.all([import('./tree/git-tree-view.ts'), import('./load-scenarios.ts'), import('../sim/simulate.ts'), import('./facts-cache.ts')]);
  const [tree, kc, commit, [{ GitTreeView }, , { simulateTree }, { factsCache, grepCache }], scenarios] = await inOrder([
    checkTree(treeArg), kconfigFor(config, str(values.kconfig)), checkCommit(resolve(treeArg), str(values.rev) ?? 'HEAD', '--rev'),
    modules, modules.then(([, { loadScenarios }]) => loadScenarios()),
  ]);
  const only = str(values.scenario);
  if (only !== undefined) {
    const name = only.replace(/\[[^\]]*\](@[\w.>-]+)?$/, '');
    if (!scenarios.some((s) => s.name === name)) {
      throw new UsageError(`--scenario ${only}: no such scenario; the scenarios are (NAME, or NAME[walker] for one instance, NAME[walker]@driver for one driver's):\n${scenarios.map((s) => `  ${s.name}`).join('\n')}`);
    }
  }
  const view = new GitTreeView(tree, commit, { maxBlobBytes: config.limits.max_blob_bytes, grepCache: grepCache(config.work_dir) });
  const progress = values.json ? undefined : (await import('./progress.ts')).progressReporter();
  const t0 = performance.now();
  try {
    const opts = { ...simOptions(config, { walkers, maxStates, kconfig: kc.kconfig, exhaustive: !!values.exhaustive }), onProgress: progress?.update };
    const { runs, facts, parse } = jobs > 1 && only === undefined
      ? await simulateInPool(tree, commit, scenarios.map((s) => s.name), opts, config.work_dir, { disk: config.sim.parse_cache_mb, memory: config.sim.parse_cache_memory_mb }, jobs)
      : await simulateTree(view, scenarios, opts, only, factsCache(config.work_dir));
    progress?.stop();
    const ms = Math.round(performance.now() - t0);
    if (values.json) {
      const rounded = runs.map((r) => ({ ...r, stats: { ...r.stats, ms: Math.round(r.stats.ms) } }));
      const json = { kbot: { version: kbotVersion() }, tree: { path: tree, head: commit }, kconfig: kc.source, walkers: opts.walkers, ms, facts: { ...facts.stats, ms: Math.round(facts.stats.ms) }, parse, scenarios: rounded };
      process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
      return EXIT.ok;
    }
    const out: string[] = [`kbot sim: ${tree} at ${commit.slice(0, 12)}, ${opts.walkers} walker(s); kconfig: ${kc.source}`];
    out.push(`facts: ${facts.sites.length} speculative reference sites (${Math.round(facts.stats.ms)} ms; \`kbot facts\` lists them); ` +
      facts.pageTypes.map((t) => `${t.name} ${t.free ? `free at ${t.free.refcount}` : 'free ?'}`).join(', '));
    out.push(`parse: ${parseNote(parse)}`);
    if (only && runs.length === 0) out.push(`no instance of ${only} on this tree`);
    for (const r of runs) {
      const s = r.stats;
      out.push(`${r.name}: ${r.status}${r.reason ? ` (${r.reason})` : ''}` +
        (r.freeRefcount === undefined ? '' : ` — free at refcount ${r.freeRefcount}, ${s.states} states, ${s.transitions} transitions${s.depth !== undefined ? `, depth ${s.depth}` : ''}, ${s.ms.toFixed(0)} ms`));
      const unmodelled = r.notes.filter((n) => n.startsWith('unmodelled'));
      if (unmodelled.length) out.push(`  ${unmodelled.length} unmodelled note(s), e.g. ${unmodelled[0]}`);
      for (const v of r.violations) {
        out.push(`  ${v.category}: ${v.message}`);
        for (const t of v.trace) out.push(`    ${t.cpu.padEnd(5)} ${`${t.func}()`.padEnd(32)} ${`${t.file}:${t.line}`.padEnd(34)} ${t.op}  [refcount ${Object.values(t.refcount).join(',')}${t.pageState ? `, ${Object.values(t.pageState).join(',')}` : ''}]`);
      }
    }
    out.push(`total ${ms} ms`);
    process.stdout.write(`${out.join('\n')}\n`);
    return EXIT.ok;
  } finally {
    await view.close();
  }
}

/** kbot sim --jobs N: each scenario a task of a SimPool of N workers, under the one budget; runs in scenario order. */
async function simulateInPool(tree: string, commit: string, names: string[], opts: SimOptions, workDir: string, parseCacheMb: { disk: number; memory: number }, jobs: number) {
  const { SimPool } = await import('./sim-pool.ts');
  const pool = new SimPool(opts.maxMs, jobs);
  try {
    const { onProgress: _p, maxMs: _m, parseCache: _c, ...options } = opts;
    const results = await Promise.all(names.map((only) => pool.run({ tree, commit, only, options, workDir, parseCacheMb })));
    return { runs: results.flatMap((r) => r.runs), facts: results[0]!.facts, parse: results.map((r) => r.parse).reduce(addParseStats, NO_PARSES) };
  } finally {
    await pool.close();
  }
}

async function facts(values: Values, _positionals: string[], global: ConfigRef): Promise<number> {
  const treeArg = requireTree(values, FACTS);
  const config = loadConfig(values, global);
  const modules = Promise.all([
    import('./tree/git-tree-view.ts'), import('./load-scenarios.ts'), import('../sim/run-scenario.ts'), import('../sim/facts/facts.ts'),
    import('../sim/facts/render-facts.ts'), import('./facts-cache.ts'),
  ]);
  const [tree, kc, commit, [{ GitTreeView }, , { loadTreeProgram, CORE_FILES }, { treeFacts }, { renderFacts }, { factsCache, grepCache }], scenarios] = await inOrder([
    checkTree(treeArg), kconfigFor(config, str(values.kconfig)), checkCommit(resolve(treeArg), str(values.rev) ?? 'HEAD', '--rev'),
    modules, modules.then(([, { loadScenarios }]) => loadScenarios()),
  ]);
  const view = new GitTreeView(tree, commit, { maxBlobBytes: config.limits.max_blob_bytes, grepCache: grepCache(config.work_dir) });
  try {
    const opts = simOptions(config, { kconfig: kc.kconfig });
    const tp = await loadTreeProgram(view, { ...opts, files: CORE_FILES });
    const f = await treeFacts(view, tp, scenarios, opts, factsCache(config.work_dir));
    f.kconfig = kc.source;
    process.stdout.write(values.json ? `${JSON.stringify({ kbot: { version: kbotVersion() }, tree: { path: tree, head: view.commit }, ...f }, null, 2)}\n`
      : `kbot facts: ${tree} at ${view.commit.slice(0, 12)}\n${renderFacts(f)}`);
    return EXIT.ok;
  } finally {
    await view.close();
  }
}

async function demo(values: Values, _positionals: string[], global: ConfigRef): Promise<number> {
  const file = str(values.config) ?? global.file;
  const config = file === undefined ? undefined : loadConfig(values, global);
  const [{ runDemo }, { toJson }] = await Promise.all([import('./demo.ts'), import('./report/render-json.ts')]);
  const res = await runDemo({ keep: !!values.keep, config });
  process.stdout.write(values.json ? `${JSON.stringify(res.results.map((r) => toJson(r.result)), null, 2)}\n` : res.text);
  return EXIT.ok;
}

async function serve(values: Values, _positionals: string[], global: ConfigRef): Promise<number> {
  const stages = values.stage === undefined ? undefined : await stagesOption(values, SERVE, true);
  const config = loadConfig(values, global);
  const { startService, stopOnSignal } = await import('../queue/serve.ts');
  const running = await startService(config, stages ? { stages } : {});
  await stopOnSignal(running);
  return EXIT.ok;
}

/** --stage a,b,c: stage names, each checked ('none' alone: no stage, where allowed). */
async function stagesOption(values: Values, spec: CommandSpec, noneAllowed: boolean) {
  const given = (str(values.stage) ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const { STAGES, isStage } = await import('../queue/stages.ts');
  if (noneAllowed && given.length === 1 && given[0] === 'none') return [];
  if (given.length === 0) throw new UsageError(`${spec.name} needs --stage (one or more of ${STAGES.join(', ')})\n${spec.usage}`);
  const bad = given.find((s) => !isStage(s));
  if (bad) throw new UsageError(`--stage ${bad}: no such stage; the stages are ${STAGES.join(', ')}`);
  return [...new Set(given)].filter(isStage);
}

async function worker(values: Values, _positionals: string[], global: ConfigRef): Promise<number> {
  const stages = await stagesOption(values, WORKER, false);
  const config = loadConfig(values, global);
  const { startService, stopOnSignal } = await import('../queue/serve.ts');
  const running = await startService(config, { stages, pollers: false, http: false });
  await stopOnSignal(running);
  return EXIT.ok;
}

async function status(values: Values, _positionals: string[], global: ConfigRef): Promise<number> {
  const config = loadConfig(values, global);
  const [{ createService }, { readStatus, renderStatus }, { connect }] = await Promise.all([
    import('../queue/service.ts'), import('../queue/status.ts'), import('../queue/connection.ts'),
  ]);
  const conn = connect(config, { lazy: true });
  try {
    await conn.redis.connect().catch((e: Error) => {
      throw new UsageError(`cannot reach Redis at ${config.redis.cluster_nodes.join(', ') || config.redis.url}: ${e.message}`);
    });
    const svc = createService(config, { conn });
    try {
      const report = await readStatus(svc);
      process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : renderStatus(report, config.service.status_failed_limit));
    } finally {
      await svc.close();
    }
  } finally {
    await conn.close();
  }
  return EXIT.ok;
}
