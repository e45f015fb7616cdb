// `nascent compare <run>...`: best accuracy so far of several runs on one chart.
import { relative } from 'node:path';
import { compareOutProblem, writeComparison } from '../../report/compare.js';
import { type CommandSpec, type ParsedArgs, UsageError } from '../flags.js';

export const compareCommand: CommandSpec = {
  name: 'compare',
  brief: 'plot the best accuracy so far of several runs on one chart',
  summary:
    'Plot the best accuracy so far of several runs against episode and against child-epochs spent,\n' +
    'one line per run, to compare strategies and settings. Writes compare.svg, .png and .html.',
  positionals: [{ name: 'run', help: 'run directories to compare (one or more)', required: true, variadic: true }],
  flags: [
    {
      name: 'out',
      type: 'string',
      default: '.',
      defaultLabel: 'the current directory',
      help: 'directory for compare.{svg,png,html}, or a file name ending in .svg/.png/.html (all three are written beside it)',
    },
  ],
  examples: ['nascent compare runs/controller-7 runs/random-7', 'nascent compare runs/* --out /tmp/all-runs.png'],
};

/** A path relative to the working directory when it lies inside it, else absolute. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

export async function runCompareCommand(args: ParsedArgs, log: (line: string) => void = console.log): Promise<number> {
  // A bad --out is the command line's mistake: said before any run is read.
  const outProblem = compareOutProblem(args.flags.out as string);
  if (outProblem !== undefined) throw new UsageError(outProblem, compareCommand);
  const { files } = await writeComparison(args.positionals, args.flags.out as string);
  log(`compared ${args.positionals.length} run${args.positionals.length === 1 ? '' : 's'}:`);
  for (const f of files) log(`  ${shown(f)}`);
  return 0;
}
