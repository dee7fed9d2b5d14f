import {
  type ChannelSelfTestResult,
  type ChannelView,
  channelSelfTestResult,
  channelView,
} from '@parley/contracts';
import type { ApiKey } from './api-keys.js';
import type { AuthPort, ChannelSettings } from './ports.js';

type ChannelSelfTestSamples = {
  readonly sampleCustomerData?: Record<string, unknown>;
  readonly sampleAccessToken?: string;
};

// A channel as admins see it: parsing the view keeps only its fields (no client secret).

/** Creates or replaces a channel of the key's tenant. */
export async function putChannel(
  deps: { readonly auth: AuthPort },
  key: ApiKey,
  channelId: string,
  settings: ChannelSettings,
): Promise<ChannelView> {
  return channelView.parse(await deps.auth.putChannel({ ...settings, tenantId: key.tenantId, channelId }));
}

/** A channel of the key's tenant. */
export async function getChannel(
  deps: { readonly auth: AuthPort },
  key: ApiKey,
  channelId: string,
): Promise<ChannelView> {
  return channelView.parse(await deps.auth.getChannel({ tenantId: key.tenantId, channelId }));
}

/**
 * A channel's self-test (at auth, against the brand), with the admin's optional samples; parsed as
 * `channelSelfTestResult`, so a check status outside the documented ones fails here, not at a client.
 */
export async function testChannel(
  deps: { readonly auth: AuthPort },
  key: ApiKey,
  channelId: string,
  samples: ChannelSelfTestSamples,
): Promise<ChannelSelfTestResult> {
  const { sampleCustomerData, sampleAccessToken } = samples;
  const result = await deps.auth.testChannel({
    tenantId: key.tenantId,
    channelId,
    ...(sampleCustomerData ? { sampleCustomerDataJson: JSON.stringify(sampleCustomerData) } : {}),
    ...(sampleAccessToken ? { sampleAccessToken } : {}),
  });
  return channelSelfTestResult.parse(result);
}
