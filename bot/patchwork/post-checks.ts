// Patchwork checks: each patch of the series gets a check (context kbot-refcount by default) with a state,
// a one-line description and, when configured, a link. Patchwork's REST API is small and plain JSON, so
// node's fetch talks to it: GET /api/patches/?msgid= finds a patch by its Message-ID, POST
// /api/patches/{id}/checks/ adds a check (Authorization: Token <token>, maintainer rights on the project).
import type { Finding } from '../../analyzers/types.ts';
import type { KbotConfig } from '../../config/schema.ts';
import type { ApplyResult, Series } from '../types.ts';
import { bareId, sameId } from '../report/message-id.ts';

export type PatchworkConfig = NonNullable<KbotConfig['patchwork']>;
export type CheckState = 'pending' | 'success' | 'warning' | 'fail';

export interface PatchworkPatch {
  id: number;
  msgid: string;
  series: Array<{ id: number; version: number }>;
}

export class PatchworkError extends Error {
  override name = 'PatchworkError';
}

async function call(pw: PatchworkConfig, method: 'GET' | 'POST', path: string, body?: unknown): Promise<any> {
  const url = `${pw.url.replace(/\/+$/, '')}/api${path}`;
  const res = await fetch(url, {
    method,
    headers: { accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}), ...(pw.token ? { authorization: `Token ${pw.token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new PatchworkError(`patchwork: ${method} ${url}: ${res.status} ${text.slice(0, 200)}`);
  return text ? JSON.parse(text) : null;
}

/** The Patchwork patch of a Message-ID, or null when Patchwork has none. */
export async function findPatch(pw: PatchworkConfig, messageId: string): Promise<PatchworkPatch | null> {
  const list = (await call(pw, 'GET', `/patches/?msgid=${encodeURIComponent(bareId(messageId))}`)) as PatchworkPatch[];
  return list.find((p) => sameId(p.msgid, messageId)) ?? null;
}

/** A patch's check state: the worst finding introduced by that patch; a series that did not apply warns on every patch. */
export function checkFor(apply: ApplyResult, findings: Finding[], messageId: string): { state: CheckState; description: string } {
  if (apply.status === 'failed' || apply.status === 'refused') {
    return { state: 'warning', description: `not reviewed: the series ${apply.status === 'failed' ? 'does not apply' : 'was refused'}${apply.base ? ` on ${apply.base.commit.slice(0, 12)}` : ''}` };
  }
  const mine = findings.filter((f) => f.patch && sameId(f.patch, messageId));
  const errors = mine.filter((f) => f.severity === 'error').length;
  const warnings = mine.filter((f) => f.severity === 'warning').length;
  if (errors) return { state: 'fail', description: `${errors} error(s)${warnings ? `, ${warnings} warning(s)` : ''}: ${mine[0]!.title}` };
  if (warnings) return { state: 'warning', description: `${warnings} warning(s): ${mine[0]!.title}` };
  return { state: 'success', description: 'no refcount problem found' };
}

export interface PatchworkPosted {
  checks: Array<{ patch: number; messageId: string; state: CheckState }>;
  /** The series' Patchwork id (kernel-patches-daemon's branch names it). */
  seriesId?: number;
  notes: string[];
}

/**
 * Posts one check per patch of the series. `pending` says a review is under way (the queue posts it when the
 * series is queued); otherwise the state follows the findings. A patch Patchwork does not know is said in
 * the notes, never skipped in silence.
 */
export async function postPatchworkChecks(
  pw: PatchworkConfig,
  review: { series: Series; apply: ApplyResult; findings: Finding[]; reportId?: string; seriesKey: string },
  pending = false,
): Promise<PatchworkPosted> {
  const out: PatchworkPosted = { checks: [], notes: [] };
  if (review.apply.status === 'skipped' && !pending) {
    out.notes.push(`patchwork: no checks: the series was skipped (${review.apply.detail ?? 'not reviewed'})`);
    return out;
  }
  for (const m of review.series.patches) {
    if (!m) continue;
    const patch = await findPatch(pw, m.messageId);
    if (!patch) {
      out.notes.push(`patchwork: ${pw.url} has no patch ${m.messageId}: no check posted for it`);
      continue;
    }
    out.seriesId ??= patch.series[0]?.id;
    const c = pending ? { state: 'pending' as const, description: 'kbot is reviewing this series' } : checkFor(review.apply, review.findings, m.messageId);
    const target = pw.target_url?.replace(/\{report\}/g, review.reportId ?? '').replace(/\{series\}/g, review.seriesKey);
    await call(pw, 'POST', `/patches/${patch.id}/checks/`, {
      state: c.state,
      context: pw.context,
      description: c.description,
      ...(target ? { target_url: target } : {}),
    });
    out.checks.push({ patch: patch.id, messageId: m.messageId, state: c.state });
  }
  out.notes.push(`patchwork: ${out.checks.length} check(s) posted (${out.checks.map((c) => `${c.patch} ${c.state}`).join(', ') || 'none'})`);
  return out;
}
