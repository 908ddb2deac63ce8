#!/usr/bin/env node
// Bundles the command line into dist/ with esbuild, so `kbot` starts without compiling TypeScript on the
// fly. Run by `npm install` (prepare). bin/kbot.js uses the bundle only while it is newer than every source.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
rmSync(join(root, 'dist'), { recursive: true, force: true });
await build({
  entryPoints: { cli: join(root, 'bot', 'cli.ts'), 'analyzer-thread': join(root, 'queue', 'analyzer-thread.ts') },
  outdir: join(root, 'dist'),
  bundle: true,
  splitting: true, // each command's modules (and their packages) load only when the command runs
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Packages are bundled too (one file to load beats hundreds: mailparser alone is ~300 modules), except
  // web-tree-sitter, which finds its .wasm beside its own module file, and the grammar it loads.
  // bull-board serves its UI's files from its own package folder.
  external: ['web-tree-sitter', 'tree-sitter-c', 'esbuild', 'tsx', '@bull-board/*', 'express'],
  banner: { js: "import { createRequire as __kbotCreateRequire } from 'node:module'; const require = __kbotCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
