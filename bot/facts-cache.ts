// The tree facts of a commit, kept as JSON under the work dir: a tree's facts are read once per commit and
// kconfig, and every later review or `kbot facts` of that commit reads them back in milliseconds.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import type { FactsCache } from '../analyzers/types.ts';

export function factsCache(workDir: string): FactsCache {
  return jsonStore(join(workDir, 'facts'));
}

/**
 * The searches of a commit's tree (git grep), kept as JSON under the work dir: a commit's files never change,
 * so a search asked again of the same commit (the next review on the same base) is read back, not run.
 */
export function grepCache(workDir: string): FactsCache {
  return jsonStore(join(workDir, 'grep'));
}

/** JSON values by key in a folder, each a file named for the key's hash, written whole (rename) or not at all. */
export function jsonStore(dir: string): FactsCache {
  const file = (key: string) => join(dir, `${createHash('sha256').update(key).digest('hex').slice(0, 40)}.json`);
  return {
    async get(key: string): Promise<unknown | null> {
      try {
        return JSON.parse(await readFile(file(key), 'utf8'));
      } catch {
        return null;
      }
    },
    async put(key: string, value: unknown): Promise<void> {
      await mkdir(dir, { recursive: true });
      const f = file(key);
      // Unique per writer (threads of one process share its pid: SimPool's workers), renamed into place whole.
      const tmp = `${f}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
      await writeFile(tmp, JSON.stringify(value));
      await rename(tmp, f);
    },
  };
}
