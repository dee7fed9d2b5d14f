/** Markup that is already safe to send: built by `html` or explicitly trusted with `trustedHtml`. */
export class Html {
  constructor(readonly text: string) {}

  toString(): string {
    return this.text;
  }
}

export type HtmlValue = string | number | false | null | undefined | Html | readonly HtmlValue[];

const entities: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (character) => entities[character] ?? character);
}

function render(value: HtmlValue): string {
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

/**
 * Builds markup from a template, escaping every interpolated value unless it is `Html` itself, so
 * customer fields (editable in the CRM) can never inject markup.
 *
 * @example
 * html`<td>${customer.tier}</td>` // customer.tier '<b>' renders as &lt;b&gt;
 */
export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): Html {
  let text = strings[0] ?? '';
  values.forEach((value, index) => {
    text += render(value) + (strings[index + 1] ?? '');
  });
  return new Html(text);
}

/** Marks markup that comes from code, not from data (a static script, a form made by oidc-provider). */
export function trustedHtml(text: string): Html {
  return new Html(text);
}
