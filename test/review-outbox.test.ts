// `kbot review --outbox DIR`: one .eml per reply, a real RFC 5322 message a mail client (here mailparser) reads
// back with the same threading headers, recipients and body the JSON report shows.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { exampleMessages, messageId, toMbox } from './support/example-mail.ts';
import { reviewJson, runKbot, type JsonReport, type KbotRun } from './support/run-kbot.ts';
import { makeWorkspace, type Workspace } from './support/workspace.ts';

const freeAt1 = exampleMessages('hmm-devpriv-free-at-1');
const doesNotApply = exampleMessages('does-not-apply');
const noRefcount = exampleMessages('no-refcount');

let ws: Workspace;
let json: JsonReport;
let outbox: string;
let emls: Array<{ name: string; raw: Buffer; mail: ParsedMail }>;
let textRun: KbotRun;
let textOutbox: string;

before(async () => {
  ws = await makeWorkspace('v4.12-style');
  const mbox = join(ws.root, 'in.mbox');
  await writeFile(mbox, toMbox([...freeAt1, ...doesNotApply, ...noRefcount]));
  outbox = join(ws.root, 'outbox');
  const quiet = join(ws.root, 'quiet.mbox');
  await writeFile(quiet, toMbox(doesNotApply));
  textOutbox = join(ws.root, 'outbox-text');
  const [r, t] = await Promise.all([
    reviewJson([mbox, '--tree', ws.tree, '--config', ws.config, '--outbox', outbox]),
    runKbot(['review', quiet, '--tree', ws.tree, '--config', ws.config, '--outbox', textOutbox]),
  ]);
  json = r.json;
  textRun = t;
  const names = (await readdir(outbox)).sort();
  emls = [];
  for (const name of names) {
    const raw = await readFile(join(outbox, name));
    emls.push({ name, raw, mail: await simpleParser(raw) });
  }
});

after(() => ws?.cleanup());

function addressList(a: AddressObject | AddressObject[] | undefined): string[] {
  return (Array.isArray(a) ? a : a ? [a] : []).flatMap((o) => o.value.map((v) => v.address ?? ''));
}

function bare(id: string): string {
  return id.replace(/^<|>$/g, '');
}

test('one .eml per reply, nothing else in the outbox', () => {
  const replies = json.series.flatMap((s) => s.replies);
  assert.equal(replies.length, 2, 'a reply for the buggy series and one for the series that does not apply');
  assert.equal(emls.length, replies.length, emls.map((e) => e.name).join(', '));
  for (const e of emls) assert.match(e.name, /^[A-Za-z0-9._@+-]+\.eml$/);
});

test('each .eml parses and carries the threading headers of its reply', () => {
  for (const r of json.series.flatMap((s) => s.replies)) {
    const e = emls.find((x) => x.mail.inReplyTo === r.inReplyTo);
    assert.ok(e, `an .eml in reply to ${r.inReplyTo}`);
    const refs = Array.isArray(e.mail.references) ? e.mail.references : e.mail.references ? [e.mail.references] : [];
    assert.deepEqual(refs, r.references);
    assert.equal(e.mail.subject, r.subject);
    assert.ok(e.mail.messageId && /^<[^<>\s]+@[^<>\s]+>$/.test(e.mail.messageId), `Message-ID ${e.mail.messageId}`);
    assert.ok(e.name.startsWith(bare(e.mail.messageId).slice(0, 20).replace(/[^A-Za-z0-9._@+-]/g, '_')), `${e.name} is named for its Message-ID`);
    assert.deepEqual(addressList(e.mail.to), r.to.map((a) => /<([^>]+)>/.exec(a)?.[1] ?? a));
    assert.deepEqual(addressList(e.mail.from), ['kbot@localhost']);
    assert.ok(e.mail.date instanceof Date && !Number.isNaN(e.mail.date.getTime()));
    assert.equal((e.mail.text ?? '').replace(/\r\n/g, '\n').trimEnd(), r.body.trimEnd());
    for (const line of e.raw.toString('utf8').split('\r\n')) assert.ok(Buffer.byteLength(line) <= 998, 'RFC 5322 line limit');
  }
});

test('the findings reply goes under patch 2/3, the apply failure reply under the lone patch', () => {
  const inReplyTo = emls.map((e) => e.mail.inReplyTo).sort();
  assert.deepEqual(inReplyTo, [messageId(freeAt1[2]), messageId(doesNotApply[0])].sort());
  const findings = emls.find((e) => e.mail.inReplyTo === messageId(freeAt1[2]))!;
  assert.match(findings.mail.subject ?? '', /^Re: \[PATCH 2\/3\] /);
  assert.deepEqual(addressList(findings.mail.to), ['ada.marchetti@example.org']);
});

test('without --json, kbot says on stderr how many files it wrote and where', async () => {
  assert.equal(textRun.code, 0, textRun.stderr);
  assert.match(textRun.stderr, new RegExp(`wrote 1 reply file\\(s\\) to ${textOutbox.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  assert.equal((await readdir(textOutbox)).filter((n) => n.endsWith('.eml')).length, 1);
  assert.equal((await readdir(textOutbox)).length, 1, 'no temporary files left behind');
});

test('the JSON reply names its .eml: the same Message-ID, From and Date', () => {
  for (const r of json.series.flatMap((s) => s.replies)) {
    const e = emls.find((x) => x.mail.messageId === r.messageId);
    assert.ok(e, `an .eml with Message-ID ${r.messageId}: ${emls.map((x) => x.mail.messageId).join(', ')}`);
    assert.equal(e.name, `${bare(r.messageId)}.eml`);
    assert.equal(e.mail.date?.toISOString(), r.date);
    assert.deepEqual(addressList(e.mail.from), [/<([^>]+)>/.exec(r.from)?.[1]]);
  }
});

test('the same review twice writes the same files once: Message-IDs come from the review, not the clock', async () => {
  const mbox = join(ws.root, 'in.mbox');
  const again = await reviewJson([mbox, '--tree', ws.tree, '--config', ws.config, '--outbox', outbox]);
  const ids = (j: JsonReport) => j.series.flatMap((s) => s.replies.map((r) => r.messageId)).sort();
  assert.deepEqual(ids(again.json), ids(json));
  assert.deepEqual((await readdir(outbox)).sort(), emls.map((e) => e.name).sort());
  const quiet = join(ws.root, 'quiet.mbox');
  const text = await runKbot(['review', quiet, '--tree', ws.tree, '--config', ws.config, '--outbox', textOutbox]);
  assert.equal(text.code, 0, text.stderr);
  assert.equal((await readdir(textOutbox)).length, 1, 'still one file after the second run');
});
