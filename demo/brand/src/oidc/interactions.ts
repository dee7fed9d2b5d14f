import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import type { CustomerStore } from '../crm/customers.js';
import { HttpError, readBody, sendHtml } from '../http/http-kit.js';
import { loginPage } from '../pages/login-page.js';

type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

const stringList = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];

/**
 * The brand's side of an authorization: the login form, then consent, which the demo gives on the
 * customer's behalf for its own clients (so `offline_access`, which oidc-provider only grants with
 * consent, always yields a refresh token and the browser never stops on a consent page).
 */
export function createInteractions({
  provider,
  customers,
}: {
  provider: Provider;
  customers: CustomerStore;
}) {
  async function current(request: IncomingMessage, response: ServerResponse, uid: string) {
    const interaction = await provider.interactionDetails(request, response);
    // The cookie names the interaction; a different uid in the path is a stale tab of an older one.
    if (interaction.uid !== uid)
      throw new HttpError(
        400,
        'invalid_request',
        'This sign-in page is out of date. Start again from the app.',
      );
    return interaction;
  }

  function showLogin(response: ServerResponse, interaction: Interaction, login?: string, error?: string) {
    const hint =
      typeof interaction.params.login_hint === 'string' ? interaction.params.login_hint : undefined;
    sendHtml(
      response,
      200,
      loginPage({
        uid: interaction.uid,
        clientName: String(interaction.params.client_id),
        customers: customers.list(),
        login: login ?? hint,
        ...(error ? { error } : {}),
      }),
    );
  }

  async function grantConsent(request: IncomingMessage, response: ServerResponse, interaction: Interaction) {
    const accountId = interaction.session?.accountId;
    if (!accountId) throw new HttpError(400, 'invalid_request', 'Sign in before giving consent.');
    const { details } = interaction.prompt;
    const grant =
      (interaction.grantId ? await provider.Grant.find(interaction.grantId) : undefined) ??
      new provider.Grant({ accountId, clientId: String(interaction.params.client_id) });
    const scopes = stringList(details.missingOIDCScope);
    if (scopes.length > 0) grant.addOIDCScope(scopes);
    const claims = stringList(details.missingOIDCClaims);
    if (claims.length > 0) grant.addOIDCClaims(claims);
    const resourceScopes = (details.missingResourceScopes ?? {}) as Record<string, unknown>;
    for (const [indicator, missing] of Object.entries(resourceScopes)) {
      grant.addResourceScope(indicator, stringList(missing));
    }
    const grantId = await grant.save();
    await provider.interactionFinished(
      request,
      response,
      { consent: { grantId } },
      { mergeWithLastSubmission: true },
    );
  }

  /** GET /interaction/:uid — the login form, or consent given at once. */
  async function show(request: IncomingMessage, response: ServerResponse, uid: string) {
    const interaction = await current(request, response, uid);
    if (interaction.prompt.name === 'login') return showLogin(response, interaction);
    if (interaction.prompt.name === 'consent') return grantConsent(request, response, interaction);
    throw new HttpError(
      400,
      'invalid_request',
      `The brand cannot handle the "${interaction.prompt.name}" step.`,
    );
  }

  return {
    show,

    /** POST /interaction/:uid/login — checks the demo credentials; a mistake shows the form again. */
    async login(request: IncomingMessage, response: ServerResponse, uid: string) {
      const interaction = await current(request, response, uid);
      const form = new URLSearchParams(await readBody(request));
      if (interaction.prompt.name !== 'login') return show(request, response, uid);
      const login = form.get('login') ?? '';
      const accountId = customers.authenticate(login, form.get('password') ?? '');
      if (!accountId) return showLogin(response, interaction, login, 'Unknown customer or wrong password.');
      await provider.interactionFinished(
        request,
        response,
        { login: { accountId } },
        { mergeWithLastSubmission: false },
      );
    },

    /** GET /interaction/:uid/abort — the customer cancels: the app receives access_denied. */
    async abort(request: IncomingMessage, response: ServerResponse, uid: string) {
      await current(request, response, uid);
      const result = { error: 'access_denied', error_description: 'The customer cancelled the sign-in.' };
      await provider.interactionFinished(request, response, result, { mergeWithLastSubmission: false });
    },
  };
}
