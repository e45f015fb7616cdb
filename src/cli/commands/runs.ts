// `nascent runs [DIR]`: the runs under DIR (runs/ by default), a line each: running, finished or
// stopped, the best accuracy, the trials, what was searched how, and when it was made.
import { relative, resolve } from 'node:path';
import { listRuns, type RunSummary } from '../../report/runs.js';
import type { CommandSpec, ParsedArgs } from '../flags.js';

export const runsCommand: CommandSpec = {
  name: 'runs',
  brief: 'list the runs in a directory: state, best accuracy, trials, kind',
  summary:
    'List the runs in DIR (its subdirectories that hold config.json, or DIR itself when it is a run),\n' +
    'oldest first: running (a live search holds its lock), finished, or stopped (fewer trials than\n' +
    'planned, or a weight-sharing run before its last phase: resume it with nascent search --resume);\n' +
    'its best accuracy, trials (weight sharing: final samples scored), space / evaluator / strategy, and\n' +
    'when it was made.',
  positionals: [{ name: 'dir', help: 'directory of runs (default runs/)' }],
  flags: [{ name: 'json', type: 'bool', help: 'print one JSON object: the directory and every run' }],
  examples: ['nascent runs', 'nascent runs /tmp/sweep --json'],
};

/** A path relative to the working directory when it lies inside it, else absolute. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

/** The runs as a table, a header line first. */
export function runsTable(runs: readonly RunSummary[]): string[] {
  const rows = runs.map((r) => [
    shown(r.dir),
    r.state === 'running' ? `running (pid ${r.pid})` : r.phase !== undefined && r.state === 'stopped' ? `stopped (${r.phase})` : r.state,
    r.bestAccuracy === null ? '-' : r.bestAccuracy.toFixed(4),
    r.planned === null ? String(r.trials) : `${r.trials}/${r.planned}`,
    r.kind ? `${r.kind.space} / ${r.kind.evaluator} / ${r.kind.strategy}` : r.problem !== undefined ? `unreadable: ${r.problem}` : '-',
    r.created === null ? '-' : r.created.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, 'Z'),
  ]);
  const header = ['RUN', 'STATE', 'BEST', 'TRIALS', 'KIND', 'CREATED'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

export async function runRunsCommand(args: ParsedArgs, log: (line: string) => void = console.log): Promise<number> {
  const dir = args.positionals[0] ?? 'runs';
  const runs = listRuns(dir);
  if (args.flags.json === true) {
    log(JSON.stringify({ dir: resolve(dir), runs }, null, 2));
    return 0;
  }
  if (runs.length === 0) {
    log(`no runs in ${dir} (a run is a directory with config.json, as nascent search writes)`);
    return 0;
  }
  for (const line of runsTable(runs)) log(line);
  return 0;
}
