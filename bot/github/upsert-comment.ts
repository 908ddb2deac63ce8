// One comment per series in a thread: on a rerun kbot edits the comment that carries the series' hidden
// marker instead of adding another. Only comments by kbot's own account are considered, so a maintainer who
// quotes the marker does not get their comment rewritten.
import type { Octokit } from 'octokit';
import type { GithubTarget } from './find-target.ts';

export async function upsertComment(
  octokit: Octokit,
  target: GithubTarget,
  marker: string,
  body: string,
): Promise<{ id: number; url: string; action: 'created' | 'updated' }> {
  const { owner, repo, number } = target;
  const self = (await octokit.rest.users.getAuthenticated()).data.login;
  const comments = await octokit.paginate(octokit.rest.issues.listComments, { owner, repo, issue_number: number, per_page: 100 });
  const mine = comments.find((c) => c.user?.login === self && (c.body ?? '').includes(marker));
  if (mine) {
    const { data } = await octokit.rest.issues.updateComment({ owner, repo, comment_id: mine.id, body });
    return { id: data.id, url: data.html_url, action: 'updated' };
  }
  const { data } = await octokit.rest.issues.createComment({ owner, repo, issue_number: number, body });
  return { id: data.id, url: data.html_url, action: 'created' };
}
