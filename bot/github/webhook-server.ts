// GitHub's issue_comment webhooks, for "/kbot ..." commands in a pull request or issue kbot commented on.
// Every delivery must carry X-Hub-Signature-256, the HMAC-SHA256 of its body under the webhook secret,
// checked by @octokit/webhooks: an unsigned or forged one is answered 401 and not read. A command counts
// only from a user with write, maintain or admin permission on the repository (asked of GitHub) or listed
// in github.commanders. A comment is handled once: a redelivery is neither carried out nor answered again.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhooks } from '@octokit/webhooks';
import type { Octokit } from 'octokit';
import type { AnswerOnce } from '../commands/answer-once.ts';
import { executeCommands, type CommandDeps } from '../commands/execute-commands.ts';
import { parseCommands } from '../commands/parse-commands.ts';
import type { ThreadIndex } from '../commands/thread-index.ts';
import { githubClient, splitRepo, type GithubConfig } from './github-client.ts';

export interface CommentDeps extends CommandDeps {
  github: GithubConfig;
  threads: ThreadIndex;
  once: AnswerOnce;
  log: (line: string) => void;
  octokit?: Octokit;
  now?: () => Date;
}

export interface WebhookDeps extends Partial<CommandDeps> {
  github: GithubConfig;
  log: (line: string) => void;
  /**
   * Hands a verified issue_comment delivery on (kbot serve: a command job) and answers 202 at once. Without
   * it the comment is handled in the request, with the deps below.
   */
  dispatch?: (delivery: string, payload: IssueCommentPayload) => Promise<void>;
  threads?: ThreadIndex;
  once?: AnswerOnce;
  octokit?: Octokit;
  /** Larger deliveries are answered 413 (GitHub caps payloads at 25 MB). */
  maxBytes?: number;
  now?: () => Date;
}

const ALLOWED = new Set(['admin', 'maintain', 'write']);
export const DEFAULT_WEBHOOK_MAX_BYTES = 25 * 1024 * 1024;

export interface IssueCommentPayload {
  action: string;
  issue: { number: number; pull_request?: unknown };
  comment: { id: number; body: string; html_url: string; user: { login: string; type: string } };
  repository: { full_name: string };
  sender: { login: string; type: string };
}

/** The request handler, to mount at a path of any node HTTP server (kbot serve's, or startWebhookServer's). */
export function githubWebhookHandler(deps: WebhookDeps): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const secret = deps.github.webhook_secret;
  if (!secret) throw new Error(`github: no webhook secret: set ${deps.github.webhook_secret_env} in the environment`);
  const webhooks = new Webhooks({ secret });
  const octokit = deps.octokit ?? githubClient(deps.github);
  const maxBytes = deps.maxBytes ?? DEFAULT_WEBHOOK_MAX_BYTES;

  return async (req, res) => {
    const answer = (status: number, result: string) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ result }));
    };
    if (req.method !== 'POST') return answer(405, 'POST only');
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > maxBytes) return answer(413, `larger than ${maxBytes} bytes`);
      chunks.push(c as Buffer);
    }
    const body = Buffer.concat(chunks).toString('utf8');
    const signature = req.headers['x-hub-signature-256'];
    if (typeof signature !== 'string' || !signature) {
      deps.log('webhook: refused a delivery without X-Hub-Signature-256');
      return answer(401, 'unsigned');
    }
    if (!(await webhooks.verify(body, signature).catch(() => false))) {
      deps.log(`webhook: refused delivery ${req.headers['x-github-delivery'] ?? '?'}: X-Hub-Signature-256 does not match`);
      return answer(401, 'bad signature');
    }
    const event = req.headers['x-github-event'];
    if (event === 'ping') return answer(200, 'pong');
    if (event !== 'issue_comment') return answer(202, `ignored: ${String(event)} events carry no commands`);
    let payload: IssueCommentPayload;
    try {
      payload = JSON.parse(body) as IssueCommentPayload;
    } catch {
      return answer(400, 'not JSON');
    }
    if (payload.action !== 'created') return answer(202, `ignored: comment ${payload.action}`);
    if (!parseCommands(payload.comment?.body ?? '', '/kbot').length) return answer(202, 'ignored: no /kbot line');
    if (deps.dispatch) {
      await deps.dispatch(String(req.headers['x-github-delivery'] ?? payload.comment.id), payload);
      return answer(202, 'queued');
    }
    const { threads, once, triage, history, rerun } = deps;
    if (!threads || !once || !triage || !history || !rerun) throw new Error('webhook: no dispatch and no command deps');
    return answer(202, await handleIssueComment(payload, { ...deps, threads, once, triage, history, rerun, octokit }));
  };
}

