// Issue 10's hostile corpus (test/support/hostile-corpus.ts), at sizes that run in seconds: every item as a case,
// each beside the good example series, which is still reviewed and printed. Each case asserts the refusal or
// note a user sees; nothing is written outside the work dir and the tracked tree is unchanged. Time and memory
// at the sizes are measured by the bench (bench/hostile.ts), not asserted here.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdir, readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import { stringify } from 'yaml';
import { messageId, toMbox, type MboxMessage } from './support/example-mail.ts';
import {
  bigHeader, editDiff, filterConfig, good, inPutPage, longSeries, macroBomb, mail, manyReferences, manySeries, MODE_CASES,
  modeCase, newFileDiff, patchMail, replyChain, TEST_SIZES,
} from './support/hostile-corpus.ts';
import { runKbot, seriesBySubject, type JsonReport, type JsonSeries, type KbotRun } from './support/run-kbot.ts';
import { git, makeWorkspace, treeState, type Workspace } from './support/workspace.ts';

const sizes = TEST_SIZES;
const [cover, patch1, patch2, patch3] = good;
const GOOD_TITLE = 'device private memory for ZONE_DEVICE';

let ws: Workspace;
let tmp: string;
let marker: string;
let embargoSha: string;
let stateBefore: Record<string, string>;
let rootBefore: string[];
let userWorktree: string;
const runs: Record<'main' | 'lines' | 'long', { run: KbotRun; json?: JsonReport }> = {} as never;
let server: Server;
let base: string;

/** Every path under the workspace, except the object store, git's own admin dirs and kbot's work dir. */
async function listing(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true });
  return entries.map((e) => relative(dir, join(dir, e)))
    .filter((p) => !p.startsWith(join('linux', '.git')) && !p.startsWith('work') && !p.startsWith('mine') && !p.startsWith(join('tmp', 'tsx-')))
    .sort();
}

async function config(name: string, data: Record<string, unknown>): Promise<string> {
  const file = join(ws.root, `${name}.yaml`);
  await writeFile(file, stringify({ work_dir: ws.workDir, ...data }));
  return file;
}

function parse(run: KbotRun): JsonReport {
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(run.stdout) as JsonReport;
}

function goodReviewed(json: JsonReport): JsonSeries {
  const s = seriesBySubject(json, GOOD_TITLE);
  assert.equal(s.apply.status, 'applied', JSON.stringify(s.apply));
  const categories = s.findings.map((f) => f.category);
  assert.ok(categories.includes('speculative-get-on-free-page'), categories.join(', '));
  assert.ok(s.replies.length > 0, 'the good series gets its reply');
  return s;
}

