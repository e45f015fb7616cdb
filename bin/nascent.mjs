#!/usr/bin/env node
// The `nascent` executable. It runs the compiled CLI in dist/ (built by `npm install`'s prepare
// script, or `npm run build`) when that is at least as new as every file under src/; otherwise (no
// build, or sources edited since it) the TypeScript sources themselves, through tsx's loader in this
// same process. Either way the CLI is this one process, so a Ctrl-C reaches it alone and it can stop
// gracefully; `tsx src/cli/main.ts` would put tsx's own process between it and the terminal.
// NASCENT_FROM_SOURCE=1 always runs the sources.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = new URL('../', import.meta.url);
const built = new URL('dist/cli/main.js', root);

/** The newest modification time of src/ (its files and its directories, so renames and deletions count). */
function newestSource(dir) {
  let newest = statSync(dir).mtimeMs;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    const t = entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs;
    if (t > newest) newest = t;
  }
  return newest;
}

function useBuild() {
  if (process.env.NASCENT_FROM_SOURCE === '1' || !existsSync(built)) return false;
  const src = fileURLToPath(new URL('src', root));
  return !existsSync(src) || statSync(built).mtimeMs >= newestSource(src);
}

let load;
if (useBuild()) load = (name) => import(new URL(`dist/cli/${name}.js`, root).href);
else {
  const { register } = await import('tsx/esm/api');
  register();
  load = (name) => import(`../src/cli/${name}.ts`);
}
// Before main's imports: Ctrl-C and a closed output are handled for the whole process (interrupt.ts).
(await load('interrupt')).installInterruptHandling();
const { main } = await load('main');
process.exit(await main(process.argv.slice(2)));
