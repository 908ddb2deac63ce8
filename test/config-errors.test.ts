// A bad config file stops `kbot review` before it does anything: exit code 1 and a message on stderr that
// names the setting at fault, so the user can fix the file.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exampleMboxPath } from './support/example-mail.ts';
import { runKbot, type KbotRun } from './support/run-kbot.ts';
import { makeWorkspace, treeState, type Workspace } from './support/workspace.ts';

let ws: Workspace;
let stateBefore: Record<string, string>;
const runs: Record<string, KbotRun> = {};

const configs: Record<string, string> = {
  badReplyTo: 'lists:\n  - address: x@y\n    reply_to: sometimes\n',
  unknownKey: 'work_dri: /tmp/somewhere\n',
  badYaml: 'lists: [\n  - address: x@y\n',
};

before(async () => {
  ws = await makeWorkspace('v4.12-style');
  stateBefore = await treeState(ws.tree);
  const review = (config: string) => runKbot(['review', exampleMboxPath('no-refcount'), '--tree', ws.tree, '--config', config]);
  const names = Object.keys(configs);
  for (const name of names) await writeFile(join(ws.root, `${name}.yaml`), configs[name]);
  const results = await Promise.all([...names.map((n) => review(join(ws.root, `${n}.yaml`))), review(join(ws.root, 'missing.yaml'))]);
  names.forEach((n, i) => (runs[n] = results[i]));
  runs.missing = results[names.length];
});

after(() => ws?.cleanup());

test('reply_to: sometimes → exit 1, stderr names lists[0].reply_to and the values it takes', () => {
  const r = runs.badReplyTo;
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /lists\[0\]\.reply_to/);
  assert.match(r.stderr, /author/);
  assert.match(r.stderr, /list/);
  assert.match(r.stderr, /all/);
  assert.match(r.stderr, /badReplyTo\.yaml/, 'the message names the file');
  assert.equal(r.stdout, '', 'no report on a bad config');
  assert.doesNotMatch(r.stderr, /internal error|at .*\.ts:\d+/, 'a message, not a stack trace');
});

test('a misspelt key is an error naming the key', () => {
  const r = runs.unknownKey;
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /work_dri/);
  assert.equal(r.stdout, '');
});

test('a config that is not YAML is an error saying so', () => {
  const r = runs.badYaml;
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /YAML/);
  assert.equal(r.stdout, '');
});

test('a config file that does not exist is an error naming it', () => {
  const r = runs.missing;
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /missing\.yaml/);
  assert.equal(r.stdout, '');
});

test('none of them touched the tree or made a work dir', async () => {
  assert.deepEqual(await treeState(ws.tree), stateBefore);
  assert.deepEqual((await readdir(ws.root)).filter((n) => n === 'work'), []);
});
