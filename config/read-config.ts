// Reads, validates and completes kbot's config. The only I/O is reading the one file it is given.
import { readFileSync, statSync } from 'node:fs';
import { parseDocument, visit, YAMLParseError } from 'yaml';
import { MAX_CONFIG_BYTES } from './defaults.ts';
import type { z } from 'zod';
import { ConfigError } from './config-error.ts';
import { configSchema, type KbotConfig } from './schema.ts';

// Callers import everything about config from here.
export type { KbotConfig } from './schema.ts';
export { ConfigError } from './config-error.ts';

/** Validates config data (as parsed from YAML) and fills in defaults. Throws ConfigError. */
export function parseConfig(data: unknown): KbotConfig {
  // An empty YAML file parses to null: that is "all defaults", not an error.
  const r = configSchema.safeParse(data ?? {}, { reportInput: true });
  if (!r.success) throw new ConfigError(r.error.issues.map(describeIssue));
  return r.data;
}

/**
 * Reads the YAML config file (defaults only when `file` is undefined), validates it, and applies the
 * secret overrides from `env`: KBOT_SMTP_PASS, and the GitHub token from the variable named by
 * github.token_env (KBOT_GITHUB_TOKEN by default).
 */
export function readConfig(file: string | undefined, env: Record<string, string | undefined>): KbotConfig {
  let data: unknown = {};
  if (file !== undefined) {
    let text: string;
    try {
      const size = statSync(file).size;
      if (size > MAX_CONFIG_BYTES) throw new ConfigError([`the config file is ${size} bytes, over the limit of ${MAX_CONFIG_BYTES} bytes`], file);
      text = readFileSync(file, 'utf8');
    } catch (e) {
      if (e instanceof ConfigError) throw e;
      throw new ConfigError([`cannot read the config file: ${(e as Error).message}`], file);
    }
    try {
      data = parseYamlOnce(text);
    } catch (e) {
      const msg = e instanceof YAMLParseError ? e.message : String(e);
      throw new ConfigError([`not valid YAML: ${msg}`], file);
    }
  }
  let config: KbotConfig;
  try {
    config = parseConfig(data);
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigError(e.problems, file);
    throw e;
  }
  return applySecrets(config, env);
}

/**
 * YAML with each key at most once per mapping. The yaml library's own check compares every key with every
 * earlier one (quadratic: minutes on a mapping of 100,000 keys); this one keeps a set per mapping.
 */
function parseYamlOnce(text: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: false });
  if (doc.errors.length) throw doc.errors[0];
  let duplicate: string | null = null;
  visit(doc, {
    Map(_, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        const key = String((pair.key as { value?: unknown } | null)?.value ?? pair.key);
        if (seen.has(key)) {
          duplicate = key;
          return visit.BREAK;
        }
        seen.add(key);
      }
      return undefined;
    },
  });
  if (duplicate !== null) throw new YAMLParseError([0, 0], 'DUPLICATE_KEY', `Map keys must be unique ("${duplicate}" is given twice)`);
  return doc.toJS();
}

function applySecrets(config: KbotConfig, env: Record<string, string | undefined>): KbotConfig {
  const out: KbotConfig = { ...config };
  const smtpPass = env.KBOT_SMTP_PASS;
  if (out.smtp && smtpPass) out.smtp = { ...out.smtp, pass: smtpPass };
  if (out.github) {
    const token = env[out.github.token_env];
    const secret = env[out.github.webhook_secret_env];
    out.github = { ...out.github, ...(token ? { token } : {}), ...(secret ? { webhook_secret: secret } : {}) };
  }
  if (out.patchwork) {
    const token = env[out.patchwork.token_env];
    out.patchwork = { ...out.patchwork, ...(token ? { token } : {}) };
  }
  return out;
}

/** "lists[0].reply_to: expected one of author|list|all" */
function describeIssue(issue: z.core.$ZodIssue): string {
  const path = formatPath(issue.path);
  const where = path === '' ? '(top level)' : path;
  return `${where}: ${describeProblem(issue)}`;
}

function describeProblem(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_value':
      return issue.values.length === 1
        ? `expected ${String(issue.values[0])}`
        : `expected one of ${issue.values.map(String).join('|')}`;
    case 'invalid_type':
      return `expected ${expectedName(issue.expected)}${issue.input === undefined ? ', got nothing' : `, got ${typeName(issue.input)}`}`;
    case 'unrecognized_keys':
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`;
    case 'invalid_key':
      return `bad key: ${issue.issues[0]?.message ?? issue.message}`;
    case 'invalid_union':
      return 'expected y, n, m or a number';
    default:
      return issue.message;
  }
}

function expectedName(t: string): string {
  return t === 'object' ? 'a mapping' : t === 'array' ? 'a list' : t;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out;
}
