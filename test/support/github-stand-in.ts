// A local HTTP server on 127.0.0.1 standing in for the GitHub REST API (octokit's baseUrl points at it).
// It answers the endpoints kbot uses with GitHub's documented response shapes (the fields kbot or octokit
// read, and the usual others), keeps what is posted, and records every request, so a test asserts what
// GitHub would have been asked and what a user would then see on the pull request.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  authorization?: string;
  body?: any;
}

interface Pull { number: number; title: string; headRef: string; headSha: string; state: 'open' | 'closed' }
interface Comment { id: number; issue: number; body: string; login: string; created_at: string; updated_at: string }
interface CheckRun { id: number; head_sha: string; name: string; status: string; conclusion: string | null; details_url?: string; output: { title: string; summary: string; annotations: any[] } }

export interface GithubStandIn {
  url: string;
  requests: RecordedRequest[];
  pulls: Pull[];
  issues: Array<{ number: number; title: string }>;
  comments: Comment[];
  checkRuns: CheckRun[];
  /** login → permission ("admin" | "write" | "read" | "none"), role_name as GitHub gives it. */
  permissions: Record<string, { permission: string; role_name: string }>;
  /** The login of the token's account (GET /user). */
  self: string;
  close(): Promise<void>;
}

const USER = (login: string, id: number) => ({
  login,
  id,
  node_id: `U_${id}`,
  avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
  url: `https://api.github.com/users/${login}`,
  html_url: `https://github.com/${login}`,
  type: login.endsWith('[bot]') ? 'Bot' : 'User',
  site_admin: false,
});

