// Golden files: the test compares with the file; KBOT_UPDATE_GOLDEN=1 rewrites it (then read the diff).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function assertGolden(name: string, actual: string): void {
  const file = join(import.meta.dirname, name);
  if (process.env.KBOT_UPDATE_GOLDEN === '1') writeFileSync(file, actual);
  assert.equal(actual, readFileSync(file, 'utf8'), `differs from golden file ${file}`);
}
