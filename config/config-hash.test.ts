import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configHash } from './config-hash.ts';
import { parseConfig } from './read-config.ts';

test('the hash follows the settings, not their order or the secrets', () => {
  const a = parseConfig({ identity: { email: 'kbot@example.org' }, sim: { walkers: 2 } });
  const b = parseConfig({ sim: { walkers: 2 }, identity: { email: 'kbot@example.org' } });
  assert.match(configHash(a), /^sha256:[0-9a-f]{16}$/);
  assert.equal(configHash(a), configHash(b));
  assert.notEqual(configHash(a), configHash(parseConfig({ identity: { email: 'kbot@example.org' }, sim: { walkers: 3 } })));
  const smtp = (pass: string) => ({ ...parseConfig({ smtp: { host: 'mail.example.org' } }), smtp: { ...parseConfig({ smtp: { host: 'mail.example.org' } }).smtp!, pass } });
  assert.equal(configHash(smtp('one')), configHash(smtp('two')));
});

test('the GitHub token and webhook secret and the Patchwork token, read from the environment, are not in the hash', async () => {
  const { readConfig } = await import('./read-config.ts');
  const { writeFileSync, mkdtempSync, rmSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'kbot-hash-'));
  try {
    const file = join(dir, 'kbot.yaml');
    writeFileSync(file, 'github: { repo: o/r }\npatchwork: { url: "https://patchwork.example.org" }\n');
    const one = readConfig(file, { KBOT_GITHUB_TOKEN: 't1', KBOT_GITHUB_WEBHOOK_SECRET: 's1', KBOT_PATCHWORK_TOKEN: 'p1' });
    const two = readConfig(file, { KBOT_GITHUB_TOKEN: 't2', KBOT_GITHUB_WEBHOOK_SECRET: 's2', KBOT_PATCHWORK_TOKEN: 'p2' });
    assert.deepEqual([one.github?.token, one.github?.webhook_secret, one.patchwork?.token], ['t1', 's1', 'p1']);
    assert.equal(configHash(one), configHash(two));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
