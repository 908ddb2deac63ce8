import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testRedis } from '../../test/support/test-redis.ts';
import { CommandRefused, executeCommands } from './execute-commands.ts';
import { parseCommands } from './parse-commands.ts';
import { RunHistory } from './run-record.ts';
import { TriageStore } from './triage-store.ts';

test('a rerun kbot cannot do is answered with why, the other commands of the mail still count, and a second rerun in one mail is said', async () => {
  const r = await testRedis();
  try {
    const asked: string[] = [];
    const out = await executeCommands(
      {
        channel: 'mail',
        by: 'akpm@kernel.org',
        via: '<c@kernel.org>',
        thread: { seriesKey: 'k', seriesId: '<s@x>', title: 't', tree: 'linux', bucket: '<s@x>', version: 2 },
        commands: parseCommands('#kbot rerun net/main\n#kbot ignore page-leak\n#kbot rerun\n#kbot rerun'),
        at: new Date('2026-01-01T00:00:00Z'),
      },
      {
        triage: new TriageStore(r.redis, r.prefix),
        history: new RunHistory(r.redis, r.prefix),
        rerun: async (q) => {
          asked.push(q.on ? `${q.on.tree}/${q.on.branch}` : 'HEAD');
          if (q.on) throw new CommandRefused(`this series is tracked on linux; name a branch of it: #kbot rerun linux/<branch>`);
          return 'job 1';
        },
      },
    );
    assert.deepEqual(asked, ['net/main', 'HEAD']);
    assert.deepEqual(out.reruns.map((q) => [q.seriesId, q.tree, q.bucket, q.version]), [['<s@x>', 'linux', '<s@x>', 2]]);
    assert.deepEqual(out.reply.split('\n').filter(Boolean).map((l) => l.slice(0, 40)), [
      'No rerun: this series is tracked on linu',
      'Ignored: page-leak. kbot does not report',
      "Rerun queued (job 1): kbot applies the s",
      '"#kbot rerun": one rerun per message; th',
    ]);
    assert.deepEqual((await new TriageStore(r.redis, r.prefix).list('k')).map((e) => [e.kind, e.what, e.by, e.via]), [['ignore', 'page-leak', 'akpm@kernel.org', '<c@kernel.org>']]);
  } finally {
    await r.cleanup();
  }
});
