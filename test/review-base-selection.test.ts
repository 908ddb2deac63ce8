// Which commit a series is applied on, chosen through the CLI: the series' base-commit:, else --base, else the
// branch its subject tag maps to (config branch_map), else HEAD. The JSON says which and why.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { exampleMessages, toMbox, withoutBaseCommit, type MboxMessage } from './support/example-mail.ts';
import { reviewJson, seriesBySubject, type JsonReport } from './support/run-kbot.ts';
import { git, makeWorkspace, treeState, type Workspace } from './support/workspace.ts';

/**
 * A copy of the no-refcount series that is a series of its own: other Message-IDs and another sender (so it is not
 * taken for a new version of the original), a word in the title to tell it apart, and optionally a tree tag.
 */
function variant(name: string, opts: { tag?: string; baseCommit?: 'strip' | 'keep' | string }): MboxMessage[] {
  return exampleMessages('no-refcount').map((m) => {
    let text = m.text
      .replace(/20170710034500\.2067-/g, `20170710034500.2067-${name}-`)
      .replace(/^From: Priya Raman <priya\.raman@example\.com>$/m, `From: Priya Raman <priya.raman+${name}@example.com>`)
      .replace(/^(Subject: \[PATCH)( [^\]]*\])/m, `$1${opts.tag ? ` ${opts.tag}` : ''}$2`)
      .replace(/^(Subject: \[PATCH[^\]]*\] )/m, `$1${name}: `);
    if (opts.baseCommit && opts.baseCommit !== 'strip' && opts.baseCommit !== 'keep') {
      text = text.replace(/^base-commit: [0-9a-f]+$/m, `base-commit: ${opts.baseCommit}`);
    }
    const out = { ...m, text };
    return opts.baseCommit === 'strip' ? withoutBaseCommit(out) : out;
  });
}

let ws: Workspace;
let mapped: string;
let operator: string;
let stateBefore: Record<string, string>;
let noCli: JsonReport;
let withCli: JsonReport;

before(async () => {
  ws = await makeWorkspace('v4.12-style');
  // Two branches off master, each one commit ahead, so each choice of base is a distinct commit.
  const branch = async (name: string, file: string) => {
    await git(ws.tree, ['checkout', '-q', '-b', name, 'master']);
    await writeFile(join(ws.tree, file), `${name}\n`);
    await git(ws.tree, ['add', file]);
    await git(ws.tree, ['commit', '-q', '-m', `${name}: a commit of its own`]);
    return git(ws.tree, ['rev-parse', 'HEAD']);
  };
  mapped = await branch('akpm-mm-unstable', 'MM-UNSTABLE');
  operator = await branch('operator-base', 'OPERATOR');
  await git(ws.tree, ['checkout', '-q', 'master']);
  stateBefore = await treeState(ws.tree);

  const config = join(ws.root, 'branch-map.yaml');
  await writeFile(config, stringify({ work_dir: ws.workDir, branch_map: { 'mm-unstable': 'akpm-mm-unstable' } }));
  const first = join(ws.root, 'no-cli.mbox');
  await writeFile(first, toMbox([
    ...variant('tagged', { tag: 'mm-unstable', baseCommit: 'strip' }),
    ...variant('plain', { baseCommit: 'strip' }),
    ...variant('unknownbase', { baseCommit: 'deadbeefdeadbeefdeadbeefdeadbeefdeadbeef' }),
    ...variant('unmappedtag', { tag: 'net-next', baseCommit: 'strip' }),
  ]));
  const second = join(ws.root, 'cli.mbox');
  await writeFile(second, toMbox([...variant('nobase', { baseCommit: 'strip' }), ...variant('given', { baseCommit: 'keep' })]));
  const [a, b] = await Promise.all([
    reviewJson([first, '--tree', ws.tree, '--config', config]),
    reviewJson([second, '--tree', ws.tree, '--config', ws.config, '--base', 'operator-base']),
  ]);
  noCli = a.json;
  withCli = b.json;
});

after(() => ws?.cleanup());

test('a subject tag is mapped through branch_map to a branch of the tree', () => {
  const s = seriesBySubject(noCli, 'tagged: idle page');
  assert.match(s.subject, /^\[PATCH mm-unstable 0\/2\]/);
  assert.equal(s.base?.source, 'subject-branch');
  assert.equal(s.base?.commit, mapped);
  assert.match(s.base?.why ?? '', /akpm-mm-unstable/);
  assert.match(s.base?.why ?? '', /\[mm-unstable\]/);
  assert.equal(s.apply.status, 'applied');
});

test('no base-commit, no tag, no --base: HEAD, and the JSON says so', () => {
  const s = seriesBySubject(noCli, 'plain: idle page');
  assert.equal(s.base?.source, 'head');
  assert.equal(s.base?.commit, ws.head);
  assert.match(s.base?.why ?? '', /HEAD/);
  assert.match(s.base?.why ?? '', /no base-commit/);
  assert.equal(s.apply.status, 'applied');
});

test('a base-commit the tree does not have: HEAD, and why says the base-commit was not found', () => {
  const s = seriesBySubject(noCli, 'unknownbase: idle page');
  assert.equal(s.base?.source, 'head');
  assert.equal(s.base?.commit, ws.head);
  assert.match(s.base?.why ?? '', /deadbeefdead/);
  assert.match(s.base?.why ?? '', /not in the tree/);
});

test('a tag that is no key of branch_map is never looked up: HEAD, and a note says the tag was ignored', () => {
  const s = seriesBySubject(noCli, 'unmappedtag: idle page');
  assert.equal(s.base?.source, 'head');
  assert.ok(s.notes.includes('subject tag [net-next] ignored: it is not a key of branch_map'), s.notes.join('\n'));
});

test('--base is used when the series has no base-commit', () => {
  const s = seriesBySubject(withCli, 'nobase: idle page');
  assert.equal(s.base?.source, 'cli');
  assert.equal(s.base?.commit, operator);
  assert.match(s.base?.why ?? '', /--base operator-base/);
  assert.equal(s.apply.status, 'applied');
});

test('the series\' own base-commit wins over --base', () => {
  const s = seriesBySubject(withCli, 'given: idle page');
  assert.equal(s.base?.source, 'base-commit');
  assert.equal(s.base?.commit, ws.head);
});

test('choosing and applying on other branches leaves the checkout as it was', async () => {
  assert.deepEqual(await treeState(ws.tree), stateBefore);
});
