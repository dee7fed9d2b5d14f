import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findRenderer, kustomizeTargets, parseYamlDocuments, renderTarget } from './support/render.js';

const scratch = mkdtempSync(join(tmpdir(), 'parley-renderer-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function fakeTool(dir: string, name: string): string {
  const path = join(dir, name);
  writeFileSync(path, '#!/bin/sh\nexit 0\n');
  chmodSync(path, 0o755);
  return path;
}

describe('finding a Kustomize renderer', () => {
  it('fails, naming the fix, when there is none (the deploy tests then fail, never skip)', () => {
    expect(() =>
      findRenderer({ path: join(scratch, 'empty'), cachedKustomize: join(scratch, 'none') }),
    ).toThrow(/no Kustomize renderer.*ensure-kustomize\.sh/);
  });

  it('prefers kubectl, then kustomize on PATH, then the one built into .cache/bin', () => {
    const kubectlDir = mkdtempSync(join(scratch, 'kubectl-'));
    const kustomizeDir = mkdtempSync(join(scratch, 'kustomize-'));
    const cacheDir = mkdtempSync(join(scratch, 'cached-'));
    const kubectl = fakeTool(kubectlDir, 'kubectl');
    fakeTool(kubectlDir, 'kustomize');
    const kustomize = fakeTool(kustomizeDir, 'kustomize');
    const built = fakeTool(cacheDir, 'kustomize');

    const withKubectl = findRenderer({ path: kubectlDir, cachedKustomize: built });
    expect(withKubectl.command).toBe(kubectl);
    expect(withKubectl.args('/d')).toEqual(['kustomize', '/d']);
    const withKustomize = findRenderer({ path: kustomizeDir, cachedKustomize: built });
    expect(withKustomize.command).toBe(kustomize);
    expect(withKustomize.args('/d')).toEqual(['build', '/d']);
    expect(findRenderer({ path: join(scratch, 'empty'), cachedKustomize: built }).command).toBe(built);
  });
});

describe('rendering', () => {
  it('finds the base and the dev and production overlays', () => {
    expect(kustomizeTargets()).toEqual(
      expect.arrayContaining(['base', 'overlays/dev', 'overlays/production']),
    );
  });

  it.each(kustomizeTargets())('renders %s into Kubernetes objects', (target) => {
    const objects = renderTarget(target);
    expect(objects.length).toBeGreaterThan(20);
    for (const object of objects) {
      expect(object).toMatchObject({ apiVersion: expect.any(String), kind: expect.any(String) });
      expect(object.metadata.name).toMatch(/\S/);
    }
  });

  it('reports YAML syntax errors instead of reading past them', () => {
    expect(() => parseYamlDocuments('a: [1, 2\n---\nb: 1\n')).toThrow();
  });
});
