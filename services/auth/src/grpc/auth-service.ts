import { ParleyError } from '@parley/errors';
import {
  type AuthServiceDefinition,
  fromStruct,
  type MethodCallers,
  toStruct,
  type UnaryImplementation,
} from '@parley/grpc';
import type { AuthUseCases } from '../domain/auth-use-cases.js';
import type { ChannelInput } from '../domain/channel-settings.js';
import type { ChannelView } from '../domain/manage-channels.js';

function channelMessage(view: ChannelView) {
  const { endpoints, client, validation, mapping } = view;
  return {
    tenantId: view.tenantId,
    channelId: view.channelId,
    issuer: view.issuer,
    allowWithoutPkce: view.allowWithoutPkce,
    endpoints: {
      token: endpoints.token,
      introspection: endpoints.introspection ?? '',
      jwks: endpoints.jwks ?? '',
      revocation: endpoints.revocation ?? '',
      authorization: endpoints.authorization ?? '',
    },
    client: { clientId: client.clientId, clientSecret: '', method: client.method },
    redirectUris: [...view.redirectUris],
    validationMode: validation.mode,
    jwt:
      validation.mode === 'jwt'
        ? {
            issuer: validation.issuer,
            audiences: [...validation.audiences],
            algorithms: [...validation.algorithms],
            clockToleranceSeconds: validation.clockToleranceSeconds,
            requireAtJwtType: validation.requireAtJwtType ?? false,
          }
        : null,
    customerDataUrl: endpoints.customerData,
    mapping: {
      customerId: mapping.customerId,
      name: mapping.name ?? '',
      customFields: { ...mapping.customFields },
    },
    messagingMode: view.messagingMode,
    clientSecretSet: client.clientSecretSet,
    updatedAt: view.updatedAt.toISOString(),
  };
}

/** A sample customer-data response sent as JSON text: an object, at most 1 MiB. */
function sampleFromJson(text: string): Record<string, unknown> {
  let sample: unknown;
  try {
    sample = text.length <= 1_048_576 ? JSON.parse(text) : undefined;
  } catch {}
  if (sample === null || typeof sample !== 'object' || Array.isArray(sample))
    throw new ParleyError('invalid_argument', 'sampleCustomerData: a JSON object of at most 1 MiB');
  return sample as Record<string, unknown>;
}

/**
 * Who may call each AuthService method, by the identity of their client certificate
 * (docs/service-identity.md): ingress, the edge, for everything but enrichment's per-message read;
 * enrichment only for that read.
 */
export const authServiceCallers: MethodCallers<AuthServiceDefinition> = {
  ExchangeCode: ['ingress'],
  AuthorizeSession: ['ingress'],
  AuthorizeMessage: ['ingress'],
  RevokeSession: ['ingress'],
  PutChannel: ['ingress'],
  TestChannel: ['ingress'],
  GetChannel: ['ingress'],
  GetAccessToken: ['ingress'],
  GetCustomerDataAccess: ['enrichment'],
};

/** gRPC AuthService over the use cases: message mapping only, no decisions. */
export function authServiceHandlers(useCases: AuthUseCases): UnaryImplementation<AuthServiceDefinition> {
  return {
    async PutChannel(request, context) {
      const channel = request.channel;
      const input: ChannelInput = {
        tenantId: channel?.tenantId ?? '',
        channelId: channel?.channelId ?? '',
        issuer: channel?.issuer ?? '',
        allowWithoutPkce: channel?.allowWithoutPkce ?? false,
        endpoints: { ...channel?.endpoints },
        customerDataUrl: channel?.customerDataUrl ?? '',
        client: { ...channel?.client },
        redirectUris: channel?.redirectUris ?? [],
        validationMode: channel?.validationMode ?? '',
        ...(channel?.jwt
          ? {
              jwt: {
                issuer: channel.jwt.issuer,
                audiences: channel.jwt.audiences,
                algorithms: channel.jwt.algorithms,
                clockToleranceSeconds: channel.jwt.clockToleranceSeconds || 30,
                requireAtJwtType: channel.jwt.requireAtJwtType,
              },
            }
          : {}),
        mapping: { ...channel?.mapping },
        messagingMode: channel?.messagingMode ?? '',
      };
      return channelMessage(await useCases.putChannel(input, context.signal));
    },
    async GetChannel(request) {
      return channelMessage(await useCases.getChannel(request.tenantId, request.channelId));
    },
    async ExchangeCode(request, context) {
      const session = await useCases.exchangeCode(
        {
          tenantId: request.tenantId,
          channelId: request.channelId,
          code: request.code,
          redirectUri: request.redirectUri,
          ...(request.codeVerifier ? { codeVerifier: request.codeVerifier } : {}),
          ...(request.iss ? { iss: request.iss } : {}),
          device: { id: request.device?.id ?? '', platform: request.device?.platform ?? '' },
        },
        context.signal,
      );
      const { customer } = session;
      return {
        sessionToken: session.sessionToken,
        expiresAt: session.expiresAt.toISOString(),
        customer: {
          customerKey: customer.customerKey,
          id: customer.id,
          name: customer.name ?? '',
          customFields: toStruct(customer.customFields),
        },
        threadId: session.threadId,
      };
    },
    async AuthorizeSession(request, context) {
      const { customerData, ...session } = await useCases.authorizeSession(request.sessionToken, {
        signal: context.signal,
        withCustomerData: request.withCustomerData,
      });
      return { ...session, customerDataJson: customerData ? JSON.stringify(customerData) : '' };
    },
    // The former name, for the previous release's ingress pods during a rollout (auth.proto).
    async AuthorizeMessage(request, context) {
      return useCases.authorizeSession(request.sessionToken, { signal: context.signal });
    },
    async GetAccessToken(request, context) {
      const token = await useCases.getAccessToken(
        {
          tenantId: request.tenantId,
          customerKey: request.customerKey,
          ...(request.channelId ? { channelId: request.channelId } : {}),
          ...(request.threadId ? { threadId: request.threadId } : {}),
          service: context.caller,
          caller: {
            kind: request.caller?.kind ?? '',
            id: request.caller?.id ?? '',
            reason: request.caller?.reason ?? '',
          },
        },
        context.signal,
      );
      return {
        accessToken: token.accessToken,
        tokenType: token.tokenType,
        expiresAt: token.expiresAt.toISOString(),
      };
    },
    async GetCustomerDataAccess(request, context) {
      const access = await useCases.getCustomerDataAccess(
        {
          tenantId: request.tenantId,
          customerKey: request.customerKey,
          channelId: request.channelId,
          messageId: request.messageId,
        },
        context.signal,
      );
      const { mapping } = access;
      return {
        customerDataUrl: access.customerDataUrl,
        mapping: {
          customerId: mapping.customerId,
          name: mapping.name ?? '',
          customFields: { ...mapping.customFields },
        },
        accessToken: access.accessToken,
        expiresAt: access.expiresAt.toISOString(),
      };
    },
    async RevokeSession(request) {
      return useCases.revokeSession(request.sessionToken, request.allDevices);
    },
    async TestChannel(request, context) {
      const sample = request.sampleCustomerDataJson
        ? sampleFromJson(request.sampleCustomerDataJson)
        : request.sampleCustomerData
          ? fromStruct(request.sampleCustomerData)
          : undefined;
      return useCases.testChannel(
        request.tenantId,
        request.channelId,
        {
          ...(sample ? { customerData: sample } : {}),
          ...(request.sampleAccessToken ? { accessToken: request.sampleAccessToken } : {}),
        },
        context.signal,
      );
    },
  };
}
