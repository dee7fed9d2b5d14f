import type { Customer } from '../crm/customers.js';
import { crmScript } from './crm-script.js';
import { html, trustedHtml } from './html.js';
import { page } from './layout.js';

export interface CrmRow extends Customer {
  /** Grants the customer has given to apps (Parley's, in the demo). */
  readonly activeGrants: number;
}

/** The brand's small CRM: edit a customer's custom fields, or revoke everything they granted. */
export function crmPage(rows: readonly CrmRow[]): string {
  return page({
    title: 'CRM',
    content: html`<section class="card">
  <h1>Customer CRM</h1>
  <p class="muted">Changes apply at once: the next call to the customer-data endpoint <code>/me</code> returns them,
  so an agent in Parley sees the new tier or case. <em>Revoke access</em> ends every grant of the customer:
  their access and refresh tokens stop working and they must sign in again.</p>
  <table>
    <thead><tr><th>Customer</th><th>Tier</th><th>Open case</th><th>Active grants</th><th>Actions</th></tr></thead>
    <tbody>
      ${rows.map(
        (row) => html`<tr data-customer="${row.id}">
        <td data-label="Customer"><strong>${row.name}</strong><br><code>${row.id}</code></td>
        <td data-label="Tier"><input name="tier" value="${row.tier}" aria-label="Tier of ${row.name}"></td>
        <td data-label="Open case"><input name="openCase" value="${row.openCase ?? ''}" placeholder="none" aria-label="Open case of ${row.name}"></td>
        <td data-label="Active grants" data-grants>${row.activeGrants}</td>
        <td class="actions"><button type="button" data-action="save">Save</button><button type="button" class="secondary" data-action="revoke">Revoke access</button>
          <span data-status role="status" aria-live="polite"></span></td>
      </tr>`,
      )}
    </tbody>
  </table>
</section>
<script>${trustedHtml(crmScript)}</script>`,
  });
}