export async function startGithubStandIn(owner = 'kernel-patches', repo = 'linux'): Promise<GithubStandIn> {
  const full = `${owner}/${repo}`;
  const state: GithubStandIn = {
    url: '',
    requests: [],
    pulls: [],
    issues: [],
    comments: [],
    checkRuns: [],
    permissions: {},
    self: 'kbot-bot',
    close: async () => {},
  };
  let nextId = 1000;
  const web = `https://github.com/${full}`;
  const commentJson = (c: Comment) => ({
    id: c.id,
    node_id: `IC_${c.id}`,
    url: `${state.url}/repos/${full}/issues/comments/${c.id}`,
    html_url: `${web}/pull/${c.issue}#issuecomment-${c.id}`,
    issue_url: `${state.url}/repos/${full}/issues/${c.issue}`,
    body: c.body,
    user: USER(c.login, 1),
    created_at: c.created_at,
    updated_at: c.updated_at,
    author_association: c.login === state.self ? 'NONE' : 'MEMBER',
  });
  const pullJson = (p: Pull) => ({
    id: p.number + 500000,
    node_id: `PR_${p.number}`,
    number: p.number,
    state: p.state,
    title: p.title,
    html_url: `${web}/pull/${p.number}`,
    url: `${state.url}/repos/${full}/pulls/${p.number}`,
    user: USER('kernel-patches-daemon-bpf[bot]', 2),
    body: '',
    head: { label: `${owner}:${p.headRef}`, ref: p.headRef, sha: p.headSha, repo: { full_name: full } },
    base: { label: `${owner}:bpf-next`, ref: 'bpf-next', sha: '0'.repeat(40), repo: { full_name: full } },
  });
  const checkJson = (c: CheckRun) => ({
    id: c.id,
    head_sha: c.head_sha,
    node_id: `CR_${c.id}`,
    external_id: '',
    url: `${state.url}/repos/${full}/check-runs/${c.id}`,
    html_url: `${web}/runs/${c.id}`,
    details_url: c.details_url ?? `${web}/runs/${c.id}`,
    status: c.status,
    conclusion: c.conclusion,
    started_at: '2026-01-01T00:00:00Z',
    completed_at: c.status === 'completed' ? '2026-01-01T00:00:00Z' : null,
    output: { title: c.output.title, summary: c.output.summary, text: null, annotations_count: c.output.annotations.length, annotations_url: `${state.url}/repos/${full}/check-runs/${c.id}/annotations` },
    name: c.name,
    check_suite: { id: 1 },
    app: { id: 1, slug: 'kbot', name: 'kbot' },
    pull_requests: [],
  });
  /** A list page as GitHub paginates it: per_page and page, with a Link header to the next page. */
  const page = (res: ServerResponse, req: RecordedRequest, items: unknown[]) => {
    const per = Math.min(Number(req.query.per_page ?? 30), 100);
    const n = Number(req.query.page ?? 1);
    const slice = items.slice((n - 1) * per, n * per);
    if (n * per < items.length) {
      const next = new URL(state.url + req.path);
      for (const [k, v] of Object.entries({ ...req.query, page: String(n + 1) })) next.searchParams.set(k, v);
      res.setHeader('link', `<${next}>; rel="next"`);
    }
    send(res, 200, slice);
  };

  const server: Server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const rec: RecordedRequest = {
      method: req.method ?? 'GET',
      path: u.pathname,
      query: Object.fromEntries(u.searchParams),
      authorization: req.headers.authorization,
      body: text ? JSON.parse(text) : undefined,
    };
    state.requests.push(rec);
    const p = u.pathname;
    const m = (re: RegExp) => re.exec(p);
    let g: RegExpExecArray | null;
    const now = new Date(Date.UTC(2026, 0, 1, 0, 0, state.requests.length)).toISOString();
    if (req.method === 'GET' && p === '/user') return send(res, 200, USER(state.self, 99));
    if (!p.startsWith(`/repos/${full}/`)) return send(res, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
    if (req.method === 'GET' && p === `/repos/${full}/pulls`) return page(res, rec, state.pulls.filter((x) => (rec.query.state ?? 'open') === 'all' || x.state === (rec.query.state ?? 'open')).map(pullJson));
    if (req.method === 'GET' && (g = m(/\/issues\/(\d+)$/))) {
      const n = Number(g[1]);
      const issue = state.issues.find((i) => i.number === n);
      if (!issue) return send(res, 404, { message: 'Not Found' });
      return send(res, 200, { id: n + 700000, number: n, title: issue.title, state: 'open', html_url: `${web}/issues/${n}`, user: USER('maintainer', 3), labels: [], body: '' });
    }
    if (req.method === 'GET' && (g = m(/\/issues\/(\d+)\/comments$/))) return page(res, rec, state.comments.filter((c) => c.issue === Number(g![1])).map(commentJson));
    if (req.method === 'POST' && (g = m(/\/issues\/(\d+)\/comments$/))) {
      const c: Comment = { id: nextId++, issue: Number(g[1]), body: rec.body.body, login: state.self, created_at: now, updated_at: now };
      state.comments.push(c);
      return send(res, 201, commentJson(c));
    }
    if (req.method === 'PATCH' && (g = m(/\/issues\/comments\/(\d+)$/))) {
      const c = state.comments.find((x) => x.id === Number(g![1]));
      if (!c) return send(res, 404, { message: 'Not Found' });
      c.body = rec.body.body;
      c.updated_at = now;
      return send(res, 200, commentJson(c));
    }
    if (req.method === 'POST' && p === `/repos/${full}/check-runs`) {
      const b = rec.body;
      if (!b.name || !b.head_sha) return send(res, 422, { message: 'Validation Failed', errors: [{ resource: 'CheckRun', code: 'missing_field' }] });
      if ((b.output?.annotations ?? []).length > 50) return send(res, 422, { message: 'Validation Failed: at most 50 annotations per request' });
      const c: CheckRun = { id: nextId++, head_sha: b.head_sha, name: b.name, status: b.status ?? 'queued', conclusion: b.conclusion ?? null, details_url: b.details_url, output: { title: b.output?.title ?? '', summary: b.output?.summary ?? '', annotations: [...(b.output?.annotations ?? [])] } };
      state.checkRuns.push(c);
      return send(res, 201, checkJson(c));
    }
    if (req.method === 'PATCH' && (g = m(/\/check-runs\/(\d+)$/))) {
      const c = state.checkRuns.find((x) => x.id === Number(g![1]));
      if (!c) return send(res, 404, { message: 'Not Found' });
      if ((rec.body.output?.annotations ?? []).length > 50) return send(res, 422, { message: 'Validation Failed: at most 50 annotations per request' });
      // As GitHub does: annotations given in an update are added to the run's.
      if (rec.body.output) c.output = { title: rec.body.output.title, summary: rec.body.output.summary, annotations: [...c.output.annotations, ...(rec.body.output.annotations ?? [])] };
      if (rec.body.conclusion) c.conclusion = rec.body.conclusion;
      return send(res, 200, checkJson(c));
    }
    if (req.method === 'GET' && (g = m(/\/collaborators\/([^/]+)\/permission$/))) {
      const login = decodeURIComponent(g[1]!);
      const perm = state.permissions[login] ?? { permission: 'none', role_name: 'none' };
      // GitHub answers for any user; a stranger has "none" (read on a public repository).
      return send(res, 200, { permission: perm.permission, role_name: perm.role_name, user: { ...USER(login, 4), permissions: { admin: perm.permission === 'admin', maintain: perm.role_name === 'maintain', push: ['admin', 'write'].includes(perm.permission), triage: false, pull: perm.permission !== 'none' }, role_name: perm.role_name } });
    }
    if (req.method === 'POST' && (g = m(/\/issues\/(\d+)\/reactions$/))) return send(res, 201, { id: nextId++, content: rec.body.content, user: USER(state.self, 99) });
    return send(res, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return state;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-github-media-type': 'github.v3; format=json', 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '4999', 'x-ratelimit-reset': '1893456000' });
  res.end(JSON.stringify(body));
}
