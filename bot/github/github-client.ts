// The one place kbot makes its GitHub client: octokit (REST, with its retry and rate-limit plugins) against
// the configured API base, so a GitHub Enterprise host, or a stand-in on loopback in the tests, is one key.
import { Octokit } from 'octokit';
import type { KbotConfig } from '../../config/schema.ts';

export type GithubConfig = NonNullable<KbotConfig['github']>;

export function githubClient(github: GithubConfig): Octokit {
  return new Octokit({ auth: github.token, baseUrl: github.api_url.replace(/\/+$/, ''), userAgent: 'kbot' });
}

export function splitRepo(repo: string): { owner: string; repo: string } {
  const [owner, name] = repo.split('/');
  return { owner: owner!, repo: name! };
}

/** The repository of a tracked tree: github.trees[path], else github.repo. */
export function repoForTree(github: GithubConfig, tree: string | undefined): string {
  return (tree && github.trees[tree]) || github.repo;
}
