/** The parts of a V8 `.cpuprofile` (what `node --cpu-prof` writes) that the summary reads. */
export interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly hitCount?: number;
    readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber?: number };
  }[];
  /** Microseconds. */
  readonly startTime: number;
  readonly endTime: number;
}

export interface FunctionCost {
  readonly functionName: string;
  /** Shortened: `node_modules/<package>/...`, `services/...`, `node:...`, or empty for V8's own. */
  readonly url: string;
  readonly selfMs: number;
  /** Share of the non-idle samples. */
  readonly percent: number;
}

export interface ProfileSummary {
  readonly profiledMs: number;
  /** Time the process was busy (not `(idle)`), ms. */
  readonly busyMs: number;
  readonly functions: readonly FunctionCost[];
  /** Self time by package or workspace (`node_modules/pino`, `libs/bus`, `node:internal`, `(gc)`). */
  readonly packages: readonly { readonly name: string; readonly selfMs: number; readonly percent: number }[];
}

/** A profile's script URL relative to the repository, or `node:…`; V8's own entries have none. */
export function shortUrl(url: string): string {
  if (!url) return '';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) return url.slice(modules + 1);
  const workspace = /\/((?:services|libs|demo|bench)\/.*)$/.exec(url);
  if (workspace) return workspace[1] as string;
  return url.replace(/^file:\/\//, '');
}

/** What a cost belongs to: a package, a workspace, Node's internals, or V8 (gc, program). */
export function packageOf(functionName: string, url: string): string {
  const short = shortUrl(url);
  if (!short) return functionName.startsWith('(') ? functionName : '(native)';
  if (short.startsWith('node:')) return 'node:internal';
  const modules = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(short);
  if (modules) return `node_modules/${modules[1]}`;
  const workspace = /^((?:services|libs|demo|bench)\/[^/]+)/.exec(short);
  return workspace ? (workspace[1] as string) : short;
}

/**
 * Self time per function of a CPU profile: each node's `hitCount` samples, summed by call frame
 * function name + script URL, converted to ms with the profile's mean sampling interval. `(idle)`
 * is left out of the shares (a waiting process is not a cost).
 *
 * @example
 * summarizeCpuProfile(JSON.parse(readFileSync('ingress.cpuprofile', 'utf8')), 10).functions[0]
 */
export function summarizeCpuProfile(profile: CpuProfile, top = 10): ProfileSummary {
  const totalHits = profile.nodes.reduce((sum, node) => sum + (node.hitCount ?? 0), 0);
  const profiledMs = (profile.endTime - profile.startTime) / 1000;
  const msPerHit = totalHits > 0 ? profiledMs / totalHits : 0;
  const byFunction = new Map<string, { functionName: string; url: string; hits: number }>();
  const byPackage = new Map<string, number>();
  let busyHits = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    const { functionName, url } = node.callFrame;
    if (hits === 0 || functionName === '(idle)') continue;
    busyHits += hits;
    const name = functionName || '(anonymous)';
    const key = `${name}\u0000${url}`;
    const entry = byFunction.get(key) ?? { functionName: name, url: shortUrl(url), hits: 0 };
    entry.hits += hits;
    byFunction.set(key, entry);
    const owner = packageOf(name, url);
    byPackage.set(owner, (byPackage.get(owner) ?? 0) + hits);
  }
  const percentOf = (hits: number) => (busyHits > 0 ? (hits / busyHits) * 100 : 0);
  return {
    profiledMs,
    busyMs: busyHits * msPerHit,
    functions: [...byFunction.values()]
      .sort((a, b) => b.hits - a.hits)
      .slice(0, top)
      .map((entry) => ({
        functionName: entry.functionName,
        url: entry.url,
        selfMs: entry.hits * msPerHit,
        percent: percentOf(entry.hits),
      })),
    packages: [...byPackage.entries()]
      .sort(([, a], [, b]) => b - a)
      .slice(0, top)
      .map(([name, hits]) => ({ name, selfMs: hits * msPerHit, percent: percentOf(hits) })),
  };
}
