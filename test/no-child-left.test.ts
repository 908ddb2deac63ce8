// `kbot sim` and `kbot review` start git processes (one `git cat-file --batch` per tree view, git grep, git am
// …); none of them may outlive the command. kbot runs here in a process group of its own, and once it has
// exited no process of that group may remain, not even one that has exited and is waiting to be reaped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildExampleTree } from '../examples/build-tree.ts';
import { kbotBin, projectRoot } from './support/run-kbot.ts';

/** Every process whose process group is `pgid`, as "pid state command". */
async function groupMembers(pgid: number): Promise<string[]> {
  const out: string[] = [];
  for (const d of await readdir('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let stat: string;
    try {
      stat = await readFile(`/proc/${d}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // pid (comm) state ppid pgrp ...: comm may hold spaces, so split after its closing parenthesis.
    const close = stat.lastIndexOf(')');
    const rest = stat.slice(close + 2).split(' ');
    if (Number(rest[2]) === pgid) out.push(`${d} ${rest[0]} ${stat.slice(stat.indexOf('(') + 1, close)}`);
  }
  return out;
}

/** Runs kbot as the leader of a new process group; resolves with its exit code and the group's survivors. */
function runAlone(args: string[], workDir: string): Promise<{ code: number | null; stderr: string; left: string[] }> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', TMPDIR: workDir };
    const child = spawn(process.execPath, [kbotBin, ...args], { cwd: projectRoot, env, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code) => {
      groupMembers(child.pid!).then((left) => resolve({ code, stderr, left }), reject);
    });
  });
}

test('kbot sim and kbot review leave no child process behind when they exit', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'kbot-children-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const tree = await buildExampleTree('v4.12-style', join(dir, 'tree'));
  const sim = await runAlone(['sim', '--tree', tree.path, '--scenario', 'devpriv-free+walker-get-put[memory_failure]', '--walkers', '1', '--json'], dir);
  assert.equal(sim.code, 0, sim.stderr);
  assert.deepEqual(sim.left, [], 'processes left by kbot sim');
  const series = join(projectRoot, 'examples', 'series', 'hmm-devpriv-free-at-1.mbox');
  const review = await runAlone(['review', series, '--tree', tree.path, '--json'], dir);
  assert.equal(review.code, 0, review.stderr);
  assert.deepEqual(review.left, [], 'processes left by kbot review');
  // With the simulation spread over a worker thread (sim.jobs): the thread's own tree views' processes too.
  const config = join(dir, 'kbot-jobs.yaml');
  await writeFile(config, `work_dir: ${join(dir, 'work')}\nsim:\n  jobs: 2\n`);
  const threaded = await runAlone(['review', series, '--tree', tree.path, '--json', '--config', config], dir);
  assert.equal(threaded.code, 0, threaded.stderr);
  assert.deepEqual(threaded.left, [], 'processes left by kbot review with sim.jobs 2');
});
