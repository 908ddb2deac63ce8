// The values a setting takes when the config file leaves it out. Kept apart from the schema so a reader
// sees every default in one place.
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const DEFAULT_IDENTITY = { name: 'kbot', email: 'kbot@localhost' } as const;

export const DEFAULT_PUBLIC_INBOX_BASE = 'https://lore.kernel.org/all';

export const DEFAULT_CC_CAP = 10;

// No reply promises a command nothing reads yet: set rerun_hint once a reply channel takes maintainer commands.
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
  mixed_walkers: 2,
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

export const DEFAULT_GITHUB_TOKEN_ENV = 'KBOT_GITHUB_TOKEN';

/** Computed on call, not at import, so a test that changes TMPDIR sees its own value. */
export function defaultWorkDir(): string {
  return join(tmpdir(), 'kbot');
}
