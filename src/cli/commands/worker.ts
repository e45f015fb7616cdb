// `nascent worker --redis URL`: trains children for searches spread over machines. It takes
// evaluation jobs from the queue on Redis, trains each child on this machine's backend and data,
// and returns the result. Ctrl-C finishes the job in hand and stops; a second one stops at once
// (the job's lock then lapses and another worker takes it again).
import { resolve } from 'node:path';
import { BACKEND_CHOICES, describeBackend, prepareBackend, type BackendChoice } from '../../backend/index.js';
import { EVAL_QUEUE } from '../../workers/queue.js';
import { startWorker } from '../../workers/worker.js';
import { type CommandSpec, type ParsedArgs, UsageError } from '../flags.js';

export const workerCommand: CommandSpec = {
  name: 'worker',
  brief: 'train children for searches spread over machines (jobs from a BullMQ queue on Redis)',
  summary:
    'Take evaluation jobs from the queue on Redis, train each child on this machine and return its\n' +
    "result, with each epoch as the job's progress. Any number of workers on any machines. Ctrl-C\n" +
    'finishes the job in hand; a second Ctrl-C stops at once.',
  flags: [
    { name: 'redis', type: 'string', help: 'the Redis server: redis://[user:password@]host:6379[/db], or rediss:// for TLS (required)' },
    { name: 'backend', type: 'enum', choices: BACKEND_CHOICES, default: 'auto', help: 'tfjs backend' },
    { name: 'data-dir', type: 'string', defaultLabel: "each data set's cache", help: 'where this machine keeps the images a job names' },
  ],
  examples: ['nascent worker --redis redis://127.0.0.1:6379', 'nascent worker --redis rediss://:secret@queue.example:6380 --backend webgpu'],
};

export async function runWorkerCommand(args: ParsedArgs, log: (line: string) => void = console.log): Promise<number> {
  const url = args.flags.redis as string | undefined;
  if (url === undefined) throw new UsageError('missing --redis URL (the Redis server the search queues its children on)', workerCommand);
  const backend = await prepareBackend(args.flags.backend as BackendChoice);
  for (const line of describeBackend(backend)) log(line);
  const dataDir = args.flags['data-dir'] === undefined ? undefined : resolve(args.flags['data-dir'] as string);
  const worker = startWorker({ redis: url, backend, dataDir, log });
  worker.on('active', (job) => log(`job ${job.id}: training`));
  worker.on('completed', (job, result) => log(`job ${job.id}: accuracy ${result.accuracy.toFixed(4)} (${result.valAccuracies.length} epochs)`));
  worker.on('failed', (job, err) => log(`job ${job?.id}: failed: ${err.message}`));
  worker.on('error', (err) => log(`worker: ${err.message}`));
  await worker.waitUntilReady();
  log(`worker: waiting for jobs on ${EVAL_QUEUE} at ${url.replace(/\/\/[^@/]*@/, '//***@')}`);
  let stopping = false;
  const stopped = new Promise<number>((done) => {
    const onSignal = () => {
      if (!stopping) {
        stopping = true;
        log('\nstopping after the job in hand (Ctrl-C again to stop now)...');
        void worker.close().then(() => done(130));
      } else {
        log('\nstopping now; the job in hand goes back to the queue when its lock lapses.');
        void worker.close(true).then(() => done(130));
      }
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  return stopped;
}