before(async () => {
  ws = await makeWorkspace('v4.12-style');
  tmp = join(ws.root, 'tmp');
  await mkdir(tmp);
  await writeFile(join(ws.root, 'canary'), 'canary\n');
  marker = join(ws.root, 'filter-ran');
  const globalConfig = join(ws.root, 'gitconfig');
  await writeFile(globalConfig, filterConfig(marker));

  // Item 11: a private branch whose commit a subject tag would find as a revision expression.
  await git(ws.tree, ['commit', '-q', '--allow-empty', '-m', 'fix CVE-2099-0001 (embargoed)']);
  embargoSha = await git(ws.tree, ['rev-parse', 'HEAD']);
  await git(ws.tree, ['branch', 'embargo']);
  await git(ws.tree, ['reset', '-q', '--hard', ws.head]);

  // Item 9: what interrupted runs leave: scratch dirs with no live owner, kbot's worktrees (one locked, one
  // whose directory is gone), and beside them the user's own worktree and a live run's scratch dir.
  await mkdir(ws.workDir, { recursive: true });
  const unowned = join(ws.workDir, 'apply-unowned');
  await mkdir(unowned);
  await utimes(unowned, new Date(Date.now() - 3600_000), new Date(Date.now() - 3600_000));
  await mkdir(join(ws.workDir, 'mailsplit-dead'));
  await writeFile(join(ws.workDir, 'mailsplit-dead', '.kbot-owner'), `999999999 ${(await import('node:os')).hostname()}\n`);
  await mkdir(join(ws.workDir, 'apply-live'));
  await writeFile(join(ws.workDir, 'apply-live', '.kbot-owner'), `${process.pid} ${(await import('node:os')).hostname()}\n`);
  await git(ws.tree, ['worktree', 'add', '-q', '--detach', join(ws.workDir, 'apply-old', 'kbot-apply-old'), 'HEAD']);
  await git(ws.tree, ['worktree', 'lock', join(ws.workDir, 'apply-old', 'kbot-apply-old')]);
  await utimes(join(ws.workDir, 'apply-old'), new Date(Date.now() - 3600_000), new Date(Date.now() - 3600_000));
  await git(ws.tree, ['worktree', 'add', '-q', '--detach', join(ws.root, 'gone', 'kbot-apply-gone'), 'HEAD']);
  await git(ws.tree, ['worktree', 'lock', join(ws.root, 'gone', 'kbot-apply-gone')]);
  execFileSync('rm', ['-rf', join(ws.root, 'gone')]);
  userWorktree = join(ws.root, 'mine');
  await git(ws.tree, ['worktree', 'add', '-q', '--detach', userWorktree, 'HEAD']);

  const qd = macroBomb(sizes.macroDepth);
  const main: MboxMessage[] = [
    cover, patch1,
    // Item 12: 300 References on the patch the reply answers.
    { ...patch2, text: patch2.text.replace(/^(In-Reply-To: .*)$/m, `$1\nReferences: ${manyReferences(sizes.references, messageId(cover))}`) },
    patch3,
    ...MODE_CASES.map((c) => modeCase(c.mode)),
    // Item 2: a .gitattributes naming the filter driver of the operator's global config.
    patchMail('attributes@evil.example', '[PATCH] docs: attributes', newFileDiff('.gitattributes', '* filter=evil diff=evil\n') + newFileDiff('Documentation/filtered.txt', 'filtered\n')),
    // Item 3.
    patchMail('huge-total@evil.example', '[PATCH 1/1000000000] mm: part one of a billion', newFileDiff('Documentation/a.txt', 'a\n')),
    patchMail('large-total@evil.example', '[PATCH 1/100000] mm: part one of many', newFileDiff('Documentation/b.txt', 'b\n')),
    // Item 4.
    ...replyChain(sizes.chain),
    // Items 5 and 12 (the gate): no refcount word in the changed lines, which are inside put_page().
    patchMail('macro@evil.example', '[PATCH] mm: a quadruple in put_page', await editDiff(ws.tree, 'include/linux/mm.h', inPutPage(qd.line, qd.define))),
    // Item 6.
    patchMail('blob@evil.example', '[PATCH] mm: a big header', newFileDiff('include/linux/huge.h', bigHeader(sizes.blobBytes))),
    // Item 8.
    patchMail('spin@evil.example', '[PATCH] mm: spin in put_page', await editDiff(ws.tree, 'include/linux/mm.h', inPutPage('while (1);'))),
    patchMail('recurse@evil.example', '[PATCH] mm: recurse in put_page', await editDiff(ws.tree, 'include/linux/mm.h', inPutPage('if (page) put_page(page);'))),
    // Item 11.
    patchMail('tag@evil.example', '[PATCH embargo^{/CVE-2099} 1/1] docs: a tagged note', newFileDiff('Documentation/tagged.txt', 'tagged\n')),
    // Item 12: no From.
    patchMail('nofrom@evil.example', '[PATCH] docs: an anonymous note', newFileDiff('Documentation/anon.txt', 'anon\n'), { From: undefined }),
  ];
  // (patchMail's signature line uses the From it was given; the header is what is left out.)
  const mainMbox = join(ws.root, 'main.mbox');
  await writeFile(mainMbox, toMbox(main));
  const linesMbox = join(ws.root, 'lines.mbox');
  await writeFile(linesMbox, toMbox([...good, ...manySeries(sizes.manySeries)]));
  const longMbox = join(ws.root, 'long.mbox');
  // The series after the long one is what its time budget protects (the good series is the main run's: its own
  // time on a loaded machine is no part of this case).
  await writeFile(longMbox, toMbox([...longSeries(sizes.longSeries), ...manySeries(1, 'after')]));

  const mainConfig = await config('main', { limits: { max_blob_bytes: 256 * 1024, max_thread_depth: 100, max_patches_per_series: 1000 } });
  const linesConfig = await config('lines', { limits: { max_messages: 40, max_series: 6 } });
  const longConfig = await config('long', { limits: { max_patches_per_series: sizes.longSeries, series_seconds: 8 } });

  rootBefore = await listing(ws.root);
  stateBefore = await treeState(ws.tree);
  const env = { TMPDIR: tmp, GIT_CONFIG_GLOBAL: globalConfig };
  const [m, l, g] = await Promise.all([
    runKbot(['review', mainMbox, '--tree', ws.tree, '--config', mainConfig, '--json'], { env }),
    runKbot(['review', linesMbox, '--tree', ws.tree, '--config', linesConfig, '--json-lines'], { env }),
    runKbot(['review', longMbox, '--tree', ws.tree, '--config', longConfig, '--json'], { env }),
  ]);
  runs.main = { run: m, json: parse(m) };
  runs.lines = { run: l };
  runs.long = { run: g, json: parse(g) };

  // Item 10: a thread server on loopback that never answers, and one whose body never ends.
  server = createServer((req, res) => {
    if (req.url?.startsWith('/hang/')) return; // never answers
    res.writeHead(200, { 'content-type': 'application/gzip' });
    const chunk = Buffer.alloc(64 * 1024, 0x41);
    chunk[0] = 0x1f;
    chunk[1] = 0x8b;
    const pump = () => {
      while (res.write(chunk)) { /* until the socket pushes back */ }
    };
    res.on('drain', pump);
    res.on('error', () => {});
    pump();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server?.closeAllConnections();
  server?.close();
  await ws?.cleanup();
});

const main = () => runs.main.json!;

test('1: a mode git reads as a symlink or a gitlink is refused, however it is spelt', () => {
  for (const c of MODE_CASES) {
    const s = seriesBySubject(main(), `add link ${c.mode}`);
    assert.equal(s.apply.status, 'refused', `${c.mode}: ${JSON.stringify(s.apply)}`);
    assert.match(s.apply.detail ?? '', new RegExp(`${c.kind}`), c.mode);
    assert.match(s.apply.detail ?? '', new RegExp(`mode ${c.mode}`), c.mode);
  }
});

test('2: a .gitattributes naming a filter of the operator\'s global config runs no filter', () => {
  const s = seriesBySubject(main(), 'docs: attributes');
  assert.equal(s.apply.status, 'applied', JSON.stringify(s.apply));
  for (const what of ['clean', 'smudge', 'textconv']) assert.equal(existsSync(`${marker}.${what}`), false, `the ${what} command ran`);
});

test('3: subject numbers past limits.max_patches_per_series are rejected, not allocated', () => {
  for (const [id, n] of [['<huge-total@evil.example>', '1/1000000000'], ['<large-total@evil.example>', '1/100000']]) {
    const r = main().rejected.find((x) => x.messageId === id);
    assert.ok(r, id);
    assert.equal(r.reason, `numbered ${n}: a series of more than limits.max_patches_per_series (1000) patches is not assembled`);
  }
});

test('4: a reply chain deeper than limits.max_thread_depth is followed without recursion and said', () => {
  const s = seriesBySubject(main(), 'chained part');
  assert.equal(s.total, sizes.chain + 1);
  assert.equal(s.apply.status, 'skipped');
  assert.equal(s.incomplete, `1/${sizes.chain + 1} missing`);
  const all = main().series.flatMap((x) => x.notes);
  assert.ok(all.some((n) => /limits\.max_thread_depth \(100\)/.test(n)), all.filter((n) => /depth/.test(n)).join('\n'));
});

test('5 and 12: a macro nested to 4^12 expansions inside put_page is checked, bounded, and no finding', () => {
  const s = seriesBySubject(main(), 'a quadruple in put_page');
  assert.equal(s.apply.status, 'applied', JSON.stringify(s.apply));
  assert.ok(!s.notes.some((n) => /nothing to check/.test(n)), `the change is inside put_page(): ${s.notes.join('\n')}`);
  assert.deepEqual(s.findings.filter((f) => f.severity !== 'info'), []);
  assert.deepEqual(s.replies, []);
});

test('6: a header over limits.max_blob_bytes is not read, and the review says so', () => {
  const s = seriesBySubject(main(), 'a big header');
  assert.equal(s.apply.status, 'applied', JSON.stringify(s.apply));
  const said = [...s.notes, ...s.findings.map((f) => f.title)];
  assert.ok(said.some((n) => /include\/linux\/huge\.h is \d+ bytes, over limits\.max_blob_bytes \(262144\)/.test(n)), said.join('\n'));
  assert.deepEqual(s.replies, []);
});

test('7: series past limits.max_series and messages past limits.max_messages are said; JSON Lines streams each series', () => {
  const { run } = runs.lines;
  assert.equal(run.code, 0, run.stderr);
  const lines = run.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown> & { type: string });
  assert.equal(lines[0]!.type, 'start');
  assert.equal(lines[lines.length - 1]!.type, 'end');
  assert.equal(lines[lines.length - 1]!.complete, true);
  const series = lines.filter((l) => l.type === 'series') as unknown as JsonSeries[];
  goodReviewed({ series } as JsonReport);
  // 40 messages read: the good series' 4 and 36 single patches; 6 reviewed, the rest said to be over the bound.
  assert.equal(series.length, 37);
  const skipped = series.filter((s) => s.apply.detail?.includes('over limits.max_series (6)'));
  assert.equal(skipped.length, 31);
  const rejected = lines.filter((l) => l.type === 'rejected');
  assert.equal(rejected.length, sizes.manySeries + 4 - 40);
  assert.ok(rejected.every((r) => /over limits\.max_messages \(40\)/.test(String(r.reason))));
  assert.equal(lines[lines.length - 1]!.series, 37);
});

test('7: a series that outlasts limits.series_seconds is stopped and said; the series after it is reviewed', () => {
  const json = runs.long.json!;
  const s = seriesBySubject(json, 'long part');
  assert.equal(s.total, sizes.longSeries);
  assert.equal(s.apply.status, 'failed');
  assert.equal(s.apply.detail, 'out of time: the series took more than limits.series_seconds (8 s)');
  assert.equal(seriesBySubject(json, 'after note 0').apply.status, 'applied');
});

test('7: SIGTERM mid-review prints what is done, an end line saying so, and exits 4', async () => {
  const { spawn } = await import('node:child_process');
  const { kbotBin } = await import('./support/run-kbot.ts');
  const cfg = await config('term', { limits: { max_patches_per_series: sizes.longSeries } });
  const child = spawn(process.execPath, [kbotBin, 'review', join(ws.root, 'long.mbox'), '--tree', ws.tree, '--config', cfg, '--json-lines'], {
    env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', TMPDIR: tmp }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const started = new Promise<void>((resolve) => child.stdout.on('data', (b: Buffer) => {
    out += b.toString('utf8');
    if (out.includes('"type":"start"')) resolve();
  }));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  await started;
  child.kill('SIGTERM');
  assert.equal(await exited, 4);
  const last = JSON.parse(out.trimEnd().split('\n').pop()!) as { type: string; complete: boolean; interrupted: string };
  assert.deepEqual([last.type, last.complete, last.interrupted], ['end', false, 'interrupted by SIGTERM']);
});

