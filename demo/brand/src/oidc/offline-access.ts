/**
 * The authorization request as the brand handles it: oidc-provider keeps `offline_access` (and so
 * issues a refresh token) only when `prompt` includes `consent`. Clients of the demo ask for
 * `offline_access` to get refresh tokens, so such a request gets `consent` added to its prompt;
 * consent is then given automatically (see interactions), so the browser never stops on it.
 * Requests with `prompt=none` stay as they are: they must not show anything.
 *
 * @example
 * withConsentForOfflineAccess('/auth?scope=openid%20offline_access') // '/auth?scope=openid+offline_access&prompt=consent'
 */
export function withConsentForOfflineAccess(pathAndQuery: string): string {
  const url = new URL(pathAndQuery, 'http://brand.invalid');
  const scopes = (url.searchParams.get('scope') ?? '').split(' ');
  const prompts = (url.searchParams.get('prompt') ?? '').split(' ').filter((prompt) => prompt !== '');
  if (!scopes.includes('offline_access') || prompts.includes('consent') || prompts.includes('none'))
    return pathAndQuery;
  url.searchParams.set('prompt', [...prompts, 'consent'].join(' '));
  return `${url.pathname}${url.search}`;
}
