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