test('8: a put_page() the model cannot finish (a loop, a recursion) is a note, never a finding or a reply', () => {
  for (const title of ['spin in put_page', 'recurse in put_page']) {
    const s = seriesBySubject(main(), title);
    assert.equal(s.apply.status, 'applied', JSON.stringify(s.apply));
    // The simulator's: none (hot-path-cost rightly says what a loop added to put_page() costs every caller).
    assert.deepEqual(s.findings.filter((f) => f.analyzer === 'refcount-sim' && f.severity !== 'info').map((f) => f.category), [], title);
    assert.ok(s.replies.every((r) => !/page-leak|leak|refcount-sim/.test(r.body)), title);
    assert.ok(!s.notes.some((n) => /nothing to check/.test(n)), title);
  }
});

test('9: stale scratch dirs and kbot\'s own worktrees (locked ones too) are cleaned; the user\'s and a live run\'s stay', async () => {
  const left = await readdir(ws.workDir);
  for (const gone of ['apply-unowned', 'mailsplit-dead', 'apply-old']) assert.ok(!left.includes(gone), `${gone} is left: ${left.join(' ')}`);
  assert.ok(left.includes('apply-live'), 'a live owner\'s dir is kept');
  const worktrees = (await git(ws.tree, ['worktree', 'list', '--porcelain'])).split('\n').filter((l) => l.startsWith('worktree ')).map((l) => l.slice(9)).sort();
  assert.deepEqual(worktrees, [ws.tree, userWorktree].sort());
});

