// The check run kbot/refcount: completed, with a conclusion (failure: an error finding; neutral: warnings
// only, or the series was not reviewed; success: nothing found) and each finding as an annotation on the
// file:line it is about. GitHub takes at most 50 annotations per request; the rest are added by updates of
// the same check run, 50 at a time, so none is dropped.
import type { Octokit } from 'octokit';
import type { Finding } from '../../analyzers/types.ts';
import type { ApplyResult } from '../types.ts';
import { findingId } from '../commands/finding-id.ts';

export const CHECK_NAME = 'kbot/refcount';
const ANNOTATIONS_PER_REQUEST = 50;

export type Conclusion = 'success' | 'neutral' | 'failure';

export function conclusionOf(apply: ApplyResult, findings: Finding[]): Conclusion {
  if (apply.status !== 'applied') return 'neutral';
  if (findings.some((f) => f.severity === 'error')) return 'failure';
  return findings.some((f) => f.severity === 'warning') ? 'neutral' : 'success';
}

interface Annotation {
  path: string;
  start_line: number;
  end_line: number;
  annotation_level: 'notice' | 'warning' | 'failure';
  title: string;
  message: string;
}

/** Where a finding points: its hunk's file:line, else its first call site. A finding with neither has none. */
export function annotationOf(f: Finding): Annotation | null {
  const at = [hunkAt(f), f.hunkFile, ...(f.callSites ?? [])].find((x): x is string => !!x && /:\d+$/.test(x));
  const m = at ? /^(.+):(\d+)$/.exec(at) : null;
  if (!m) return null;
  const line = Number(m[2]);
  return {
    path: m[1]!,
    start_line: line,
    end_line: line,
    annotation_level: f.severity === 'error' ? 'failure' : f.severity === 'warning' ? 'warning' : 'notice',
    title: `${f.category} (${findingId(f)})`,
    message: f.message ?? f.title,
  };
}

export async function postCheckRun(
  octokit: Octokit,
  where: { owner: string; repo: string; headSha: string },
  review: { apply: ApplyResult; findings: Finding[]; summary: string; detailsUrl?: string },
): Promise<{ id: number; conclusion: Conclusion; annotations: number; unplaced: number }> {
  const conclusion = conclusionOf(review.apply, review.findings);
  const placed = review.findings.map(annotationOf);
  const annotations = placed.filter((a): a is Annotation => a !== null);
  const unplaced = placed.length - annotations.length;
  const title = review.findings.length ? `${review.findings.length} finding${review.findings.length === 1 ? '' : 's'}` : review.apply.status === 'applied' ? 'no findings' : `not reviewed (${review.apply.status})`;
  const summary = review.summary + (unplaced ? `\n\n${unplaced} finding(s) name no file:line and are in the comment only.` : '');
  const batches: Annotation[][] = [];
  for (let i = 0; i < annotations.length; i += ANNOTATIONS_PER_REQUEST) batches.push(annotations.slice(i, i + ANNOTATIONS_PER_REQUEST));
  const { data } = await octokit.rest.checks.create({
    ...where,
    head_sha: where.headSha,
    name: CHECK_NAME,
    status: 'completed',
    conclusion,
    ...(review.detailsUrl ? { details_url: review.detailsUrl } : {}),
    output: { title, summary, annotations: batches[0] ?? [] },
  });
  for (const batch of batches.slice(1)) {
    await octokit.rest.checks.update({ owner: where.owner, repo: where.repo, check_run_id: data.id, output: { title, summary, annotations: batch } });
  }
  return { id: data.id, conclusion, annotations: annotations.length, unplaced };
}

/** The hunk's first added line, from its "@@ -a,b +c,d @@" header, when the finding names the hunk's file only. */
function hunkAt(f: Finding): string | undefined {
  if (!f.hunkFile || /:\d+$/.test(f.hunkFile)) return undefined;
  const h = /^@@ -\d+(?:,\d+)? \+(\d+)/.exec(f.hunk[0] ?? '');
  if (!h) return undefined;
  let line = Number(h[1]);
  for (const l of f.hunk.slice(1)) {
    if (l.startsWith('+')) return `${f.hunkFile}:${line}`;
    if (!l.startsWith('-')) line++;
  }
  return `${f.hunkFile}:${h[1]}`;
}
