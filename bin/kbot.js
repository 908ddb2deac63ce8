#!/usr/bin/env node
// kbot's entry point. It runs the esbuild bundle in dist/ (made by `npm install`) while that is newer than
// every TypeScript source; otherwise, in a checkout being edited, the sources themselves through tsx.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = join(root, 'dist', 'cli.js');

function newestSource(dir, newest = 0) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const p = join(dir, entry.name);
    if (entry.isDirectory()) newest = newestSource(p, newest);
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

function bundleIsCurrent() {
  if (process.env.KBOT_FROM_SOURCE || !existsSync(bundle)) return false;
  const built = statSync(bundle).mtimeMs;
  return ['bot', 'analyzers', 'sim', 'config', 'examples', 'queue'].every((d) => !existsSync(join(root, d)) || newestSource(join(root, d)) <= built);
}

let main;
if (bundleIsCurrent()) {
  ({ main } = await import(bundle));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../bot/cli.ts'));
}
process.exitCode = await main(process.argv.slice(2));