test('10: a thread server that never answers is given up after limits.fetch_seconds', async () => {
  const cfg = await config('fetch', { limits: { fetch_seconds: 1, fetch_bytes: 1024 * 1024 } });
  const url = `${base}/hang/x@y.example/t.mbox.gz`;
  const run = await runKbot(['review', url, '--tree', ws.tree, '--config', cfg, '--json'], { env: { TMPDIR: tmp } });
  assert.equal(run.code, 1, run.stderr);
  assert.match(run.stderr, /no complete answer within limits\.fetch_seconds \(1 s\)/);
});

test('10: an endless body stops at limits.fetch_bytes', async () => {
  const cfg = await config('fetch2', { limits: { fetch_seconds: 30, fetch_bytes: 1024 * 1024 } });
  const run = await runKbot(['review', `${base}/endless/x@y.example/t.mbox.gz`, '--tree', ws.tree, '--config', cfg, '--json'], { env: { TMPDIR: tmp } });
  assert.equal(run.code, 1, run.stderr);
  assert.match(run.stderr, /over limits\.fetch_bytes \(1048576 bytes\); not read further/);
});

test('11: a subject tag is never a revision: the embargoed commit is named nowhere', () => {
  const s = seriesBySubject(main(), 'a tagged note');
  assert.equal(s.base?.source, 'head');
  assert.ok(s.notes.includes('subject tag [embargo^{/CVE-2099}] ignored: it is not a key of branch_map'), s.notes.join('\n'));
  assert.ok(!runs.main.run.stdout.includes(embargoSha.slice(0, 7)), 'the embargoed commit is printed');
});

