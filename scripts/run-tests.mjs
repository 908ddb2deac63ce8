#!/usr/bin/env node
// Runs every *.test.ts in the project with node's test runner (TypeScript through tsx).
// Usage: npm test [-- substring ...] to run only test files whose path contains one of the substrings.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const dirs = ['bot', 'analyzers', 'sim', 'queue', 'config', 'test', 'bench', 'examples'];
const files = [];
function walk(dir) {
  let names;
  try { names = readdirSync(dir); } catch { return; }
  for (const name of names.sort()) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.ts')) files.push(relative(root, p));
  }
}
for (const d of dirs) walk(join(root, d));
const filters = process.argv.slice(2);
const chosen = filters.length ? files.filter((f) => filters.some((s) => f.includes(s))) : files;
if (chosen.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
// A guard against a test that waits forever (a log line that never comes): it fails after 20 minutes instead
// of holding CI. Not a speed bound: the slowest real-tree test takes a few minutes on a loaded 2-core machine.
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-timeout=1200000', ...chosen], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
