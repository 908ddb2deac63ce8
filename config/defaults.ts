// The values a setting takes when the config file leaves it out. Kept apart from the schema so a reader
// sees every default in one place.
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const DEFAULT_IDENTITY = { name: 'kbot', email: 'kbot@localhost' } as const;

export const DEFAULT_PUBLIC_INBOX_BASE = 'https://lore.kernel.org/all';

export const DEFAULT_CC_CAP = 10;

// Empty: a reply says what the commands: section allows (bot/commands/commands-hint.ts), and nothing
// without one. A non-empty rerun_hint is said instead.
export const DEFAULT_RERUN_HINT = '';

export const DEFAULT_REPORT = {
  contact: 'Questions, and reports kbot got wrong: please reply to this mail.',
} as const;

export const DEFAULT_SIM = {
  max_states: 200_000,
  max_seconds: 20,
  walkers: 1,
  max_call_depth: 12,
  max_indirect_targets: 4,
  facts: { max_climb: 6, exclude: ['Documentation/', 'tools/', 'scripts/', 'samples/'] },
};

export const DEFAULT_GITHUB_TOKEN_ENV = 'KBOT_GITHUB_TOKEN';

export const DEFAULT_GITHUB = {
  api_url: 'https://api.github.com',
  web_url: 'https://github.com',
  webhook_secret_env: 'KBOT_GITHUB_WEBHOOK_SECRET',
} as const;

export const DEFAULT_PATCHWORK = { token_env: 'KBOT_PATCHWORK_TOKEN', context: 'kbot-refcount' } as const;

/** Computed on call, not at import, so a test that changes TMPDIR sees its own value. */
export function defaultWorkDir(): string {
  return join(tmpdir(), 'kbot');
}

/** `kbot serve` and its workers. */
export const DEFAULT_SERVICE = {
  redis_url: 'redis://127.0.0.1:6379',
  redis_prefix: 'kbot',
  http_port: 8025,
  admin_token_env: 'KBOT_ADMIN_TOKEN',
  series_wait_seconds: 3600,
  attempts: 5,
  backoff_seconds: 10,
  lock_seconds: 30,
  keep_days: 14,
  poll_interval_seconds: 60,
  fetch_interval_seconds: 3600,
  pool_size: 2,
  keep_applied_days: 90,
  list_rate_limit: { max: 20, per_seconds: 60 },
} as const;
