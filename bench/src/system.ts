// The repository's own scripts (plain .mjs, type-checked by the root tsc) that start Kafka, the store
// and the services: scripts/infra/index.mjs, scripts/infra/postgres.mjs and scripts/system.mjs,
// shared with `npm run up`. They sit outside this package's rootDir, so they are loaded at run time
// and typed here; system.test.ts keeps these types in line with the scripts.
import type { ChildProcess } from 'node:child_process';

export type ServiceName = 'auth' | 'history' | 'enrichment' | 'ingress';
/** The services that own a schema in the store. */
export type StoreService = 'auth' | 'history' | 'ingress';
export type ServiceSecrets = { SECRET_KEYS: string; SECRET_ACTIVE_KID: string; SESSION_SIGNING_KEY: string };
export type Env = NodeJS.ProcessEnv;

export interface ProcessGroup {
  start(name: string, script: string, env: Env, options?: { nodeArgs?: readonly string[] }): ChildProcess;
  stop(options?: { timeoutMs?: number }): Promise<void>;
  readonly stopping: boolean;
  readonly children: ReadonlyMap<string, ChildProcess>;
}

/** The dev PKI's files (scripts/infra/certs.mjs): the CA and each service's certificate and key. */
export interface DevCertificates {
  dir: string;
  ca: string;
  services: Record<ServiceName | 'integrations', { cert: string; key: string }>;
}

/** The store the services use: the superuser URL, and a prefix that gives this system schemas of its own. */
export interface ServicesDatabase {
  adminUrl: string;
  schemaPrefix?: string;
}

export interface SystemModule {
  readonly repositoryRoot: string;
  readonly SystemError: new (message?: string) => Error;
  readonly servicePorts: readonly number[];
  /** HTTP and ops ports of each ingress process before the offset (the first pod's are ingress's own). */
  ingressPodPorts(pods: number): { http: number; ops: number }[];
  freePortOffset(ports: readonly number[], host?: string): Promise<number>;
  newServiceSecrets(kid?: string): ServiceSecrets;
  createProcessGroup(options?: {
    onLine?: (name: string, line: string) => void;
    onUnexpectedExit?: (name: string, description: string) => void;
  }): ProcessGroup;
  startServices(
    group: ProcessGroup,
    options: {
      host: string;
      offset: number;
      env: Env;
      secrets: ServiceSecrets;
      database: ServicesDatabase;
      grpcTls: DevCertificates;
      extraEnv?: Partial<Record<ServiceName, Env>>;
      nodeArgs?: (service: ServiceName, processName: string) => readonly string[];
      /** Ingress processes (`ingress`, `ingress-2`, …), each with its own ports and INSTANCE_ID. */
      ingressPods?: number;
    },
  ): Promise<{
    ingressUrl: string;
    authGrpc: string;
    historyGrpc: string;
    ops: Record<ServiceName, string>;
    ingressPods: { name: string; url: string; ops: string }[];
  }>;
  serviceStoreEnv(database: ServicesDatabase, store: StoreService): Env;
  createApiKey(env: Env, key: { tenant: string; name: string; scope: 'admin' | 'bot' | 'agent' }): string;
  ensureServiceTopics(options: {
    brokers: string;
    prefix: string;
    clientId: string;
    sasl?: KafkaSasl | undefined;
  }): Promise<string[]>;
  systemKafkaEnv(kafka: Infrastructure['kafka']): Env;
}

export interface KafkaSasl {
  mechanism: 'scram-sha-512';
  username: string;
  password: string;
}

interface ServerInfo {
  kind: 'external' | 'docker' | 'local';
  version: string;
  started: boolean;
}

export interface Infrastructure {
  /** `sasl`: parley-admin's login on a broker with SASL (it creates the topics and ACLs). */
  kafka: ServerInfo & { brokers: string; sasl?: KafkaSasl | undefined };
  /** `url` is a superuser's (it bootstraps the Parley database and the service roles). */
  postgres: ServerInfo & { url: string };
  grpcTls: DevCertificates;
  stop(): Promise<void>;
  describe(): string;
}

export interface InfraModule {
  readonly InfraError: new (message?: string) => Error;
  ensureInfrastructure(options?: { env?: Env; allowDocker?: boolean }): Promise<Infrastructure>;
  infrastructureStatus(env?: Env): {
    kafka: { pid: number | undefined };
    postgres: { pid: number | undefined };
  };
}

export interface PostgresModule {
  /** The database every service uses, each in its own schema with its own role. */
  readonly parleyDatabase: string;
  readonly serviceRoles: Readonly<Record<StoreService, string>>;
}

// Relative to this file in src/ and in dist/ alike: bench/{src,dist}/ → scripts/.
const scriptsUrl = new URL('../../scripts/', import.meta.url);

export async function loadSystemModule(): Promise<SystemModule> {
  return (await import(new URL('system.mjs', scriptsUrl).href)) as SystemModule;
}

export async function loadInfraModule(): Promise<InfraModule> {
  return (await import(new URL('infra/index.mjs', scriptsUrl).href)) as InfraModule;
}

export async function loadPostgresModule(): Promise<PostgresModule> {
  return (await import(new URL('infra/postgres.mjs', scriptsUrl).href)) as PostgresModule;
}
