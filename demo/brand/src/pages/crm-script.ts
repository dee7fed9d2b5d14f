import { createHash } from 'node:crypto';

// The CRM page's only script, static so that the Content-Security-Policy can allow it by hash.
// It reads the customer id and field values from the DOM and writes feedback with textContent only.
export const crmScript = `
document.querySelectorAll('tr[data-customer]').forEach((row) => {
  const id = row.dataset.customer;
  const status = row.querySelector('[data-status]');
  const field = (name) => row.querySelector('input[name="' + name + '"]');
  const show = (text, kind) => { status.textContent = text; status.dataset.kind = kind; };
  const call = async (method, path, body) => {
    const response = await fetch('/crm/api/customers/' + encodeURIComponent(id) + path, {
      method,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(answer.error_description || 'The brand answered ' + response.status);
    return answer;
  };
  const save = async () => {
    show('Saving…', 'pending');
    try {
      const customer = await call('PUT', '', { tier: field('tier').value, openCase: field('openCase').value });
      field('tier').value = customer.tier;
      field('openCase').value = customer.openCase ?? '';
      show('Saved', 'ok');
    } catch (error) {
      show(error.message, 'error');
    }
  };
  row.querySelector('[data-action="save"]').addEventListener('click', save);
  row.querySelectorAll('input').forEach((input) =>
    input.addEventListener('keydown', (event) => { if (event.key === 'Enter') save(); }));
  row.querySelector('[data-action="revoke"]').addEventListener('click', async () => {
    show('Revoking…', 'pending');
    try {
      await call('POST', '/revoke', {});
      row.querySelector('[data-grants]').textContent = '0';
      show('Access revoked', 'ok');
    } catch (error) {
      show(error.message, 'error');
    }
  });
});
`;

export const crmScriptHash = `sha256-${createHash('sha256').update(crmScript).digest('base64')}`;
