import { describe, expect, it } from 'vitest';
import { type IngressObject, type ServiceMonitor, type ServiceObject, selects } from './support/k8s-types.js';
import { kustomizeTargets, ofKind, renderTarget } from './support/render.js';

const overlays = kustomizeTargets().filter((target) => target.startsWith('overlays/'));

describe.each(overlays)('public API of %s', (target) => {
  const objects = renderTarget(target);
  const ingresses = ofKind<IngressObject>(objects, 'Ingress');

  it('is one TLS Ingress to the ingress service, for every host it serves', () => {
    expect(ingresses).toHaveLength(1);
    for (const ingress of ingresses) {
      const tlsHosts = new Set((ingress.spec.tls ?? []).flatMap((tls) => tls.hosts ?? []));
      for (const rule of ingress.spec.rules) {
        expect(rule.host && tlsHosts.has(rule.host), `${rule.host} is served over TLS`).toBe(true);
        for (const path of rule.http.paths) {
          expect(path.backend.service).toEqual({ name: 'ingress', port: { name: 'http' } });
        }
      }
    }
  });

  it('keeps idle WebSocket streams open for an hour (ingress-nginx timeouts)', () => {
    for (const ingress of ingresses) {
      const annotations = ingress.metadata.annotations ?? {};
      for (const timeout of ['proxy-read-timeout', 'proxy-send-timeout']) {
        expect(Number(annotations[`nginx.ingress.kubernetes.io/${timeout}`]), timeout).toBeGreaterThanOrEqual(
          3600,
        );
      }
    }
  });
});

describe('Prometheus scraping (production)', () => {
  const objects = renderTarget('overlays/production');

  it('covers every Service on its ops port', () => {
    const monitors = ofKind<ServiceMonitor>(objects, 'ServiceMonitor');
    expect(monitors).toHaveLength(1);
    const [monitor] = monitors;
    expect(monitor?.spec.endpoints).toEqual([expect.objectContaining({ port: 'ops', path: '/metrics' })]);
    for (const service of ofKind<ServiceObject>(objects, 'Service')) {
      expect(
        selects(monitor?.spec.selector ?? { matchLabels: { none: 'none' } }, service.metadata.labels),
        service.metadata.name,
      ).toBe(true);
      expect(
        service.spec.ports.map((port) => port.name),
        service.metadata.name,
      ).toContain('ops');
    }
  });
});
