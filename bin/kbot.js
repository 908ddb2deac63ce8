#!/usr/bin/env node
// kbot's entry point. It runs the esbuild bundle in dist/ (made by `npm install`) while that is newer than
// every TypeScript source it was built from; otherwise, in a checkout being edited, the sources themselves
// through tsx.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as nodeModule from 'node:module';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = join(root, 'dist', 'cli.js');

/**
 * The bundle is current when no source it was built from (dist/sources.json, written by the build) is newer
 * than it or gone: one stat per bundled source, no directory walk. A source file nobody imports yet cannot
 * change the bundle until an import of it edits a listed file.
 */
function bundleIsCurrent() {
  if (process.env.KBOT_FROM_SOURCE) return false;
  let built;
  let sources;
  try {
    built = statSync(bundle).mtimeMs;
    sources = JSON.parse(readFileSync(join(root, 'dist', 'sources.json'), 'utf8'));
  } catch {
    return false;
  }
  for (const s of sources) {
    const st = statSync(join(root, s), { throwIfNoEntry: false });
    if (!st || st.mtimeMs > built) return false;
  }
  return true;
}

/** This process's live or unreaped children (Linux /proc; elsewhere none are known). */
function children() {
  try {
    return readdirSync('/proc/self/task').flatMap((t) => readFileSync(`/proc/self/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean));
  } catch {
    return [];
  }
}

/**
 * Waits (up to 2 s) until every child has exited and been reaped: node does not wait for an unref'd child at
 * exit, and one still running (or a zombie) would outlive kbot.
 */
async function reapChildren() {
  for (let waited = 0; waited < 2000 && children().length > 0; waited += 5) await new Promise((r) => setTimeout(r, 5));
}

let main;
const fromSource = !bundleIsCurrent();
if (!fromSource) {
  // Node 22.1 and later keep V8's compiled code of the bundle on disk, beside it (rebuilt with it), so a start
  // does not compile it again (~40 ms of a small `kbot sim`); older Node has no such call, and a folder it
  // cannot write only makes the call fail: both start as before.
  nodeModule.enableCompileCache?.(join(root, 'dist', '.node-compile-cache'));
  ({ main } = await import(bundle));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../bot/cli.ts'));
}
process.exitCode = await main(process.argv.slice(2));
// tsx compiles through an esbuild service process, started from node's module-hooks thread, which it leaves
// running and which esbuild's stop() on this thread cannot reach: stop it by its pid.
if (fromSource) {
  for (const pid of children()) {
    let comm = '';
    try {
      comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      continue;
    }
    if (comm === 'esbuild') process.kill(Number(pid));
  }
}
await reapChildren();
