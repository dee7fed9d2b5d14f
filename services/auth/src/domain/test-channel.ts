import { mapCustomer } from '@parley/customer-mapping';
import { ParleyError } from '@parley/errors';
import type { AuthDomainDeps } from './deps.js';

export interface ChannelCheck {
  name: string;
  ok: boolean;
  detail: string;
}

function describeError(error: unknown): string {
  return error instanceof ParleyError ? `${error.code}: ${error.message}` : String(error);
}

/**
 * TestChannel, the admin's self-test: discovery, every configured endpoint answering, the brand's
 * clock against Parley's, and the field mapping applied to a sample of customer data.
 */
export function createChannelTest(deps: Pick<AuthDomainDeps, 'channels' | 'brand' | 'clock'>) {
  const { channels, brand, clock } = deps;
  return async function testChannel(
    tenantId: string,
    channelId: string,
    sample: Record<string, unknown> | undefined,
  ) {
    const channel = await channels.find(tenantId, channelId);
    if (!channel) throw new ParleyError('not_found', `channel ${channelId} is not configured`);
    const checks: ChannelCheck[] = [];
    const run = async (name: string, probe: () => Promise<string>) => {
      try {
        checks.push({ name, ok: true, detail: await probe() });
      } catch (error) {
        checks.push({ name, ok: false, detail: describeError(error) });
      }
    };

    if (channel.issuer) {
      const issuer = channel.issuer;
      await run(
        'discovery',
        async () => `endpoints found: ${Object.keys(await brand.discover(issuer)).join(', ') || 'none'}`,
      );
    }
    const skews: number[] = [];
    for (const [name, url] of Object.entries(channel.endpoints)) {
      if (!url) continue;
      await run(`endpoint ${name}`, async () => {
        const answer = await brand.probe(url);
        if (answer.serverDate) skews.push(answer.serverDate.getTime() - clock.now().getTime());
        if (answer.status >= 500) throw new ParleyError('brand_unavailable', `answered ${answer.status}`);
        return `answered ${answer.status}`;
      });
    }
    if (skews.length > 0) {
      const worst = skews.reduce((a, b) => (Math.abs(b) > Math.abs(a) ? b : a));
      // HTTP dates have one-second resolution; beyond a minute token lifetimes start to misbehave.
      checks.push({
        name: 'clock skew',
        ok: Math.abs(worst) <= 60_000,
        detail: `${Math.round(worst / 1000)} s against Parley's clock`,
      });
    }
    if (sample) {
      await run('mapping', async () => JSON.stringify(mapCustomer(sample, channel.mapping)));
    }
    return { ok: checks.every((check) => check.ok), checks };
  };
}
