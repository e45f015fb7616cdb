// The dashboard's one HTML page: an empty shell the bundled script fills. It carries the token (for
// actions, and for every request when one is required) in a meta tag another site cannot read.
import { escapeHtml } from '../report/html.js';

/** `chunks`: the bundle's chunks (vega's), fetched at once beside main.js instead of after it has run. */
export function pageHtml(o: { token: string; allowActions: boolean; chunks?: string[] }): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="nascent-token" content="${escapeHtml(o.token)}">
<meta name="nascent-actions" content="${o.allowActions ? 'allowed' : 'read-only'}">
<title>nascent dashboard</title>
<link rel="stylesheet" href="/assets/style.css">
${(o.chunks ?? []).map((c) => `<link rel="modulepreload" href="/assets/${escapeHtml(c)}">\n`).join('')}
</head>
<body>
<noscript>The nascent dashboard needs JavaScript; <code>nascent report RUN</code> writes a static page instead.</noscript>
<div id="app"></div>
<script type="module" src="/assets/main.js"></script>
</body>
</html>
`;
}
