// Reads a kernel .config (plain, gzip or xz, as distributions ship them) into the simulator's Kconfig.
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Kconfig } from '../sim/frontend/ast.ts';

const run = promisify(execFile);

export class KconfigError extends Error {
  override name = 'ConfigError';
}

export async function readKconfigFile(path: string): Promise<Kconfig> {
  let text: string;
  try {
    if (path.endsWith('.xz')) text = (await run('xz', ['-dc', '--', path], { maxBuffer: 64 * 1024 * 1024 })).stdout;
    else {
      const raw = await readFile(path);
      text = path.endsWith('.gz') ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
    }
  } catch (e) {
    throw new KconfigError(`cannot read the kconfig file ${path}: ${(e as Error).message.split('\n')[0]}`);
  }
  return parseKconfig(text);
}

/** `CONFIG_X=y|m|n|<number>|"string"` lines; `# CONFIG_X is not set` is n. */
export function parseKconfig(text: string): Kconfig {
  const out: Kconfig = {};
  for (const line of text.split('\n')) {
    let m = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) {
      const v = m[2];
      out[m[1]] = /^[ymn]$/.test(v) ? v : /^-?(0x[0-9a-fA-F]+|\d+)$/.test(v) ? Number(v) : v.replace(/^"|"$/g, '');
      continue;
    }
    m = /^# (CONFIG_[A-Za-z0-9_]+) is not set$/.exec(line.trim());
    if (m) out[m[1]] = 'n';
  }
  return out;
}
