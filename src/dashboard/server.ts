// `nascent dashboard`'s HTTP server: the page, its bundled script, a JSON API over the registry's runs,
// and one server-sent-events stream per open page that pushes trials as the run files grow. Safe to
// leave open: it binds 127.0.0.1 unless told otherwise (and then every request needs the token); on
// loopback it answers only requests addressed to a loopback name (a DNS-rebinding page cannot reach
// it); runs are named by the registry's ids, never paths; actions need --allow-actions and the token.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { liveLockOwner } from '../store/lock.js';
import { bestCellsFile, cellSvg, runPayloadJson, runState, trialOf } from './api.js';
import { clientAssets } from './bundle.js';
import { pageHtml } from './page.js';
import { Heartbeats } from './heartbeats.js';
import { fail, isLoopback, json, PAGE_CSP, safeFileName, SECURITY_HEADERS, send, sse } from './http.js';
import { stopPolicyWorker } from './policy.js';
import { isPathLike, RunRegistry } from './registry.js';
import { summaryOf, type RunWatcher } from './watch.js';

export { isLoopback } from './http.js';

export interface DashboardOptions {
  dirs: string[];
  port?: number;
  host?: string;
  allowActions?: boolean;
  /** Required on every request when set; made up when the host is not loopback and none is given. */
  token?: string;
  /** A Redis server to read workers' heartbeats from, for running runs whose settings name none. */
  redis?: string;
  /** How often the run files are looked at (ms). */
  pollMs?: number;
  log?: (line: string) => void;
}

export interface Dashboard {
  url: string;
  port: number;
  token: string;
  tokenRequired: boolean;
  registry: RunRegistry;
  close(): Promise<void>;
}

interface Client {
  res: ServerResponse;
  run?: string;
}

