// `nascent doctor` as a user runs it: every backend in auto's order with a verdict that matches
// what this machine has, auto's pick, and where the data would be read from.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeWebgpu } from '../../src/backend/webgpu.js';
import { writeLearnableCifar } from '../helpers/learnable-cifar.js';
import { runNascent } from '../helpers/cli.js';

const nascent = (args: string[], env: NodeJS.ProcessEnv = {}) => runNascent(args, env, 60_000);

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'nascent-doctor-'));
  writeLearnableCifar(join(work, 'data'), 10);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('nascent doctor', () => {
  it("judges every backend as this machine allows, names auto's pick and finds the data", async () => {
    const probe = await probeWebgpu();
    const r = nascent(['doctor', '--json', '--data-dir', join(work, 'data')], { NASCENT_WASM_THREADS: '3' });
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out);
    expect(report.backends.map((b: { backend: string }) => b.backend)).toEqual(['tensorflow', 'webgpu', 'wasm', 'cpu']);
    const [tensorflow, webgpu, wasm, cpu] = report.backends;
    expect(tensorflow.details.join('\n')).toMatch(/libcudart\.so\.11\.0/); // what tfjs-node-gpu would need
    expect(webgpu.available).toBe(probe.ok);
    if (probe.ok) {
      expect(webgpu.details).toContain(`adapter: ${probe.adapter.name} (${probe.adapter.software ? 'software' : 'hardware'})`);
      expect(webgpu.autoWouldUse).toBe(!probe.adapter.software);
    } else {
      expect(webgpu.summary).toBe(probe.reason);
    }
    expect(webgpu.details.join('\n')).toMatch(/Vulkan loader: /);
    expect(wasm.available).toBe(true);
    expect(wasm.details).toContain('threads: 3 (NASCENT_WASM_THREADS; NASCENT_WASM_THREADS=N sets it)');
    expect(wasm.details).toContain('SIMD: yes');
    expect(cpu.available).toBe(true);
    const expected = tensorflow.available ? 'tensorflow' : probe.ok && !probe.adapter.software ? 'webgpu' : 'wasm';
    expect(report.auto).toBe(expected);
    expect(report.data.batchesDir).toBe(join(work, 'data', 'cifar-10-batches-bin'));
    expect(report.data.testBatch).toBe(true);
  });

  it('prints one verdict line per backend and says when the data is not there yet', () => {
    const r = nascent(['doctor', '--data-dir', join(work, 'nothing-here')]);
    expect(r.code, r.err).toBe(0);
    for (const b of ['tensorflow', 'webgpu', 'wasm', 'cpu']) expect(r.out).toMatch(new RegExp(`^${b} +(auto|yes|no) `, 'm'));
    expect(r.out).toMatch(/^--backend auto takes: (tensorflow|webgpu|wasm)$/m);
    expect(r.out).toMatch(/data: CIFAR-10 is not in .*nothing-here \(--data-dir\) yet: the first search downloads it there/);
  });
});
