// `nascent workers --redis URL`: who is training children for the searches on this queue, and what
// the queue holds. A worker is listed while its heartbeat (renewed every few seconds) has not lapsed.
import { Queue } from 'bullmq';
import { formatDuration } from '../progress.js';
import { EVAL_QUEUE, listWorkers, redisConnection } from '../../workers/queue.js';
import { type CommandSpec, type ParsedArgs, UsageError } from '../flags.js';

export const workersCommand: CommandSpec = {
  name: 'workers',
  brief: 'list the workers on a Redis queue and the jobs it holds',
  summary:
    'List the nascent workers whose heartbeat is live on the Redis server (what each trains, how busy it\nhas been) and the counts of the queue of children.',
  flags: [
    { name: 'redis', type: 'string', help: 'the Redis server: redis://[user:password@]host:6379[/db], or rediss:// for TLS (required)' },
    { name: 'json', type: 'bool', default: false, help: 'print the workers and counts as JSON' },
  ],
  examples: ['nascent workers --redis redis://127.0.0.1:6379'],
};

export async function runWorkersCommand(args: ParsedArgs, log: (line: string) => void = console.log): Promise<number> {
  const url = args.flags.redis as string | undefined;
  if (url === undefined) throw new UsageError('missing --redis URL (the Redis server the workers take children from)', workersCommand);
  const connection = redisConnection(url);
  // One try: a server that is not there is said at once instead of waited for.
  connection.options.maxRetriesPerRequest = 1;
  connection.options.retryStrategy = () => null;
  const queue = new Queue(EVAL_QUEUE, { connection });
  try {
    const [workers, counts] = await Promise.all([listWorkers(connection), queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed')]);
    if (args.flags.json) {
      log(JSON.stringify({ workers, queue: counts }, null, 2));
      return 0;
    }
    const now = Date.now();
    log(
      `queue ${EVAL_QUEUE}: ${counts.waiting} waiting, ${counts.active} training, ${counts.delayed} delayed, ${counts.completed} done, ${counts.failed} failed`,
    );
    if (workers.length === 0) {
      log('no workers (start one with `nascent worker --redis URL`)');
      return 0;
    }
    const rows = workers.map((w) => [
      w.name,
      w.backend,
      w.job ? `${w.job} epoch ${w.epoch ?? 0}` : 'waiting',
      String(w.jobsDone),
      `${(100 * w.busy).toFixed(1)}%`,
      `${formatDuration((now - Date.parse(w.beat)) / 1000)} ago`,
    ]);
    const head = ['worker', 'backend', 'child', 'done', 'busy', 'heartbeat'];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    for (const r of [head, ...rows])
      log(
        r
          .map((c, i) => c.padEnd(widths[i]))
          .join('  ')
          .trimEnd(),
      );
    return 0;
  } catch (err) {
    throw new Error(`cannot read the queue at ${url.replace(/\/\/[^@/]*@/, '//***@')}: ${(err as Error).message}`);
  } finally {
    await queue.close().catch(() => {});
    connection.disconnect();
  }
}
