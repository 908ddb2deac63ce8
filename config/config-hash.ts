// A short fingerprint of the effective config (defaults filled in), for the JSON report: two reports with the
// same hash were made under the same settings. Secrets (the SMTP password, the GitHub token) are left out.
import { createHash } from 'node:crypto';
import type { KbotConfig } from './schema.ts';

export function configHash(config: KbotConfig): string {
  const clean = structuredClone(config) as KbotConfig & { smtp?: { pass?: string } };
  if (clean.smtp) delete clean.smtp.pass;
  if (clean.github) {
    delete clean.github.token;
    delete clean.github.webhook_secret;
  }
  if (clean.patchwork) delete clean.patchwork.token;
  return `sha256:${createHash('sha256').update(canonicalJson(clean)).digest('hex').slice(0, 16)}`;
}

/** JSON with object keys sorted, so the hash does not depend on the order keys were written in. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}
