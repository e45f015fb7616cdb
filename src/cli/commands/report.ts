// `nascent report <run>`: the plots, cell diagrams and index.html of a run, finished or in progress.
import { relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeRunReport } from '../../report/report.js';
import type { CommandSpec, ParsedArgs } from '../flags.js';

export const reportCommand: CommandSpec = {
  name: 'report',
  brief: 'draw a run: plots, cell diagrams and index.html in <run>/report/',
  summary:
    'Draw a run: accuracy and reward per episode, the best cells as diagrams, and index.html with\n' +
    'the top 10 distinct architectures and the settings. Works on a run in progress.',
  positionals: [{ name: 'run', help: 'run directory (as written by nascent search)', required: true }],
  flags: [
    { name: 'out', type: 'string', defaultLabel: '<run>/report', help: 'directory to write the report into' },
    { name: 'json', type: 'bool', help: 'print one JSON object: the run, the files written and index.html' },
  ],
  examples: ['nascent report runs/20260101-120000Z', 'nascent report /tmp/run --out /tmp/run-report'],
};

/** A path relative to the working directory when it lies inside it, else absolute. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

export async function runReportCommand(args: ParsedArgs, log: (line: string) => void = console.log): Promise<number> {
  const started = performance.now();
  const { files } = await writeRunReport(args.positionals[0], { outDir: args.flags.out as string | undefined });
  const index = files.find((f) => f.endsWith('index.html')) ?? files[files.length - 1];
  if (args.flags.json === true) {
    log(JSON.stringify({ run: resolve(args.positionals[0]), files, index }, null, 2));
    return 0;
  }
  log(`wrote ${files.length} files in ${Math.round(performance.now() - started)} ms:`);
  for (const f of files) log(`  ${shown(f)}`);
  log(`open: ${pathToFileURL(index).href}`);
  return 0;
}
