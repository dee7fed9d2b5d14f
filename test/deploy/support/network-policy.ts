import { type NetworkPolicy, type NetworkPolicyPeer, type NetworkPolicyPort, selects } from './k8s-types.js';

/** One end of a connection: a pod (in the cluster) or an address outside it. */
export type Endpoint =
  | {
      readonly pod: string;
      readonly namespace: string;
      readonly labels: Readonly<Record<string, string>>;
      /** Container port names → numbers, for policies naming ports. */
      readonly ports?: Readonly<Record<string, number>>;
    }
  | { readonly ip: string };

export interface Connection {
  readonly from: Endpoint;
  readonly to: Endpoint;
  readonly port: number;
  readonly protocol?: 'TCP' | 'UDP';
}

function ipv4ToNumber(ip: string): number | undefined {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((part) => !Number.isInteger(part) || part < 0 || part > 255))
    return undefined;
  return parts.reduce((sum, part) => sum * 256 + part, 0);
}

/** IPv4 only: IPv6 blocks never contain an IPv4 address. */
function inCidr(ip: string, cidr: string): boolean {
  const [network = '', bitsText = '32'] = cidr.split('/');
  const address = ipv4ToNumber(ip);
  const base = ipv4ToNumber(network);
  if (address === undefined || base === undefined) return false;
  const bits = Number(bitsText);
  const size = 2 ** (32 - bits);
  return Math.floor(address / size) === Math.floor(base / size);
}

/** Namespaces carry their name as the kubernetes.io/metadata.name label (set by the API server). */
function namespaceLabels(namespace: string): Record<string, string> {
  return { 'kubernetes.io/metadata.name': namespace };
}

function peerMatches(peer: NetworkPolicyPeer, endpoint: Endpoint, policyNamespace: string): boolean {
  if ('ip' in endpoint) {
    const block = peer.ipBlock;
    return (
      !!block && inCidr(endpoint.ip, block.cidr) && !(block.except ?? []).some((c) => inCidr(endpoint.ip, c))
    );
  }
  if (peer.ipBlock) return false;
  const namespaceOk = peer.namespaceSelector
    ? selects(peer.namespaceSelector, namespaceLabels(endpoint.namespace))
    : endpoint.namespace === policyNamespace;
  const podOk = peer.podSelector ? selects(peer.podSelector, endpoint.labels) : true;
  return namespaceOk && podOk;
}

function portMatches(ports: readonly NetworkPolicyPort[] | undefined, connection: Connection): boolean {
  if (!ports || ports.length === 0) return true;
  const protocol = connection.protocol ?? 'TCP';
  const destinationPorts = 'pod' in connection.to ? (connection.to.ports ?? {}) : {};
  return ports.some((rule) => {
    if ((rule.protocol ?? 'TCP') !== protocol) return false;
    if (rule.port === undefined) return true;
    const number = typeof rule.port === 'number' ? rule.port : destinationPorts[rule.port];
    return number === connection.port;
  });
}

function appliesTo(policy: NetworkPolicy, endpoint: Endpoint, type: 'Ingress' | 'Egress'): boolean {
  if (!('pod' in endpoint) || policy.metadata.namespace !== endpoint.namespace) return false;
  const types = policy.spec.policyTypes ?? (policy.spec.egress ? ['Ingress', 'Egress'] : ['Ingress']);
  return types.includes(type) && selects(policy.spec.podSelector, endpoint.labels);
}

/**
 * Whether Kubernetes NetworkPolicy semantics let `connection` through: the source's egress policies
 * (if any select it) must allow it, and so must the destination's ingress policies. Only `policies`
 * count: peers outside them (Kafka, a PostgreSQL server elsewhere, the internet) are taken as
 * accepting. `only` judges one side alone, e.g. whether the destination's ingress policies would
 * admit it by themselves.
 */
export function isAllowed(
  policies: readonly NetworkPolicy[],
  connection: Connection,
  only?: 'ingress' | 'egress',
): boolean {
  const egress = policies.filter((policy) => appliesTo(policy, connection.from, 'Egress'));
  const egressOk =
    egress.length === 0 ||
    egress.some((policy) =>
      (policy.spec.egress ?? []).some(
        (rule) =>
          (rule.to === undefined ||
            rule.to.length === 0 ||
            rule.to.some((peer) => peerMatches(peer, connection.to, policy.metadata.namespace ?? ''))) &&
          portMatches(rule.ports, connection),
      ),
    );
  const ingress = policies.filter((policy) => appliesTo(policy, connection.to, 'Ingress'));
  const ingressOk =
    ingress.length === 0 ||
    ingress.some((policy) =>
      (policy.spec.ingress ?? []).some(
        (rule) =>
          (rule.from === undefined ||
            rule.from.length === 0 ||
            rule.from.some((peer) => peerMatches(peer, connection.from, policy.metadata.namespace ?? ''))) &&
          portMatches(rule.ports, connection),
      ),
    );
  if (only === 'ingress') return ingressOk;
  if (only === 'egress') return egressOk;
  return egressOk && ingressOk;
}
