/**
 * A readable API reference, rendered on the server from the same OpenAPI document the zod schemas
 * generate (no script, no CDN: it works offline and under a strict CSP). Every value is escaped by
 * `hono/html`.
 */
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import { ICON_LINK, pageStyle } from './pages.ts';

// biome-ignore lint/suspicious/noExplicitAny: an OpenAPI document is walked generically here.
type Json = any;
type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

function resolve(doc: Json, schema: Json): Json {
  if (schema?.$ref) {
    const name = String(schema.$ref).split('/').pop()!;
    return { ...doc.components?.schemas?.[name], title: name };
  }
  return schema;
}

/** A compact, readable type for a JSON schema: `{ chain: integer, start: string, … }`. */
function typeOf(doc: Json, schema: Json, depth = 0): Html {
  const s = resolve(doc, schema);
  if (!s) return html`any`;
  if (depth > 3) return html`${s.title ?? s.type ?? 'object'}`;
  const join = (parts: Html[], sep: string) => parts.flatMap((p, i) => (i === 0 ? [p] : [html`${sep}`, p]));
  if (s.enum)
    return html`${join(
      s.enum.map((v: unknown) => html`<code>${JSON.stringify(v)}</code>`),
      ' | ',
    )}`;
  if (s.const !== undefined) return html`<code>${JSON.stringify(s.const)}</code>`;
  if (s.anyOf || s.oneOf) {
    return html`${join(
      (s.anyOf ?? s.oneOf).map((x: Json) => typeOf(doc, x, depth + 1)),
      ' | ',
    )}`;
  }
  if (s.type === 'array') return html`${typeOf(doc, s.items, depth + 1)}[]`;
  if (s.type === 'object' || s.properties) {
    const required = new Set<string>(s.required ?? []);
    const rows = Object.entries(s.properties ?? {}).map(([k, v]: [string, Json]) => {
      const description = resolve(doc, v)?.description;
      return html`<li><code>${k}</code>${required.has(k) ? '' : '?'}: ${typeOf(doc, v, depth + 1)}${
        description ? ` — ${description}` : ''
      }</li>`;
    });
    return html`${s.title ? html`<em>${s.title}</em> ` : ''}{<ul>${rows}</ul>}`;
  }
  return html`${Array.isArray(s.type) ? s.type.join(' | ') : (s.type ?? 'any')}`;
}

export const REFERENCE_STYLE = pageStyle(
  `body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1d2330}
section{border-top:1px solid #d8dde6;padding:.5rem 0}code{background:#f1f3f6;padding:0 .2rem}
.m{display:inline-block;min-width:3.5rem;font-size:.8em;background:#1d4ed8;color:#fff;border-radius:.25rem;padding:0 .4rem;text-align:center}
table{border-collapse:collapse}td,th{border:1px solid #d8dde6;padding:.2rem .4rem;text-align:left;vertical-align:top}ul ul{margin:0}`,
);

export function renderReference(doc: Json): Html {
  const sections: Html[] = [];
  for (const [path, methods] of Object.entries(doc.paths ?? {}) as [string, Json][]) {
    for (const [method, op] of Object.entries(methods) as [string, Json][]) {
      const params = (op.parameters ?? []).map(
        (p: Json) =>
          html`<tr><td><code>${p.name}</code></td><td>${p.in}</td><td>${p.required ? 'yes' : ''}</td><td>${typeOf(doc, p.schema)}</td><td>${p.description ?? p.schema?.description ?? ''}</td></tr>`,
      );
      const body = op.requestBody?.content?.['application/json']?.schema;
      const responses = Object.entries(op.responses ?? {}).map(([status, r]: [string, Json]) => {
        const schema =
          r.content?.['application/json']?.schema ?? r.content?.['application/problem+json']?.schema;
        return html`<li><strong>${status}</strong> ${r.description}${schema ? html`: ${typeOf(doc, schema)}` : ''}</li>`;
      });
      sections.push(html`<section>
<h2><span class="m">${method.toUpperCase()}</span> <code>${path}</code></h2>
<p><strong>${op.summary ?? ''}</strong> ${op.description ?? ''}</p>
${params.length > 0 ? html`<table><tr><th>parameter</th><th>in</th><th>required</th><th>type</th><th></th></tr>${params}</table>` : ''}
${body ? html`<h3>Body (application/json)</h3><div>${typeOf(doc, body)}</div>` : ''}
<h3>Responses</h3><ul>${responses}</ul>
</section>
`);
    }
  }
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${doc.info?.title} — API reference</title>
${ICON_LINK}
${REFERENCE_STYLE.element}
</head><body>
<h1>${doc.info?.title} <small>${doc.info?.version}</small></h1>
<p>${doc.info?.description}</p>
<p>Machine-readable: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a> (OpenAPI ${doc.openapi}).</p>
${sections}
</body></html>`;
}
