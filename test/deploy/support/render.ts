import { execFileSync } from 'node:child_process';
import { accessSync, constants, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { K8sObject } from './k8s-types.js';

export const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const kustomizeRoot = join(repositoryRoot, 'deploy/k8s');

/** How to run Kustomize here: `kubectl kustomize DIR` or `kustomize build DIR`. */
export interface Renderer {
  readonly command: string;
  readonly args: (directory: string) => string[];
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string, path: string): string | undefined {
  return path
    .split(delimiter)
    .filter(Boolean)
    .map((directory) => join(directory, name))
    .find(executable);
}

/**
 * kubectl (which embeds Kustomize), else kustomize on PATH, else the one that
 * deploy/scripts/ensure-kustomize.sh builds into .cache/bin. Throws when there is none: the deploy
 * tests then fail rather than pass without having rendered anything.
 */
export function findRenderer(options: { path?: string; cachedKustomize?: string } = {}): Renderer {
  const { path = process.env.PATH ?? '', cachedKustomize = join(repositoryRoot, '.cache/bin/kustomize') } =
    options;
  const kubectl = onPath('kubectl', path);
  if (kubectl) return { command: kubectl, args: (directory) => ['kustomize', directory] };
  const kustomize = onPath('kustomize', path) ?? (executable(cachedKustomize) ? cachedKustomize : undefined);
  if (kustomize) return { command: kustomize, args: (directory) => ['build', directory] };
  throw new Error(
    'no Kustomize renderer: neither kubectl nor kustomize is on PATH and .cache/bin/kustomize is missing; ' +
      'run deploy/scripts/ensure-kustomize.sh',
  );
}

/** Every Kustomize target under deploy/k8s: the base and each overlay. */
export function kustomizeTargets(): string[] {
  const overlays = readdirSync(join(kustomizeRoot, 'overlays'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => `overlays/${entry.name}`);
  return ['base', ...overlays.sort()];
}

/** Parses a multi-document YAML stream; a syntax error anywhere throws. */
export function parseYamlDocuments(text: string): unknown[] {
  return parseAllDocuments(text).flatMap((document) => {
    if (document.errors.length > 0) throw new Error(document.errors.map(String).join('\n'));
    const value: unknown = document.toJS();
    return value === null || value === undefined ? [] : [value];
  });
}

const rendered = new Map<string, K8sObject[]>();

/** The objects of one target (e.g. `overlays/production`), rendered once per test file. */
export function renderTarget(target: string, renderer: Renderer = findRenderer()): K8sObject[] {
  const cached = rendered.get(target);
  if (cached) return cached;
  const objects = renderDirectory(join(kustomizeRoot, target), renderer);
  rendered.set(target, objects);
  return objects;
}

/** The objects of the kustomization in `directory` (anywhere, e.g. a scratch overlay of a test). */
export function renderDirectory(directory: string, renderer: Renderer = findRenderer()): K8sObject[] {
  const output = execFileSync(renderer.command, renderer.args(directory), {
    encoding: 'utf8',
    maxBuffer: 32 * 1024 * 1024,
  });
  return parseYamlDocuments(output) as K8sObject[];
}

/** The objects of one kind, typed as that kind's shape. */
export function ofKind<T extends K8sObject>(objects: readonly K8sObject[], kind: string): T[] {
  return objects.filter((object) => object.kind === kind) as T[];
}

/** The one object of `kind` named `name`; throws naming what is missing. */
export function named<T extends K8sObject>(objects: readonly K8sObject[], kind: string, name: string): T {
  const found = objects.find((object) => object.kind === kind && object.metadata.name === name);
  if (!found) throw new Error(`no ${kind} named ${name}`);
  return found as T;
}
