import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { commonEnv, kafkaEnv } from '@parley/config';
import { topicNames } from '@parley/contracts';
import { describe, expect, it } from 'vitest';
import { generatedEnvFile, interpolate, readCompose, serviceEnv } from './support/compose.js';
import type { Deployment } from './support/k8s-types.js';
import { named, renderTarget, repositoryRoot } from './support/render.js';
import {
  knownVariables,
  requiredVariables,
  services,
  storeOwners,
  withPemStandIns,
} from './support/service-env.js';

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
      expect(() => service.load(withPemStandIns(env))).not.toThrow();
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
    expect(envOf('ingress').INTEGRATIONS_GRPC_ADDRESS).toBe(
      `integrations:${envOf('integrations').GRPC_PORT}`,
    );
  });

  it('runs PostgreSQL from the official image, with one role and password per service with a store', () => {
    const postgres = compose.services.postgres ?? {};
    expect(postgres.image).toMatch(/^postgres:\d+(\.\d+)?$/);
    expect(postgres.ports ?? [], 'not published on the host').toEqual([]);
    const init = (postgres.volumes ?? []).find((volume) => volume.includes(':/docker-entrypoint-initdb.d/'));
    expect(init).toMatch(/^\.\/postgres-init\.sh:\/docker-entrypoint-initdb\.d\/[\w-]+\.sh:ro$/);
    const script = readFileSync(join(repositoryRoot, 'deploy/compose/postgres-init.sh'), 'utf8');
    const serverEnv = serviceEnv(postgres, dotEnv);
    expect(serverEnv.POSTGRES_DB).toBe('parley');
    for (const service of storeOwners) {
      const url = new URL(serviceEnv(compose.services[service.name] ?? {}, dotEnv).DATABASE_URL ?? '');
      expect(url.username, service.name).toBe(`parley_${service.name}`);
      expect(`${url.host}${url.pathname}`, service.name).toBe('postgres:5432/parley');
      const passwordVariable = `DATABASE_PASSWORD_${service.name.toUpperCase()}`;
      expect(url.password, service.name).toBe(dotEnv[passwordVariable]);
      expect(serverEnv[passwordVariable], service.name).toBe(dotEnv[passwordVariable]);
      expect(script).toContain(`--set=${service.name}_password="$${passwordVariable}"`);
      expect(script).toContain(
        `create role parley_${service.name} login password :'${service.name}_password';`,
      );
    }
    const roles = storeOwners.map((service) => `parley_${service.name}`).sort();
    expect(script).toContain(`grant connect, create on database :"DBNAME" to ${roles.join(', ')};`);
  });

  it.each(storeOwners.map((service) => [service.name, service] as const))(
    '%s: a one-shot migration from the same image completes before it starts, which then only verifies',
    (name, service) => {
      const entry = compose.services[name] ?? {};
      const migrate = compose.services[`${name}-migrate`] ?? {};
      expect(migrate.build).toEqual(entry.build);
      expect(migrate.image).toBe(entry.image);
      expect(migrate.command).toEqual(['node', 'dist/migrate.js']);
      expect(migrate.restart).toBe('no');
      expect(migrate.read_only).toBe(true);
      expect(migrate.depends_on?.postgres).toEqual({ condition: 'service_healthy' });
      expect(entry.depends_on?.[`${name}-migrate`]).toEqual({ condition: 'service_completed_successfully' });
      const env = serviceEnv(migrate, dotEnv);
      const config = service.loadStore(env);
      expect(Object.keys(env).filter((variable) => !(variable in config))).toEqual([]);
      expect(env.DATABASE_URL).toBe(serviceEnv(entry, dotEnv).DATABASE_URL);
      expect(serviceEnv(entry, dotEnv).DATABASE_MIGRATIONS).toBe('verify');
    },
  );

  it('seeds the demo with the API keys of ingress’s own store', () => {
    expect(serviceEnv(compose.services['demo-seed'] ?? {}, dotEnv).DATABASE_URL).toBe(
      serviceEnv(compose.services.ingress ?? {}, dotEnv).DATABASE_URL,
    );
  });

  it('keeps the values of an existing .env and adds the variables it lacks', () => {
    const kept = generatedEnvFile('SECRET_KEYS=k1:kept\nSECRET_ACTIVE_KID=k1\n');
    expect(kept.SECRET_KEYS).toBe('k1:kept');
    expect(Object.keys(kept).sort()).toEqual(Object.keys(dotEnv).sort());
  });

  it('refuses to start without the keys of generate-env.sh', () => {
    expect(() => serviceEnv(compose.services.auth ?? {}, {})).toThrow(/generate-env\.sh/);
  });

  it('creates every topic of libs/contracts and its .dlq before the services start', () => {
    const command = ([] as string[]).concat(compose.services['kafka-setup']?.command ?? []).join('\n');
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
