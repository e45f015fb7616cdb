// The NAS-Bench-201 table: read and checked with errors that name the file and line, downloaded
// from a loopback server and verified by sha256, and the real table (where ../shared has it).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultTableCache, ensureNatsBenchTable, NATS_BENCH_FILE, NATS_BENCH_SHA256, readNatsBenchTable } from '../../src/data/nats-bench.js';
import { TabularEvaluator } from '../../src/evaluators/table/evaluator.js';
import { parseNb201 } from '../../src/spaces/nas-bench-201/space.js';
import { haveShared, NB201_TABLE } from '../helpers/shared.js';
import { sendFile, serve, tempDir } from './helpers.js';

const HEADER = 'CIFAR10TestAccuracy200Epochs,CIFAR100TestAccuracy200Epochs,ImageNetTestAccuracy200Epochs,ArchitectureString,UniqueString';
const A = '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|';
const B = '|none~0|+|none~0|none~1|+|none~0|none~1|none~2|';
const tmp = tempDir('nascent-nb201-');
afterAll(() => tmp.cleanup());
const write = (name: string, text: string) => {
  const p = join(tmp.path, name);
  writeFileSync(p, text);
  return p;
};
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('readNatsBenchTable', () => {
  it("looks accuracies up by cell string and knows each data set's best", () => {
    const t = readNatsBenchTable(write('ok.csv', `${HEADER}\n94.1,73.2,46.5,${A},x\n10,1,0.8,${B},y\n`));
    expect(t.size).toBe(2);
    expect(t.file).toBe(join(tmp.path, 'ok.csv'));
    expect(t.accuracy(A, 'cifar100')).toBe(73.2);
    expect(t.accuracy(B, 'cifar10')).toBe(10);
    expect(t.accuracy('|nope|', 'cifar10')).toBeUndefined();
    expect(t.best('imagenet16-120')).toEqual({ arch: A, accuracy: 46.5 });
    expect(() => t.best('mnist' as never)).toThrow(/unknown NAS-Bench-201 data set "mnist"/);
  });

  it('reads columns in any order, CRLF line ends and a byte-order mark', () => {
    const t = readNatsBenchTable(
      write(
        'crlf.csv',
        `\uFEFFArchitectureString,ImageNetTestAccuracy200Epochs,CIFAR100TestAccuracy200Epochs,CIFAR10TestAccuracy200Epochs\r\n${A},46.5,73.2,94.1\r\n`,
      ),
    );
    expect([t.accuracy(A, 'cifar10'), t.accuracy(A, 'cifar100'), t.accuracy(A, 'imagenet16-120')]).toEqual([94.1, 73.2, 46.5]);
  });

  it('says what is wrong, with the file and line', () => {
    const bad = (name: string, text: string) => () => readNatsBenchTable(write(name, text));
    expect(() => readNatsBenchTable(join(tmp.path, 'missing.csv'))).toThrow(
      /missing\.csv does not exist: give the NAS-Bench-201 table with --table FILE, or leave --table out to download it/,
    );
    expect(bad('empty.csv', '')).toThrow(/empty\.csv is empty/);
    expect(bad('blank.csv', '\n\n')).toThrow(/is empty/);
    expect(bad('header.csv', `${HEADER}\n`)).toThrow(/header\.csv has a header but no cells/);
    expect(bad('col.csv', `CIFAR10TestAccuracy200Epochs,ArchitectureString\n94,${A}\n`)).toThrow(/col\.csv: no column CIFAR100TestAccuracy200Epochs/);
    expect(bad('short.csv', `${HEADER}\n94.1,73.2,${A},x\n`)).toThrow(/short\.csv:2: 4 fields, the header has 5/);
    expect(bad('nan.csv', `${HEADER}\n94.1,73.2,46.5,${B},x\n94.1,abc,46.5,${A},x\n`)).toThrow(
      /nan\.csv:3: CIFAR100TestAccuracy200Epochs is "abc", not an accuracy in percent/,
    );
    expect(bad('space.csv', `${HEADER}\n94.1, ,46.5,${A},x\n`)).toThrow(/space\.csv:2: CIFAR100TestAccuracy200Epochs is " "/);
    expect(bad('high.csv', `${HEADER}\n100.5,73.2,46.5,${A},x\n`)).toThrow(
      /high\.csv:2: CIFAR10TestAccuracy200Epochs is "100.5", not an accuracy in percent \(0 to 100\)/,
    );
    expect(bad('low.csv', `${HEADER}\n94,73.2,-1,${A},x\n`)).toThrow(/low\.csv:2: ImageNetTestAccuracy200Epochs is "-1"/);
    expect(bad('dup.csv', `${HEADER}\n94.1,73.2,46.5,${A},x\n10,1,1,${B},y\n94.1,73.2,46.5,${A},x\n`)).toThrow(
      /dup\.csv:4: cell \|nor_conv_3x3.* appears a second time \(first on line 2\)/,
    );
    expect(bad('arch.csv', `${HEADER}\n94.1,73.2,46.5,conv,x\n`)).toThrow(/arch\.csv:2: ArchitectureString "conv" is not a cell string .*expected 3 nodes/);
    expect(bad('op.csv', `${HEADER}\n94.1,73.2,46.5,${A.replace('nor_conv_3x3~1|+', 'conv~1|+')},x\n`)).toThrow(/op\.csv:2: .*unknown operation "conv"/);
    expect(() => readNatsBenchTable(tmp.path)).toThrow(/is a directory/);
  });
});

