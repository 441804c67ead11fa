/** Stylesheets of the UI pages (served as same-origin files; no inline style). */

const base = `
:root {
  --bg: #f5f6f8; --panel: #fff; --ink: #18202e; --muted: #5a6475; --line: #e3e7ed; --field: #c9d0da;
  --accent: #4338ca; --accent-soft: #eef0ff; --ok: #0b6e3f; --ok-bg: #e3f5eb; --warn: #8a4b00; --warn-bg: #fff2da;
  --bad: #b42318; --bad-bg: #fdeceb; --radius: 12px; --focus: 0 0 0 3px rgba(67, 56, 202, .35);
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", sans-serif; }
a { color: var(--accent); }
[hidden] { display: none !important; }
.skip { position: absolute; left: -9999px; top: 8px; z-index: 10; background: #fff; color: var(--ink);
  padding: 8px 12px; border-radius: 8px; }
.skip:focus { left: 8px; }
.topbar { display: flex; align-items: center; gap: 12px; padding: 12px 24px; background: #111827; color: #e5e7eb; }
.brand { display: inline-flex; align-items: center; gap: 8px; font-weight: 700; color: #fff; letter-spacing: -.01em; }
.brand-mark { width: 22px; height: 22px; border-radius: 7px; background: linear-gradient(135deg, #a5b4fc, #4338ca); }
.topbar-section { color: #9ca3af; padding-left: 12px; border-left: 1px solid #374151; }
.spacer { flex: 1; }
.topbar button.secondary { background: transparent; color: #e5e7eb; border-color: #4b5563; min-height: 32px; padding: 4px 12px; }
.wrap { max-width: 1160px; margin: 0 auto; padding: 28px 24px 48px; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: var(--radius); padding: 20px 22px;
  margin-bottom: 20px; box-shadow: 0 1px 2px rgba(16, 24, 40, .04); }
h1 { font-size: 26px; line-height: 1.25; margin: 0 0 6px; letter-spacing: -.015em; }
h2 { font-size: 17px; margin: 0 0 14px; letter-spacing: -.005em; }
h3 { font-size: 14px; margin: 18px 0 8px; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); }
h2:focus, h1:focus { outline: none; }
.lede { color: var(--muted); margin: 0 0 24px; max-width: 70ch; }
.field { margin-bottom: 14px; }
label { display: block; font-weight: 600; margin: 0 0 6px; }
input[type=text], input[type=password], input[type=url], textarea, select {
  width: 100%; padding: 9px 11px; font: inherit; color: inherit; background: #fff;
  border: 1px solid var(--field); border-radius: 8px; }
textarea { min-height: 76px; resize: vertical; }
.hint { color: var(--muted); font-size: 13px; margin: 6px 0 0; }
button { display: inline-flex; align-items: center; justify-content: center; gap: 8px; min-height: 40px;
  padding: 8px 16px; font: inherit; font-weight: 600; border-radius: 8px; border: 1px solid var(--accent);
  background: var(--accent); color: #fff; cursor: pointer; }
button:hover { filter: brightness(1.08); }
button.secondary { background: #fff; color: var(--ink); border-color: var(--field); }
button.secondary:hover { background: #f8f9fb; filter: none; }
button.danger { background: var(--bad); border-color: var(--bad); }
button.small { min-height: 32px; padding: 4px 12px; font-size: 14px; }
button.link { background: none; border: 0; color: var(--accent); padding: 0; min-height: 0; text-align: left;
  font-weight: 600; border-radius: 4px; }
button.link:hover { text-decoration: underline; filter: none; }
button:disabled { opacity: .5; cursor: not-allowed; filter: none; }
input:focus-visible, textarea:focus-visible, select:focus-visible, button:focus-visible, a:focus-visible,
[tabindex]:focus-visible { outline: none; box-shadow: var(--focus); border-color: var(--accent); }
.actions { display: flex; flex-wrap: wrap; gap: 10px; align-items: center; }
.badge { display: inline-block; font-size: 12px; font-weight: 600; line-height: 18px; padding: 1px 9px;
  border-radius: 999px; background: #eef0f4; color: var(--muted); white-space: nowrap; }
.badge.ok { background: var(--ok-bg); color: var(--ok); }
.badge.warn { background: var(--warn-bg); color: var(--warn); }
.badge.bad { background: var(--bad-bg); color: var(--bad); }
.notice { padding: 11px 14px; border-radius: 10px; margin: 0 0 18px; border: 1px solid #c7d2fe;
  background: var(--accent-soft); color: #312e81; }
.notice.error { background: var(--bad-bg); border-color: #f6c5c0; color: var(--bad); }
.notice.success { background: var(--ok-bg); border-color: #b4e2c8; color: var(--ok); }
.notice.warning { background: var(--warn-bg); border-color: #f4d39c; color: var(--warn); }
.table-scroll { position: relative; overflow-x: auto; -webkit-overflow-scrolling: touch; border: 1px solid var(--line); border-radius: 10px; }
table { width: 100%; border-collapse: collapse; font-size: 14px; }
caption { text-align: left; }
th, td { text-align: left; padding: 9px 12px; border-bottom: 1px solid var(--line); vertical-align: top; }
tr:last-child td { border-bottom: 0; }
th { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); font-weight: 600;
  background: #fafbfc; white-space: nowrap; }
td { overflow-wrap: anywhere; }
td code { white-space: nowrap; word-break: normal; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code, .mono { font: 13px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
code { background: #f1f3f6; border-radius: 5px; padding: 1px 5px; word-break: break-all; }
.empty { color: var(--muted); margin: 8px 0; }
.muted { color: var(--muted); }
.visually-hidden { position: absolute !important; width: 1px; height: 1px; margin: -1px; padding: 0; border: 0;
  overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
@media (max-width: 640px) {
  .wrap { padding: 18px 14px 40px; }
  .topbar { padding: 10px 14px; }
  .panel { padding: 16px; }
  h1 { font-size: 22px; }
  th, td { padding: 8px; }
}
`;

