// What git made of a patch, read back from its tree: the modes and paths as git records them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { treeHazard } from './apply-series.ts';
import { gitFileType } from './check-patch-safety.ts';

const env = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'a', GIT_AUTHOR_EMAIL: 'a@x', GIT_COMMITTER_NAME: 'a', GIT_COMMITTER_EMAIL: 'a@x' };
const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env, encoding: 'utf8' }).trim();

test('a symlink or a gitlink in the tree git wrote is refused; a plain file or a deletion is not', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kbot-tree-hazard-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  git(dir, 'init', '-q');
  writeFileSync(join(dir, 'a.c'), 'int a;\n');
  git(dir, 'add', '.');
  git(dir, 'commit', '-qm', 'base');
  const base = git(dir, 'rev-parse', 'HEAD^{tree}');
  symlinkSync('../../etc/passwd', join(dir, 'link'));
  git(dir, 'add', 'link');
  const withLink = git(dir, 'write-tree');
  git(dir, 'rm', '-q', '--cached', 'link');
  git(dir, 'update-index', '--add', '--cacheinfo', `160000,${git(dir, 'rev-parse', 'HEAD')},sub`);
  const withGitlink = git(dir, 'write-tree');
  git(dir, 'rm', '-q', '--cached', 'sub', 'a.c');
  const deleted = git(dir, 'write-tree');
  const diff = (to: string) => execFileSync('git', ['diff-tree', '-r', '-z', '--no-renames', base, to], { cwd: dir, env, encoding: 'utf8' });
  assert.match(treeHazard(diff(withLink))?.sentence ?? '', /^Refused: "link" is a symlink in the tree git made of the patch \(mode 120000\)/);
  assert.match(treeHazard(diff(withGitlink))?.sentence ?? '', /^Refused: "sub" is a submodule link/);
  assert.equal(treeHazard(diff(deleted)), null);
});

test('modes are read as git reads them: octal, the file-type bits', () => {
  const cases: Array<[string, ReturnType<typeof gitFileType>]> = [
    ['100644', 'file'], ['100755', 'file'], ['0100644', 'file'],
    ['120000', 'symlink'], ['0120000', 'symlink'], ['120644', 'symlink'], ['120755', 'symlink'],
    ['160000', 'gitlink'], ['0160000', 'gitlink'], ['170000', 'gitlink'], ['150000', 'gitlink'],
    ['x', null],
  ];
  for (const [mode, type] of cases) assert.equal(gitFileType(mode), type, mode);
});
