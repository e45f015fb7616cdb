// nascent's command line: `nascent <command> [args] [flags]`. A wrong command, flag or value prints
// what is wrong and where the help is, and exits 2; a failure while working prints one clear line,
// exits 1; a search stopped before its end (Ctrl-C, a closed output) exits 130.
import { type CommandSpec, type ParsedArgs, UsageError, closest, parseArgs, usage } from './flags.js';
import { runSearchCommand, searchCommand } from './commands/search.js';
import { reportCommand, runReportCommand } from './commands/report.js';
import { compareCommand, runCompareCommand } from './commands/compare.js';
import { runValidateCommand, validateCommand } from './commands/validate.js';
import { runTrainCommand, trainCommand } from './commands/train.js';
import { exportCommand, runExportCommand } from './commands/export.js';
import { doctorCommand, runDoctorCommand } from './commands/doctor.js';
import { runRunsCommand, runsCommand } from './commands/runs.js';
import { runWorkerCommand, workerCommand } from './commands/worker.js';
import { runWorkersCommand, workersCommand } from './commands/workers.js';
import { dashboardCommand, runDashboardCommand } from './commands/dashboard.js';
import { installInterruptHandling } from './interrupt.js';

interface Command {
  spec: CommandSpec;
  run(args: ParsedArgs): Promise<number>;
}

const COMMANDS: Command[] = [
  { spec: searchCommand, run: (a) => runSearchCommand(a) },
  { spec: reportCommand, run: (a) => runReportCommand(a) },
  { spec: compareCommand, run: (a) => runCompareCommand(a) },
  { spec: runsCommand, run: (a) => runRunsCommand(a) },
  { spec: dashboardCommand, run: (a) => runDashboardCommand(a) },
  { spec: validateCommand, run: (a) => runValidateCommand(a) },
  { spec: trainCommand, run: (a) => runTrainCommand(a) },
  { spec: exportCommand, run: (a) => runExportCommand(a) },
  { spec: doctorCommand, run: (a) => runDoctorCommand(a) },
  { spec: workerCommand, run: (a) => runWorkerCommand(a) },
  { spec: workersCommand, run: (a) => runWorkersCommand(a) },
];

const PROGRAM = 'nascent';

/** The line under a usage error, instead of the whole usage. */
const helpHint = (command?: string) => (command ? `run '${PROGRAM} ${command} --help' for its flags` : `run '${PROGRAM} --help' for the commands`);

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.spec.name.length)) + 2;
  return [
    `usage: ${PROGRAM} <command> [arguments] [flags]`,
    '',
    'NASNet-style convolutional cell search with TensorFlow.js.',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.spec.name.padEnd(width)} ${c.spec.brief}`),
    `  ${'help'.padEnd(width)} show help for a command`,
    '',
    `Run \`${PROGRAM} <command> --help\` for a command's flags.`,
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    console.log(overview());
    return name === undefined ? 2 : 0;
  }
  if (name === 'help') {
    // `help --help` and `help help` ask about help itself: the overview, which lists it.
    if (['--help', '-h', 'help'].includes(rest[0])) {
      console.log(`usage: ${PROGRAM} help [command]\n\nShow the overview, or a command's flags.\n\n${overview()}`);
      return 0;
    }
    const target = rest[0] === undefined ? undefined : COMMANDS.find((c) => c.spec.name === rest[0]);
    if (rest[0] !== undefined && !target) {
      const hint = closest(
        rest[0],
        COMMANDS.map((c) => c.spec.name),
      );
      console.error(`${PROGRAM}: unknown command ${JSON.stringify(rest[0])}${hint ? ` (did you mean ${hint}?)` : ''}\n${helpHint()}`);
      return 2;
    }
    console.log(target ? usage(target.spec, PROGRAM) : overview());
    return 0;
  }
  // Not a user's command: a parallel search's or a worker's trainer process (src/workers/trainer.ts).
  if (name === '_trainer') return (await import('../workers/trainer.js')).runTrainer(rest);
  if (name === '--version') {
    const { readFileSync } = await import('node:fs');
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    console.log(pkg.version);
    return 0;
  }
  const command = COMMANDS.find((c) => c.spec.name === name);
  if (!command) {
    const hint = closest(
      name,
      COMMANDS.map((c) => c.spec.name),
    );
    console.error(`${PROGRAM}: unknown command ${JSON.stringify(name)}${hint ? ` (did you mean ${hint}?)` : ''}\n${helpHint()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(usage(command.spec, PROGRAM));
    return 0;
  }
  try {
    return await command.run(parseArgs(command.spec, rest));
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`${PROGRAM} ${name}: ${err.message}\n${helpHint((err.command ?? command.spec).name)}`);
      return 2;
    }
    const e = err as Error;
    console.error(`${PROGRAM} ${name}: error: ${e?.message ?? String(err)}`);
    if (process.env.NASCENT_DEBUG) console.error(e?.stack);
    return 1;
  }
}

// Run when executed directly (`tsx src/cli/main.ts`), not when imported by bin/nascent.mjs or tests.
// bin/nascent.mjs installs the interrupt handling itself, before importing this module.
if (/[\\/]src[\\/]cli[\\/]main\.ts$/.test(process.argv[1] ?? '')) {
  installInterruptHandling();
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
