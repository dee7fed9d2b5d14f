import { type Customer, DEMO_PASSWORD } from '../crm/customers.js';
import { html } from './html.js';
import { page } from './layout.js';

/** What the demo brand is, where its endpoints are, and the way to the CRM. */
export function landingPage({
  issuer,
  customers,
}: {
  issuer: string;
  customers: readonly Customer[];
}): string {
  const endpoints: [string, string][] = [
    ['Discovery', '/.well-known/openid-configuration'],
    ['Authorization', '/auth'],
    ['Token', '/token'],
    ['Introspection', '/token/introspection'],
    ['Revocation', '/token/revocation'],
    ['Customer data (userinfo)', '/me'],
    ['Signing keys', '/jwks'],
  ];
  return page({
    title: 'Welcome',
    content: html`<section class="card">
  <h1>This is a demo brand</h1>
  <p>It plays the company whose customers chat with its agents through Parley. It runs a real OAuth 2.0 /
  OpenID Connect server: customers sign in here, and Parley uses the tokens it gets to learn who they are
  and to read their data from the customer-data endpoint.</p>
  <p>Everything lives in memory and is served over plain http on this machine: it is a demo, not a brand
  to deploy. A real brand serves https and keeps its customers in its own systems.</p>
  <p><a href="/crm">Open the CRM</a> to change a customer's tier or open case, or to revoke their access,
  and watch Parley pick it up. <a href="/session/end">Sign out of the brand</a> to sign in as another customer.</p>
</section>
<section class="card">
  <h2>Demo customers</h2>
  <ul class="hints">${customers.map((customer) => html`<li><code>${customer.id}</code> ${customer.name}</li>`)}</ul>
  <p class="muted">Password for all: <code>${DEMO_PASSWORD}</code>.</p>
</section>
<section class="card">
  <h2>Endpoints</h2>
  <table><tbody>
    ${endpoints.map(([label, path]) => html`<tr><td>${label}</td><td><code>${issuer}${path}</code></td></tr>`)}
  </tbody></table>
</section>`,
  });
}
