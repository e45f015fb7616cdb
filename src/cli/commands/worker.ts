// `nascent worker --redis URL`: trains children for searches spread over machines. It takes
// evaluation jobs from the queue on Redis, trains each child on this machine's backend and data
// (in a trainer process of its own, so the job's lock is renewed while tfjs works), and returns the
// result. Ctrl-C finishes the job in hand and stops; a second one drops the child and gives its job
// back to the queue at once.
import { resolve } from 'node:path';
import { BACKEND_CHOICES } from '../../backend/index.js';
import { EVAL_QUEUE } from '../../workers/queue.js';
import { startWorker } from '../../workers/worker.js';
import { type CommandSpec, type ParsedArgs, UsageError } from '../flags.js';

export const workerCommand: CommandSpec = {
  name: 'worker',
  brief: 'train children for searches spread over machines (jobs from a BullMQ queue on Redis)',
  summary:
    'Take evaluation jobs from the queue on Redis, train each child on this machine and return its\n' +
    "result, with each epoch as the job's progress. Any number of workers on any machines. Ctrl-C\n" +
    'finishes the job in hand; a second Ctrl-C drops it and gives it back to the queue.',
  flags: [
    { name: 'redis', type: 'string', help: 'the Redis server: redis://[user:password@]host:6379[/db], or rediss:// for TLS (required)' },
    { name: 'backend', type: 'enum', choices: BACKEND_CHOICES, default: 'auto', help: 'tfjs backend' },
    { name: 'data-dir', type: 'string', defaultLabel: "each data set's cache", help: 'where this machine keeps the images a job names' },
    { name: 'threads', type: 'int', min: 1, defaultLabel: 'one per core', help: 'threads for the wasm backend (run one worker per core with --threads 1)' },
    { name: 'name', type: 'string', defaultLabel: 'host-pid', help: "this worker's name in the search's display and its trials" },
    { name: 'lock-seconds', type: 'int', min: 2, default: 30, help: "a job's lock; a killed worker's child goes to another worker within twice this" },
  ],
  examples: [
    'nascent worker --redis redis://127.0.0.1:6379',
    'nascent worker --redis redis://queue.lan:6379 --threads 1 --name gpu-box-1',
    'nascent worker --redis rediss://:secret@queue.example:6380 --backend webgpu',
  ],
};

const masked = (url: string) => url.replace(/\/\/[^@/]*@/, '//***@');

export async function runWorkerCommand(args: ParsedArgs, log: (line: string) => void = console.log): Promise<number> {
  const url = args.flags.redis as string | undefined;
  if (url === undefined) throw new UsageError('missing --redis URL (the Redis server the search queues its children on)', workerCommand);
  const dataDir = args.flags['data-dir'] === undefined ? undefined : resolve(args.flags['data-dir'] as string);
  const worker = startWorker({
    redis: url,
    backend: args.flags.backend as string,
    dataDir,
    threads: args.flags.threads as number | undefined,
    name: args.flags.name as string | undefined,
    lockDurationMs: (args.flags['lock-seconds'] as number) * 1000,
    log,
  });
  const { bull } = worker;
  bull.on('active', (job) => log(`job ${job.id}: training`));
  bull.on('completed', (job, result) => log(`job ${job.id}: accuracy ${result.accuracy.toFixed(4)} (${result.valAccuracies.length} epochs)`));
  bull.on('failed', (job, err) => log(`job ${job?.id}: failed: ${err.message}`));
  bull.on('error', (err) => log(`worker: ${err.message}`));
  const info = await worker.ready;
  log(`backend: ${info.detail}`);
  log(`worker ${worker.name}: waiting for jobs on ${EVAL_QUEUE} at ${masked(url)}`);
  let stopping = false;
  return new Promise<number>((done) => {
    const onSignal = () => {
      if (!stopping) {
        stopping = true;
        log('\nstopping after the job in hand (Ctrl-C again to stop now)...');
        void worker.close().then(() => done(130));
      } else {
        log('\nstopping now; the job in hand goes back to the queue.');
        void worker.close(true).then(() => done(130));
      }
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
