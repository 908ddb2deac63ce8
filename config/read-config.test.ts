import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from './config-error.ts';
import { parseConfig, readConfig } from './read-config.ts';

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'kbot-config-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    return e.problems;
  }
  assert.fail('expected a ConfigError');
}

test('no file: every default', () => {
  const c = readConfig(undefined, {});
  assert.equal(c.identity.name, 'kbot');
  assert.equal(c.identity.email, 'kbot@localhost');
  assert.equal(c.work_dir, join(tmpdir(), 'kbot'));
  assert.equal(c.public_inbox_base, 'https://lore.kernel.org/all');
  assert.equal(c.cc_cap, 10);
  assert.equal(c.reply_on_apply_failure, true);
  assert.deepEqual(c.default_policy, { reply_to: 'author', mute: false, ignore_senders: [] });
  assert.deepEqual(c.lists, []);
  assert.equal(c.smtp, undefined);
  assert.equal(c.github, undefined);
});

test('an empty YAML file means all defaults', () => {
  withDir((dir) => {
    const f = join(dir, 'kbot.yaml');
    writeFileSync(f, '# nothing here\n');
    assert.deepEqual(readConfig(f, {}), readConfig(undefined, {}));
  });
});

test('the example config reads, and its values win over the defaults', () => {
  const c = readConfig(join(import.meta.dirname, 'kbot.example.yaml'), {});
  assert.equal(c.branch_map['mm-unstable'], 'mm-unstable');
  assert.equal(c.lists[0]!.address, 'linux-mm@kvack.org');
  assert.equal(c.lists[0]!.reply_to, 'list');
  assert.deepEqual(c.lists[0]!.ignore_senders, ['*@kernel-robots.example.org']);
  // a list entry that leaves keys out still gets them
  assert.deepEqual(c.lists[1]!.ignore_senders, []);
  assert.equal(c.sim.kconfig.CONFIG_MMU, 'y');
  assert.equal(c.sim.kconfig.CONFIG_DEBUG_VM, 'n');
  assert.equal(c.sim.max_states, 200000);
});

test('partial nested sections are completed from the defaults', () => {
  const c = parseConfig({ identity: { email: 'bot@example.org' }, sim: { walkers: 2, kconfig: { CONFIG_NR_CPUS: 4, CONFIG_SMP: true } } });
  assert.deepEqual(c.identity, { name: 'kbot', email: 'bot@example.org' });
  assert.equal(c.sim.walkers, 2);
  assert.equal(c.sim.max_seconds, 20);
  assert.deepEqual(c.sim.kconfig, { CONFIG_NR_CPUS: 4, CONFIG_SMP: 'y' });
});

test('a bad value names its key path', () => {
  assert.deepEqual(problemsOf(() => parseConfig({ lists: [{ address: 'linux-mm@kvack.org', reply_to: 'everyone' }] })), [
    'lists[0].reply_to: expected one of author|list|all',
  ]);
  assert.deepEqual(problemsOf(() => parseConfig({ cc_cap: 'ten' })), ['cc_cap: expected number, got string "ten"']);
  assert.deepEqual(problemsOf(() => parseConfig({ sim: { kconfig: { CONFIG_X: 'maybe' } } })), [
    'sim.kconfig.CONFIG_X: expected y, n, m or a number',
  ]);
  assert.deepEqual(problemsOf(() => parseConfig({ smtp: { port: 25 } })), ['smtp.host: expected string, got nothing']);
});

test('a misspelt key is an error, not ignored', () => {
  assert.deepEqual(problemsOf(() => parseConfig({ lists: [{ address: 'a@b.org', replyto: 'all' }] })), [
    'lists[0]: unknown key replyto',
  ]);
});

test('every problem is reported, and the message names the file', () => {
  withDir((dir) => {
    const f = join(dir, 'kbot.yaml');
    writeFileSync(f, 'identity:\n  email: not-an-address\ncc_cap: -1\n');
    try {
      readConfig(f, {});
      assert.fail('expected a ConfigError');
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      assert.equal(e.problems.length, 2);
      assert.match(e.message, /^identity\.email: expected an e-mail address/m);
      assert.match(e.message, /^cc_cap: /m);
      assert.ok(e.message.includes(f));
    }
  });
});

