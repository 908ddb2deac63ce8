#!/usr/bin/env node
// Bundles the command line into dist/ with esbuild, so `kbot` starts without compiling TypeScript on the
// fly. Run by `npm install` (prepare). bin/kbot.js uses the bundle only while it is newer than every source.
import { build } from 'esbuild';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
rmSync(join(root, 'dist'), { recursive: true, force: true });
const result = await build({
  metafile: true,
  // Worker threads are entries of their own, beside the chunks that start them: the SimPool's worker
  // (dist/sim-worker.js) and the service's analyzer thread (dist/analyzer-thread.js).
  entryPoints: { cli: join(root, 'bot', 'cli.ts'), 'sim-worker': join(root, 'bot', 'sim-worker.ts'), 'analyzer-thread': join(root, 'queue', 'analyzer-thread.ts') },
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
// The sources the bundle was built from (its own, not packages'): bin/kbot.js stats only these to tell whether
// the bundle is current, instead of walking every directory. A new file matters only once a listed one imports it.
const sources = Object.keys(result.metafile.inputs).filter((p) => !p.includes('node_modules/') && p.endsWith('.ts'));
writeFileSync(join(root, 'dist', 'sources.json'), JSON.stringify(sources));
