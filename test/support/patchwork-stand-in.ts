// A local HTTP server on 127.0.0.1 standing in for Patchwork's REST API (v1.2+): GET /api/patches/?msgid=
// and POST /api/patches/{id}/checks/, answered with Patchwork's documented shapes. It checks the token as
// Patchwork does (401 without one, 403 for a token without maintainer rights) and records every request.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PatchworkStandIn {
  url: string;
  /** Patches Patchwork knows: id, Message-ID (with brackets, as Patchwork stores it), series id. */
  patches: Array<{ id: number; msgid: string; series: number; name: string }>;
  checks: Array<{ patch: number; state: string; context: string; description: string; target_url: string | null; user: string }>;
  requests: Array<{ method: string; path: string; authorization?: string; body?: any }>;
  token: string;
  close(): Promise<void>;
}

export async function startPatchworkStandIn(token = 'pw-token'): Promise<PatchworkStandIn> {
  const state: PatchworkStandIn = { url: '', patches: [], checks: [], requests: [], token, close: async () => {} };
  const server: Server = createServer(async (req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const body = text ? JSON.parse(text) : undefined;
    state.requests.push({ method: req.method ?? 'GET', path: u.pathname + u.search, authorization: req.headers.authorization, body });
    const send = (status: number, data: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', allow: 'GET, POST, HEAD, OPTIONS' });
      res.end(JSON.stringify(data));
    };
    const patchJson = (p: PatchworkStandIn['patches'][number]) => ({
      id: p.id,
      url: `${state.url}/api/patches/${p.id}/`,
      web_url: `${state.url}/project/linux-mm/patch/${p.msgid.replace(/[<>]/g, '')}/`,
      project: { id: 1, url: `${state.url}/api/projects/1/`, name: 'Linux Memory Management', link_name: 'linux-mm', list_id: 'linux-mm.kvack.org', list_email: 'linux-mm@kvack.org' },
      msgid: p.msgid,
      list_archive_url: null,
      date: '2026-01-01T00:00:00',
      name: p.name,
      commit_ref: null,
      pull_url: null,
      state: 'new',
      archived: false,
      hash: null,
      submitter: { id: 5, url: `${state.url}/api/people/5/`, name: 'Alice Example', email: 'alice@example.org' },
      delegate: null,
      mbox: `${state.url}/project/linux-mm/patch/${p.msgid.replace(/[<>]/g, '')}/mbox/`,
      series: [{ id: p.series, url: `${state.url}/api/series/${p.series}/`, web_url: `${state.url}/project/linux-mm/list/?series=${p.series}`, date: '2026-01-01T00:00:00', name: p.name, version: 2, mbox: `${state.url}/series/${p.series}/mbox/` }],
      check: 'pending',
      checks: `${state.url}/api/patches/${p.id}/checks/`,
      tags: {},
    });
    if (req.method === 'GET' && u.pathname === '/api/patches/') {
      const want = u.searchParams.get('msgid');
      // Patchwork compares the Message-ID with its brackets added back.
      return send(200, state.patches.filter((p) => !want || p.msgid === `<${want.replace(/[<>]/g, '')}>`).map(patchJson));
    }
    const m = /^\/api\/patches\/(\d+)\/checks\/$/.exec(u.pathname);
    if (m && req.method === 'POST') {
      if (!req.headers.authorization) return send(401, { detail: 'Authentication credentials were not provided.' });
      if (req.headers.authorization !== `Token ${state.token}`) return send(403, { detail: 'You do not have permission to perform this action.' });
      const patch = state.patches.find((p) => p.id === Number(m[1]));
      if (!patch) return send(404, { detail: 'Not found.' });
      if (!['pending', 'success', 'warning', 'fail'].includes(body?.state)) return send(400, { state: [`"${body?.state}" is not a valid choice.`] });
      if (!body.context) return send(400, { context: ['This field is required.'] });
      const check = { patch: patch.id, state: body.state, context: body.context, description: body.description ?? '', target_url: body.target_url ?? null, user: 'kbot' };
      state.checks.push(check);
      return send(201, { id: state.checks.length, url: `${state.url}/api/patches/${patch.id}/checks/${state.checks.length}/`, date: '2026-01-01T00:00:00', ...check, user: { id: 9, username: 'kbot' } });
    }
    send(404, { detail: 'Not found.' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return state;
}
