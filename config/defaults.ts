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
  max_trace_steps: 120,
} as const;

export const DEFAULT_SIM = {
  max_states: 200_000,
  max_seconds: 20,
  walkers: 1,
  max_call_depth: 12,
  max_indirect_targets: 4,
  mixed_walkers: 2,
  jobs: 0,
  parse_cache_mb: 512,
  parse_cache_memory_mb: 128,
  facts: { max_climb: 6, exclude: ['Documentation/', 'tools/', 'scripts/', 'samples/'] },
};

/**
 * Functions on every hot path of the kernel, whatever their call-site count: the page refcount API. A static
 * inline function of a header is hot too when the tree calls it from min_call_sites places or more.
 */
export const DEFAULT_HOT_PATH = {
  functions: ['put_page', 'get_page', 'folio_put', 'folio_get', 'page_ref_*', 'folio_ref_*', '__free_pages', 'mark_page_accessed'],
  min_call_sites: 200,
  exclude: ['Documentation/', 'tools/', 'scripts/', 'samples/'],
  max_inline_depth: 4,
};

export const DEFAULT_CHECKPATCH = {
  enabled: true,
  warnings: false,
  max_seconds: 60,
  error_severity: 'warning' as const,
};

/**
 * Bounds on what one input may cost (issue 10: patch mail is untrusted). Each one hit is said in the output,
 * naming its key; nothing is dropped without a word.
 */
export const DEFAULT_LIMITS = {
  /** Messages read from one input; the rest are rejected, each with the reason. */
  max_messages: 2_000,
  /** Series reviewed from one input; the rest are listed as skipped. */
  max_series: 200,
  /** Patches in one series (the N of [PATCH i/N]); a larger N is not allocated, the series is skipped. */
  max_patches_per_series: 500,
  /** How far In-Reply-To/References are followed up a thread. */
  max_thread_depth: 1_000,
  /** References kept from a message, and written in a reply's References header (the first and the last ones). */
  max_references: 20,
  /** Bytes of one blob read from the tree (by the analyzers and the simulator). */
  max_blob_bytes: 16 * 1024 * 1024,
  /** Bytes of a fetched thread (compressed, as it arrives) and seconds before the fetch is given up. */
  fetch_bytes: 64 * 1024 * 1024,
  fetch_seconds: 60,
  /** Seconds one git command applying a patch may take before it is killed. */
  git_seconds: 120,
  /** Seconds one series may take from base to reply; past it, the series is reported as out of time. */
  series_seconds: 600,
};

/** Bytes of the config file itself (a constant: the file cannot bound its own reading). */
export const MAX_CONFIG_BYTES = 1024 * 1024;

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
