// The reply a maintainer reads, as kbot writes it from what the real simulator finds on the example trees
// (no hand-written findings): within 80 columns, one finding per race with its interleaving once as a ladder,
// no internal names, the 0-day robot's "| " tags that b4 leaves alone (checked with the real b4), and a
// signature whose command reproduces the race.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { exampleMboxPath, exampleMessages, messageId, toMbox } from './support/example-mail.ts';
import { projectRoot, reviewJson, runKbot, type JsonReply, type JsonReport, type JsonSeries } from './support/run-kbot.ts';
import { makeWorkspace, type Workspace } from './support/workspace.ts';
import { traceLadder } from '../bot/report/trace-ladder.ts';
import type { TraceStep } from '../analyzers/types.ts';

const run = promisify(execFile);
const BOT = { identity: { email: 'kbot@bots.example.org' }, report: { domain: 'bots.example.org', archive_url: 'https://kbot.example.org/r' } };
const LADDER = /^ +step +page +CPU0( +CPU\d+)*$/gm;

let ws412: Workspace;
let ws66: Workspace;
let hmm: JsonReport;
let folio: JsonReport;
let outbox: string;

before(async () => {
  [ws412, ws66] = await Promise.all([makeWorkspace('v4.12-style', BOT), makeWorkspace('v6.6-style', BOT)]);
  outbox = join(ws412.root, 'outbox');
  const v66 = join(ws66.root, 'folio-and-fsdax.mbox');
  await writeFile(v66, toMbox([...exampleMessages('folio-devpriv-free-at-1'), ...exampleMessages('fsdax-idle-at-1')]));
  // Two reviews, two cores.
  const [a, b] = await Promise.all([
    reviewJson([exampleMboxPath('hmm-devpriv-free-at-1'), '--tree', ws412.tree, '--config', ws412.config, '--outbox', outbox]),
    reviewJson([v66, '--tree', ws66.tree, '--config', ws66.config]),
  ]);
  hmm = a.json;
  folio = b.json;
});

after(async () => {
  await ws412?.cleanup();
  await ws66?.cleanup();
});

/** Every reply of every series reviewed, with the findings about its patch. */
function replies(): Array<{ series: JsonSeries; reply: JsonReply }> {
  const all = [...hmm.series, ...folio.series].flatMap((series) => series.replies.map((reply) => ({ series, reply })));
  assert.ok(all.length >= 3, `replies: ${all.length}`);
  return all;
}

function findingsOf(series: JsonSeries, reply: JsonReply) {
  return series.findings.filter((f) => f.patch === reply.inReplyTo && f.severity !== 'info');
}