describe('TabularEvaluator', () => {
  it('scores a cell by its table accuracy as a fraction, fails one the table lacks, and rejects an abort', async () => {
    const table = readNatsBenchTable(write('eval.csv', `${HEADER}\n94.1,73.2,46.5,${A},x\n`));
    const epochs: number[] = [];
    const ok = await new TabularEvaluator(table, 'cifar100').train(parseNb201(A), { onEpochEnd: (_e, s) => epochs.push(s.valAccuracy) });
    expect(ok).toMatchObject({ accuracy: 0.732, valAccuracies: [0.732], params: 0 });
    expect(ok.failed).toBeUndefined();
    expect(ok.seconds).toBeGreaterThanOrEqual(0);
    expect(epochs).toEqual([0.732]);
    expect((await new TabularEvaluator(table).train(parseNb201(A))).accuracy).toBeCloseTo(0.941, 12);
    const missing = await new TabularEvaluator(table).train(parseNb201(B));
    expect(missing).toMatchObject({ accuracy: 0, valAccuracies: [], params: 0, failed: expect.stringMatching(/is not in the table .*eval\.csv/) });
    const abort = new AbortController();
    abort.abort(new Error('stop'));
    await expect(new TabularEvaluator(table).train(parseNb201(A), { signal: abort.signal })).rejects.toThrow('stop');
  });
});

describe('ensureNatsBenchTable', () => {
  const body = Buffer.from(`${HEADER}\n94.1,73.2,46.5,${A},x\n`);
  const sha = sha256(body);

  it('downloads the table once, checked by sha256, then uses the cached copy', async () => {
    const server = await serve((req, res) => sendFile(req, res, body));
    try {
      const cacheDir = join(tmp.path, 'cache');
      const opts = { cacheDir, url: `${server.url}/nats_bench.csv`, sha256: sha, allowHttp: true, retries: 0 };
      const path = await ensureNatsBenchTable(opts);
      expect(path).toBe(join(cacheDir, NATS_BENCH_FILE));
      expect(readNatsBenchTable(path).size).toBe(1);
      expect(existsSync(`${path}.part`)).toBe(false);
      await ensureNatsBenchTable(opts);
      expect(server.requests).toHaveLength(1);
      // a cached copy that no longer matches is downloaded again
      writeFileSync(path, `${HEADER}\n1,1,1,${A},x\n`);
      const logs: string[] = [];
      await ensureNatsBenchTable({ ...opts, log: (l) => logs.push(l) });
      expect(server.requests).toHaveLength(2);
      expect(readFileSync(path).equals(body)).toBe(true);
      expect(logs.join('\n')).toMatch(/has sha256 [0-9a-f]{64}, not [0-9a-f]{64}: downloading it again/);
    } finally {
      await server.close();
    }
  });

  it('refuses a table whose sha256 differs and keeps nothing of it', async () => {
    const server = await serve((req, res) => sendFile(req, res, body));
    try {
      const cacheDir = join(tmp.path, 'bad-cache');
      mkdirSync(cacheDir, { recursive: true });
      await expect(ensureNatsBenchTable({ cacheDir, url: `${server.url}/t.csv`, sha256: '0'.repeat(64), allowHttp: true, retries: 0 })).rejects.toThrow(
        /checksum mismatch .*expected sha256 0{64}, got [0-9a-f]{64}/,
      );
      expect(existsSync(join(cacheDir, NATS_BENCH_FILE))).toBe(false);
      expect(existsSync(join(cacheDir, `${NATS_BENCH_FILE}.part`))).toBe(false);
      // the default is the table's public sha256, and plain http needs allowHttp
      await expect(ensureNatsBenchTable({ cacheDir, url: `${server.url}/t.csv`, allowHttp: true, retries: 0 })).rejects.toThrow(
        new RegExp(`expected sha256 ${NATS_BENCH_SHA256}`),
      );
      await expect(ensureNatsBenchTable({ cacheDir, url: `${server.url}/t.csv`, sha256: sha })).rejects.toThrow(/refusing to download over plain http/);
    } finally {
      await server.close();
    }
  });

  it('takes a given --table as it is, and names one that is missing', async () => {
    const given = write('given.csv', body.toString());
    expect(await ensureNatsBenchTable({ table: given })).toBe(given);
    await expect(ensureNatsBenchTable({ table: join(tmp.path, 'nope.csv') })).rejects.toThrow(
      /--table .*nope\.csv does not exist \(leave --table out to download/,
    );
  });

  it('caches under $NASCENT_CACHE/nats-bench, else ~/.cache/nascent/nats-bench', () => {
    expect(defaultTableCache({ NASCENT_CACHE: '/c' })).toBe('/c/nats-bench');
    expect(defaultTableCache({ HOME: '/h' })).toBe('/h/.cache/nascent/nats-bench');
  });
});

if (haveShared(NB201_TABLE, 'the NAS-Bench-201 table')) {
  it("reads the real table in well under a second: 15,625 cells, CIFAR-10 optimum 94.37, its sha256 the download's", () => {
    const text = readFileSync(NB201_TABLE);
    expect(sha256(text)).toBe(NATS_BENCH_SHA256);
    const started = performance.now();
    const t = readNatsBenchTable(NB201_TABLE);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(t.size).toBe(15625);
    const column = text
      .toString()
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => Number(l.split(',')[0]));
    const best = t.best('cifar10');
    expect(best.accuracy).toBe(Math.max(...column));
    expect(best.accuracy).toBeCloseTo(94.37, 2);
    expect(t.accuracy(best.arch, 'cifar10')).toBe(best.accuracy);
    expect(best.arch).toBe('|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|');
  });
}
