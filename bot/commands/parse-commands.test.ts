import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCommands, unknownCommandReply } from './parse-commands.ts';

test('commands are lines that start with #kbot; several per message; quoted lines and other text are not commands', () => {
  const body = [
    'On Mon, kbot wrote:',
    '> #kbot rerun',
    '> error: memory_failure() can take a reference on a free page.',
    '',
    'This is a false positive, the walker holds the lock.',
    '#kbot invalid 0123456789',
    '#kbot ignore page-life-change',
    '  #kbot rerun',
    '#kbotrerun',
    '#kbot rerun mm/mm-unstable',
  ].join('\n');
  assert.deepEqual(parseCommands(body).map((c) => ({ ...c, line: undefined })), [
    { kind: 'invalid', findingId: '0123456789', line: undefined },
    { kind: 'ignore', category: 'page-life-change', line: undefined },
    { kind: 'rerun-on', tree: 'mm', branch: 'mm-unstable', line: undefined },
  ]);
});

test('an unknown command, a bad finding id and a bad category are unknown, with why; the reply lists the valid commands', () => {
  const cmds = parseCommands('#kbot frobnicate\n#kbot invalid xyz\n#kbot ignore races\n#kbot\n#kbot rerun a b');
  assert.deepEqual(cmds.map((c) => c.kind), ['unknown', 'unknown', 'unknown', 'unknown', 'unknown']);
  const reply = unknownCommandReply(cmds.filter((c) => c.kind === 'unknown'));
  const prose = reply.replace(/\n(?=\S)/g, ' ');
  assert.match(prose, /^kbot did not understand "#kbot frobnicate": 'frobnicate' is not a command\./);
  assert.match(prose, /"#kbot ignore races": 'races' is not a category \(speculative-get-on-free-page, double-free/);
  for (const c of ['#kbot rerun ', '#kbot rerun <tree>/<branch>', '#kbot invalid <finding-id>', '#kbot ignore <category>']) assert.ok(reply.includes(c), c);
  assert.ok(reply.split('\n').every((l) => l.length <= 80));
});

test('on GitHub the prefix is /kbot', () => {
  assert.deepEqual(parseCommands('/kbot rerun\n#kbot rerun', '/kbot').map((c) => c.kind), ['rerun']);
});
