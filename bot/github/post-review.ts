// The report stage's GitHub side: find the series' pull request (or the tracking issue), write or edit
// kbot's one comment there, and post the check run kbot/refcount. What it did, or why it did nothing, comes
// back as notes for the review's report.
import type { Octokit } from 'octokit';
import type { Finding } from '../../analyzers/types.ts';
import type { ApplyResult, Series } from '../types.ts';
import type { RunChanges, RunPin } from '../commands/run-record.ts';
import { findTarget, type GithubTarget } from './find-target.ts';
import { githubClient, repoForTree, type GithubConfig } from './github-client.ts';
import { postCheckRun, type Conclusion } from './post-check-run.ts';
import { commentMarker, renderComment } from './render-comment.ts';
import { upsertComment } from './upsert-comment.ts';

export interface GithubReport {
  seriesKey: string;
  series: Series;
  apply: ApplyResult;
  /** What is reported (after triage). */
  findings: Finding[];
  suppressed?: Array<{ finding: Finding; why: string }>;
  /** The tracked tree's path (picks the repository from github.trees). */
  tree?: string;
  pin?: RunPin;
  changes?: RunChanges | null;
  commandsHint?: string | null;
  patchworkSeriesId?: number;
}

export interface GithubPosted {
  target: GithubTarget | null;
  comment?: { id: number; url: string; action: 'created' | 'updated' };
  check?: { id: number; conclusion: Conclusion; headSha: string; annotations: number };
  notes: string[];
}

export async function postToGithub(github: GithubConfig, report: GithubReport, octokit: Octokit = githubClient(github)): Promise<GithubPosted> {
  const repo = repoForTree(github, report.tree);
  const found = await findTarget(octokit, { repo, title: report.series.title, patchworkSeriesId: report.patchworkSeriesId, trackingIssue: github.tracking_issue });
  const notes = [...found.notes];
  const target = found.target;
  if (!target) return { target, notes };
  const body = renderComment({ ...report, repo, webUrl: github.web_url });
  const comment = await upsertComment(octokit, target, commentMarker(report.seriesKey), body);
  notes.push(`github: ${comment.action} comment ${comment.url} (${target.why})`);
  const out: GithubPosted = { target, comment, notes };
  if (!github.check_run) return out;
  // A pull request's checks show on its head; a tracking issue has none, so the check goes on the applied
  // commit, which the repository must have (kbot's applied commits pushed under its ref namespace).
  const headSha = target.headSha ?? report.apply.head;
  if (!headSha) {
    notes.push('github: no check run: the series was not applied and the target has no head commit');
    return out;
  }
  const summary = `kbot reviewed ${report.apply.head ? `\`${report.apply.head.slice(0, 12)}\` (the series applied on \`${report.apply.base?.commit.slice(0, 12)}\`)` : 'nothing: the series was not applied'}. See ${comment.url}.`;
  const check = await postCheckRun(octokit, { owner: target.owner, repo: target.repo, headSha }, { apply: report.apply, findings: report.findings, summary, detailsUrl: comment.url });
  out.check = { id: check.id, conclusion: check.conclusion, headSha, annotations: check.annotations };
  notes.push(`github: check run ${check.id} ${check.conclusion} on ${headSha.slice(0, 12)} with ${check.annotations} annotation(s)${check.unplaced ? `; ${check.unplaced} finding(s) name no file:line` : ''}`);
  return out;
}
