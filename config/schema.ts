// The config file's shape. Keys stay snake_case in YAML and in TypeScript alike, so what a user writes is
// what the code reads. Objects are strict: a misspelt key is an error, not a silently ignored setting.
import { z } from 'zod';
import {
  DEFAULT_CC_CAP,
  DEFAULT_CHECKPATCH,
  DEFAULT_HOT_PATH,
  DEFAULT_GITHUB,
  DEFAULT_GITHUB_TOKEN_ENV,
  DEFAULT_PATCHWORK,
  DEFAULT_IDENTITY,
  DEFAULT_LIMITS,
  DEFAULT_PUBLIC_INBOX_BASE,
  DEFAULT_REPORT,
  DEFAULT_RERUN_HINT,
  DEFAULT_SIM,
  DEFAULT_SERVICE,
  defaultWorkDir,
} from './defaults.ts';

// zod compiles a parser for each object schema (new Function) the first time it parses one: ~10 ms of a
// `kbot sim` process for the config and scenario files, where each schema is parsed a few times. kbot's
// schemas are parsed a few times a process (config, scenarios) or once a queued job (small payloads), so the
// interpreted parser is the cheaper one. Set for the whole process, before any schema is used.
z.config({ jitless: true });

// Deliberately loose: "kbot@localhost" is a fine identity for a local run.
const emailAddress = z.string().regex(/^[^\s@<>,"]+@[^\s@<>,"]+$/, 'expected an e-mail address like name@example.org');

export const replyToSchema = z.enum(['author', 'list', 'all']);
export type ReplyTo = z.output<typeof replyToSchema>;

const policyFields = {
  /** author: the author only; list: the author and the list; all: everyone on the original To/Cc. */
  reply_to: replyToSchema.default('author'),
  /** Never reply to mail on this list. */
  mute: z.boolean().default(false),
  /** Sender addresses or globs ("*@bots.example.org") never replied to. */
  ignore_senders: z.array(z.string().min(1)).default([]),
};

export const listPolicySchema = z.strictObject({
  address: emailAddress.transform((a) => a.toLowerCase()),
  ...policyFields,
  /** `kbot serve`: at most `max` replies to this list per `per_seconds` (a BullMQ limiter on its send queue). */
  rate_limit: z.strictObject({
    max: z.number().int().positive(),
    per_seconds: z.number().positive(),
  }).default(DEFAULT_SERVICE.list_rate_limit),
});
export type ListPolicy = z.output<typeof listPolicySchema>;

export const defaultPolicySchema = z.strictObject(policyFields);
export type DefaultPolicy = z.output<typeof defaultPolicySchema>;

// YAML 1.2 reads `y`/`n` as strings; true/false are accepted too and mean y/n.
const kconfigValue = z.union([
  z.enum(['y', 'n', 'm']),
  z.boolean().transform((b): 'y' | 'n' => (b ? 'y' : 'n')),
  z.number().int(),
]);

export const simSchema = z.strictObject({
  kconfig: z.record(z.string().regex(/^CONFIG_[A-Z0-9_]+$/, 'expected a CONFIG_ name'), kconfigValue).default({}),
  max_states: z.number().int().positive().default(DEFAULT_SIM.max_states),
  max_seconds: z.number().positive().default(DEFAULT_SIM.max_seconds),
  walkers: z.number().int().min(1).max(8).default(DEFAULT_SIM.walkers),
  /** How deep tree functions are followed from an actor's entry; deeper calls return an unknown value. */
  max_call_depth: z.number().int().min(1).max(100).default(DEFAULT_SIM.max_call_depth),
  /** A call through a pointer field with more targets in the tree than this is an unknown call. */
  max_indirect_targets: z.number().int().min(1).max(64).default(DEFAULT_SIM.max_indirect_targets),
  /**
   * Besides one run per walker: runs where this many different walkers race each other on one page (each
   * walker in one such run). 0 or 1: none.
   */
  mixed_walkers: z.number().int().min(0).max(8).default(DEFAULT_SIM.mixed_walkers),
  /**
   * Threads a review's scenario runs are spread over (worker threads, each reading the trees itself), under
   * the one budget. 0: as many as the machine's cores.
   */
  jobs: z.number().int().min(0).max(64).default(DEFAULT_SIM.jobs),
  /**
   * A kernel .config (plain, .gz or .xz) whose options decide the tree's #if blocks; the options the
   * simulated paths need (sim/kconfig-defaults.ts) and `kconfig` above are laid over it.
   */
  kconfig_file: z.string().min(1).optional(),
  /**
   * The parse cache on disk (<work_dir>/parse-cache/): at most this many MiB, the least recently used entries
   * removed past it. 0: no cache on disk (the trees of one review still share their parses in memory).
   */
  parse_cache_mb: z.number().int().min(0).default(DEFAULT_SIM.parse_cache_mb),
  /** The parses one process keeps in memory (shared by its reviews: a service's), least recently used out first. */
  parse_cache_memory_mb: z.number().int().min(1).default(DEFAULT_SIM.parse_cache_memory_mb),
  facts: z.strictObject({
    /** How many callers up a page passed as an argument is followed to its source. */
    max_climb: z.number().int().min(0).max(20).default(DEFAULT_SIM.facts.max_climb),
    /** Path prefixes of the tree not searched for speculative references (not kernel code). */
    exclude: z.array(z.string()).default(DEFAULT_SIM.facts.exclude),
  }).prefault({}),
});

