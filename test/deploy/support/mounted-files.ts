import type { Container, PodSpec } from './k8s-types.js';

/** Where a file a container reads comes from: a key of a Secret, through a volume mount. */
export interface SecretFile {
  readonly secret: string;
  readonly key: string;
  readonly readOnly: boolean;
  /** The volume's file mode (Kubernetes' default: 0644). */
  readonly mode: number;
}

/** The Secret key mounted at `path` in `container`, or undefined when no Secret volume provides it. */
export function secretFileAt(pod: PodSpec, container: Container, path: string): SecretFile | undefined {
  for (const mount of container.volumeMounts ?? []) {
    const directory = mount.mountPath.replace(/\/$/, '');
    if (!path.startsWith(`${directory}/`)) continue;
    const relative = path.slice(directory.length + 1);
    const secret = pod.volumes?.find((volume) => volume.name === mount.name)?.secret;
    if (!secret) continue;
    const key = secret.items ? secret.items.find((item) => item.path === relative)?.key : relative;
    if (key === undefined) continue;
    return {
      secret: secret.secretName,
      key,
      readOnly: mount.readOnly === true,
      mode: secret.defaultMode ?? 0o644,
    };
  }
  return undefined;
}

/** The Secrets a pod mounts as files. */
export function mountedSecrets(pod: PodSpec): string[] {
  return (pod.volumes ?? []).flatMap((volume) => (volume.secret ? [volume.secret.secretName] : []));
}
