import { type Html, html } from './html.js';
import { page } from './layout.js';

/** A short page with a heading, a sentence and optionally a form or link (errors, sign-out). */
export function messagePage({
  title,
  message,
  extra,
}: {
  title: string;
  message: string;
  extra?: Html;
}): string {
  return page({
    title,
    narrow: true,
    content: html`<section class="card">
  <h1>${title}</h1>
  <p>${message}</p>
  ${extra}
</section>`,
  });
}