describe('the reply on the example series (free at refcount 1, folio and fsdax)', () => {
  test('no line kbot writes passes 80 columns (quoted patch lines excepted)', () => {
    for (const { reply } of replies()) {
      reply.body.split('\n').forEach((l, i) => {
        if (l.startsWith('>')) return;
        assert.ok(l.length <= 80, `${reply.subject}, line ${i + 1}, ${l.length} columns:\n${l}`);
      });
    }
  });

  test('one finding per race: its ladder once, what kbot ran said once, then each of its results listed', () => {
    let races = 0;
    for (const { series, reply } of replies()) {
      const found = findingsOf(series, reply);
      const raceNames = new Set(found.filter((f) => f.trace?.length).map((f) => f.scenario));
      races += raceNames.size;
      assert.equal(reply.body.match(LADDER)?.length ?? 0, raceNames.size, reply.body);
      assert.equal(reply.body.match(/^What kbot ran: /gm)?.length ?? 0, raceNames.size, reply.body);
      for (const f of found.filter((x) => x.trace?.length)) {
        assert.match(reply.body, new RegExp(`^ {2}- (step \\d+|in another interleaving)[^]*?\\[${f.category}\\]$`, 'm'), `${f.category} listed`);
      }
    }
    // the example series have races with more than one result: they were grouped, not just counted
    assert.ok(races >= 3, `races: ${races}`);
    const h = hmm.series[0]!.replies[0]!.body;
    assert.match(h, /found 5 problems in this patch; 3 of them are results\nof one race, shown once\./);
  });

  test('the ladder: one line per step with the C it ran and the page after it; file:line in a legend', () => {
    const s = hmm.series[0]!;
    const body = s.replies[0]!.body;
    const lines = body.split('\n');
    const start = lines.findIndex((l) => /^ +step +page +CPU0 +CPU1/.test(l));
    const end = lines.indexOf('', start);
    const steps = lines.slice(start + 3, end).filter((l) => /^ +\d+ /.test(l));
    // the ladder is the interleaving of one of the race's findings, step for step
    const lengths = s.findings.filter((f) => f.trace?.length).map((f) => f.trace!.length);
    assert.ok(lengths.includes(steps.length), `${steps.length} steps, traces of ${lengths.join(', ')}`);
    assert.match(body, /^ +1 {2}1 in use {3}int count = page_ref_dec_return\(page\);$/m, 'the owner runs the patch\'s own line');
    assert.match(body, /^ +\d+ {2}2 free {13}if \(get_page_unless_zero\(head\)\)$/m, 'the walker\'s get, indented to CPU1, refcount 2 on a free page');
    assert.match(body, /^ +\d+ {2}1 free x2 {10}page->pgmap->page_free\(page, page->pgmap->data\)$/m, 'the second free');
    const legend = lines.slice(end + 1, lines.indexOf('', end + 1));
    assert.ok(legend.some((l) => /^ +(\d+,)*\d+ {2}mm\/memory-failure\.c:65 get_hwpoison_page\(\)$/.test(l)), legend.join('\n'));
    assert.ok(legend.some((l) => /^ +1 {2}include\/linux\/mm\.h:107 put_zone_device_private_page\(\)$/.test(l)), legend.join('\n'));
  });

  test('no internal names: no generated functions, scenario files or "(scenario)"', () => {
    for (const { reply } of replies()) {
      for (const bad of [/__kbot/, /\.yaml\b/, /\(scenario\)/, /sim\/scenarios/, /<scenario /]) assert.doesNotMatch(reply.body, bad, reply.subject);
    }
    // the JSON's call chains carry none either
    for (const s of [...hmm.series, ...folio.series]) {
      for (const f of s.findings) for (const t of f.trace ?? []) for (const v of t.via ?? []) assert.doesNotMatch(v, /__kbot|<scenario/);
    }
  });

  test('every interleaving found fits the ladder: three CPUs in 80 columns, a step kbot stands in for said in words', () => {
    const traces = [...hmm.series, ...folio.series].flatMap((s) => s.findings.flatMap((f) => (f.trace?.length ? [f.trace as unknown as TraceStep[]] : [])));
    assert.ok(traces.some((t) => new Set(t.map((x) => x.cpu)).size === 3), 'a race with three CPUs');
    const standIns = traces.flat().filter((t) => t.standIn);
    assert.ok(standIns.length > 0, 'the example races have a step kbot stands in for');
    for (const t of standIns) assert.match(t.standIn!, /^kbot, standing in for the \w+, /);
    for (const t of traces) {
      const { lines, legend } = traceLadder(t);
      for (const l of [...lines, ...legend]) assert.ok(l.length <= 80, `${l.length} columns: ${l}`);
      assert.equal(lines.filter((l) => /^ +\d+ /.test(l)).length, t.length, 'one line per step');
      if (t.some((x) => x.standIn)) assert.ok(legend.some((l) => /^ +[\d,-]+ {2}not tree code: kbot, standing in for the \w+, /.test(l)), legend.join('\n'));
      for (const l of [...lines, ...legend]) assert.doesNotMatch(l, /__kbot|\.yaml|\(scenario\)/);
    }
  });

  test('affected sites as "file:line function() — unguarded / guarded by <check>"', () => {
    const body = hmm.series[0]!.replies[0]!.body;
    assert.match(body, /^ {2}mm\/memory-failure\.c:65 get_hwpoison_page\(\) \u2014 unguarded$/m);
    assert.match(body, /^ {2}mm\/page_idle\.c:\d+ page_idle_get_page\(\) \u2014 guarded by PageLRU\(page\)$/m);
  });

  test('the tags: the 0-day robot\'s wording, "| " prefixed, a per-report address and a Closes: with the same id', () => {
    for (const { reply } of replies()) {
      assert.match(reply.body, /^If you fix the issue in a separate patch\/commit \(i\.e\. not just a new\nversion of the same patch\/commit\), kindly add following tags$/m);
      const id = /^\| Reported-by: kbot <kbot\+([0-9a-f]{12})@bots\.example\.org>$/m.exec(reply.body)?.[1];
      assert.ok(id, reply.body);
      assert.match(reply.body, new RegExp(`^\\| Closes: https://kbot\\.example\\.org/r/${id}$`, 'm'));
      assert.doesNotMatch(reply.body, /^(Reported-by|Closes):/m);
    }
  });

  test('the signature: version, disclaimer, contact, and a command that reproduces the race', async () => {
    const version = JSON.parse(await readFile(join(projectRoot, 'package.json'), 'utf8')).version;
    const s = hmm.series[0]!;
    const body = s.replies[0]!.body;
    const sig = body.slice(body.indexOf('\n-- \n') + 5);
    assert.ok(body.includes('\n-- \n'));
    assert.match(sig, new RegExp(`^kbot ${version.replace(/\./g, '\\.')}\nThis report was generated by a bot\\. It may contain errors\\.\nQuestions, `));
    assert.match(sig, /^To reproduce \(1 walker, budget 200000 states and 20 s\):$/m);
    const cmd = /^ {2}(kbot sim [^]*?[^\\])\n(?! )/m.exec(sig)?.[1]?.replace(/ \\\n\s*/g, ' ');
    assert.ok(cmd, sig);
    const args = [...cmd.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]!).slice(1);
    assert.deepEqual(args.slice(0, 2), ['sim', '--tree']);
    assert.equal(args[2], ws412.tree);
    const rev = args[args.indexOf('--rev') + 1]!;
    assert.match(rev, /^[0-9a-f]{40}$/);
    assert.notEqual(rev, ws412.head, 'the commit with the series applied, not the base');
    assert.match(sig, new RegExp(`^where ${rev.slice(0, 12)} is this series applied on ${ws412.head.slice(0, 12)}\\.$`, 'm'));
    // run it, as the sentence says: the same race's violations
    const r = await runKbot([...args, '--json', '--config', ws412.config]);
    assert.equal(r.code, 0, r.stderr);
    const sim = JSON.parse(r.stdout) as { scenarios: Array<{ name: string; status: string; violations: Array<{ category: string }> }> };
    assert.equal(sim.scenarios.length, 1);
    assert.equal(sim.scenarios[0]!.status, 'violations');
    const categories = new Set(sim.scenarios[0]!.violations.map((v) => v.category));
    for (const f of s.findings.filter((x) => x.scenario === sim.scenarios[0]!.name)) assert.ok(categories.has(f.category), `${f.category} reproduced`);
  });
});

