import { crmScriptHash } from './crm-script.js';
import { type Html, html, trustedHtml } from './html.js';

export const BRAND_NAME = 'Demo Brand';

/**
 * Headers of every page: no script but the CRM's (by hash), no framing, nothing cached. No
 * `form-action`: browsers apply it to the redirect after the login form, which leaves for the client.
 */
export const pageHeaders: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': `default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; script-src '${crmScriptHash}'; base-uri 'none'; frame-ancestors 'none'`,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

// Static CSS from code, so it is trusted (escaping would break its quotes).
const styles = trustedHtml(`
:root{--ink:#1d2433;--muted:#5b6477;--line:#dde2ea;--bg:#f4f6fa;--card:#fff;--brand:#3b5bdb;--brand-dark:#2f4ac0;--ok:#2b8a3e;--bad:#c92a2a}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg)}
.top{background:var(--ink);color:#fff;padding:.75rem 1.25rem;display:flex;gap:1rem;align-items:center;flex-wrap:wrap}
.top a{color:#fff;text-decoration:none;font-weight:700}
.top nav{margin-left:auto;display:flex;gap:1rem}
.top nav a{font-weight:500;opacity:.85}
.badge{font-size:.72rem;background:#ffd43b;color:var(--ink);border-radius:999px;padding:.1rem .6rem;font-weight:700}
main{max-width:62rem;margin:2rem auto;padding:0 1rem}
main.narrow{max-width:27rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:1.5rem;box-shadow:0 1px 2px rgba(0,0,0,.04);margin-bottom:1.25rem}
h1{font-size:1.5rem;margin:0 0 .5rem}
h2{font-size:1.1rem;margin:0 0 .5rem}
a{color:var(--brand)}
code{background:#eef1f6;border-radius:4px;padding:.05rem .3rem;font-size:.9em;overflow-wrap:anywhere}
label{display:block;font-weight:600;margin:.9rem 0 .25rem}
input{font:inherit;width:100%;padding:.5rem .7rem;border:1px solid var(--line);border-radius:8px;background:#fff;color:inherit}
input:focus{outline:2px solid var(--brand);outline-offset:1px}
button{font:inherit;font-weight:600;border:1px solid var(--brand);border-radius:8px;padding:.5rem 1rem;background:var(--brand);color:#fff;cursor:pointer}
button:hover{background:var(--brand-dark)}
button.secondary{background:#fff;color:var(--bad);border-color:var(--bad)}
button.secondary:hover{background:#fff5f5}
form button{width:100%;margin-top:1.25rem}
.error{color:var(--bad);background:#fff5f5;border:1px solid #ffc9c9;padding:.5rem .75rem;border-radius:8px}
.muted{color:var(--muted);font-size:.92rem}
.hints{margin:.5rem 0 0;padding-left:1.1rem}
table{width:100%;border-collapse:collapse}
th,td{text-align:left;padding:.6rem .5rem;border-bottom:1px solid var(--line);vertical-align:middle}
th{font-size:.8rem;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
td.actions{white-space:nowrap}
td.actions button+button{margin-left:.4rem}
[data-status]{display:block;font-size:.85rem;min-height:1.3em;margin-top:.25rem}
[data-kind=ok]{color:var(--ok)}[data-kind=error]{color:var(--bad)}[data-kind=pending]{color:var(--muted)}
@media (max-width:640px){thead{display:none}tr{display:block;border-bottom:1px solid var(--line);padding:.75rem 0}td{display:block;border:0;padding:.3rem 0}td[data-label]::before{content:attr(data-label);display:block;font-size:.78rem;color:var(--muted)}}
`);

/** A whole page in the brand's look. */
export function page({ title, content, narrow = false }: { title: string; content: Html; narrow?: boolean }) {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · ${BRAND_NAME}</title>
<link rel="icon" href="data:,">
<style>${styles}</style>
</head>
<body>
<header class="top"><a href="/">${BRAND_NAME}</a><span class="badge">demo</span><nav><a href="/crm">CRM</a></nav></header>
<main class="${narrow ? 'narrow' : ''}">
${content}
</main>
</body>
</html>
`.text;
}
