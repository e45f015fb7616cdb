// Writes what is made from the SearchConfig schema: schema/search-config.schema.json and the flag
// tables of docs/reference/cli.md. `npm run generate` after changing src/config/schema.ts;
// test/config/generated.test.ts fails while either is out of date.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { replaceGenerated, searchFlagTables } from '../src/cli/reference.js';
import { searchConfigJsonSchema } from '../src/config/fields.js';
import { COMMAND_FLAGS } from '../src/cli/search-flags.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const SCHEMA_FILE = join(ROOT, 'schema', 'search-config.schema.json');
export const CLI_DOC = join(ROOT, 'docs', 'reference', 'cli.md');

export const schemaText = () => `${JSON.stringify({ $id: 'urn:nascent:schema:search-config:2', ...searchConfigJsonSchema() }, null, 2)}\n`;
/** The flags that are not settings of the search: where the run goes, how it is shown, --config and --resume. */
const commandFlagTable = () =>
  [
    '**Not settings: the run directory, the display, files to start from**',
    '',
    '| flag | default | meaning |',
    '|---|---|---|',
    ...COMMAND_FLAGS.map((f) => `| \`--${f.name}${f.type === 'string' ? ' VALUE' : ''}\` | ${f.defaultLabel ?? (f.default === undefined || f.default === false ? '' : String(f.default))} | ${f.help.replace(/\|/g, '\\|')} |`),
  ].join('\n');

export const cliDocText = () => replaceGenerated(readFileSync(CLI_DOC, 'utf8'), 'search-flags', `${searchFlagTables()}\n${commandFlagTable()}`);

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(SCHEMA_FILE, schemaText());
  writeFileSync(CLI_DOC, cliDocText());
  console.log(`wrote ${SCHEMA_FILE} and the flag tables of ${CLI_DOC}`);
}