// b4 (the kernel's patch tool) collects trailers from replies in a thread and adds them to the patch. kbot's
// "| "-prefixed tags must not be collected; the same tags without the prefix are, which shows b4 read the reply.
const haveB4 = (() => {
  try {
    execFileSync('sh', ['-c', 'command -v b4'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('b4 am on the thread with kbot\'s reply', { skip: haveB4 ? false : 'b4 not installed (apt-get install -y b4)' }, () => {
  /** b4 am, offline, on a local mbox; the patches it would apply, as text. */
  async function b4am(mbox: string, dir: string): Promise<string> {
    await mkdir(dir, { recursive: true });
    const env = {
      ...process.env, HOME: dir, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null',
      // b4 signs nothing here but wants a user; no config file is written for it.
      GIT_CONFIG_COUNT: '2', GIT_CONFIG_KEY_0: 'user.name', GIT_CONFIG_VALUE_0: 'Maintainer', GIT_CONFIG_KEY_1: 'user.email', GIT_CONFIG_VALUE_1: 'maintainer@example.org',
    };
    const cover = messageId(exampleMessages('hmm-devpriv-free-at-1')[0]!);
    await run('b4', ['-n', '--offline-mode', '--no-stdin', 'am', '-m', mbox, '-o', dir, cover], { cwd: dir, env });
    const mbx = (await readdir(dir)).filter((n) => n.endsWith('.mbx'));
    assert.equal(mbx.length, 1, `b4 wrote ${mbx.join(', ')}`);
    return readFile(join(dir, mbx[0]!), 'utf8');
  }

  /** The series and kbot's reply (from the outbox) as one mbox, headers unfolded: b4 0.12 fails on folded ones. */
  async function thread(edit: (eml: string) => string = (e) => e): Promise<string> {
    const emls = (await readdir(outbox)).filter((n) => n.endsWith('.eml'));
    assert.equal(emls.length, 1);
    const eml = edit((await readFile(join(outbox, emls[0]!), 'utf8')).replace(/\r\n/g, '\n'));
    const messages = [...exampleMessages('hmm-devpriv-free-at-1'), { separator: 'From kbot@bots.example.org Thu Jan  1 00:00:00 2026', text: eml }];
    return toMbox(messages.map((m) => {
      const split = m.text.indexOf('\n\n');
      return { ...m, text: m.text.slice(0, split).replace(/\n[ \t]+/g, ' ') + m.text.slice(split) };
    }));
  }

  test('adds no kbot trailer to the patch; the same tags without "| " it does add', async () => {
    const dir = join(ws412.root, 'b4');
    const prefixed = join(dir, 'thread.mbox');
    await mkdir(dir, { recursive: true });
    await writeFile(prefixed, await thread());
    const patches = await b4am(prefixed, join(dir, 'prefixed'));
    assert.match(patches, /^Signed-off-by: Ada Marchetti <ada\.marchetti@example\.org>$/m, 'b4 wrote the patches');
    assert.doesNotMatch(patches, /kbot/i, 'no kbot trailer in the patches b4 would apply');

    const unprefixed = join(dir, 'unprefixed.mbox');
    await writeFile(unprefixed, await thread((e) => e.replace(/^\| (Reported-by|Closes): /gm, '$1: ')));
    const taken = await b4am(unprefixed, join(dir, 'unprefixed'));
    assert.match(taken, /^Reported-by: kbot <kbot\+[0-9a-f]{12}@bots\.example\.org>$/m, 'b4 does read the reply: an unprefixed tag is collected');
  });
});