const admin = `
.console { display: grid; grid-template-columns: minmax(0, 400px) minmax(0, 1fr); gap: 20px; align-items: start; }
.signin { max-width: 440px; margin: 48px auto; }
.tenant-list { list-style: none; margin: 0; padding: 0; }
.tenant-list li { display: flex; align-items: center; justify-content: space-between; gap: 10px; padding: 10px 4px;
  border-bottom: 1px solid var(--line); }
.tenant-list li:last-child { border-bottom: 0; }
.tenant-list li.selected { background: var(--accent-soft); border-radius: 8px; padding-left: 10px; padding-right: 10px; }
.tenant-list .id { display: block; color: var(--muted); font-size: 12px; }
.secret { margin-top: 16px; padding: 14px; border-radius: 10px; background: #fffbeb; border: 1px solid #f4d39c; }
.secret dl { margin: 8px 0 0; }
.secret dt { font-weight: 600; font-size: 13px; margin-top: 8px; }
.secret dd { margin: 4px 0 0; display: flex; gap: 8px; align-items: center; }
.secret dd code { flex: 1; padding: 6px 8px; background: #fff; border: 1px solid #f4d39c; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 6px 16px; margin: 0 0 8px; font-size: 14px; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; min-width: 0; word-break: break-word; }
.detail-head { display: flex; align-items: center; gap: 12px; flex-wrap: wrap; margin-bottom: 12px; }
.detail-head h2 { margin: 0; }
.danger-zone { margin-top: 24px; border: 1px solid #f6c5c0; border-radius: 10px; padding: 16px; }
.danger-zone h3 { color: var(--bad); margin-top: 0; }
#audit-table td:first-child, #deliveries-table td:first-child { white-space: nowrap; }
.filters { display: flex; flex-wrap: wrap; gap: 10px 14px; align-items: flex-end; margin-bottom: 10px; }
.filters .field { margin: 0; }
label.inline { display: inline-flex; align-items: center; gap: 6px; font-weight: 400; margin: 0; }
fieldset.period { border: 0; margin: 0; padding: 0; }
.chart svg { width: 100%; height: auto; display: block; border: 1px solid var(--line); border-radius: 10px; background: #fff; }
.chart .grid { stroke: var(--line); stroke-width: 1; }
.chart .axis { fill: var(--muted); font-size: 11px; }
.chart .series { fill: none; stroke-width: 2; stroke-linejoin: round; }
.chart .refreshes, .legend .refreshes::before { stroke: #4338ca; background: #4338ca; }
.chart .refreshFailures, .legend .refreshFailures::before { stroke: #c2410c; background: #c2410c; }
.chart .dataCalls, .legend .dataCalls::before { stroke: #15803d; background: #15803d; }
.legend { list-style: none; display: flex; flex-wrap: wrap; gap: 14px; padding: 0; margin: 8px 0; font-size: 13px; color: var(--muted); }
.legend li::before { content: ''; display: inline-block; width: 12px; height: 3px; margin-right: 6px; vertical-align: middle; }
.danger-zone.caution { border-color: #f4d39c; }
.danger-zone.caution h3 { color: var(--warn); }
.error-cell code { color: var(--bad); }
@media (max-width: 900px) { .console { grid-template-columns: minmax(0, 1fr); } }
`;

/** Shared by every UI page (the demo adds its own rules in demo/styles.ts). */
export const baseCss = base;
export const adminCss = base + admin;
