// kbot's command line: review, sim, demo. Exit codes: 0 done (findings or not), 1 bad usage or input, 2 crash.
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { readConfig } from '../config/read-config.ts';
import { kconfigFor, simOptions } from './sim-options.ts';

// Each command loads what it needs when it runs: `kbot sim` never loads the mail stack, and `--help` loads
// nothing at all.

const USAGE = `usage:
  kbot review <mbox|eml|Maildir|public-inbox repo|Message-ID|URL> --tree <git checkout>
              [--base <rev>] [--json] [--outbox <dir>] [--config <file>] [--walkers N] [--kconfig FILE] [--fetch]
  kbot sim --tree <git checkout> [--rev <rev>] [--scenario NAME | NAME[walker]] [--walkers N] [--max-states N] [--kconfig FILE] [--config <file>] [--json]
  kbot facts --tree <git checkout> [--rev <rev>] [--kconfig FILE] [--json]
  kbot demo [--json] [--keep]
`;


export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    if (cmd === 'review') return await review(rest);
    if (cmd === 'sim') return await sim(rest);
    if (cmd === 'facts') return await facts(rest);
    if (cmd === 'demo') return await demo(rest);
    process.stderr.write(USAGE);
    return cmd === undefined || cmd === '--help' || cmd === 'help' ? 0 : 1;
  } catch (e) {
    const err = e as Error;
    if (['ConfigError', 'IngestError', 'UsageError', 'ScenarioError'].includes(err.name)) {
      process.stderr.write(`kbot: ${err.message}\n`);
      return 1;
    }
    process.stderr.write(`kbot: internal error: ${err.stack ?? err.message}\n`);
    return 2;
  }
}

class UsageError extends Error {
  override name = 'UsageError';
}

async function review(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      tree: { type: 'string' }, base: { type: 'string' }, json: { type: 'boolean' }, outbox: { type: 'string' },
      config: { type: 'string' }, walkers: { type: 'string' }, fetch: { type: 'boolean' }, kconfig: { type: 'string' },
    },
  });
  if (positionals.length !== 1 || !values.tree) throw new UsageError(`review needs one input and --tree\n${USAGE}`);
  const config = readConfig(values.config, process.env);
  // The tree's #if blocks are read under the .config named (--kconfig, sim.kconfig_file), as in kbot sim.
  const kc = await kconfigFor(config, values.kconfig);
  const [{ reviewInput }, { renderText }, { toJson }, { writeOutbox }, { loadScenarios }, { refcountSimAnalyzer }] = await Promise.all([
    import('./review.ts'), import('./report/render-text.ts'), import('./report/render-json.ts'), import('./send/write-outbox.ts'),
    import('./load-scenarios.ts'), import('../analyzers/refcount-sim.ts'),
  ]);
  const scenarios = await loadScenarios();
  if (values.fetch) {
    // Bring the tracked tree's remote branches up to date first (the network: production only).
    const { updateTree } = await import('./tree/update-tree.ts');
    const up = await updateTree(resolve(values.tree));
    for (const e of up.errors) process.stderr.write(`kbot: fetch: ${e}\n`);
  }
  const result = await reviewInput({
    input: positionals[0],
    tree: resolve(values.tree),
    cliBase: values.base,
    config,
    analyzers: [refcountSimAnalyzer({ scenarios, sim: simOptions(config, values.walkers, undefined, kc.kconfig) })],
  });
  if (values.outbox) {
    const drafts = result.series.flatMap((s) => s.replies ?? (s.reply ? [s.reply] : []));
    const files = await writeOutbox(resolve(values.outbox), drafts);
    if (!values.json) process.stderr.write(`kbot: wrote ${files.length} reply file(s) to ${values.outbox}\n`);
  }
  process.stdout.write(values.json ? `${JSON.stringify(toJson(result), null, 2)}\n` : renderText(result));
  return 0;
}