test('12: no From is rejected; the reply\'s References are bounded by limits.max_references', () => {
  const r = main().rejected.find((x) => x.messageId === '<nofrom@evil.example>');
  assert.equal(r?.reason, 'no From header with an address: a patch needs an author');
  const s = goodReviewed(main());
  const refs = s.replies[0]!.references;
  // The thread's first id and the newest ones: the cover letter (the last of the patch's References) and the patch.
  assert.equal(refs.length, 20);
  assert.equal(refs[0], '<ref-0@thread.example>');
  assert.deepEqual(refs.slice(-2), [messageId(cover), messageId(patch2)]);
});

test('12: a public_inbox_base that is not http(s), a config over 1 MiB and a duplicate key are refused, fast', async () => {
  const js = await config('js', { public_inbox_base: 'javascript:alert(1)' });
  const big = join(ws.root, 'big.yaml');
  await writeFile(big, `branch_map:\n${Array.from({ length: 100_000 }, (_, i) => `  k${i}: v${i}\n`).join('')}`);
  const dup = join(ws.root, 'dup.yaml');
  await writeFile(dup, `branch_map:\n${Array.from({ length: 20_000 }, (_, i) => `  k${i}: v${i}\n`).join('')}  k0: again\n`);
  const cases: Array<[string, RegExp]> = [
    [js, /public_inbox_base: expected an http:\/\/ or https:\/\/ URL/],
    [big, /the config file is \d+ bytes, over the limit of 1048576 bytes/],
    [dup, /"k0" is given twice/],
  ];
  for (const [file, said] of cases) {
    const run = await runKbot(['review', join(ws.root, 'no-such.mbox'), '--tree', ws.tree, '--config', file]);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, said);
  }
});

test('nothing was written outside the work dir; the tracked tree is unchanged but for kbot\'s own stale worktrees', async () => {
  assert.equal(await readFile(join(ws.root, 'canary'), 'utf8'), 'canary\n');
  // (tsx, which runs kbot from its sources in a checkout being edited, keeps its compile cache there.)
  assert.deepEqual((await readdir(tmp)).filter((n) => !n.startsWith('tsx-')), [], 'TMPDIR stays empty');
  const now = await listing(ws.root);
  assert.deepEqual(now.filter((p) => !/\.yaml$/.test(p)), rootBefore.filter((p) => !/\.yaml$/.test(p) && !p.startsWith('gone')));
  const state = await treeState(ws.tree);
  const { worktrees: _w1, ...rest } = state;
  const { worktrees: _w2, ...restBefore } = stateBefore;
  assert.deepEqual(rest, restBefore);
});
