// `kbot review --json` on the example series, as a user (or a script) reads it: the JSON contract, the findings
// on the free-at-refcount-1 series with their traces, the threaded reply, and the series that must stay quiet.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exampleMboxPath, exampleMessages, messageId, subject, toMbox } from './support/example-mail.ts';
import { projectRoot, reviewJson, runKbot, seriesBySubject, type JsonFinding, type JsonReport, type JsonSeries } from './support/run-kbot.ts';
import { makeWorkspace, type Workspace } from './support/workspace.ts';

const freeAt1 = exampleMessages('hmm-devpriv-free-at-1');
const [cover, , patch2] = freeAt1;

let ws: Workspace;
let buggy: JsonReport;
let quiet: JsonReport;
let sim: { code: number | null; json: { tree: { head: string }; scenarios: Array<{ name: string; status: string; violations: unknown[] }> } };

before(async () => {
  ws = await makeWorkspace('v4.12-style');
  const quietMbox = join(ws.root, 'free-at-0-and-no-refcount.mbox');
  await writeFile(quietMbox, toMbox([...exampleMessages('hmm-devpriv-free-at-0'), ...exampleMessages('no-refcount')]));
  // Independent runs; the machine has two cores.
  const [a, b, c] = await Promise.all([
    reviewJson([exampleMboxPath('hmm-devpriv-free-at-1'), '--tree', ws.tree, '--config', ws.config]),
    reviewJson([quietMbox, '--tree', ws.tree, '--config', ws.config]),
    runKbot(['sim', '--tree', ws.tree, '--json', '--config', ws.config]),
  ]);
  buggy = a.json;
  quiet = b.json;
  assert.equal(c.code, 0, c.stderr);
  sim = { code: c.code, json: JSON.parse(c.stdout) };
});

after(() => ws?.cleanup());

function finding(s: JsonSeries, category: string): JsonFinding {
  const f = s.findings.find((x) => x.category === category);
  assert.ok(f, `no ${category} finding; categories: ${s.findings.map((x) => x.category).join(', ')}`);
  return f;
}

