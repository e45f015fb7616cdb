import { describe, expect, it } from 'vitest';
import { TrainProgress } from '../../src/cli/train-progress.js';

function display(isTTY: boolean) {
  let t = 0;
  const out: string[] = [];
  const p = new TrainProgress({ epochs: 2, images: 1000, batchSize: 100, isTTY, now: () => t, write: (s) => out.push(s), quietSeconds: 30 });
  return { p, out, advance: (ms: number) => (t += ms) };
}

describe('TrainProgress', () => {
  it('off a terminal: a batch line now and then, one line per epoch, nothing redrawn', () => {
    const { p, out, advance } = display(false);
    p.epochStart();
    for (let b = 0; b < 10; b++) {
      advance(10_000);
      p.batch(1, b, 10, 2 - b / 10);
    }
    p.epochEnd({ epoch: 1, loss: 1.5, trainAccuracy: 0.4, seconds: 100 });
    p.phase('test', 'the 10000 images of test_batch.bin');
    p.testBatch(100, 10000);
    // first batch at once, then at most one every 30 s, none for the last batch (the epoch line follows)
    expect(out).toEqual([
      'epoch 1/2 batch 1/10 loss 2.000 | 10 img/s | ETA 3m10s\n',
      'epoch 1/2 batch 4/10 loss 1.700 | 10 img/s | ETA 2m40s\n',
      'epoch 1/2 batch 7/10 loss 1.400 | 10 img/s | ETA 2m10s\n',
      'epoch 1/2 loss 1.5000 train_acc 0.4000 (1m40s, 10 img/s)\n',
      'testing on the 10000 images of test_batch.bin\n',
    ]);
    expect(out.join('')).not.toContain('\r');
  });

  it('on a terminal: one status line redrawn in place, cleared before lines that stay', () => {
    const { p, out, advance } = display(true);
    p.epochStart();
    advance(1000);
    p.batch(1, 0, 10, 2.3);
    advance(50);
    p.batch(1, 1, 10, 2.2); // within 100 ms: not redrawn
    advance(1000);
    p.batch(1, 2, 10, 2.1);
    p.epochEnd({ epoch: 1, loss: 2, trainAccuracy: 0.2, seconds: 3 });
    expect(out[0]).toMatch(/^\r\x1b\[2Kepoch 1\/2 █{2}░{18} 1\/10 loss 2\.300 \| 100 img\/s \| ETA /);
    expect(out[1]).toMatch(/^\r\x1b\[2Kepoch 1\/2 █{6}░{14} 3\/10 loss 2\.100/);
    expect(out.slice(2)).toEqual(['\r\x1b[2K', 'epoch 1/2 loss 2.0000 train_acc 0.2000 (3s, 333 img/s)\n']);
  });
});
