// The dashboard's server without a browser: what it lists and serves, what it refuses (paths, other
// hosts, missing tokens, actions without the flag), the trials it pushes as a run file grows, and a
// stop action that reaches a live search's process.
import { spawn } from 'node:child_process';
import { appendFileSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDashboard, type Dashboard } from '../../src/dashboard/server.js';
import { fakeTrials } from '../report/fake-run.js';
import { HOSTILE, makeRuns, type TestRuns } from './runs.js';

/** A raw GET (fetch would not let the test set Host). */
function get(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

let runs: TestRuns;
let dash: Dashboard;
beforeAll(async () => {
  runs = makeRuns();
  dash = await startDashboard({ dirs: [runs.root], port: 0, pollMs: 100 });
});
afterAll(async () => {
  await dash?.close();
});

describe('nascent dashboard server', () => {
  it('lists every run, with what is missing or damaged said in words', async () => {
    const { status, body } = await get(dash.port, '/api/runs');
    expect(status).toBe(200);
    const list = JSON.parse(body).runs as Array<{ id: string; status: string; trials: number; problems: string[]; best: number | null; evaluator: string }>;
    const byId = new Map(list.map((r) => [r.id, r]));
    expect([...byId.keys()].sort()).toEqual(
      [
        '2026-12-01-nb201-tpe',
        '2026-12-01-nb201-controller',
        'hyperband',
        'table-warmup',
        '2026-12-02-weight-sharing',
        HOSTILE,
        'finished',
        'no-config',
        'no-trials',
        'torn',
      ].sort(),
    );
    expect(byId.get('finished')).toMatchObject({ status: 'finished', trials: 25 });
    expect(byId.get('finished')!.best).toBeGreaterThan(0);
    expect(byId.get('torn')!.trials).toBe(5);
    expect(byId.get('torn')!.problems.join(' ')).toMatch(/last line of trials.jsonl is incomplete/);
    expect(byId.get('no-config')).toMatchObject({ status: 'damaged', trials: 3 });
    expect(byId.get('no-config')!.problems.join(' ')).toMatch(/config.json is missing/);
    expect(byId.get('no-trials')).toMatchObject({ status: 'empty', trials: 0 });
    expect(byId.get('2026-12-02-weight-sharing')!.evaluator).toBe('weight-sharing');
  });

  it('sends a run without its cells, and a trial with them on request', async () => {
    const run = JSON.parse((await get(dash.port, '/api/run?run=finished')).body);
    expect(run.trials).toHaveLength(25);
    expect(run.trials[0].cells).toBeUndefined();
    expect(run.extras.decisions.rows.length).toBeGreaterThan(0);
    const trial = JSON.parse((await get(dash.port, '/api/trial?run=finished&episode=3')).body);
    expect(trial.episode).toBe(3);
    expect(trial.cells.normal).toHaveLength(5);
    const cell = await get(dash.port, '/api/cell?run=finished&episode=3&kind=reduction');
    expect(cell.status).toBe(200);
    expect(cell.headers['content-type']).toBe('image/svg+xml');
    expect(cell.body).toContain('<svg');
    expect(cell.body).toContain('reduction cell');
    const download = await get(dash.port, '/api/trial?run=finished&episode=3&download=1');
    expect(download.headers['content-disposition']).toBe('attachment; filename="finished-episode-3.json"');
  });

  it("joins the warm-up's proxy scores with the accuracies the search measured", async () => {
    const run = JSON.parse((await get(dash.port, '/api/run?run=table-warmup')).body);
    expect(run.extras.proxies.proxy).toBe('synflow');
    // Ten of the twelve scored architectures were trained; the other two have no accuracy to set against.
    expect(run.extras.proxies.rows).toHaveLength(10);
    expect(run.extras.proxies.rows[0].key).toBe(run.trials[0].key);
    expect(run.extras.proxies.rows[0].accuracy).toBeCloseTo(run.trials[0].accuracy, 6);
  });

  it("shows what the controller has learned: its probabilities, read from the run's checkpoint", async () => {
    let decisions: { rows: Array<{ order: number; share: number }>; source: { kind: string; episode?: number } } | undefined;
    // Read in the background once the dashboard has seen the checkpoint.
    for (let i = 0; i < 100 && decisions?.source.kind !== 'controller'; i++) {
      decisions = JSON.parse((await get(dash.port, '/api/run?run=2026-12-01-nb201-controller')).body).extras.decisions;
      if (decisions?.source.kind !== 'controller') await new Promise((r) => setTimeout(r, 100));
    }
    expect(decisions!.source).toEqual({ kind: 'controller', episode: 10 });
    // NAS-Bench-201: six edges of five operations, each edge's probabilities summing to 1.
    expect(decisions!.rows).toHaveLength(30);
    for (let t = 0; t < 6; t++) expect(decisions!.rows.filter((r) => r.order === t).reduce((sum, r) => sum + r.share, 0)).toBeCloseTo(1, 5);
    // Another strategy's run shows the shares of its proposals.
    const tpe = JSON.parse((await get(dash.port, '/api/run?run=2026-12-01-nb201-tpe')).body);
    expect(tpe.extras.decisions.source.kind).toBe('proposals');
  });

  it('refuses paths: only run ids reach a directory, and ../ is refused', async () => {
    for (const id of ['..', '../finished', '..%2F..%2Fetc', 'finished/../../etc', '%2Fetc%2Fpasswd']) {
      const { status, body } = await get(dash.port, `/api/run?run=${id}`);
      expect(status, id).toBe(400);
      expect(body).toMatch(/refused/);
    }
    expect((await get(dash.port, '/api/trial?run=..&episode=1')).status).toBe(400);
    expect((await get(dash.port, '/api/run?run=elsewhere')).status).toBe(404);
    expect((await get(dash.port, '/../../../etc/passwd')).status).toBe(404);
    expect((await get(dash.port, '/finished/config.json')).status).toBe(404);
  });

  it('answers only requests addressed to loopback (no DNS rebinding)', async () => {
    expect((await get(dash.port, '/api/runs', { Host: 'evil.example:80' })).status).toBe(403);
    expect((await get(dash.port, '/api/runs', { Host: `localhost:${dash.port}` })).status).toBe(200);
  });

  it('escapes what it puts in the page, and never serves run data as HTML', async () => {
    const page = await get(dash.port, '/');
    expect(page.headers['content-security-policy']).toMatch(/script-src 'self'/);
    expect(page.body).not.toContain('<img');
    const run = await get(dash.port, `/api/run?run=${encodeURIComponent(HOSTILE)}`);
    expect(run.headers['content-type']).toMatch(/^application\/json/);
    expect(run.headers['x-content-type-options']).toBe('nosniff');
  });

  it('is read-only without --allow-actions', async () => {
    const { status, body } = await get(dash.port, '/api/stop?run=finished', { 'X-Nascent-Token': dash.token }, 'POST');
    expect(status).toBe(403);
    expect(body).toMatch(/--allow-actions/);
  });

  it('pushes a trial appended to trials.jsonl to the open stream', async () => {
    const controller = new AbortController();
    const res = await fetch(`http://127.0.0.1:${dash.port}/api/events?run=finished&after=25`, { signal: controller.signal });
    const reader = res.body!.getReader();
    const next = fakeTrials({ episodes: 26, seed: 1 })[25];
    let text = '';
    const written = Date.now();
    appendFileSync(join(runs.finished, 'trials.jsonl'), `${JSON.stringify(next)}\n`);
    while (!text.includes('event: trials')) text += new TextDecoder().decode((await reader.read()).value);
    const latency = Date.now() - written;
    controller.abort();
    const data = JSON.parse(text.split('event: trials\ndata: ')[1].split('\n')[0]);
    expect(data).toMatchObject({ run: 'finished', from: 25 });
    expect(data.trials.map((t: { episode: number }) => t.episode)).toEqual([26]);
    expect(latency).toBeLessThan(2000);
  });
});

describe('off loopback or with a token', () => {
  it('needs the token on every request but the page code', async () => {
    const d = await startDashboard({ dirs: [runs.root], port: 0, token: 'sesame-0123456789' });
    try {
      expect(d.tokenRequired).toBe(true);
      expect(d.url).toContain('?token=sesame-0123456789');
      expect((await get(d.port, '/api/runs')).status).toBe(401);
      expect((await get(d.port, '/')).status).toBe(401);
      expect((await get(d.port, '/api/runs?token=wrong-0123456789')).status).toBe(401);
      expect((await get(d.port, '/api/runs?token=sesame-0123456789')).status).toBe(200);
      expect((await get(d.port, '/api/runs', { 'X-Nascent-Token': 'sesame-0123456789' })).status).toBe(200);
      expect((await get(d.port, '/assets/main.js')).status).toBe(200);
      expect((await get(d.port, '/assets/..%2Fpackage.json')).status).toBe(404);
    } finally {
      await d.close();
    }
  });

  it('makes up a token when bound off loopback', async () => {
    const d = await startDashboard({ dirs: [runs.root], port: 0, host: '0.0.0.0' });
    try {
      expect(d.tokenRequired).toBe(true);
      expect(d.token.length).toBeGreaterThanOrEqual(20);
      expect((await get(d.port, '/api/runs')).status).toBe(401);
    } finally {
      await d.close();
    }
  });
});

describe('stopping a search', () => {
  it('sends SIGINT to the process holding the run lock, with --allow-actions and the token only', async () => {
    const d = await startDashboard({ dirs: [runs.root], port: 0, allowActions: true });
    const marker = join(runs.finished, 'got-sigint');
    rmSync(marker, { force: true });
    // A stand-in search: holds the run's lock as a search does, and on SIGINT records it and lets go.
    const lockModule = join(import.meta.dirname, '..', '..', 'src', 'store', 'lock.ts');
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `const { writeFileSync } = await import('node:fs');
         const { acquireRunLock } = await import(${JSON.stringify(lockModule)});
         const lock = acquireRunLock(${JSON.stringify(runs.finished)});
         process.on('SIGINT', () => { writeFileSync(${JSON.stringify(marker)}, 'stopped'); lock.release(); process.exit(130); });
         console.log('locked');
         setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve) => child.stdout!.on('data', (c) => String(c).includes('locked') && resolve()));
      expect((await get(d.port, '/api/stop?run=finished', {}, 'POST')).status).toBe(403);
      const answer = await get(d.port, '/api/stop?run=finished', { 'X-Nascent-Token': d.token }, 'POST');
      expect(answer.status).toBe(202);
      expect(JSON.parse(answer.body).pid).toBe(child.pid);
      await new Promise<void>((resolve) => child.on('exit', () => resolve()));
      expect(readFileSync(marker, 'utf8')).toBe('stopped');
      // Not running any more: nothing to stop.
      expect((await get(d.port, '/api/stop?run=finished', { 'X-Nascent-Token': d.token }, 'POST')).status).toBe(409);
    } finally {
      child.kill('SIGKILL');
      await d.close();
      rmSync(marker, { force: true });
    }
  });
});