describe('hmm-devpriv-free-at-1 (frees device private pages at refcount 1)', () => {
  test('the report says its schema, kbot\'s version and the config it ran under', () => {
    assert.deepEqual(Object.keys(buggy), ['schema', 'kbot', 'config', 'tree', 'series', 'rejected']);
    assert.equal(buggy.schema, 1);
    assert.equal(buggy.kbot.version, JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')).version);
    assert.match(buggy.config ?? '', /^sha256:[0-9a-f]{16}$/);
    assert.equal(quiet.config, buggy.config, 'the same config, the same hash');
  });

  test('the verdict and the counts', () => {
    const s = buggy.series[0];
    assert.equal(s.verdict, 'findings');
    for (const sev of ['error', 'warning', 'info'] as const) assert.equal(s.counts[sev], s.findings.filter((f) => f.severity === sev).length);
    assert.ok(s.counts.error > 0);
    assert.match(s.summary, /— applied on [0-9a-f]{12} \(base-commit\); \d+ findings \(/);
    assert.equal('reply' in s, false, 'replies only: schema 1 dropped the duplicate `reply`');
  });

  test('the report names the tree and its HEAD', () => {
    assert.deepEqual(buggy.tree, { path: ws.tree, head: ws.head });
    assert.deepEqual(buggy.rejected, []);
    assert.equal(buggy.series.length, 1);
  });

  test('the series: id, subject, version, parts, base-commit, applied', () => {
    const s = buggy.series[0];
    assert.equal(s.id, messageId(cover));
    assert.equal(s.subject, subject(cover));
    assert.equal(s.version, 1);
    assert.equal(s.total, 3);
    assert.deepEqual(s.messages, freeAt1.map(messageId));
    assert.equal(s.superseded, false);
    assert.equal(s.incomplete, null);
    assert.equal(s.base?.commit, ws.head);
    assert.equal(s.base?.source, 'base-commit');
    assert.match(s.base?.why ?? '', /base-commit/);
    assert.equal(s.apply.status, 'applied');
  });

  test('the simulator finds a speculative get on a free page and a double free, both blamed on patch 2/3', () => {
    const s = buggy.series[0];
    for (const category of ['speculative-get-on-free-page', 'double-free']) {
      const f = finding(s, category);
      assert.equal(f.analyzer, 'refcount-sim');
      assert.ok(['error', 'warning'].includes(f.severity), `${category} severity ${f.severity}`);
      assert.ok(f.title.length > 10, `${category} has a title`);
      assert.equal(f.patch, messageId(patch2));
      assert.ok(f.files.includes('mm/memory-failure.c'), `${category} files: ${f.files.join(', ')}`);
      assert.ok(f.files.includes('include/linux/mm.h'), `${category} files: ${f.files.join(', ')}`);
    }
  });

  test('each finding quotes a hunk of patch 2/3', () => {
    for (const f of buggy.series[0].findings) {
      assert.ok(f.hunk && f.hunk.length > 1, `${f.category} has a hunk`);
      assert.match(f.hunk[0], /^@@ -\d+(,\d+)? \+\d+(,\d+)? @@/);
      for (const l of f.hunk.filter((x) => x.startsWith('+'))) assert.ok(patch2.text.includes(`\n${l}\n`), `hunk line ${JSON.stringify(l)} is not in patch 2/3`);
    }
  });

  test('the simulator\'s findings quote the hunk that calls ->page_free', () => {
    for (const f of buggy.series[0].findings.filter((x) => x.analyzer === 'refcount-sim')) {
      assert.ok(f.hunk && f.hunk.length > 1, `${f.category} has a hunk`);
      assert.match(f.hunk[0], /^@@ -\d+(,\d+)? \+\d+(,\d+)? @@/);
      const added = f.hunk.filter((l) => l.startsWith('+'));
      assert.ok(added.length > 0, `${f.category} hunk adds lines`);
      for (const l of added) assert.ok(patch2.text.includes(`\n${l}\n`), `hunk line ${JSON.stringify(l)} is not in patch 2/3`);
      assert.ok(added.some((l) => l.includes('page_free')), 'the quoted hunk is the one that calls ->page_free');
    }
  });

  test('the speculative get: memory_failure\'s get_hwpoison_page() takes 1 -> 2 on a page already freed', () => {
    const trace = finding(buggy.series[0], 'speculative-get-on-free-page').trace ?? [];
    assert.ok(trace.length >= 3);
    for (const step of trace) {
      assert.match(step.cpu, /^CPU\d+$/);
      assert.equal(typeof step.func, 'string');
      assert.equal(typeof step.file, 'string');
      assert.ok(Number.isInteger(step.line) && step.line > 0);
      assert.equal(typeof step.refcount, 'object');
    }
    const free = trace.findIndex((t) => /page_free\(/.test(t.op));
    assert.ok(free >= 0, 'a step runs the ->page_free callback');
    assert.equal(trace[free].refcount.page, 1, 'the page is freed at refcount 1');
    assert.ok(trace.some((t) => t.file === 'mm/memory-failure.c' && t.func === 'get_hwpoison_page'), 'a step in mm/memory-failure.c');
    const get = trace.findIndex((t) => t.func === 'page_ref_add_unless' || t.func === 'get_page_unless_zero');
    assert.ok(get > free, 'the speculative get comes after the free');
    assert.equal(trace[get].refcount.page, 2);
    assert.equal(trace[get - 1].refcount.page, 1);
    assert.notEqual(trace[get].cpu, trace[free].cpu, 'the walker runs on another CPU than the owner');
    const via = [...(trace[get].via ?? []), trace[get].func].join(' ');
    assert.match(via, /get_page_unless_zero/);
  });

  test('the double free: ->page_free runs twice, the second time from the walker\'s put_page()', () => {
    const trace = finding(buggy.series[0], 'double-free').trace ?? [];
    const frees = trace.filter((t) => /page_free\(/.test(t.op));
    assert.equal(frees.length, 2, `two frees in ${trace.map((t) => `${t.cpu} ${t.func}: ${t.op}`).join('\n')}`);
    assert.notEqual(frees[0].cpu, frees[1].cpu);
    assert.match([...(frees[1].via ?? []), frees[1].func].join(' '), /put_page/);
    assert.ok(trace.some((t) => t.file === 'mm/memory-failure.c'));
    assert.ok(trace.some((t) => t.func === 'page_ref_add_unless' || t.func === 'get_page_unless_zero'));
  });

  test('the reply is threaded under patch 2/3 and addressed to its author', () => {
    const s = buggy.series[0];
    assert.equal(s.replies.length, 1, 'one reply, to patch 2/3');
    const r = s.replies[0];
    assert.equal(r.inReplyTo, messageId(patch2));
    assert.deepEqual(r.references, [messageId(cover), messageId(patch2)]);
    assert.equal(r.subject, `Re: ${subject(patch2)}`);
    assert.match(r.subject, /^Re: \[PATCH 2\/3\] /);
    assert.match(r.messageId, /^<kbot-[0-9a-f]{24}@localhost>$/);
    assert.equal(r.from, 'kbot <kbot@localhost>');
    assert.ok(Math.abs(Date.parse(r.date) - Date.now()) < 10 * 60_000, `date ${r.date} is the run's`);
    assert.match(r.date, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
    assert.ok(r.to.some((a) => a.includes('ada.marchetti@example.org')), `to: ${r.to.join(', ')}`);
    assert.equal(r.to.length, 1);
    assert.match(r.body, /^Hi Ada,/);
    assert.ok(r.body.includes(ws.head.slice(0, 12)), 'the reply names the base it applied on');
    for (const f of s.findings.filter((x) => x.severity !== 'info')) assert.ok(r.body.includes(f.category), `the reply explains ${f.category}`);
    assert.ok(r.body.includes('mm/memory-failure.c'), 'the reply shows where the walker runs');
  });
});

describe('the analyzers beside the simulator', () => {
  test('hot-path-cost: put_page() gains a load and a branch on every call; the reply says so after the race', () => {
    const s = buggy.series[0];
    const f = finding(s, 'hot-path-cost');
    assert.equal(f.analyzer, 'hot-path-cost');
    assert.equal(f.severity, 'warning');
    assert.equal(f.confidence, 'high');
    assert.match(f.title, /^put_page\(\) gains 1 load and a branch on every call \(\d+ call sites\); put it behind a static key$/);
    assert.equal(f.patch, messageId(patch2));
    assert.ok(f.hunk?.includes('+\tif (unlikely(is_device_private_page(page))) {'), f.hunk?.join('\n'));
    const body = s.replies[0].body;
    assert.match(body, /^warning \[hot-path-cost\]: put_page\(\) gains 1 load and a branch on every\ncall \(\d+ call sites\); put it behind a static key$/m);
    // The fix's shape as code, after the figures.
    assert.match(body, /^ {4}DEFINE_STATIC_KEY_FALSE\(memory_device_private_key\);\n\n {4}if \(static_branch_unlikely\(&memory_device_private_key\) &&\n {8}is_device_private_page\(page\)\)$/m);
    assert.deepEqual(f.suggestion, ['DEFINE_STATIC_KEY_FALSE(memory_device_private_key);', '', 'if (static_branch_unlikely(&memory_device_private_key) &&', '    is_device_private_page(page))']);
    // Ranked: the race's errors first, then the warnings.
    assert.ok(body.indexOf('error: memory_failure()') < body.indexOf('[hot-path-cost]'));
  });

  test('findings are ranked: severity first, then confidence', () => {
    const rank = { error: 0, warning: 1, info: 2 } as const;
    const conf = { high: 0, medium: 1, low: 2 } as const;
    const keys = buggy.series[0].findings.map((f) => [rank[f.severity], conf[f.confidence ?? 'medium']]);
    const sorted = [...keys].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    assert.deepEqual(keys, sorted);
  });

  test('coverage: one entry per analyzer, saying what it checked, also when it found nothing', () => {
    const cov = buggy.series[0].coverage;
    assert.deepEqual(cov.map((c) => c.analyzer), ['refcount-sim', 'hot-path-cost', 'checkpatch']);
    for (const c of cov) assert.equal(c.findings, buggy.series[0].findings.filter((f) => f.analyzer === c.analyzer).length, c.analyzer);
    assert.equal(cov[0].status, 'ran');
    assert.match(cov[0].checked, /^\d+ scenario run\(s\) before and after the series/);
    // The example tree carries no scripts/checkpatch.pl: said, not silently left out.
    assert.deepEqual(cov[2], { analyzer: 'checkpatch', status: 'skipped', checked: `nothing: the tree has no scripts/checkpatch.pl at ${ws.head.slice(0, 12)}`, findings: 0 });
    const docs = quiet.series.find((x) => /documentation fixes/.test(x.subject))!;
    assert.deepEqual(docs.coverage.map((c) => [c.analyzer, c.status]), [['refcount-sim', 'skipped'], ['hot-path-cost', 'skipped'], ['checkpatch', 'skipped']]);
    assert.match(docs.coverage[0].checked, /^nothing to check: /);
  });
});

describe('series that must stay quiet', () => {
  test('hmm-devpriv-free-at-0 (v2, frees at refcount 0): applied, simulated, no findings, no reply', () => {
    const s = seriesBySubject(quiet, 'device private memory for ZONE_DEVICE');
    assert.equal(s.verdict, 'clean');
    assert.deepEqual(s.counts, { error: 0, warning: 0, info: 0 });
    assert.equal(s.version, 2);
    assert.equal(s.superseded, false);
    assert.equal(s.apply.status, 'applied');
    assert.equal(s.base?.source, 'base-commit');
    assert.equal(s.base?.commit, ws.head);
    assert.deepEqual(s.findings, []);
    assert.deepEqual(s.replies, []);
    assert.ok(s.notes.some((n) => /refcount-sim: \d+ scenario run/.test(n)), `the simulator ran: ${s.notes.join(' | ')}`);
  });

  test('no-refcount: applied, no findings, and a note that the simulator had nothing to check', () => {
    const s = seriesBySubject(quiet, 'idle page tracking: documentation fixes');
    assert.equal(s.apply.status, 'applied');
    assert.deepEqual(s.findings, []);
    assert.deepEqual(s.replies, []);
    assert.ok(s.notes.some((n) => /refcount-sim/.test(n) && /nothing to check/.test(n)), `notes: ${s.notes.join(' | ')}`);
  });

  test('both in one input are two series, nothing rejected', () => {
    assert.equal(quiet.series.length, 2);
    assert.deepEqual(quiet.rejected, []);
  });
});

test('kbot sim on the unpatched tree: scenarios run, no violations', () => {
  assert.equal(sim.code, 0);
  assert.equal(sim.json.tree.head, ws.head);
  assert.ok(sim.json.scenarios.length > 0);
  for (const s of sim.json.scenarios) assert.deepEqual(s.violations, [], `${s.name}: ${s.status}`);
  assert.ok(sim.json.scenarios.some((s) => s.status === 'ok'), 'at least one scenario was explored to the end');
  assert.ok(!sim.json.scenarios.some((s) => s.status === 'violation'));
});
