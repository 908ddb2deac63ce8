// Runs the tracked tree's scripts/checkpatch.pl on one patch: the script (and the data files it reads beside
// itself) is written from the tree into a folder under the work dir, and perl runs it there on the patch
// given on stdin. Only perl runs: checkpatch.pl itself would call git (to check commit ids) or the tree's
// get_maintainer.pl and spdxcheck.py, but with --no-tree, no .git where it runs (GIT_DIR names a path that
// does not exist) and HOME there (no ~/.checkpatch.conf), it does not.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CheckpatchRun, CheckpatchRunner, CheckpatchScript } from '../../analyzers/checkpatch.ts';

/** The options kbot passes: one line per report with its type; checkpatch's defaults otherwise. */
export const CHECKPATCH_ARGS = ['--no-tree', '--terse', '--show-types', '--no-summary', '-'];

export function checkpatchRunner(workDir: string): CheckpatchRunner {
  return {
    async run(script: CheckpatchScript, patch: string, maxMs: number): Promise<CheckpatchRun> {
      const dir = await scriptDir(workDir, script);
      return new Promise((resolve) => {
        const child = execFile('perl', [join(dir, 'checkpatch.pl'), ...CHECKPATCH_ARGS], {
          cwd: dir,
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, LANG: 'C.UTF-8', GIT_DIR: join(dir, 'no-git') },
          timeout: maxMs,
          killSignal: 'SIGKILL',
          maxBuffer: 64 << 20,
        }, (err, stdout, stderr) => {
          const e = err as (NodeJS.ErrnoException & { killed?: boolean; code?: number | string }) | null;
          if (e && e.killed) resolve({ stdout, stderr, code: null, timedOut: true });
          else if (e && typeof e.code === 'string') resolve({ stdout, stderr: `${stderr}${e.message}`, code: null, timedOut: false });
          else resolve({ stdout, stderr, code: e ? Number(e.code ?? 1) : 0, timedOut: false });
        });
        child.stdin?.on('error', () => {});
        child.stdin?.end(patch);
      });
    },
  };
}

/** A folder per script version (by content), written once and reused by later reviews. */
async function scriptDir(workDir: string, script: CheckpatchScript): Promise<string> {
  const hash = createHash('sha256');
  for (const [name, text] of Object.entries(script.files).sort()) hash.update(`${name}\0${text}\0`);
  const dir = join(workDir, 'checkpatch', hash.digest('hex').slice(0, 16));
  if (existsSync(join(dir, 'checkpatch.pl'))) return dir;
  const tmp = `${dir}.${process.pid}.${Date.now()}`;
  await mkdir(tmp, { recursive: true });
  for (const [name, text] of Object.entries(script.files)) await writeFile(join(tmp, name), text);
  try {
    await rename(tmp, dir);
  } catch {
    // Another review wrote the same script first: use its folder.
    await rm(tmp, { recursive: true, force: true });
  }
  return dir;
}
