import type { Container, PodSpec } from './k8s-types.js';

/** CPU in cores, memory in bytes. */
export function quantity(value: string | number | undefined): number {
  if (value === undefined) return Number.NaN;
  const match = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi|Ti|k|M|G)?$/.exec(String(value));
  if (!match) return Number.NaN;
  const factors: Record<string, number> = {
    m: 1e-3,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    k: 1e3,
    M: 1e6,
    G: 1e9,
  };
  return Number(match[1]) * (match[2] ? (factors[match[2]] ?? Number.NaN) : 1);
}

/**
 * What keeps a Parley container from running under the `restricted` Pod Security Standard with a
 * read-only root file system, bounded resources and a pinned image: one message per problem.
 */
export function hardeningProblems(pod: PodSpec, container: Container): string[] {
  const problems: string[] = [];
  const name = container.name;
  const { requests = {}, limits = {} } = container.resources ?? {};
  for (const resource of ['cpu', 'memory']) {
    const request = quantity(requests[resource]);
    const limit = quantity(limits[resource]);
    if (!(request > 0)) problems.push(`${name} requests no ${resource}`);
    if (!(limit > 0)) problems.push(`${name} limits no ${resource}`);
    else if (limit < request) problems.push(`${name} limits ${resource} below its request`);
  }

  const own = container.securityContext ?? {};
  const podLevel = pod.securityContext ?? {};
  if ((own.runAsNonRoot ?? podLevel.runAsNonRoot) !== true) problems.push(`${name} may run as root`);
  if ((own.runAsUser ?? podLevel.runAsUser) !== 10001) problems.push(`${name} does not run as uid 10001`);
  if (own.readOnlyRootFilesystem !== true) problems.push(`${name} has a writable root file system`);
  if (own.allowPrivilegeEscalation !== false) problems.push(`${name} allows privilege escalation`);
  if (!own.capabilities?.drop?.includes('ALL')) problems.push(`${name} keeps capabilities`);
  if ((own.capabilities?.add ?? []).length > 0) problems.push(`${name} adds capabilities`);
  if ((own.seccompProfile ?? podLevel.seccompProfile)?.type !== 'RuntimeDefault')
    problems.push(`${name} has no RuntimeDefault seccomp profile`);

  // A read-only root file system: /tmp is the one writable place.
  const tmp = container.volumeMounts?.find((mount) => mount.mountPath === '/tmp');
  if (!pod.volumes?.find((volume) => volume.name === tmp?.name)?.emptyDir)
    problems.push(`${name} has no emptyDir on /tmp`);

  const [reference = '', digest] = container.image.split('@');
  const tag = /:([^/:]+)$/.exec(reference)?.[1];
  if (!digest && !tag) problems.push(`${container.image} names no tag or digest`);
  if (tag === 'latest') problems.push(`${container.image} is :latest`);

  if (pod.automountServiceAccountToken !== false) problems.push(`${name} mounts a service account token`);
  return problems;
}
