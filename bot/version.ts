// kbot's version, from its package.json: what `kbot --version` prints, what the JSON report, each reply's
// Message-ID and its signature carry.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from './project-root.ts';

let cached: string | undefined;

export function kbotVersion(): string {
  cached ??= String((JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string }).version);
  return cached;
}
