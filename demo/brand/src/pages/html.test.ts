import { describe, expect, it } from 'vitest';
import { escapeHtml, html, trustedHtml } from './html.js';

describe('html', () => {
  it('escapes every interpolated value, also inside lists', () => {
    const value = `<a href="x" title='y'>&\``;
    expect(escapeHtml(value)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&#96;');
    expect(html`<p>${value}</p><ul>${['<li>', html`<li>${'<b>'}</li>`]}</ul>`.text).toBe(
      '<p>&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&#96;</p><ul>&lt;li&gt;<li>&lt;b&gt;</li></ul>',
    );
  });

  it('renders nothing for null, undefined and false, and trusted markup as it is', () => {
    expect(html`[${null}${undefined}${false}${0}]${trustedHtml('<br>')}`.text).toBe('[0]<br>');
  });
});
