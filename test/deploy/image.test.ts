import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repositoryRoot } from './support/render.js';

const dockerfile = readFileSync(join(repositoryRoot, 'deploy/docker/Dockerfile'), 'utf8');
/** Instructions with continuation lines joined and comments dropped. */
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith('#'));
const stages = instructions.reduce<string[][]>((all, line) => {
  if (line.startsWith('FROM ')) all.push([]);
  all.at(-1)?.push(line);
  return all;
}, []);
const runtime = stages.at(-1) ?? [];

describe('deploy/docker/Dockerfile', () => {
  it('builds on a pinned bookworm-slim of the newest Node.js line the engines field names', () => {
    const base = /^ARG NODE_IMAGE=node:(\d+)\.(\d+)\.(\d+)-bookworm-slim(@sha256:[0-9a-f]{64})?$/.exec(
      instructions.find((line) => line.startsWith('ARG NODE_IMAGE=')) ?? '',
    );
    expect(base, 'NODE_IMAGE is node:<x.y.z>-bookworm-slim').not.toBeNull();
    const engines = (
      JSON.parse(readFileSync(join(repositoryRoot, 'package.json'), 'utf8')) as { engines: { node: string } }
    ).engines.node;
    // The last range is the supported LTS line (`^20.19.0 || >=24.11.0`: 24); images use it.
    const [major, minor] = (/>=(\d+)\.(\d+)\.\d+$/.exec(engines) ?? []).slice(1).map(Number);
    expect(Number(base?.[1])).toBe(major);
    expect(Number(base?.[2])).toBeGreaterThanOrEqual(minor ?? 0);
    for (const from of instructions.filter((line) => line.startsWith('FROM '))) {
      expect(from).toMatch(/^FROM \$\{NODE_IMAGE\} AS [a-z-]+$/);
    }
  });

  it('installs only production dependencies of the one workspace into the runtime', () => {
    const productionDeps = stages.find((stage) => stage[0]?.endsWith('AS production-deps')) ?? [];
    expect(productionDeps.join('\n')).toMatch(/npm (ci|install) --omit=dev --workspace="\$\{WORKSPACE\}"/);
    const copies = runtime.filter((line) => line.startsWith('COPY'));
    expect(copies).toEqual(['COPY --from=production-deps /app/ ./', 'COPY --from=build /out/ ./']);
    expect(dockerfile).toMatch(/turbo run build --filter="\$\{PACKAGE\}\.\.\."/);
  });

  it("ships each service's migrations/ beside its dist/, where the migration step and the verify at start read them", () => {
    const build = stages.find((stage) => stage[0]?.endsWith('AS build')) ?? [];
    const out = build.find((line) => line.includes('/out')) ?? '';
    expect(out).toMatch(/for extra in [^;]*\bmigrations\b[^;]*; do/);
    expect(out).toContain('cp -r "$dir/$extra" "/out/$dir/"');
    for (const service of ['auth', 'history', 'ingress']) {
      const dir = join(repositoryRoot, 'services', service, 'migrations');
      expect(existsSync(join(dir, '0001_initial.sql')), `${service} migrations`).toBe(true);
      expect(
        existsSync(join(repositoryRoot, 'services', service, 'src/migrate.ts')),
        `${service} migrate.ts`,
      ).toBe(true);
    }
  });

  it('runs node as uid 10001 under tini, from the workspace folder', () => {
    expect(runtime).toContain('USER 10001:10001');
    expect(runtime).toContain('ENTRYPOINT ["/usr/bin/tini", "--"]');
    expect(runtime).toContain('CMD ["node", "dist/main.js"]');
    expect(runtime).toContain(['WORKDIR /app/$', '{WORKSPACE}'].join(''));
    expect(runtime.join('\n')).toMatch(/useradd .*--uid 10001/);
  });
});

describe('.dockerignore', () => {
  const lines = readFileSync(join(repositoryRoot, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));

  it('sends only what the build needs, all of which exists', () => {
    expect(lines[0]).toBe('*');
    const included = lines
      .filter((line) => line.startsWith('!'))
      .map((line) => line.slice(1).replace(/\/$/, ''));
    expect(included.sort()).toEqual(
      [
        'demo',
        'libs',
        'sdks',
        'package-lock.json',
        'package.json',
        'proto',
        'services',
        'tsconfig.base.json',
        'turbo.json',
      ].sort(),
    );
    for (const path of included) expect(existsSync(join(repositoryRoot, path)), path).toBe(true);
  });

  it('leaves out dependencies, build output and local state inside those folders', () => {
    for (const pattern of ['**/node_modules', '**/dist', '**/.turbo', '**/.env'])
      expect(lines).toContain(pattern);
  });

  it('keeps the SQL migrations in the context', () => {
    expect(lines.filter((line) => !line.startsWith('!') && /sql|migration/i.test(line))).toEqual([]);
  });
});
