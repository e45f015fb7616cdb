// `nascent dashboard [DIR ...]`: a page to keep open while searches run, updated as trials land.
import { startDashboard } from '../../dashboard/server.js';
import { type CommandSpec, type ParsedArgs, UsageError } from '../flags.js';

export const dashboardCommand: CommandSpec = {
  name: 'dashboard',
  brief: 'serve a live page of the runs in DIR (default runs/), updated as trials land',
  summary:
    'Serve a page of every run under DIR (default runs/; a directory that is a run, or holds runs): a\n' +
    'table of runs, and for each the same plots as nascent report, the trial table, the cells, what the\n' +
    'strategy has learned and the children in flight, pushed to the page as the run files grow. It works\n' +
    'for a search in another process, on workers, or finished. Binds 127.0.0.1; with --host elsewhere\n' +
    'every request needs the token printed in the URL. Read-only unless --allow-actions (stop a search).\n' +
    'Runs until Ctrl-C.',
  positionals: [{ name: 'dir', help: 'directories of runs (default runs/)', variadic: true }],
  flags: [
    { name: 'port', type: 'int', default: 8080, min: 0, max: 65535, help: 'port to listen on (0: any free port)' },
    { name: 'host', type: 'string', default: '127.0.0.1', help: 'address to bind; anything but loopback requires the token' },
    { name: 'token', type: 'string', help: 'require this token on every request (default: required, and made up, off loopback only)' },
    { name: 'redis', type: 'string', help: "a Redis server to read workers' heartbeats from (a run's own --redis is read anyway)" },
    { name: 'allow-actions', type: 'bool', default: false, help: 'let the page stop a running search (SIGINT to its process; it can be resumed)' },
  ],
  examples: ['nascent dashboard', 'nascent dashboard runs /tmp/sweep --port 8090', 'nascent dashboard --host 0.0.0.0 --allow-actions'],
};

export async function runDashboardCommand(args: ParsedArgs, log: (line: string) => void = console.log): Promise<number> {
  const dirs = args.positionals.length > 0 ? args.positionals : ['runs'];
  const dashboard = await startDashboard({
    dirs,
    port: args.flags.port as number,
    host: args.flags.host as string,
    allowActions: args.flags['allow-actions'] === true,
    ...(args.flags.redis !== undefined ? { redis: args.flags.redis as string } : {}),
    ...(args.flags.token !== undefined ? { token: args.flags.token as string } : {}),
    log,
  }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'EADDRINUSE') throw new UsageError(`--port ${args.flags.port}: already in use (try --port 0 for any free port)`);
    throw err;
  });
  for (const problem of dashboard.registry.rootProblems()) log(`warning: ${problem}`);
  const runs = dashboard.registry.all().length;
  log(`nascent dashboard: ${runs} run${runs === 1 ? '' : 's'} under ${dashboard.registry.roots.join(', ')}`);
  log(`open ${dashboard.url}`);
  log(args.flags['allow-actions'] === true ? 'actions allowed: the page can stop a running search' : 'read-only (--allow-actions lets the page stop a search)');
  log('Ctrl-C to stop');
  await new Promise<void>((resolveStop) => process.once('SIGINT', () => resolveStop()));
  await dashboard.close();
  return 0;
}
