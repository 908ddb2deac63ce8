// The scenario loader: the built-in files, with the YAML the bundle read of each used only while the file
// still has the text it was read from.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BUILTIN_SCENARIOS, loadScenarios } from './load-scenarios.ts';
import { parse as parseYaml } from 'yaml';

const FILE = 'lru-free+walker-get-put.yaml';

test('a built-in file still as the bundle read it is taken from the bundle\'s YAML; a changed one is read again', async () => {
  const text = await readFile(join(BUILTIN_SCENARIOS, FILE), 'utf8');
  const data = parseYaml(text) as { name: string };
  const plain = await loadScenarios();
  assert.ok(plain.some((s) => s.name === data.name));
  // Same text: the prebuilt data is what is checked and returned (a different name shows it was used).
  const same = await loadScenarios([BUILTIN_SCENARIOS], { [FILE]: { text, data: { ...data, name: 'from-the-bundle' } } });
  assert.deepEqual(same.map((s) => s.name), plain.map((s) => (s.name === data.name ? 'from-the-bundle' : s.name)));
  // Another text (the file was edited after the build): the file is read, the bundle's data ignored.
  const stale = await loadScenarios([BUILTIN_SCENARIOS], { [FILE]: { text: `${text}\n# older\n`, data: { ...data, name: 'from-the-bundle' } } });
  assert.deepEqual(stale, plain);
  // The prebuilt data still goes through the schema.
  await assert.rejects(loadScenarios([BUILTIN_SCENARIOS], { [FILE]: { text, data: { ...data, actors: 'none' } } }), /lru-free\+walker-get-put\.yaml: actors/);
});
