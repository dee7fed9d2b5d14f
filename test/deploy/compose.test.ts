import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { commonEnv, kafkaEnv } from '@parley/config';
import { topicNames } from '@parley/contracts';
import { describe, expect, it } from 'vitest';
import { generatedEnvFile, interpolate, readCompose, serviceEnv } from './support/compose.js';
import type { Deployment } from './support/k8s-types.js';
import { named, renderTarget, repositoryRoot } from './support/render.js';
import { knownVariables, requiredVariables, services } from './support/service-env.js';

const compose = readCompose();
const dotEnv = generatedEnvFile();
const kubernetes = renderTarget('base');

/** Variables a demo app reads: the names in its main.ts/config.ts and the shared sets it spreads. */
function demoVariables(app: string): Set<string> {
  const source = ['main.ts', 'config.ts']
    .map((file) => {
      try {
        return readFileSync(join(repositoryRoot, 'demo', app, 'src', file), 'utf8');
      } catch {
        return '';
      }
    })
    .join('\n');
  const names = new Set(source.match(/\b(?:DEMO|PARLEY)_[A-Z0-9_]+\b/g) ?? []);
  if (source.includes('...commonEnv')) for (const name of Object.keys(commonEnv)) names.add(name);
  if (source.includes('...kafkaEnv')) for (const name of Object.keys(kafkaEnv)) names.add(name);
  return names;
}

/** `${inner}` as Docker Compose writes it (built, so that it does not read as a JS template). */
const compose$ = (inner: string) => ['$', '{', inner, '}'].join('');

describe('docker-compose.yml', () => {
  it('interpolates like Docker Compose', () => {
    expect(interpolate(`a$$b ${compose$('X')} ${compose$('Y:-d')} ${compose$('X:?no')}`, { X: 'x' })).toBe(
      'a$b x d x',
    );
    expect(() => interpolate(compose$('Z:?run generate-env.sh'), {})).toThrow(/Z: run generate-env.sh/);
  });

  it.each(services.map((service) => [service.name, service] as const))(
    '%s: built from deploy/docker/Dockerfile, hardened, configured with known and valid variables',
    (name, service) => {
      const entry = compose.services[name];
      expect(entry?.build).toMatchObject({
        context: '../..',
        dockerfile: 'deploy/docker/Dockerfile',
        args: { SERVICE: name },
      });
      expect(entry?.read_only).toBe(true);
      expect(entry?.cap_drop).toEqual(['ALL']);
      const env = serviceEnv(entry ?? {}, dotEnv);
      const known = new Set(knownVariables(service));
      expect(Object.keys(env).filter((variable) => !known.has(variable))).toEqual([]);
      expect(requiredVariables(service).filter((variable) => !(variable in env))).toEqual([]);
      expect(() => service.load(env)).not.toThrow();
    },
  );

  it('uses the ports of the Kubernetes manifests and addresses services by name', () => {
    for (const service of services) {
      const env = serviceEnv(compose.services[service.name] ?? {}, dotEnv);
      const container = named<Deployment>(kubernetes, 'Deployment', service.name).spec.template.spec
        .containers[0];
      const ports = Object.fromEntries(
        (container?.ports ?? []).map((port) => [port.name, String(port.containerPort)]),
      );
      expect(env.OPS_PORT, service.name).toBe(ports.ops);
      if (ports.grpc) expect(env.GRPC_PORT, service.name).toBe(ports.grpc);
      if (ports.http) expect(env.HTTP_PORT, service.name).toBe(ports.http);
    }
    const envOf = (name: string) => serviceEnv(compose.services[name] ?? {}, dotEnv);
    expect(envOf('ingress').AUTH_GRPC_ADDRESS).toBe(`auth:${envOf('auth').GRPC_PORT}`);
    expect(envOf('enrichment').AUTH_GRPC_ADDRESS).toBe(`auth:${envOf('auth').GRPC_PORT}`);
    expect(envOf('ingress').HISTORY_GRPC_ADDRESS).toBe(`history:${envOf('history').GRPC_PORT}`);
  });

  it('refuses to start without the keys of generate-env.sh', () => {
    expect(() => serviceEnv(compose.services.auth ?? {}, {})).toThrow(/generate-env\.sh/);
  });

  it('creates every topic of libs/contracts and its .dlq before the services start', () => {
    const command = ([] as string[]).concat(compose.services['kafka-topics']?.command ?? []).join('\n');
    const listed = /for topic in ([^;]+);/.exec(command.replace(/\\\n/g, ' '))?.[1]?.trim().split(/\s+/);
    expect(listed?.sort()).toEqual([...topicNames].sort());
    expect(command).toContain('"$$topic.dlq"');
    expect(command).toContain('--if-not-exists');
  });

  it.each([
    ['brand', 'brand'],
    ['web', 'web'],
    ['bot', 'bot'],
  ])('demo %s gets only variables its code reads', (service, app) => {
    const env = serviceEnv(compose.services[service] ?? {}, dotEnv);
    const known = demoVariables(app);
    expect(known.size).toBeGreaterThan(2);
    expect(Object.keys(env).filter((variable) => !known.has(variable))).toEqual([]);
  });
});
