// The command line as a user meets it, through the real `kbot` binary: help and version, mistakes that exit 1
// with one line and no stack trace, numbers and revisions checked before any work, the input on stdin, the
// config before the command, and `--exit-code` for scripts (exit 3 on findings, as `git diff --exit-code`).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { exampleMboxPath } from './support/example-mail.ts';
import { projectRoot, runKbot, type JsonReport, type KbotRun } from './support/run-kbot.ts';
import { makeWorkspace, type Workspace } from './support/workspace.ts';

const git = (cwd: string, args: string[]) => promisify(execFile)('git', args, { cwd });

let ws: Workspace;
before(async () => {
  ws = await makeWorkspace('v4.12-style');
});
after(() => ws?.cleanup());

/** A usage mistake: exit 1, the message on stderr, nothing on stdout, no stack trace. */
function usageError(r: KbotRun, message: RegExp): void {
  assert.equal(r.code, 1, `exit ${r.code}\nstderr: ${r.stderr}`);
  assert.match(r.stderr, message);
  assert.equal(r.stdout, '');
  assert.doesNotMatch(r.stderr, /kbot: internal error|^\s+at .*:\d+:\d+\)?$/m, 'a message, not a stack trace');
}

describe('help and version', () => {
  test('--version prints the package version', async () => {
    const r = await runKbot(['--version']);
    const { version } = JSON.parse(await readFile(join(projectRoot, 'package.json'), 'utf8')) as { version: string };
    assert.equal(r.code, 0);
    assert.equal(r.stdout, `kbot ${version}\n`);
  });

  test('-h and --help on every command: the usage on stdout, exit 0, the same either way', async () => {
    for (const cmd of ['review', 'sim', 'facts', 'demo']) {
      const [short, long, viaHelp] = await Promise.all([runKbot([cmd, '-h']), runKbot([cmd, '--help']), runKbot(['help', cmd])]);
      for (const r of [short, long, viaHelp]) {
        assert.equal(r.code, 0, `${cmd}: ${r.stderr}`);
        assert.match(r.stdout, new RegExp(`^usage: kbot ${cmd}`));
        assert.equal(r.stderr, '');
      }
      assert.equal(short.stdout, long.stdout);
      assert.equal(viaHelp.stdout, long.stdout);
      assert.match(long.stdout, /--config FILE/, `${cmd} takes --config`);
    }
    // --help wins over a missing --tree or an unknown option, as in git.
    const r = await runKbot(['sim', '--nope', '--help']);
    assert.equal(r.code, 0);
    const top = await runKbot(['-h']);
    assert.equal(top.code, 0);
    assert.match(top.stdout, /^usage: kbot /);
    assert.match(top.stdout, /Exit status: 0 done; 3 /);
  });
});

