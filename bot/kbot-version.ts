// kbot's version, from its package.json: said in every reply's signature, so a report can be tied to the
// code that wrote it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from './project-root.ts';

let cached: string | undefined;

export function kbotVersion(): string {
  cached ??= String(JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')).version ?? 'unknown');
  return cached;
}
