import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { parseConfig } from '../../config/read-config.ts';
import { composeReplies } from '../report/compose-reply.ts';
import { appliedOnBaseCommit, demoSeries, doublePageFreeFinding } from '../report/testdata/review-fixture.ts';
import { sendReplies } from './send-mail.ts';

interface Received {
  from: string;
  to: string[];
  raw: string;
  user?: string;
}

/** A real SMTP server on a random loopback port that keeps what it receives. */
async function startServer(options: Partial<SMTPServerOptions> = {}) {
  const received: Received[] = [];
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    disableReverseLookup: true,
    authOptional: true,
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
          ...(session.user ? { user: String(session.user) } : {}),
        });
        callback();
      });
    },
    ...options,
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok());
  });
  const port = (server.server.address() as AddressInfo).port;
  return { port, received, close: () => new Promise<void>((ok) => server.close(() => ok())) };
}

async function drafts(config = parseConfig({ identity: { email: 'kbot@example.org' }, lists: [{ address: 'linux-mm@kvack.org', reply_to: 'list' }] })) {
  const findings = [doublePageFreeFinding(), { ...doublePageFreeFinding(), patch: '<20240501120000.1000-2-alice@example.org>', title: 'another problem' }];
  return composeReplies({ series: demoSeries(), apply: appliedOnBaseCommit(), findings, notes: [] }, config, { now: new Date('2024-05-02T10:00:00Z') });
}

test('the recipient sees the threaded plain-text reply, addressed to the author and the list', async () => {
  const server = await startServer();
  try {
    const replies = await drafts();
    const outcome = await sendReplies(replies, { host: '127.0.0.1', port: server.port, secure: false });
    assert.deepEqual(outcome.failed, []);
    assert.equal(outcome.sent.length, 2);
    assert.equal(server.received.length, 2);
    const got = server.received[1]!;
    assert.equal(got.from, 'kbot@example.org');
    assert.deepEqual(got.to, ['alice@example.org', 'linux-mm@kvack.org']);
    const mail = await simpleParser(got.raw);
    assert.deepEqual(mail.from?.value, [{ name: 'kbot', address: 'kbot@example.org' }]);
    assert.equal(mail.subject, 'Re: [PATCH v2 2/3] demo_devmem: keep idle pages at refcount 1');
    assert.equal(mail.inReplyTo, '<20240501120000.1000-3-alice@example.org>');
    assert.deepEqual(mail.references, ['<20240501120000.1000-1-alice@example.org>', '<20240501120000.1000-3-alice@example.org>']);
    assert.equal(mail.messageId, outcome.sent[1]);
    assert.equal(mail.text, replies[1]!.body);
    assert.match(mail.text ?? '', /^\| Reported-by: kbot <kbot@example\.org>$/m);
    assert.equal(mail.html, false);
    // what was sent is the prepared message, not something re-rendered
    assert.equal(got.raw.replace(/\r\n$/, ''), replies[1]!.eml.replace(/\r\n$/, ''));
  } finally {
    await server.close();
  }
});

test('smtp.from overrides the envelope sender; the From header stays the identity', async () => {
  const server = await startServer();
  try {
    const outcome = await sendReplies((await drafts()).slice(0, 1), { host: '127.0.0.1', port: server.port, secure: false, from: 'bounces@example.org' });
    assert.equal(outcome.sent.length, 1);
    assert.equal(server.received[0]!.from, 'bounces@example.org');
    assert.match(server.received[0]!.raw, /^From: kbot <kbot@example\.org>\r$/m);
  } finally {
    await server.close();
  }
});

test('authenticates with user and pass; a wrong password fails each reply without throwing', async () => {
  const server = await startServer({
    authOptional: false,
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    onAuth(auth, _session, callback) {
      if (auth.username === 'kbot' && auth.password === 's3cret') callback(null, { user: 'kbot' });
      else callback(new Error('Invalid username or password'));
    },
  });
  try {
    const replies = await drafts();
    const ok = await sendReplies(replies, { host: '127.0.0.1', port: server.port, secure: false, user: 'kbot', pass: 's3cret' });
    assert.equal(ok.sent.length, 2);
    assert.deepEqual(server.received.map((r) => r.user), ['kbot', 'kbot']);
    const bad = await sendReplies(replies, { host: '127.0.0.1', port: server.port, secure: false, user: 'kbot', pass: 'wrong' });
    assert.deepEqual(bad.sent, []);
    assert.equal(bad.failed.length, 2);
    assert.match(bad.failed[0]!.error, /Invalid username or password/);
    assert.equal(server.received.length, 2);
  } finally {
    await server.close();
  }
});

test('a refused recipient fails that reply only', async () => {
  const server = await startServer({
    onRcptTo(address, _session, callback) {
      if (address.address === 'alice@example.org') callback(new Error('mailbox unavailable'));
      else callback();
    },
  });
  try {
    const config = parseConfig({ identity: { email: 'kbot@example.org' } });
    const replies = await drafts(config);
    // replies under patch 1 go to a different author, who is accepted
    replies[0] = { ...replies[0]!, to: ['Bob <bob@example.org>'] };
    const outcome = await sendReplies(replies, { host: '127.0.0.1', port: server.port, secure: false });
    assert.equal(outcome.sent.length, 1);
    assert.equal(outcome.failed.length, 1);
    assert.match(outcome.failed[0]!.error, /mailbox unavailable/);
    assert.deepEqual(server.received.map((r) => r.to), [['bob@example.org']]);
  } finally {
    await server.close();
  }
});

test('no server listening: every reply is reported failed', async () => {
  const probe = createServer();
  await new Promise<void>((ok) => probe.listen(0, '127.0.0.1', () => ok()));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((ok) => probe.close(() => ok()));
  const outcome = await sendReplies(await drafts(), { host: '127.0.0.1', port, secure: false });
  assert.deepEqual(outcome.sent, []);
  assert.equal(outcome.failed.length, 2);
  assert.match(outcome.failed[0]!.error, /ECONNREFUSED/);
});

test('nothing to send: no connection is made', async () => {
  assert.deepEqual(await sendReplies([], { host: '127.0.0.1', port: 1, secure: false }), { sent: [], failed: [] });
});
