import { DASHBOARD_SCRIPT } from './page-script.js';

const CSS = `
:root { color-scheme: light dark; --bg: #f6f7f9; --card: #fff; --fg: #1f2328; --muted: #656d76; --line: #d0d7de;
  --size: #6e7781; --borrowed: #0969da; --idle: #1a7f37; --pending: #cf222e; --max: #8c959f; --p99: #8250df; }
@media (prefers-color-scheme: dark) { :root { --bg: #0d1117; --card: #161b22; --fg: #e6edf3; --muted: #8d96a0; --line: #30363d;
  --size: #8d96a0; --borrowed: #4493f8; --idle: #3fb950; --pending: #f85149; --max: #6e7681; --p99: #a371f7; } }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; background: var(--bg); color: var(--fg); }
header { display: flex; align-items: baseline; gap: 12px; padding: 14px 20px; border-bottom: 1px solid var(--line); }
h1 { font-size: 18px; margin: 0; }
#status { color: var(--muted); font-size: 13px; }
#status.error { color: var(--pending); }
main { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 16px; padding: 16px 20px; }
.pool { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; }
.pool h2 { display: flex; align-items: center; gap: 10px; font-size: 16px; margin: 0 0 6px; word-break: break-all; }
.badge { font-size: 12px; font-weight: 600; padding: 1px 8px; border-radius: 10px; color: #fff; background: var(--muted); }
.badge.ok { background: var(--idle); } .badge.degraded { background: #bf8700; } .badge.down { background: var(--pending); }
.figures { display: flex; flex-wrap: wrap; gap: 4px 16px; color: var(--muted); margin-bottom: 8px; }
.figures b { color: var(--fg); font-variant-numeric: tabular-nums; }
.chart-title { font-size: 12px; color: var(--muted); margin: 8px 0 2px; display: flex; gap: 12px; flex-wrap: wrap; }
.key::before { content: ""; display: inline-block; width: 10px; height: 3px; margin-right: 4px; vertical-align: middle; background: currentColor; }
svg.chart { width: 100%; height: auto; display: block; }
svg.chart text { fill: var(--muted); font-size: 10px; }
svg.chart .grid { stroke: var(--line); stroke-width: 1; }
svg.chart polyline { fill: none; stroke-width: 1.8; stroke-linejoin: round; }
.size { color: var(--size); stroke: var(--size); } .borrowed { color: var(--borrowed); stroke: var(--borrowed); }
.idle { color: var(--idle); stroke: var(--idle); } .pending { color: var(--pending); stroke: var(--pending); }
.max { color: var(--max); stroke: var(--max); stroke-dasharray: 4 3; } .p99 { color: var(--p99); stroke: var(--p99); }
ul { margin: 4px 0 0; padding-left: 18px; }
.bands { margin-top: 4px; } .band { font-size: 12px; margin-right: 10px; padding: 1px 6px; border-radius: 8px; border: 1px solid var(--line); }
.band.ok { color: var(--idle); } .band.warning { color: #bf8700; border-color: #bf8700; } .band.critical { color: #fff; background: var(--pending); border-color: var(--pending); }
.reasons li { color: #bf8700; } .advice li { margin-bottom: 4px; }
.advice .sev { font-weight: 600; text-transform: uppercase; font-size: 11px; margin-right: 6px; }
.sev.critical { color: var(--pending); } .sev.warning { color: #bf8700; } .sev.info { color: var(--borrowed); }
.empty { color: var(--muted); }
`;

/**
 * @internal The dashboard: one self-contained HTML page (inline CSS and script, no
 * external assets). `nonce` is the Content-Security-Policy nonce of this response.
 */
export function dashboardPage(nonce: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>lido pools</title>
<style nonce="${nonce}">${CSS}</style>
</head>
<body>
<header><h1>lido pools</h1><span id="status">connecting…</span></header>
<main id="pools"></main>
<script nonce="${nonce}">${DASHBOARD_SCRIPT}</script>
</body>
</html>
`;
}