async function sim(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      tree: { type: 'string' }, rev: { type: 'string' }, scenario: { type: 'string' }, walkers: { type: 'string' },
      'max-states': { type: 'string' }, json: { type: 'boolean' }, config: { type: 'string' }, kconfig: { type: 'string' },
    },
  });
  if (!values.tree) throw new UsageError(`sim needs --tree\n${USAGE}`);
  const config = readConfig(values.config, process.env);
  const kc = await kconfigFor(config, values.kconfig);
  const [{ GitTreeView }, { runGit }, { loadScenarios }, { simulateTree }, { progressReporter }] = await Promise.all([
    import('./tree/git-tree-view.ts'), import('./tree/run-git.ts'), import('./load-scenarios.ts'), import('../sim/simulate.ts'),
    import('./progress.ts'),
  ]);
  const tree = resolve(values.tree);
  const rev = await runGit(['rev-parse', '--verify', `${values.rev ?? 'HEAD'}^{commit}`], { cwd: tree });
  if (rev.code !== 0) throw new UsageError(`${tree}: not a git checkout with ${values.rev ?? 'HEAD'}`);
  const commit = rev.stdout.trim();
  const view = new GitTreeView(tree, commit);
  const progress = values.json ? undefined : progressReporter();
  const t0 = performance.now();
  try {
    const opts = { ...simOptions(config, values.walkers, values['max-states'], kc.kconfig), onProgress: progress?.update };
    const { factsCache } = await import('./facts-cache.ts');
    const { runs, facts } = await simulateTree(view, await loadScenarios(), opts, values.scenario, factsCache(config.work_dir));
    progress?.stop();
    const ms = performance.now() - t0;
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ tree: { path: tree, head: commit }, kconfig: kc.source, walkers: opts.walkers, ms, facts: facts.stats, scenarios: runs }, null, 2)}\n`);
      return 0;
    }
    const out: string[] = [`kbot sim: ${tree} at ${commit.slice(0, 12)}, ${opts.walkers} walker(s); kconfig: ${kc.source}`];
    out.push(`facts: ${facts.sites.length} speculative reference sites (${facts.stats.ms} ms; \`kbot facts\` lists them); ` +
      facts.pageTypes.map((t) => `${t.name} ${t.free ? `free at ${t.free.refcount}` : 'free ?'}`).join(', '));
    if (values.scenario && runs.length === 0) out.push(`no scenario named ${values.scenario}`);
    for (const r of runs) {
      const s = r.stats;
      out.push(`${r.name}: ${r.status}${r.reason ? ` (${r.reason})` : ''}` +
        (r.freeRefcount === undefined ? '' : ` — free at refcount ${r.freeRefcount}, ${s.states} states, ${s.transitions} transitions, ${s.ms.toFixed(0)} ms`));
      const unmodelled = r.notes.filter((n) => n.startsWith('unmodelled'));
      if (unmodelled.length) out.push(`  ${unmodelled.length} unmodelled note(s), e.g. ${unmodelled[0]}`);
      for (const v of r.violations) {
        out.push(`  ${v.category}: ${v.message}`);
        for (const t of v.trace) out.push(`    ${t.cpu.padEnd(5)} ${`${t.func}()`.padEnd(32)} ${`${t.file}:${t.line}`.padEnd(34)} ${t.op}  [refcount ${Object.values(t.refcount).join(',')}${t.pageState ? `, ${Object.values(t.pageState).join(',')}` : ''}]`);
      }
    }
    out.push(`total ${ms.toFixed(0)} ms`);
    process.stdout.write(`${out.join('\n')}\n`);
    return 0;
  } finally {
    view.close();
  }
}

async function facts(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { tree: { type: 'string' }, rev: { type: 'string' }, json: { type: 'boolean' }, config: { type: 'string' }, kconfig: { type: 'string' } },
  });
  if (!values.tree) throw new UsageError(`facts needs --tree\n${USAGE}`);
  const config = readConfig(values.config, process.env);
  const kc = await kconfigFor(config, values.kconfig);
  const [{ GitTreeView }, { loadScenarios }, { loadTreeProgram, CORE_FILES }, { treeFacts }, { renderFacts }, { factsCache }] = await Promise.all([
    import('./tree/git-tree-view.ts'), import('./load-scenarios.ts'), import('../sim/run-scenario.ts'), import('../sim/facts/facts.ts'),
    import('../sim/facts/render-facts.ts'), import('./facts-cache.ts'),
  ]);
  const tree = resolve(values.tree);
  let view;
  try {
    view = await GitTreeView.open(tree, values.rev ?? 'HEAD');
  } catch {
    throw new UsageError(`${tree}: not a git checkout with ${values.rev ?? 'HEAD'}`);
  }
  try {
    const opts = simOptions(config, undefined, undefined, kc.kconfig);
    const tp = await loadTreeProgram(view, { ...opts, files: CORE_FILES });
    const f = await treeFacts(view, tp, await loadScenarios(), opts, factsCache(config.work_dir));
    f.kconfig = kc.source;
    process.stdout.write(values.json ? `${JSON.stringify({ tree: { path: tree, head: view.commit }, ...f }, null, 2)}\n`
      : `kbot facts: ${tree} at ${view.commit.slice(0, 12)}\n${renderFacts(f)}`);
    return 0;
  } finally {
    view.close();
  }
}

async function demo(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean' }, keep: { type: 'boolean' } } });
  const [{ runDemo }, { toJson }] = await Promise.all([import('./demo.ts'), import('./report/render-json.ts')]);
  const res = await runDemo({ keep: !!values.keep });
  process.stdout.write(values.json ? `${JSON.stringify(res.results.map((r) => toJson(r.result)), null, 2)}\n` : res.text);
  return 0;
}