describe('mistakes exit 1 with a message', () => {
  test('an unknown option, an option without its value, a missing argument, an unknown command', async () => {
    const mbox = exampleMboxPath('no-refcount');
    const [unknown, noValue, ambiguous, noInput, extra, noCmd, unknownGlobal, flagValue] = await Promise.all([
      runKbot(['review', mbox, '--tree', ws.tree, '--nope']),
      runKbot(['review', mbox, '--tree']),
      runKbot(['sim', '--tree', '--json']),
      runKbot(['review', '--tree', ws.tree]),
      runKbot(['review', mbox, mbox, '--tree', ws.tree]),
      runKbot(['frobnicate']),
      runKbot(['--nope', 'review']),
      runKbot(['review', mbox, '--tree', ws.tree, '--json=yes']),
    ]);
    usageError(unknown, /^kbot: unknown option '--nope'\nusage: kbot review/);
    usageError(noValue, /^kbot: option '--tree' needs a value/);
    usageError(ambiguous, /^kbot: option '--tree' needs a value/);
    usageError(noInput, /^kbot: review needs one input/);
    usageError(extra, /^kbot: unexpected argument/);
    usageError(noCmd, /^kbot: no command 'frobnicate'\nusage: kbot /);
    usageError(unknownGlobal, /^kbot: unknown option '--nope'/);
    usageError(flagValue, /^kbot: option '--json' takes no value/);
  });

  test('--walkers and --max-states are positive integers', async () => {
    const mbox = exampleMboxPath('hmm-devpriv-free-at-1');
    const runs = await Promise.all([
      runKbot(['review', mbox, '--tree', ws.tree, '--config', ws.config, '--walkers', 'abc']),
      runKbot(['review', mbox, '--tree', ws.tree, '--config', ws.config, '--walkers=0']),
      runKbot(['sim', '--tree', ws.tree, '--config', ws.config, '--walkers', '1.5']),
      runKbot(['sim', '--tree', ws.tree, '--config', ws.config, '--max-states', 'abc']),
      runKbot(['sim', '--tree', ws.tree, '--config', ws.config, '--max-states', '-3']),
    ]);
    usageError(runs[0], /^kbot: --walkers must be a positive integer, not 'abc'$/m);
    usageError(runs[1], /^kbot: --walkers must be a positive integer, not '0'$/m);
    usageError(runs[2], /^kbot: --walkers must be a positive integer, not '1\.5'$/m);
    usageError(runs[3], /^kbot: --max-states must be a positive integer, not 'abc'$/m);
    // "-3" looks like an option to the parser: it is a missing value, also exit 1.
    usageError(runs[4], /^kbot: option '--max-states' needs a value/);
  });

  test('--tree that is no git repository is an error for every command', async () => {
    const plain = join(ws.root, 'not-a-repo');
    await mkdir(plain);
    const bare = join(ws.root, 'bare.git');
    await git(ws.root, ['clone', '-q', '--bare', ws.tree, bare]);
    const mbox = exampleMboxPath('no-refcount');
    const said: Array<[string, RegExp]> = [
      ['/nonexistent/kbot-tree', /^kbot: --tree \S+: no such directory$/m],
      [plain, /^kbot: --tree \S+: not a git repository$/m],
      [join(ws.tree, 'mm'), new RegExp(`^kbot: --tree \\S+: a folder inside the git repository ${ws.tree}, not the repository itself \\(use --tree ${ws.tree}\\)$`, 'm')],
      [join(ws.tree, '.git'), new RegExp(`^kbot: --tree \\S+: inside the git folder ${ws.tree}/\\.git, not a work tree$`, 'm')],
      [join(bare, 'objects'), new RegExp(`^kbot: --tree \\S+: inside the bare repository ${bare}, not the repository itself$`, 'm')],
    ];
    for (const [tree, message] of said) {
      const runs = await Promise.all([
        runKbot(['review', mbox, '--tree', tree, '--config', ws.config]),
        runKbot(['sim', '--tree', tree, '--config', ws.config]),
        runKbot(['facts', '--tree', tree, '--config', ws.config]),
      ]);
      for (const r of runs) usageError(r, message);
    }
    // A bare repository itself is a tree.
    const facts = await runKbot(['facts', '--tree', bare, '--config', ws.config]);
    assert.equal(facts.code, 0, facts.stderr);
  });

  test('--base or --rev naming no commit is an error, never a silent fall back to HEAD', async () => {
    const [base, rev, factsRev] = await Promise.all([
      runKbot(['review', exampleMboxPath('no-refcount'), '--tree', ws.tree, '--config', ws.config, '--base', 'nosuchrev']),
      runKbot(['sim', '--tree', ws.tree, '--config', ws.config, '--rev', 'nosuchrev']),
      runKbot(['facts', '--tree', ws.tree, '--config', ws.config, '--rev', 'nosuchrev']),
    ]);
    usageError(base, /^kbot: --base nosuchrev: no such commit in /);
    usageError(rev, /^kbot: --rev nosuchrev: no such commit in /);
    usageError(factsRev, /^kbot: --rev nosuchrev: no such commit in /);
  });

  test('sim --scenario with an unknown name lists the scenarios there are', async () => {
    const r = await runKbot(['sim', '--tree', ws.tree, '--config', ws.config, '--scenario', 'nope']);
    usageError(r, /^kbot: --scenario nope: no such scenario/);
    assert.match(r.stderr, /^  devpriv-free\+walker-get-put$/m);
    assert.match(r.stderr, /^  lru-free\+walker-get-put$/m);
    const bad = await runKbot(['review', exampleMboxPath('no-refcount'), '--tree', ws.tree, '--exit-code=fatal']);
    usageError(bad, /^kbot: --exit-code must be one of error, warning, info, not 'fatal'$/m);
  });
});

