import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../config/read-config.ts';
import { testRedis, type TestRedis } from '../../test/support/test-redis.ts';
import { commandMail, dkimDomain, dnsResolver, signMail } from '../../test/support/dkim-mail.ts';
import { ThreadIndex } from './thread-index.ts';
import { readMailCommand } from './read-mail-command.ts';
import { maintainersOf, parseMaintainers } from './maintainers-file.ts';

const REPORT = '<kbot-0123456789abcdef01234567@bots.example.org>';
const PATCH2 = '<20240501120000.1000-3-alice@example.org>';
const kernelOrg = dkimDomain('kernel.org');
const attacker = dkimDomain('attacker.example');
const resolver = dnsResolver([kernelOrg, attacker]);
let r: TestRedis;
let threads: ThreadIndex;

before(async () => {
  r = await testRedis();
  threads = new ThreadIndex(r.redis, r.prefix);
  await threads.rememberMail([REPORT], [PATCH2], { seriesKey: 'k1', seriesId: '<20240501120000.1000-1-alice@example.org>', title: 'demo_devmem: simplify page refcounting' });
});
after(() => r.cleanup());

const config = (extra: Record<string, unknown> = {}) =>
  parseConfig({ identity: { email: 'kbot@bots.example.org' }, commands: { maintainers: ['akpm@kernel.org'], ...extra } });

test('a maintainer\'s reply to a kbot report, DKIM-signed by the From domain, is accepted with its commands', async () => {
  const raw = await signMail(commandMail({ from: 'Andrew Morton <akpm@kernel.org>', inReplyTo: REPORT, body: '> #kbot rerun\nfalse positive:\n#kbot invalid 0123456789\n#kbot rerun' }), kernelOrg);
  const d = await readMailCommand(raw, { config: config(), threads, resolver });
  assert.equal(d.kind, 'accept', JSON.stringify(d));
  if (d.kind !== 'accept') return;
  assert.deepEqual(d.commands.map((c) => c.kind), ['invalid', 'rerun']);
  assert.equal(d.thread.seriesKey, 'k1');
  assert.equal(d.mail.from, 'akpm@kernel.org');
  assert.equal(d.dkimDomain, 'kernel.org');
});

test('the same maintainer\'s mail without a signature is refused: From alone proves nothing', async () => {
  const raw = Buffer.from(commandMail({ from: 'Andrew Morton <akpm@kernel.org>', inReplyTo: REPORT, body: '#kbot rerun' }));
  const d = await readMailCommand(raw, { config: config(), threads, resolver });
  assert.equal(d.kind, 'refuse');
  assert.equal(d.kind === 'refuse' && d.why, 'akpm@kernel.org could not be verified: it carries no DKIM signature');
});

test('a mail From a maintainer signed by another domain is refused', async () => {
  const raw = await signMail(commandMail({ from: 'Andrew Morton <akpm@kernel.org>', inReplyTo: REPORT, body: '#kbot ignore double-free' }), attacker);
  const d = await readMailCommand(raw, { config: config(), threads, resolver });
  assert.equal(d.kind === 'refuse' && d.why, 'akpm@kernel.org could not be verified: its DKIM signature is by attacker.example, not aligned with the From domain kernel.org');
});

test('a signed mail changed after signing is refused', async () => {
  const raw = (await signMail(commandMail({ from: 'akpm@kernel.org', inReplyTo: REPORT, body: '#kbot rerun' }), kernelOrg)).toString().replace('#kbot rerun', '#kbot ignore double-free');
  const d = await readMailCommand(Buffer.from(raw), { config: config(), threads, resolver });
  assert.equal(d.kind, 'refuse');
  assert.match(d.kind === 'refuse' ? d.why : '', /^akpm@kernel\.org could not be verified: its DKIM signature does not verify \(kernel\.org: body hash did not verify\)$/);
});

test('Reply-To naming a maintainer does not make a stranger one; a signed stranger is refused', async () => {
  const raw = await signMail(commandMail({ from: 'mallory@kernel.org', replyTo: 'akpm@kernel.org', inReplyTo: REPORT, body: '#kbot rerun' }), kernelOrg);
  const d = await readMailCommand(raw, { config: config(), threads, resolver });
  assert.equal(d.kind === 'refuse' && d.why, 'mallory@kernel.org is not a maintainer kbot takes commands from (not in its config)');
});

test('mail kbot is not asked: a reply in a patch thread without kbot in To/Cc, or in a thread kbot never saw, is left alone', async () => {
  const patchThread = await signMail(commandMail({ from: 'akpm@kernel.org', to: 'alice@example.org', inReplyTo: PATCH2, body: '#kbot rerun' }), kernelOrg);
  assert.deepEqual(await readMailCommand(patchThread, { config: config(), threads, resolver }), { kind: 'ignore', why: 'a patch thread reply without kbot@bots.example.org in To/Cc' });
  const withKbot = await signMail(commandMail({ from: 'akpm@kernel.org', to: 'alice@example.org', cc: 'kbot@bots.example.org', inReplyTo: PATCH2, body: '#kbot rerun' }), kernelOrg);
  assert.equal((await readMailCommand(withKbot, { config: config(), threads, resolver })).kind, 'accept');
  const elsewhere = await signMail(commandMail({ from: 'akpm@kernel.org', inReplyTo: '<other@example.org>', body: '#kbot rerun' }), kernelOrg);
  assert.equal((await readMailCommand(elsewhere, { config: config(), threads, resolver })).kind, 'ignore');
});

test('with maintainers_file, an M: of the series\' files in MAINTAINERS may command; one of other files may not', async () => {
  const sections = parseMaintainers([
    'DEMO DEVMEM DRIVER',
    'M:\tDee Maintainer <dee@kernel.org>',
    'L:\tlinux-mm@kvack.org',
    'F:\tdrivers/misc/demo_devmem.c',
    '',
    'NETWORKING',
    'M:\tNet Person <net@kernel.org>',
    'F:\tnet/',
    'X:\tnet/misc/',
    '',
  ].join('\n'));
  assert.deepEqual(maintainersOf(sections, ['net/misc/x.c']), []);
  const deps = { config: config({ maintainers: [], maintainers_file: true }), threads, resolver, maintainersOf: async () => maintainersOf(sections, ['drivers/misc/demo_devmem.c']) };
  const dee = await signMail(commandMail({ from: 'dee@kernel.org', inReplyTo: REPORT, body: '#kbot rerun' }), kernelOrg);
  assert.equal((await readMailCommand(dee, deps)).kind, 'accept');
  const net = await signMail(commandMail({ from: 'net@kernel.org', inReplyTo: REPORT, body: '#kbot rerun' }), kernelOrg);
  assert.equal((await readMailCommand(net, deps)).kind, 'refuse');
});
