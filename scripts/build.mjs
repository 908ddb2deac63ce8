#!/usr/bin/env node
// Bundles the command line into dist/ with esbuild, so `kbot` starts without compiling TypeScript on the
// fly. Run by `npm install` (prepare). bin/kbot.js uses the bundle only while it is newer than every source.
import { build } from 'esbuild';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');

/**
 * zod re-exports every locale it has (`z.locales`, `z.core.locales`: 63 of them, half of the bundle's largest
 * chunk), and esbuild cannot drop a namespace re-export. kbot's messages are English only (zod's default,
 * which zod imports itself): the locales index is bundled as just `en`, and each command starts ~10 ms
 * sooner for not compiling the others.
 */
/**
 * The built-in scenario files, each file's text and its YAML as data, for bot/load-scenarios.ts: a file whose
 * text is still this is not read as YAML again at each start (it is still checked against the schema).
 */
function builtinScenarios() {
  const dir = join(root, 'sim', 'scenarios');
  const out = {};
  for (const n of readdirSync(dir).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))) {
    const text = readFileSync(join(dir, n), 'utf8');
    try {
      out[n] = { text, data: parseYaml(text) };
    } catch {
      // not YAML: left for the loader, which says so
    }
  }
  return out;
}

function zodEnglishOnly() {
  return {
    name: 'zod-english-only',
    setup(b) {
      b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
        /[\\/]node_modules[\\/]zod[\\/]/.test(args.importer) ? { path: 'zod-locales', namespace: 'zod-english-only' } : undefined);
      b.onLoad({ filter: /.*/, namespace: 'zod-english-only' }, () => ({
        contents: "export { default as en } from 'zod/v4/locales/en.js';",
        resolveDir: root,
      }));
    },
  };
}
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
  plugins: [zodEnglishOnly()],
  // As a string literal (JSON text), inlined where it is read; an object here is a module imported by every other.
  define: { KBOT_BUILTIN_SCENARIOS: JSON.stringify(JSON.stringify(builtinScenarios())) },
});
// The sources the bundle was built from (its own, not packages'): bin/kbot.js stats only these to tell whether
// the bundle is current, instead of walking every directory. A new file matters only once a listed one imports it.
const sources = Object.keys(result.metafile.inputs).filter((p) => !p.includes('node_modules/') && p.endsWith('.ts'));
writeFileSync(join(root, 'dist', 'sources.json'), JSON.stringify(sources));