export async function startDashboard(o: DashboardOptions): Promise<Dashboard> {
  const host = o.host ?? '127.0.0.1';
  const tokenRequired = o.token !== undefined || !isLoopback(host);
  const token = o.token ?? randomBytes(18).toString('base64url');
  const log = o.log ?? (() => {});
  // The page's script, bundled before the first page asks for it (from src, esbuild takes a second).
  await clientAssets();
  const registry = new RunRegistry(o.dirs);
  registry.scan();
  for (const w of registry.all()) w.poll();
  const clients = new Set<Client>();
  const heartbeats = new Heartbeats();
  const stateOf = (w: RunWatcher) => runState(w, heartbeats, o.redis);
  let runsKey = '';

  const tokenMatches = (given: string | null | undefined) => {
    if (!given) return false;
    const a = Buffer.from(given);
    const b = Buffer.from(token);
    return a.length === b.length && timingSafeEqual(a, b);
  };

  const summaries = () => registry.all().map((w) => w.summary());

  // Polling: every run's files, and a new scan for runs every ~2 s.
  let ticks = 0;
  let lastRunsPush = 0;
  const poll = () => {
    ticks++;
    if (ticks % Math.max(1, Math.round(2000 / (o.pollMs ?? 300))) === 0) registry.scan();
    let anyChange = false;
    for (const w of registry.all()) {
      const generation = w.trials.generation;
      const { added, addedSteps, changed } = w.poll();
      if (added.length === 0 && addedSteps.length === 0 && !changed) continue;
      anyChange = true;
      const watching = [...clients].filter((c) => c.run === w.id);
      if (watching.length === 0) continue;
      if (generation !== w.trials.generation) {
        for (const c of watching) sse(c.res, 'reset', { run: w.id });
        continue;
      }
      const trials = added.map(summaryOf);
      const from = w.trials.items.length - added.length;
      const steps = addedSteps.map(({ cells: _c, ...s }) => s);
      const state = stateOf(w);
      for (const c of watching) {
        if (trials.length > 0) sse(c.res, 'trials', { run: w.id, from, trials });
        if (steps.length > 0) sse(c.res, 'steps', { run: w.id, from: w.wsSteps.items.length - steps.length, steps });
        sse(c.res, 'state', { run: w.id, ...state });
      }
    }
    // Every 3 s, a running run's state again: heartbeats and times move without its files changing.
    if (ticks % Math.max(1, Math.round(3000 / (o.pollMs ?? 300))) === 0)
      for (const c of clients) {
        const w = c.run === undefined ? undefined : registry.get(c.run);
        if (w?.pid !== undefined) sse(c.res, 'state', { run: w.id, ...stateOf(w) });
      }
    // The runs table: pushed when a run changed (at most every second), and every 10 s for wall times.
    const now = Date.now();
    if ((anyChange && now - lastRunsPush > 1000) || now - lastRunsPush > 10_000) {
      const runs = summaries();
      const key = JSON.stringify(runs.map(({ wallSeconds: _w, ...r }) => r));
      if (key !== runsKey || now - lastRunsPush > 10_000) {
        runsKey = key;
        lastRunsPush = now;
        for (const c of clients) sse(c.res, 'runs', { runs });
      }
    }
  };
  const timer = setInterval(poll, o.pollMs ?? 300);
  const keepAlive = setInterval(() => {
    for (const c of clients) c.res.write(': keep-alive\n\n');
  }, 15_000);

  const runOf = (url: URL, res: ServerResponse): RunWatcher | undefined => {
    const id = url.searchParams.get('run') ?? '';
    if (isPathLike(id)) {
      fail(res, 400, `refused: ${JSON.stringify(id)} is a path; runs are named by their id (GET /api/runs)`);
      return undefined;
    }
    const w = registry.get(id);
    if (!w) fail(res, 404, `no run ${JSON.stringify(id)} under the dashboard's directories`);
    return w;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
    // On loopback, only requests addressed to loopback: a page on another site whose name resolves
    // to 127.0.0.1 (DNS rebinding) sends its own name as Host.
    const hostName = (req.headers.host ?? '').replace(/:\d+$/, '');
    if (!tokenRequired && !isLoopback(hostName)) return fail(res, 403, `refused: Host ${JSON.stringify(req.headers.host)} is not this machine's loopback`);
    const path = url.pathname;
    // The page's code holds no data; everything else needs the token where one is required.
    if (path === '/favicon.ico') return send(res, 204, '', 'image/x-icon');
    if (path.startsWith('/assets/')) {
      // Only the bundle's own files, by exact name.
      const name = path.slice('/assets/'.length);
      const text = (await clientAssets()).files.get(name);
      if (text === undefined) return fail(res, 404, 'not found');
      // Cacheable, unlike the data: a page opened again reuses the script Chromium already compiled.
      // Chunks are named by their content's hash; main.js and style.css are checked by their ETag.
      const etag = `"${createHash('sha256').update(text).digest('base64url').slice(0, 22)}"`;
      const caching = { ETag: etag, 'Cache-Control': name.startsWith('chunk-') ? 'public, max-age=31536000, immutable' : 'no-cache' };
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, { ...SECURITY_HEADERS, ...caching });
        return res.end();
      }
      return send(res, 200, text, name.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8', caching);
    }
    if (tokenRequired && !tokenMatches(url.searchParams.get('token') ?? (req.headers['x-nascent-token'] as string | undefined)))
      return fail(res, 401, 'this dashboard needs its token: open the URL it printed (…?token=…)');
    if (req.method === 'POST') {
      if (path !== '/api/stop') return fail(res, 404, 'no such action');
      if (!o.allowActions) return fail(res, 403, 'read-only: start the dashboard with --allow-actions to stop a search from the page');
      // Always the token on an action, loopback too: another site's page can send a POST here, but cannot read the token.
      if (!tokenMatches(req.headers['x-nascent-token'] as string | undefined)) return fail(res, 403, 'refused: an action needs the page token');
      const w = runOf(url, res);
      if (!w) return;
      const pid = liveLockOwner(w.dir);
      if (pid === undefined) return fail(res, 409, `${w.name} is not running: no live search holds its lock`);
      process.kill(pid, 'SIGINT');
      log(`stop requested for ${w.name}: SIGINT sent to search pid ${pid}`);
      return json(res, 202, {
        pid,
        message: `asked search ${pid} to stop: it finishes or hands back the child in hand, then exits; resume it with nascent search --resume ${w.dir}`,
      });
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return fail(res, 405, 'GET only');
    if (path === '/' || path === '/index.html')
      return send(
        res,
        200,
        pageHtml({ token, allowActions: o.allowActions === true, chunks: [...(await clientAssets()).files.keys()].filter((f) => f.startsWith('chunk-')) }),
        'text/html; charset=utf-8',
        { 'Content-Security-Policy': PAGE_CSP },
      );
    if (path === '/api/runs') return json(res, 200, { runs: summaries(), allowActions: o.allowActions === true, roots: registry.roots });
    if (path === '/api/run') {
      const w = runOf(url, res);
      return w && send(res, 200, runPayloadJson(w, heartbeats, o.redis), 'application/json; charset=utf-8');
    }
    if (path === '/api/trial') {
      const w = runOf(url, res);
      if (!w) return;
      const t = trialOf(w, Number(url.searchParams.get('episode')));
      if (!t) return fail(res, 404, `${w.name} has no trial ${url.searchParams.get('episode')}`);
      const download = url.searchParams.get('download') === '1';
      return json(res, 200, t, download ? { 'Content-Disposition': `attachment; filename="${safeFileName(w.name)}-episode-${t.episode}.json"` } : {});
    }
    if (path === '/api/best-cells') {
      const w = runOf(url, res);
      if (!w) return;
      const text = bestCellsFile(w);
      if (text === undefined) return fail(res, 404, `${w.name} has no best-cells.json yet`);
      return send(res, 200, text, 'application/json; charset=utf-8', {
        'Content-Disposition': `attachment; filename="${safeFileName(w.name)}-best-cells.json"`,
      });
    }
    if (path === '/api/cell') {
      const w = runOf(url, res);
      if (!w) return;
      const kind = url.searchParams.get('kind') === 'reduction' ? 'reduction' : 'normal';
      const episode = url.searchParams.get('episode');
      let cells: unknown;
      let label: string;
      if (episode === 'best') {
        const text = bestCellsFile(w);
        if (text === undefined) return fail(res, 404, `${w.name} has no best-cells.json yet`);
        cells = (JSON.parse(text) as { cells: unknown }).cells;
        label = 'best cells';
      } else {
        const t = trialOf(w, Number(episode));
        if (!t) return fail(res, 404, `${w.name} has no trial ${episode}`);
        cells = t.cells;
        label = `episode ${t.episode}`;
      }
      try {
        const svg = await cellSvg(w, cells, label, kind);
        return send(res, 200, svg, 'image/svg+xml', { 'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'" });
      } catch (err) {
        return fail(res, 422, `cannot draw these cells: ${(err as Error).message}`);
      }
    }
    if (path === '/api/events') {
      const id = url.searchParams.get('run') ?? undefined;
      const w = id ? runOf(url, res) : undefined;
      if (id && !w) return;
      res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'text/event-stream', Connection: 'keep-alive' });
      const client: Client = { res, ...(w ? { run: w.id } : {}) };
      clients.add(client);
      req.on('close', () => clients.delete(client));
      sse(res, 'runs', { runs: summaries() });
      if (w) {
        // Whatever landed between the page's load of the run and this stream.
        const after = Number(url.searchParams.get('after') ?? 0);
        if (Number(url.searchParams.get('generation') ?? w.trials.generation) !== w.trials.generation) sse(res, 'reset', { run: w.id });
        else if (w.trials.items.length > after)
          res.write(`event: trials\ndata: {"run":${JSON.stringify(w.id)},"from":${after},"trials":${w.summariesJson(after)}}\n\n`);
        sse(res, 'state', { run: w.id, ...stateOf(w) });
      }
      return;
    }
    return fail(res, 404, 'not found');
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log(`dashboard: ${req.url}: ${(err as Error).message}`);
      if (!res.headersSent) fail(res, 500, (err as Error).message);
      else res.end();
    });
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 8080, host, () => resolveListen());
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}/${tokenRequired ? `?token=${token}` : ''}`,
    port,
    token,
    tokenRequired,
    registry,
    close: () =>
      new Promise<void>((done) => {
        clearInterval(timer);
        clearInterval(keepAlive);
        heartbeats.close();
        void stopPolicyWorker();
        for (const c of clients) c.res.end();
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}
