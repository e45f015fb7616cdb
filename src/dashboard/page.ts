// The dashboard's one HTML page: an empty shell the bundled script fills. It carries the token (for
// actions, and for every request when one is required) in a meta tag another site cannot read.
import { escapeHtml } from '../report/html.js';

export function pageHtml(o: { token: string; allowActions: boolean }): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="nascent-token" content="${escapeHtml(o.token)}">
<meta name="nascent-actions" content="${o.allowActions ? 'allowed' : 'read-only'}">
<title>nascent dashboard</title>
<link rel="stylesheet" href="/assets/style.css">
</head>
<body>
<noscript>The nascent dashboard needs JavaScript; <code>nascent report RUN</code> writes a static page instead.</noscript>
<div id="app"></div>
<script type="module" src="/assets/main.js"></script>
</body>
</html>
`;
}
