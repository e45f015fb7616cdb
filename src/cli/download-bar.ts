// A download progress bar for the terminal (plain percentage lines when stdout is not one).
import { bar, formatDuration } from './progress.js';

export function downloadBar(write: (t: string) => void = (t) => process.stderr.write(t), isTTY = Boolean(process.stderr.isTTY)) {
  const started = Date.now();
  let lastPct = -1;
  return (done: number, total?: number) => {
    const mb = (n: number) => (n / 1048576).toFixed(1);
    if (!total) {
      if (isTTY) write(`\r\x1b[2Kdownloading CIFAR-10: ${mb(done)} MB`);
      return;
    }
    const pct = Math.floor((100 * done) / total);
    const rate = done / Math.max(1e-3, (Date.now() - started) / 1000);
    if (isTTY) {
      write(`\r\x1b[2Kdownloading CIFAR-10 ${bar(done / total, 30)} ${pct}% ${mb(done)}/${mb(total)} MB ETA ${formatDuration((total - done) / rate)}`);
      if (done >= total) write('\n');
    } else if (pct >= lastPct + 10 || done >= total) {
      lastPct = pct;
      write(`downloading CIFAR-10: ${pct}% (${mb(done)}/${mb(total)} MB)\n`);
    }
  };
}
