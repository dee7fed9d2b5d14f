// The repository's own scripts (plain .mjs, type-checked by the root tsc) that start Kafka, the store
// and the services: scripts/infra/index.mjs and scripts/system.mjs, shared with `npm run up`. They
// sit outside this package's rootDir, so they are loaded at run time and typed here;
// system.test.ts keeps these types in line with the scripts.
import type { ChildProcess } from 'node:child_process';

export type ServiceName = 'auth' | 'history' | 'enrichment' | 'ingress';
export type ServiceSecrets = { SECRET_KEYS: string; SECRET_ACTIVE_KID: string; SESSION_SIGNING_KEY: string };
export type Env = NodeJS.ProcessEnv;

export interface ProcessGroup {
  start(name: string, script: string, env: Env, options?: { nodeArgs?: readonly string[] }): ChildProcess;
  stop(options?: { timeoutMs?: number }): Promise<void>;
  readonly stopping: boolean;
  readonly children: ReadonlyMap<string, ChildProcess>;
}

export interface SystemModule {
  readonly repositoryRoot: string;
  readonly SystemError: new (message?: string) => Error;
  readonly servicePorts: readonly number[];
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
      extraEnv?: Partial<Record<ServiceName, Env>>;
      nodeArgs?: (service: ServiceName) => readonly string[];
    },
  ): Promise<{ ingressUrl: string; authGrpc: string; historyGrpc: string; ops: Record<ServiceName, string> }>;
  createApiKey(env: Env, key: { tenant: string; name: string; scope: 'admin' | 'bot' | 'agent' }): string;
  ensureServiceTopics(options: { brokers: string; prefix: string; clientId: string }): Promise<string[]>;
}

interface ServerInfo {
  kind: 'external' | 'docker' | 'local';
  version: string;
  started: boolean;
}

export interface Infrastructure {
  kafka: ServerInfo & { brokers: string };
  mongo: ServerInfo & { url: string };
  stop(): Promise<void>;
  describe(): string;
}

export interface InfraModule {
  readonly InfraError: new (message?: string) => Error;
  ensureInfrastructure(options?: { env?: Env; allowDocker?: boolean }): Promise<Infrastructure>;
  infraSettings(env?: Env): { readonly host: string; readonly ferretdb: { readonly debugPort: number } };
  infrastructureStatus(env?: Env): {
    kafka: { pid: number | undefined };
    ferretdb: { pid: number | undefined };
  };
}

// Relative to this file in src/ and in dist/ alike: bench/{src,dist}/ → scripts/.
const scriptsUrl = new URL('../../scripts/', import.meta.url);

export async function loadSystemModule(): Promise<SystemModule> {
  return (await import(new URL('system.mjs', scriptsUrl).href)) as SystemModule;
}

export async function loadInfraModule(): Promise<InfraModule> {
  return (await import(new URL('infra/index.mjs', scriptsUrl).href)) as InfraModule;
}
