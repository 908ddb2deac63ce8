// Test support: small kernel-shaped git repositories in temp dirs. Not kernel code: our own few lines.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gitEnv } from './run-git.ts';

export const IDENTITY = {
  GIT_AUTHOR_NAME: 'Fixture Author',
  GIT_AUTHOR_EMAIL: 'author@example.org',
  GIT_COMMITTER_NAME: 'Fixture Committer',
  GIT_COMMITTER_EMAIL: 'committer@example.org',
  GIT_AUTHOR_DATE: '2024-01-02T03:04:05Z',
  GIT_COMMITTER_DATE: '2024-01-02T03:04:05Z',
  // The developer's own git config must not change what the fixtures look like.
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
};

/** Run git synchronously; throws with git's stderr on failure. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: gitEnv(IDENTITY), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
}

export const MM_H = [
  '#ifndef _LINUX_MM_H',
  '#define _LINUX_MM_H',
  '',
  'struct page;',
  '',
  'static inline int page_ref_count(const struct page *page)',
  '{',
  '\treturn atomic_read(&page->_refcount);',
  '}',
  '',
  'void put_page(struct page *page);',
  '',
  '#endif /* _LINUX_MM_H */',
  '',
].join('\n');

export const SWAP_C = [
  '// SPDX-License-Identifier: GPL-2.0',
  '#include <linux/mm.h>',
  '',
  'static void __page_cache_release(struct page *page)',
  '{',
  '\tdel_page_from_lru(page);',
  '}',
  '',
  'void put_page(struct page *page)',
  '{',
  '\tif (page_ref_dec_and_test(page))',
  '\t\t__page_cache_release(page);',
  '}',
  '',
].join('\n');

export interface FixtureTree {
  /** Temp dir holding everything the test makes; removed by cleanup(). */
  root: string;
  /** The tracked tree: a repository with a checkout of master. */
  repo: string;
  /** The first commit. */
  base: string;
  cleanup: () => void;
}

export function makeFixtureTree(): FixtureTree {
  const root = mkdtempSync(join(tmpdir(), 'kbot-tree-'));
  const repo = join(root, 'linux');
  mkdirSync(repo);
  git(repo, 'init', '-q', '-b', 'master');
  writeFiles(repo, { 'include/linux/mm.h': MM_H, 'mm/swap.c': SWAP_C, Makefile: 'obj-y += mm/\n' });
  git(repo, 'add', '.');
  git(repo, 'commit', '-q', '-m', 'Initial tree');
  const base = git(repo, 'rev-parse', 'HEAD').trim();
  return { root, repo, base, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}