test('unreadable file and broken YAML become ConfigErrors', () => {
  withDir((dir) => {
    const missing = join(dir, 'nope.yaml');
    assert.match(problemsOf(() => readConfig(missing, {}))[0]!, /^cannot read the config file: .*ENOENT/);
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'lists: [\n  - address: x\n');
    assert.match(problemsOf(() => readConfig(broken, {}))[0]!, /^not valid YAML: /);
  });
});

test('secrets come from the environment', () => {
  withDir((dir) => {
    const f = join(dir, 'kbot.yaml');
    writeFileSync(f, 'smtp:\n  host: smtp.example.org\n  pass: from-file\ngithub:\n  repo: example/linux\n');
    const c = readConfig(f, { KBOT_SMTP_PASS: 'from-env', KBOT_GITHUB_TOKEN: 'ghp_test' });
    assert.equal(c.smtp?.pass, 'from-env');
    assert.equal(c.smtp?.port, 587);
    assert.equal(c.github?.token, 'ghp_test');
    const noEnv = readConfig(f, {});
    assert.equal(noEnv.smtp?.pass, 'from-file');
    assert.equal(noEnv.github?.token, undefined);
  });
});

test('github.token_env picks the variable, and a token in the file is refused', () => {
  const c = readConfig(undefined, {});
  assert.equal(c.github, undefined);
  withDir((dir) => {
    const f = join(dir, 'kbot.yaml');
    writeFileSync(f, 'github:\n  repo: example/linux\n  token_env: MY_TOKEN\n');
    assert.equal(readConfig(f, { MY_TOKEN: 't1', KBOT_GITHUB_TOKEN: 't2' }).github?.token, 't1');
    writeFileSync(f, 'github:\n  repo: example/linux\n  token: secret\n');
    assert.deepEqual(problemsOf(() => readConfig(f, {})), ['github: unknown key token']);
  });
});

test('report: a per-report domain and an archive URL are optional, validated, and the contact line has a default', () => {
  const c = parseConfig({});
  assert.equal(c.report.domain, undefined);
  assert.equal(c.report.archive_url, undefined);
  assert.match(c.report.contact, /reply to this mail/);
  const set = parseConfig({ report: { domain: 'bots.example.org', archive_url: 'https://kbot.example.org/r', contact: 'Ask kbot-admins@example.org.' } });
  assert.equal(set.report.domain, 'bots.example.org');
  assert.equal(set.report.archive_url, 'https://kbot.example.org/r');
  const problems = problemsOf(() => parseConfig({ report: { domain: 'kbot@bots.example.org', archive_url: 'not a url', contakt: 'x' } }));
  assert.ok(problems.some((p) => /report\.domain/.test(p) && /domain like/.test(p)), problems.join('\n'));
  assert.ok(problems.some((p) => /report\.archive_url/.test(p)), problems.join('\n'));
  assert.ok(problems.some((p) => /contakt/.test(p)), problems.join('\n'));
});

test('hot_path and checkpatch: defaults, and a bad value names its key', () => {
  const c = parseConfig({});
  assert.ok(c.hot_path.functions.includes('put_page') && c.hot_path.functions.includes('page_ref_*'));
  assert.equal(c.hot_path.min_call_sites, 200);
  assert.equal(c.hot_path.max_inline_depth, 4);
  assert.deepEqual(c.checkpatch, { enabled: true, warnings: false, max_seconds: 60, error_severity: 'warning' });
  assert.deepEqual(parseConfig({ checkpatch: { warnings: true, error_severity: 'info' } }).checkpatch.error_severity, 'info');
  const problems = problemsOf(() => parseConfig({ hot_path: { min_call_sites: 0, functions: ['put page'] }, checkpatch: { max_seconds: -1, error_severity: 'error' } }));
  for (const key of ['hot_path.min_call_sites', 'hot_path.functions[0]', 'checkpatch.max_seconds', 'checkpatch.error_severity']) {
    assert.ok(problems.some((p) => p.startsWith(`${key}:`)), `${key} in ${problems.join(' | ')}`);
  }
});
