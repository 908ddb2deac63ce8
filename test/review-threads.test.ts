// `kbot review` with the simulation spread over worker threads (sim.jobs): the same findings as on one thread,
// and the notes say how the runs were split.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { exampleMboxPath } from './support/example-mail.ts';
import { reviewJson, type JsonSeries } from './support/run-kbot.ts';
import { makeWorkspace, type Workspace } from './support/workspace.ts';

let ws: Workspace;
let one: JsonSeries;
let two: JsonSeries;

before(async () => {
  ws = await makeWorkspace('v4.12-style');
  const config2 = join(ws.root, 'kbot-2.yaml');
  // A budget the example tree's runs finish in, on either thread: what differs is only where they ran.
  await writeFile(config2, stringify({ work_dir: ws.workDir, sim: { jobs: 2, max_seconds: 120 } }));
  const config1 = join(ws.root, 'kbot-1.yaml');
  await writeFile(config1, stringify({ work_dir: ws.workDir, sim: { jobs: 1, max_seconds: 120 } }));
  const mbox = exampleMboxPath('hmm-devpriv-free-at-1');
  one = (await reviewJson([mbox, '--tree', ws.tree, '--config', config1])).json.series[0];
  two = (await reviewJson([mbox, '--tree', ws.tree, '--config', config2])).json.series[0];
});

after(() => ws?.cleanup());

test('sim.jobs 2: the runs are split between two threads, and the notes say so', () => {
  const note = two.notes.find((n) => /refcount-sim: of the \d+ s budget/.test(n));
  assert.match(note ?? '', /on 2 threads \(sim\.jobs; \d+ \+ \d+ runs\)/, two.notes.join('\n'));
  assert.doesNotMatch(one.notes.find((n) => /refcount-sim: of the \d+ s budget/.test(n)) ?? '', /threads/);
});

test('sim.jobs 2 finds what one thread finds, with the same interleavings', () => {
  assert.ok(one.findings.some((f) => f.severity === 'error'), one.findings.map((f) => f.title).join('\n'));
  const shape = (s: JsonSeries) => s.findings.map((f) => ({ category: f.category, severity: f.severity, title: f.title, trace: (f.trace ?? []).map((t) => `${t.cpu} ${t.func} ${t.file}:${t.line} ${t.op} ${JSON.stringify(t.refcount)}`) }))
    .sort((a, b) => `${a.category}${a.title}`.localeCompare(`${b.category}${b.title}`));
  assert.deepEqual(shape(two), shape(one));
  assert.equal(two.notes.filter((n) => /simulator error/.test(n)).length, 0, two.notes.join('\n'));
});