export const hotPathSchema = z.strictObject({
  /** Names or globs (`page_ref_*`) of functions always on a hot path. */
  functions: z.array(z.string().regex(/^[A-Za-z_*?][A-Za-z0-9_*?]*$/, 'expected a C name or a glob of one')).default(DEFAULT_HOT_PATH.functions),
  /** A static inline function of a header with at least this many call sites in the tree is hot. */
  min_call_sites: z.number().int().min(1).default(DEFAULT_HOT_PATH.min_call_sites),
  /** Path prefixes whose calls are not counted. */
  exclude: z.array(z.string()).default(DEFAULT_HOT_PATH.exclude),
  /** Levels of static inline callees read to count what an added test costs. */
  max_inline_depth: z.number().int().min(0).max(16).default(DEFAULT_HOT_PATH.max_inline_depth),
});

export const checkpatchSchema = z.strictObject({
  /** Run the tracked tree's scripts/checkpatch.pl (with perl) on each patch, where the tree has one. */
  enabled: z.boolean().default(DEFAULT_CHECKPATCH.enabled),
  /** Report its WARNINGs and CHECKs too (as info), not only its ERRORs. */
  warnings: z.boolean().default(DEFAULT_CHECKPATCH.warnings),
  /** A run on one patch that takes longer is stopped, and the report says so. */
  max_seconds: z.number().positive().default(DEFAULT_CHECKPATCH.max_seconds),
  /** The severity of a checkpatch ERROR (warning: mailed to the author; info: in the report only). */
  error_severity: z.enum(['warning', 'info']).default(DEFAULT_CHECKPATCH.error_severity),
});

const count = (d: number) => z.number().int().positive().default(d);
export const limitsSchema = z.strictObject({
  max_messages: count(DEFAULT_LIMITS.max_messages),
  max_series: count(DEFAULT_LIMITS.max_series),
  max_patches_per_series: count(DEFAULT_LIMITS.max_patches_per_series),
  max_thread_depth: count(DEFAULT_LIMITS.max_thread_depth),
  max_references: z.number().int().min(2).default(DEFAULT_LIMITS.max_references),
  max_blob_bytes: count(DEFAULT_LIMITS.max_blob_bytes),
  fetch_bytes: count(DEFAULT_LIMITS.fetch_bytes),
  fetch_seconds: z.number().positive().default(DEFAULT_LIMITS.fetch_seconds),
  git_seconds: z.number().positive().default(DEFAULT_LIMITS.git_seconds),
  series_seconds: z.number().positive().default(DEFAULT_LIMITS.series_seconds),
});
export type Limits = z.output<typeof limitsSchema>;

export const smtpSchema = z.strictObject({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(587),
  /** TLS from the first byte (port 465); otherwise STARTTLS when the server offers it. */
  secure: z.boolean().default(false),
  user: z.string().optional(),
  pass: z.string().optional(),
  /** Envelope sender; the identity's address when left out. */
  from: emailAddress.optional(),
});
export type SmtpConfig = z.output<typeof smtpSchema>;

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name');
const repoName = z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'expected owner/name');

export const githubSchema = z.strictObject({
  /** The environment variable holding the token (never the token itself in the file). */
  token_env: envName.default(DEFAULT_GITHUB_TOKEN_ENV),
  /** The repository of the tracked tree: where kbot looks for the series' pull request. */
  repo: repoName,
  /** Other tracked trees (a name of trees:, or the path given to kbot review --tree) → their repository. */
  trees: z.record(z.string().min(1), repoName).default({}),
  /** The REST API's base (GitHub Enterprise: https://host/api/v3). */
  api_url: z.url().default(DEFAULT_GITHUB.api_url),
  /** Where blob links point (GitHub Enterprise: https://host). */
  web_url: z.url().default(DEFAULT_GITHUB.web_url),
  /** An issue that gets the comment of a series with no pull request of its own. */
  tracking_issue: z.number().int().positive().optional(),
  /** Post a check run kbot/refcount with the findings as annotations. */
  check_run: z.boolean().default(true),
  /** The environment variable holding the webhook secret (X-Hub-Signature-256). */
  webhook_secret_env: envName.default(DEFAULT_GITHUB.webhook_secret_env),
  /** GitHub logins allowed to give /kbot commands besides users with write, maintain or admin permission. */
  commanders: z.array(z.string().regex(/^[A-Za-z0-9-]+(\[bot\])?$/, 'expected a GitHub login')).default([]),
});