describe('--config before the command, as the example config says', () => {
  test('`kbot --config FILE review` reads FILE; a --config after the command wins', async () => {
    const bad = join(ws.root, 'bad.yaml');
    await writeFile(bad, 'work_dri: /tmp/x\n');
    const example = await readFile(join(projectRoot, 'config', 'kbot.example.yaml'), 'utf8');
    assert.match(example, /kbot --config kbot\.yaml/);
    const [global, both, demoHelp] = await Promise.all([
      runKbot(['--config', bad, 'review', exampleMboxPath('no-refcount'), '--tree', ws.tree]),
      runKbot(['--config', bad, 'review', exampleMboxPath('no-refcount'), '--tree', ws.tree, '--config', ws.config, '--json']),
      runKbot(['--config', bad, 'demo', '--help']),
    ]);
    usageError(global, /work_dri/);
    assert.equal(both.code, 0, both.stderr);
    assert.equal((JSON.parse(both.stdout) as JsonReport).series[0]?.apply.status, 'applied');
    assert.equal(demoHelp.code, 0);
  });
});

describe('stdin and --exit-code', () => {
  let stdinRun: KbotRun;
  let fileRun: KbotRun;
  let quietRun: KbotRun;
  before(async () => {
    const mbox = await readFile(exampleMboxPath('hmm-devpriv-free-at-1'));
    // Two independent runs at a time; the machine has two cores.
    [stdinRun, fileRun] = await Promise.all([
      runKbot(['review', '-', '--tree', ws.tree, '--config', ws.config, '--json', '--exit-code'], { stdin: mbox }),
      runKbot(['review', exampleMboxPath('hmm-devpriv-free-at-1'), '--tree', ws.tree, '--config', ws.config, '--json']),
    ]);
    quietRun = await runKbot(['review', '-', '--tree', ws.tree, '--config', ws.config, '--exit-code=warning'], { stdin: await readFile(exampleMboxPath('no-refcount')) });
  });

  test('"-" reads the mbox from standard input: the same review as the file', () => {
    const a = JSON.parse(stdinRun.stdout) as JsonReport;
    const b = JSON.parse(fileRun.stdout) as JsonReport;
    assert.deepEqual(a.rejected, []);
    assert.equal(a.series.length, 1);
    assert.deepEqual(a.series[0]!.messages, b.series[0]!.messages);
    assert.deepEqual(a.series[0]!.findings, b.series[0]!.findings);
    assert.deepEqual(a.series[0]!.replies.map((r) => r.messageId), b.series[0]!.replies.map((r) => r.messageId));
  });

  test('--exit-code: 3 when an error finding is found, 0 without the option or without findings', () => {
    assert.equal(stdinRun.code, 3, stdinRun.stderr);
    assert.ok((JSON.parse(stdinRun.stdout) as JsonReport).series[0]!.counts.error > 0);
    assert.equal(fileRun.code, 0, fileRun.stderr);
    assert.equal(quietRun.code, 0, quietRun.stderr);
    assert.match(quietRun.stdout, /no findings/);
  });
});
