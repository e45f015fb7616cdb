// The NAS-Bench-201 table: read and checked with errors that name the file and line, downloaded
// from a loopback server and verified by sha256, and the real table (where ../shared has it).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureNatsBenchTable, NATS_BENCH_FILE, readNatsBenchTable } from '../../src/data/nats-bench.js';
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

describe('readNatsBenchTable', () => {
  it('looks accuracies up by cell string and knows each data set\'s best', () => {
    const t = readNatsBenchTable(write('ok.csv', `${HEADER}\n94.1,73.2,46.5,${A},x\n10,1,0.8,${B},y\n`));
    expect(t.size).toBe(2);
    expect(t.accuracy(A, 'cifar100')).toBe(73.2);
    expect(t.accuracy('|nope|', 'cifar10')).toBeUndefined();
    expect(t.best('imagenet16-120')).toEqual({ arch: A, accuracy: 46.5 });
  });

  it('says what is wrong, with the file and line', () => {
    expect(() => readNatsBenchTable(join(tmp.path, 'missing.csv'))).toThrow(/missing\.csv does not exist: give the NAS-Bench-201 table with --table FILE/);
    expect(() => readNatsBenchTable(write('empty.csv', ''))).toThrow(/is empty/);
    expect(() => readNatsBenchTable(write('col.csv', `CIFAR10TestAccuracy200Epochs,ArchitectureString\n94,${A}\n`))).toThrow(/no column CIFAR100TestAccuracy200Epochs/);
    expect(() => readNatsBenchTable(write('short.csv', `${HEADER}\n94.1,73.2,${A},x\n`))).toThrow(/short\.csv:2: 4 fields, the header has 5/);
    expect(() => readNatsBenchTable(write('nan.csv', `${HEADER}\n94.1,abc,46.5,${A},x\n`))).toThrow(/nan\.csv:2: CIFAR100TestAccuracy200Epochs is "abc", not an accuracy/);
    expect(() => readNatsBenchTable(write('dup.csv', `${HEADER}\n94.1,73.2,46.5,${A},x\n94.1,73.2,46.5,${A},x\n`))).toThrow(/dup\.csv:3: cell .* appears a second time/);
    expect(() => readNatsBenchTable(write('arch.csv', `${HEADER}\n94.1,73.2,46.5,conv,x\n`))).toThrow(/arch\.csv:2: "conv" is not a cell string/);
    expect(() => readNatsBenchTable(tmp.path)).toThrow(/is a directory/);
  });
});

describe('ensureNatsBenchTable', () => {
  const body = Buffer.from(`${HEADER}\n94.1,73.2,46.5,${A},x\n`);
  const sha = createHash('sha256').update(body).digest('hex');

  it('downloads the table once, checked by sha256, then uses the cached copy', async () => {
    let requests = 0;
    const server = await serve((req, res) => {
      requests++;
      sendFile(req, res, body);
    });
    try {
      const cacheDir = join(tmp.path, 'cache');
      const opts = { cacheDir, url: `${server.url}/nats_bench.csv`, sha256: sha, allowHttp: true, retries: 0 };
      const path = await ensureNatsBenchTable(opts);
      expect(path).toBe(join(cacheDir, NATS_BENCH_FILE));
      expect(readNatsBenchTable(path).size).toBe(1);
      await ensureNatsBenchTable(opts);
      expect(requests).toBe(1);
    } finally {
      await server.close();
    }
  });

  it('refuses a table whose sha256 differs and keeps nothing of it', async () => {
    const server = await serve((req, res) => sendFile(req, res, body));
    try {
      const cacheDir = join(tmp.path, 'bad-cache');
      mkdirSync(cacheDir, { recursive: true });
      await expect(ensureNatsBenchTable({ cacheDir, url: `${server.url}/t.csv`, sha256: '0'.repeat(64), allowHttp: true, retries: 0 })).rejects.toThrow(/expected sha256 0{64}/);
      expect(existsSync(join(cacheDir, NATS_BENCH_FILE))).toBe(false);
    } finally {
      await server.close();
    }
  });

  it('takes a given --table as it is, and names one that is missing', async () => {
    const given = write('given.csv', body.toString());
    expect(await ensureNatsBenchTable({ table: given })).toBe(given);
    await expect(ensureNatsBenchTable({ table: join(tmp.path, 'nope.csv') })).rejects.toThrow(/--table .*nope\.csv does not exist/);
  });
});

if (haveShared(NB201_TABLE, 'the NAS-Bench-201 table')) {
  it('reads the real table: 15,625 cells, CIFAR-10 optimum 94.37', () => {
    const t = readNatsBenchTable(NB201_TABLE);
    expect(t.size).toBe(15625);
    expect(t.best('cifar10').accuracy).toBeCloseTo(94.37, 2);
  });
}
