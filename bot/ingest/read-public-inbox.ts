// public-inbox archives: each commit adds one message as the blob "m" at the root of its tree. A v1 inbox is one
// such repository; a v2 inbox splits history into epochs git/0.git, git/1.git, ... read in order.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';
import type { RawMessage, Rejected } from '../types.ts';
import { tooLarge } from './limits.ts';

export async function isGitRepository(dir: string): Promise<boolean> {
  if (await exists(join(dir, '.git'))) return true;
  // A bare repository.
  return (await exists(join(dir, 'HEAD'))) && (await exists(join(dir, 'objects'))) && (await exists(join(dir, 'refs')));
}

/** The epoch repositories of a v2 inbox directory, in epoch order; empty when `dir` is not one. */
export async function listEpochs(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(join(dir, 'git'));
  } catch {
    return [];
  }
  return names
    .filter((n) => /^\d+\.git$/.test(n))
    .sort((a, b) => parseInt(a, 10) - parseInt(b, 10))
    .map((n) => join(dir, 'git', n));
}

export async function readPublicInbox(
  repos: string[],
  maxMessageBytes: number,
): Promise<{ messages: RawMessage[]; rejected: Rejected[] }> {
  const messages: RawMessage[] = [];
  const rejected: Rejected[] = [];
  for (const repo of repos) {
    const git = simpleGit({ baseDir: repo });
    const hasCommits = (await git.raw(['rev-list', '--all', '--max-count=1'])).trim() !== '';
    if (!hasCommits) continue;
    const log = await git.raw(['log', '--reverse', '--format=%H %cI', 'HEAD']);
    for (const line of log.split('\n')) {
      if (!line.trim()) continue;
      const [sha, date] = line.split(' ');
      const source = `public-inbox:${repo}@${sha}`;
      // "100644 blob <id>   <size>\tm"; a commit without "m" removed a message (spam purge) and adds none.
      const entry = (await git.raw(['ls-tree', '-l', sha, '--', 'm'])).trim();
      const m = /^\d+ blob ([0-9a-f]+)\s+(\d+)\tm$/.exec(entry);
      if (!m) continue;
      const size = Number(m[2]);
      if (size > maxMessageBytes) {
        rejected.push(tooLarge(source, size, maxMessageBytes));
        continue;
      }
      const raw: Buffer = await git.binaryCatFile(['blob', m[1]]);
      messages.push({ raw, source, receivedAt: date });
    }
  }
  return { messages, rejected };
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}
