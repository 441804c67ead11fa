import { createHash } from 'node:crypto';

/** The one stylesheet of the reference page; its hash goes into the page's CSP. */
export const referenceCss = `
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d2330;background:#f7f8fa}
header{background:#1d2330;color:#fff;padding:24px 32px}header h1{margin:0;font-size:22px}
main{max-width:980px;margin:0 auto;padding:24px 32px}
section{background:#fff;border:1px solid #e3e6ec;border-radius:8px;margin:16px 0;padding:16px 20px}
h2{font-size:16px;margin:0 0 8px;font-family:ui-monospace,monospace}
.m{display:inline-block;min-width:64px;font-weight:700;text-transform:uppercase}
.get{color:#0b7a3e}.post{color:#1c5dd6}.put,.patch{color:#a86400}.delete{color:#c2261d}
table{border-collapse:collapse;width:100%;font-size:14px}td,th{text-align:left;border-top:1px solid #eef0f4;padding:4px 8px;vertical-align:top}
code,pre{font-family:ui-monospace,monospace;font-size:13px}pre{background:#f3f4f7;padding:8px;border-radius:6px;overflow:auto;max-height:320px}
header a{color:#9cc2ff}
.tag{color:#5b6472;font-size:13px;text-transform:uppercase;letter-spacing:.05em;margin-top:32px}
`;
export const referenceCssHash = `'sha256-${createHash('sha256').update(referenceCss).digest('base64')}'`;

const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

interface Operation {
  summary?: string;
  description?: string;
  tags?: string[];
  parameters?: Array<{
    name: string;
    in: string;
    required?: boolean;
    description?: string;
    schema?: unknown;
  }>;
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { description?: string }>;
}

interface Document {
  info: { title: string; description?: string; version: string };
  paths?: Record<string, Record<string, Operation> | undefined>;
  components?: { schemas?: Record<string, unknown> };
}

/** Renders the OpenAPI document as one static HTML page (no script, no external assets). */
export function renderReference(doc: unknown): string {
  const d = doc as Document;
  const byTag = new Map<string, string[]>();
  for (const [path, ops] of Object.entries(d.paths ?? {})) {
    for (const [method, op] of Object.entries(ops ?? {})) {
      const tag = op.tags?.[0] ?? 'Other';
      const params = (op.parameters ?? [])
        .map(
          (p) =>
            `<tr><td><code>${esc(p.name)}</code></td><td>${esc(p.in)}</td><td>${p.required ? 'required' : ''}</td><td>${esc(p.description)}</td></tr>`,
        )
        .join('');
      const bodySchema = op.requestBody?.content?.['application/json']?.schema;
      const responses = Object.entries(op.responses ?? {})
        .map(([s, r]) => `<tr><td><code>${esc(s)}</code></td><td colspan="3">${esc(r.description)}</td></tr>`)
        .join('');
      const html = `<section><h2><span class="m ${esc(method)}">${esc(method)}</span> ${esc(path)}</h2>
<p><strong>${esc(op.summary)}</strong> ${esc(op.description)}</p>
${params ? `<table><tr><th>parameter</th><th>in</th><th></th><th></th></tr>${params}</table>` : ''}
${bodySchema ? `<p>Body:</p><pre>${esc(JSON.stringify(bodySchema, null, 2))}</pre>` : ''}
<table><tr><th>status</th><th colspan="3">meaning</th></tr>${responses}</table></section>`;
      const list = byTag.get(tag) ?? [];
      list.push(html);
      byTag.set(tag, list);
    }
  }
  const schemas = Object.entries(d.components?.schemas ?? {})
    .map(
      ([name, s]) => `<section><h2>${esc(name)}</h2><pre>${esc(JSON.stringify(s, null, 2))}</pre></section>`,
    )
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(d.info.title)} reference</title><style>${referenceCss}</style></head><body>
<header><h1>${esc(d.info.title)} <small>v${esc(d.info.version)}</small></h1><p>${esc(d.info.description)}</p><p>Machine-readable: <a class="lnk" href="/openapi.json">/openapi.json</a></p></header>
<main>${[...byTag.entries()].map(([tag, ops]) => `<h3 class="tag">${esc(tag)}</h3>${ops.join('')}`).join('')}
<h3 class="tag">Schemas</h3>${schemas}</main></body></html>`;
}
