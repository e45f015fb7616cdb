// `nascent doctor`: the first thing to run when a backend is missing or slow. Says, for each
// backend in the order `--backend auto` tries them, whether it can run here and why not, which one
// auto would take, and where CIFAR-10 would be read from.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { diagnoseBackends, type DoctorReport } from '../../backend/doctor.js';
import { isSyntheticCifar10, resolveCifar10Dir } from '../../data/cifar10.js';
import { TEST_BATCH_FILE } from '../../data/cifar10-format.js';
import type { CommandSpec, ParsedArgs } from '../flags.js';

export const doctorCommand: CommandSpec = {
  name: 'doctor',
  brief: 'say which backends can run here and why not, and where data would come from',
  summary:
    'Check this machine: for each backend (tensorflow, webgpu, wasm, cpu) whether it is available and\n' +
    'why not (packages, Vulkan loader and drivers, the GPU adapter and whether it is hardware, the CUDA\n' +
    'and cuDNN libraries tfjs-node-gpu needs), which one --backend auto takes, the wasm threads, and\n' +
    'where CIFAR-10 would be read from. Changes nothing.',
  flags: [
    { name: 'data-dir', type: 'string', defaultLabel: '$NASCENT_DATA or ~/.cache/nascent/cifar-10', help: 'CIFAR-10 directory to look at' },
    { name: 'json', type: 'bool', default: false, help: 'print the findings as one JSON object' },
  ],
  examples: ['nascent doctor', 'nascent doctor --data-dir ../cifar10 --json'],
};

interface DataFinding {
  cacheDir: string;
  batchesDir?: string;
  testBatch: boolean;
  synthetic: boolean;
  summary: string;
}

function checkData(dataDir: string | undefined): DataFinding {
  const { cacheDir, batchesDir } = resolveCifar10Dir({ dataDir });
  const source = dataDir ? '--data-dir' : process.env.NASCENT_DATA ? 'NASCENT_DATA' : 'the default cache';
  if (!batchesDir) {
    return {
      cacheDir,
      testBatch: false,
      synthetic: false,
      summary: `CIFAR-10 is not in ${cacheDir} (${source}) yet: the first search downloads it there (163 MB)`,
    };
  }
  const testBatch = existsSync(join(batchesDir, TEST_BATCH_FILE));
  const synthetic = isSyntheticCifar10(batchesDir);
  const notes = [testBatch ? 'with the test batch' : `without ${TEST_BATCH_FILE} (nascent train needs it)`, ...(synthetic ? ['SYNTHETIC, not CIFAR-10'] : [])];
  return { cacheDir, batchesDir, testBatch, synthetic, summary: `CIFAR-10 found in ${batchesDir} (${source}), ${notes.join(', ')}` };
}

function print(report: DoctorReport, data: DataFinding, log: (line: string) => void): void {
  log(`node ${report.node}, ${report.cores} cores, ${process.platform}-${process.arch}`);
  log('');
  for (const b of report.backends) {
    const mark = b.available ? (b.backend === report.auto ? 'auto' : 'yes') : 'no';
    log(`${b.backend.padEnd(10)} ${mark.padEnd(4)}  ${b.summary}`);
    for (const d of b.details) log(`${' '.repeat(17)}${d}`);
  }
  log('');
  log(`--backend auto takes: ${report.auto}`);
  log(`data: ${data.summary}`);
}

export async function runDoctorCommand(args: ParsedArgs, log: (line: string) => void = console.log): Promise<number> {
  const report = await diagnoseBackends();
  const data = checkData(args.flags['data-dir'] as string | undefined);
  if (args.flags.json) log(JSON.stringify({ ...report, data }, null, 2));
  else print(report, data, log);
  return 0;
}
