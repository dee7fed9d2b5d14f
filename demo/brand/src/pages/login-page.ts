import { type Customer, DEMO_PASSWORD } from '../crm/customers.js';
import { html } from './html.js';
import { page } from './layout.js';

export interface LoginPageModel {
  readonly uid: string;
  /** The app asking for access (its client id). */
  readonly clientName: string;
  readonly customers: readonly Customer[];
  /** What the customer typed (or the `login_hint`), kept when the form comes back with an error. */
  readonly login?: string;
  readonly error?: string;
}

/** The brand's sign-in form of an authorization (an oidc-provider interaction). */
export function loginPage({ uid, clientName, customers, login, error }: LoginPageModel): string {
  const action = `/interaction/${encodeURIComponent(uid)}`;
  return page({
    title: 'Sign in',
    narrow: true,
    content: html`<section class="card">
  <h1>Sign in</h1>
  <p class="muted">to continue to <strong>${clientName}</strong></p>
  ${error ? html`<p class="error" role="alert" data-error>${error}</p>` : ''}
  <form method="post" action="${action}/login" novalidate>
    <label for="login">Customer</label>
    <input id="login" name="login" value="${login ?? ''}" autocomplete="username" autocapitalize="none" spellcheck="false" required autofocus>
    <label for="password">Password</label>
    <input id="password" name="password" type="password" autocomplete="current-password" required>
    <button type="submit">Sign in</button>
  </form>
  <p class="muted"><a href="${action}/abort">Cancel and go back</a></p>
</section>
<section class="card">
  <h2>Demo customers</h2>
  <ul class="hints">
    ${customers.map((customer) => html`<li><code>${customer.id}</code> ${customer.name} (${customer.tier})</li>`)}
  </ul>
  <p class="muted">The password of every demo customer is <code>${DEMO_PASSWORD}</code>.</p>
</section>`,
  });
}
