/**
 * A readable API reference, rendered on the server from the same OpenAPI document the zod schemas
 * generate (no script, no CDN: it works offline and under a strict CSP).
 */

// biome-ignore lint/suspicious/noExplicitAny: an OpenAPI document is walked generically here.
type Json = any;

const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

function resolve(doc: Json, schema: Json): Json {
  if (schema?.$ref) {
    const name = String(schema.$ref).split('/').pop()!;
    return { ...doc.components?.schemas?.[name], title: name };
  }
  return schema;
}

/** A compact, readable type for a JSON schema: `{ chain: integer, start: string, … }`. */
function typeOf(doc: Json, schema: Json, depth = 0): string {
  const s = resolve(doc, schema);
  if (!s) return 'any';
  if (depth > 3) return esc(s.title ?? s.type ?? 'object');
  if (s.enum) return s.enum.map((v: unknown) => `<code>${esc(JSON.stringify(v))}</code>`).join(' | ');
  if (s.const !== undefined) return `<code>${esc(JSON.stringify(s.const))}</code>`;
  if (s.anyOf || s.oneOf) return (s.anyOf ?? s.oneOf).map((x: Json) => typeOf(doc, x, depth + 1)).join(' | ');
  if (s.type === 'array') return `${typeOf(doc, s.items, depth + 1)}[]`;
  if (s.type === 'object' || s.properties) {
    const required = new Set<string>(s.required ?? []);
    const rows = Object.entries(s.properties ?? {}).map(
      ([k, v]: [string, Json]) =>
        `<li><code>${esc(k)}</code>${required.has(k) ? '' : '?'}: ${typeOf(doc, v, depth + 1)}${
          resolve(doc, v)?.description ? ` — ${esc(resolve(doc, v).description)}` : ''
        }</li>`,
    );
    return `${s.title ? `<em>${esc(s.title)}</em> ` : ''}{<ul>${rows.join('')}</ul>}`;
  }
  return esc(Array.isArray(s.type) ? s.type.join(' | ') : (s.type ?? 'any'));
}

export function renderReference(doc: Json): string {
  const sections: string[] = [];
  for (const [path, methods] of Object.entries(doc.paths ?? {}) as [string, Json][]) {
    for (const [method, op] of Object.entries(methods) as [string, Json][]) {
      const params = (op.parameters ?? [])
        .map(
          (p: Json) =>
            `<tr><td><code>${esc(p.name)}</code></td><td>${esc(p.in)}</td><td>${p.required ? 'yes' : ''}</td><td>${typeOf(doc, p.schema)}</td><td>${esc(p.description ?? p.schema?.description ?? '')}</td></tr>`,
        )
        .join('');
      const body = op.requestBody?.content?.['application/json']?.schema;
      const responses = Object.entries(op.responses ?? {})
        .map(([status, r]: [string, Json]) => {
          const schema =
            r.content?.['application/json']?.schema ?? r.content?.['application/problem+json']?.schema;
          return `<li><strong>${esc(status)}</strong> ${esc(r.description)}${schema ? `: ${typeOf(doc, schema)}` : ''}</li>`;
        })
        .join('');
      sections.push(`<section>
<h2><span class="m">${esc(method.toUpperCase())}</span> <code>${esc(path)}</code></h2>
<p><strong>${esc(op.summary ?? '')}</strong> ${esc(op.description ?? '')}</p>
${params ? `<table><tr><th>parameter</th><th>in</th><th>required</th><th>type</th><th></th></tr>${params}</table>` : ''}
${body ? `<h3>Body (application/json)</h3><div>${typeOf(doc, body)}</div>` : ''}
<h3>Responses</h3><ul>${responses}</ul>
</section>`);
    }
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(doc.info?.title)} — API reference</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1d2330}
section{border-top:1px solid #d8dde6;padding:.5rem 0}code{background:#f1f3f6;padding:0 .2rem}
.m{display:inline-block;min-width:3.5rem;font-size:.8em;background:#1d4ed8;color:#fff;border-radius:.25rem;padding:0 .4rem;text-align:center}
table{border-collapse:collapse}td,th{border:1px solid #d8dde6;padding:.2rem .4rem;text-align:left;vertical-align:top}ul ul{margin:0}</style>
</head><body>
<h1>${esc(doc.info?.title)} <small>${esc(doc.info?.version)}</small></h1>
<p>${esc(doc.info?.description)}</p>
<p>Machine-readable: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a> (OpenAPI ${esc(doc.openapi)}).</p>
${sections.join('\n')}
</body></html>`;
}
