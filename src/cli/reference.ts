// The flag tables of docs/reference/cli.md, made from the SearchConfig schema's fields and the flags
// the CLI reads off them, so the reference says what the CLI does (scripts/generate.ts writes them;
// a test keeps them equal).
import { configFields, type ConfigField } from '../config/fields.js';
import { valueHint } from './flags.js';
import { flagSpecOf } from './search-flags.js';

const GROUPS: Array<{ title: string; where: (f: ConfigField) => boolean }> = [
  { title: 'What is searched (`problem`)', where: (f) => f.path[0] === 'problem' },
  { title: 'How children are trained (`evaluator`, kind `child`)', where: (f) => f.path[0] === 'evaluator' && f.variant.evaluator === 'child' },
  {
    title: 'Weight sharing (`evaluator`, kind `weight-sharing`, with `--weight-sharing`)',
    where: (f) => f.path[0] === 'evaluator' && f.variant.evaluator === 'weight-sharing',
  },
  { title: 'How architectures are chosen (`strategy`)', where: (f) => f.path[0] === 'strategy' },
  { title: 'Budgets and early stopping (`scheduler`)', where: (f) => f.path[0] === 'scheduler' },
  { title: 'What children are ranked by (`objective`)', where: (f) => f.path[0] === 'objective' },
  { title: 'The whole search', where: (f) => f.path.length === 1 },
];

function range(f: ConfigField): string {
  const k = f.kind;
  if (k.type !== 'int' && k.type !== 'number' && k.type !== 'int-list') return '';
  const low = k.min === undefined ? '' : `${'exclusiveMin' in k && k.exclusiveMin ? '>' : '≥'} ${k.min}`;
  const high = k.max === undefined ? '' : `≤ ${k.max}`;
  const both = [low, high].filter(Boolean).join(', ');
  return both ? ` (${k.type === 'int-list' ? 'each ' : ''}${both})` : '';
}

function defaultOf(f: ConfigField): string {
  if (f.defaultLabel) return f.defaultLabel;
  if (f.default === undefined) return '';
  if (f.default === false) return 'off';
  return Array.isArray(f.default) ? f.default.join(',') : String(f.default);
}

const cell = (s: string) => s.replace(/\|/g, '\\|');

/** Markdown: one table per part of the config, a row per flag with its config field, default and meaning. */
export function searchFlagTables(): string {
  const fields = configFields().filter((f) => f.flag !== 'problem');
  const out: string[] = [];
  const seen = new Set<string>();
  for (const group of GROUPS) {
    const rows = fields.filter((f) => group.where(f) && !seen.has(`${f.flag} ${f.path.join('.')}`));
    if (rows.length === 0) continue;
    out.push(`**${group.title}**`, '', '| flag | config field | default | meaning |', '|---|---|---|---|');
    for (const f of rows) {
      seen.add(`${f.flag} ${f.path.join('.')}`);
      out.push(`| \`--${f.flag}${cell(valueHint(flagSpecOf(f)))}\` | \`${f.path.join('.')}\` | ${cell(defaultOf(f))} | ${cell(f.help)}${range(f)} |`);
    }
    out.push('');
  }
  return out.join('\n');
}

/** `text` with the part between `<!-- generated:NAME:start -->` and its end marker replaced by `content`. */
export function replaceGenerated(text: string, name: string, content: string): string {
  const start = `<!-- generated:${name}:start -->`;
  const end = `<!-- generated:${name}:end -->`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < i) throw new Error(`no ${start} ... ${end} markers`);
  return `${text.slice(0, i + start.length)}\n\n${content.trim()}\n\n${text.slice(j)}`;
}