export const patchworkSchema = z.strictObject({
  /** The Patchwork instance (https://patchwork.kernel.org); its REST API is <url>/api/. */
  url: z.url(),
  /** The environment variable holding the API token. */
  token_env: envName.default(DEFAULT_PATCHWORK.token_env),
  /** The check's context (its name on the patch). */
  context: z.string().regex(/^[\w.-]+$/, 'expected letters, digits, - . _').default(DEFAULT_PATCHWORK.context),
  /** A link on each check; {report} is replaced by the report id, {series} by the series key. */
  target_url: z.string().min(1).optional(),
});

export const commandsSchema = z.strictObject({
  /** Addresses whose signed mail may give #kbot commands (rerun, invalid, ignore). */
  maintainers: z.array(emailAddress.transform((a) => a.toLowerCase())).default([]),
  /** Also accept the M: addresses the tree's MAINTAINERS file gives for the files the series touches. */
  maintainers_file: z.boolean().default(false),
});

export const configSchema = z.strictObject({
  identity: z
    .strictObject({
      name: z.string().min(1).default(DEFAULT_IDENTITY.name),
      email: emailAddress.default(DEFAULT_IDENTITY.email),
    })
    .prefault({}),
  work_dir: z.string().min(1).default(() => defaultWorkDir()),
  // Only http(s): the base is fetched and its URLs are printed in replies.
  public_inbox_base: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }).default(DEFAULT_PUBLIC_INBOX_BASE),
  /** Tree tag in the subject ("mm-unstable") → branch in the tree to apply on. */
  branch_map: z.record(z.string().min(1), z.string().min(1)).default({}),
  lists: z.array(listPolicySchema).default([]),
  /** For messages sent to none of the lists above. */
  default_policy: defaultPolicySchema.prefault({}),
  cc_cap: z.number().int().min(0).default(DEFAULT_CC_CAP),
  reply_on_apply_failure: z.boolean().default(true),
  rerun_hint: z.string().default(DEFAULT_RERUN_HINT),
  report: z
    .strictObject({
      /**
       * A domain for one address per report in the Reported-by: tag, <local part>+<report id>@domain (as
       * syzbot's), so mail about a report can be told apart; the identity's address when left out.
       */
      domain: z.string().regex(/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$/, 'expected a domain like bots.example.org').optional(),
      /** Where reports are archived: a Closes: tag gives <archive_url>/<report id>. */
      archive_url: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }).optional(),
      /** Steps of an interleaving shown in a reply; a longer one shows its start and end, and says so. */
      max_trace_steps: z.number().int().min(10).default(DEFAULT_REPORT.max_trace_steps),
      /** A line in the signature saying whom to ask about a report (false positives, questions). */
      contact: z.string().min(1).default(DEFAULT_REPORT.contact),
    })
    .prefault({}),
  sim: simSchema.prefault({}),
  hot_path: hotPathSchema.prefault({}),
  checkpatch: checkpatchSchema.prefault({}),

  limits: limitsSchema.prefault({}),
  smtp: smtpSchema.optional(),
  github: githubSchema.optional(),
  patchwork: patchworkSchema.optional(),
  /** Maintainer commands (#kbot rerun, invalid, ignore) by signed mail; left out, no command is read. */
  commands: commandsSchema.optional(),
  /** The queue service's Redis (`kbot serve`, `kbot worker`, `kbot status`). */
  redis: z.strictObject({
    url: z.string().regex(/^rediss?:\/\//, 'expected a redis:// or rediss:// URL').default(DEFAULT_SERVICE.redis_url),
    /**
     * Every key kbot and BullMQ write starts with it. For a Redis Cluster give a hash tag, `{kbot}`: every key
     * then lives in one slot, as BullMQ's scripts and flows (which touch several queues' keys at once) need.
     */
    prefix: z.string().min(1).regex(/^[^\s:]+$/, 'expected no spaces or colons').default(DEFAULT_SERVICE.redis_prefix),
    /** Cluster nodes (redis:// URLs); when given, kbot connects to a Redis Cluster through them instead of `url`. */
    cluster_nodes: z.array(z.string().regex(/^redis:\/\//)).default([]),
  }).prefault({}),
  /** The tracked trees series are applied to, by name; each source names one. */
  trees: z.array(z.strictObject({
    name: z.string().regex(/^[\w.-]+$/),
    path: z.string().min(1),
    /** Remotes fetched by the tree-update job (all configured remotes when left out). */
    remotes: z.array(z.string().min(1)).optional(),
    /** How often the tree-update job fetches them; 0: never. */
    fetch_interval_seconds: z.number().min(0).default(DEFAULT_SERVICE.fetch_interval_seconds),
    /** At most this many series are applied to the tree at once by one worker process (scratch dirs under work_dir/pool/). */
    pool_size: z.number().int().min(1).default(DEFAULT_SERVICE.pool_size),
    /** Applied series stay reachable under refs/kbot/applied/ this long, so a report's reproduce command works. */
    keep_applied_days: z.number().min(0).default(DEFAULT_SERVICE.keep_applied_days),
  })).default([]),
  /** Where `kbot serve` reads mail from. */
  sources: z.array(z.strictObject({
    name: z.string().regex(/^[\w.-]+$/),
    type: z.enum(['public-inbox', 'maildir']),
    /** public-inbox: a v2 inbox (git/N.git), a v1 or one epoch, as a path or a git URL; maildir: a path. */
    url: z.string().min(1),
    /** The tracked tree (trees[].name) this source's series are applied to; the first tree when left out. */
    tree: z.string().optional(),
    interval_seconds: z.number().positive().default(DEFAULT_SERVICE.poll_interval_seconds),
    /** public-inbox: on the first poll, queue the whole archive (beginning) or only what comes after (now). */
    start: z.enum(['beginning', 'now']).default('now'),
  })).default([]),
  service: z.strictObject({
    /** HTTP health (/healthz), metrics (/metrics) and the dashboard (/admin/queues); port 0 picks a free one. */
    http_host: z.string().default('127.0.0.1'),
    http_port: z.number().int().min(0).max(65535).default(DEFAULT_SERVICE.http_port),
    /** The environment variable holding the dashboard's token; with none set the dashboard is off. */
    admin_token_env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).default(DEFAULT_SERVICE.admin_token_env),
    /** How long a series waits for its missing parts before it is reviewed without them. */
    series_wait_seconds: z.number().min(0).default(DEFAULT_SERVICE.series_wait_seconds),
    /** Tries of a job that fails with a transient error, with exponential backoff from backoff_seconds. */
    attempts: z.number().int().min(1).default(DEFAULT_SERVICE.attempts),
    backoff_seconds: z.number().positive().default(DEFAULT_SERVICE.backoff_seconds),
    /** A worker that stops renewing a job's lock this long is taken for dead; the job goes back to the queue. */
    lock_seconds: z.number().positive().default(DEFAULT_SERVICE.lock_seconds),
    /** Jobs run at once per worker process, by stage. */
    concurrency: z.strictObject({
      ingest: z.number().int().min(1).default(4),
      series: z.number().int().min(1).default(4),
      apply: z.number().int().min(1).default(1),
      analyze: z.number().int().min(1).default(4),
      analyzer: z.number().int().min(1).default(1),
      report: z.number().int().min(1).default(2),
      send: z.number().int().min(1).default(1),
      'tree-update': z.number().int().min(1).default(1),
      /** Maintainer commands (mail and GitHub). */
      command: z.number().int().min(1).default(2),
    }).prefault({}),
    /** Finished jobs are kept this long (their ids are what dedupes a message delivered twice); failed ones until removed. */
    keep_days: z.number().positive().default(DEFAULT_SERVICE.keep_days),
    /** Without smtp, replies are written here as .eml (default <work_dir>/outbox). */
    outbox_dir: z.string().min(1).optional(),
    /** `kbot status` lists at most this many failed jobs per queue (and says how many more there are). */
    status_failed_limit: z.number().int().min(1).default(20),
    log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
  }).prefault({}),
});

type ParsedConfig = z.output<typeof configSchema>;
export type ServiceConfig = ParsedConfig['service'];
export type TreeConfig = ParsedConfig['trees'][number];
export type SourceConfig = ParsedConfig['sources'][number];

/** The validated config with every default filled in, and secrets taken from the environment. */
export type KbotConfig = Omit<ParsedConfig, 'github' | 'patchwork'> & {
  /** token and webhook_secret are filled by readConfig from the environment, never read from the file. */
  github?: NonNullable<ParsedConfig['github']> & { token?: string; webhook_secret?: string };
  patchwork?: NonNullable<ParsedConfig['patchwork']> & { token?: string };
};