/** One issue_comment: its /kbot commands, from an allowed user, on a thread kbot reported on; answered on the thread. */
export async function handleIssueComment(payload: IssueCommentPayload, deps: CommentDeps): Promise<string> {
  const octokit = deps.octokit ?? githubClient(deps.github);
  const commands = parseCommands(payload.comment.body ?? '', '/kbot');
  if (!commands.length) return 'ignored: no /kbot line';
  const self = (await octokit.rest.users.getAuthenticated()).data.login;
  if (payload.comment.user.login === self) return "ignored: kbot's own comment";
  return handleComment(payload, commands, { ...deps, octokit });
}

async function handleComment(p: IssueCommentPayload, commands: ReturnType<typeof parseCommands>, deps: CommentDeps & { octokit: Octokit }): Promise<string> {
  const claim = `github:${p.repository.full_name}:${p.comment.id}`;
  if (!(await deps.once.claim(claim))) return 'already handled';
  try {
    return await carryOut(p, commands, deps);
  } catch (e) {
    // Nothing was answered: a redelivery (or the job's retry) handles the comment again.
    await deps.once.release(claim);
    throw e;
  }
}

async function carryOut(p: IssueCommentPayload, commands: ReturnType<typeof parseCommands>, deps: CommentDeps & { octokit: Octokit }): Promise<string> {
  const repoName = p.repository.full_name;
  const { owner, repo } = splitRepo(repoName);
  const login = p.comment.user.login;
  const reply = (text: string) => deps.octokit.rest.issues.createComment({ owner, repo, issue_number: p.issue.number, body: `@${login}: ${text}` });

  const permission = await permissionOf(deps.octokit, owner, repo, login);
  const listed = deps.github.commanders.includes(login);
  if (!listed && !ALLOWED.has(permission)) {
    deps.log(`webhook: refused /kbot from ${login} (permission ${permission}) on ${repoName}#${p.issue.number}`);
    await reply(`kbot takes /kbot commands only from users with write, maintain or admin permission on ${repoName}${deps.github.commanders.length ? ', or listed in its config' : ''}; yours is ${permission}.`);
    return 'refused';
  }
  const series = await deps.threads.seriesOfGithub(repoName, p.issue.number);
  if (series.length !== 1) {
    const why = series.length ? `this thread has kbot's reports on ${series.length} series (${series.map((s) => s.title).join('; ')}); give the command on the series' own pull request or by mail` : 'kbot has not reported on this thread';
    await reply(`kbot did not act: ${why}.`);
    return 'refused';
  }
  const outcome = await executeCommands({ channel: 'github', by: `@${login}`, via: p.comment.html_url, thread: series[0]!, commands, at: deps.now?.() ?? new Date() }, deps);
  deps.log(`webhook: ${login} (${listed ? 'listed in config' : permission}) on series ${series[0]!.seriesKey}: ${commands.map((c) => c.line).join('; ')}`);
  await reply(outcome.reply.includes('\n  /kbot') ? outcome.reply.replace(/\n((?: {2}\/kbot.*\n| {2}\(.*\n)+)/, '\n```\n$1```\n') : outcome.reply);
  return 'accepted';
}

/** The user's permission on the repository as GitHub says it: role_name (admin, maintain, write, triage, read) or none. */
async function permissionOf(octokit: Octokit, owner: string, repo: string, username: string): Promise<string> {
  try {
    const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({ owner, repo, username });
    return data.role_name || data.permission;
  } catch (e) {
    if ((e as { status?: number }).status === 404) return 'none';
    throw e;
  }
}

/** A server of its own on loopback (kbot serve mounts the handler on its endpoint instead). */
export async function startWebhookServer(deps: WebhookDeps, port = 0, host = '127.0.0.1'): Promise<{ url: string; close(): Promise<void> }> {
  const handle = githubWebhookHandler(deps);
  const server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      deps.log(`webhook: ${(e as Error).message}`);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  return { url: `http://${host}:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
