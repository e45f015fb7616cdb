// `nascent export` as a user runs it: a usage error without --format, a cells file exported with
// its untrained weights said plainly, --json, and a check that reads the real test images.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { runNascent } from '../helpers/cli.js';
import { haveShared, SHARED } from '../helpers/shared.js';
import { EVERY_OP, savedChild } from './fixture.js';

const DATA = join(SHARED, 'data/cifar10-subset');
const withImages = haveShared(DATA, 'the CIFAR-10 subset');

let dir: string;
beforeAll(async () => {
  dir = await savedChild();
});

describe('nascent export', () => {
  it('needs --format, and names the choices', () => {
    const r = runNascent(['export', dir]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/missing --format: tfjs or onnx/);
    expect(runNascent(['export', dir, '--format', 'keras']).err).toMatch(/--format/);
  });

  it('fails in one line on a directory that holds no model', () => {
    const empty = mkdtempSync(join(tmpdir(), 'nascent-export-cli-'));
    const r = runNascent(['export', empty, '--format', 'tfjs']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/holds no model.json/);
  });

  it('exports a cells file with seeded, untrained weights and says so', () => {
    const cells = join(mkdtempSync(join(tmpdir(), 'nascent-export-cli-')), 'cells.json');
    writeFileSync(cells, JSON.stringify(EVERY_OP));
    const out = join(cells, '..', 'onnx');
    const r = runNascent(['export', cells, '--format', 'onnx', '--no-check', '--out', out, '--json']);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/UNTRAINED/);
    const printed = JSON.parse(r.out);
    expect(printed).toMatchObject({ format: 'onnx', opset: 13, trained: false });
    expect(existsSync(join(out, 'model.onnx'))).toBe(true);
    expect(JSON.parse(readFileSync(join(out, 'preprocessing.json'), 'utf8')).image).toEqual({
      height: 32,
      width: 32,
      channels: 3,
      colour: 'RGB',
      resize: 'cover-centre-crop',
    });
  });

  it.runIf(withImages)('checks a trained model on the test images and reports the difference', () => {
    const r = runNascent(['export', dir, '--format', 'tfjs', '--data-dir', DATA, '--check-limit', '64', '--backend', 'wasm']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/check on 64 test images: max \|difference\| \S+ \(bound 1e-5: ok\), same top class 100.0%/);
    expect(existsSync(join(dir, 'export-tfjs', 'model.json'))).toBe(true);
    // a second export into the same place is refused before anything is written
    const again = runNascent(['export', dir, '--format', 'tfjs']);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/already holds model.json/);
  });
});
