/**
 * The parts of Kubernetes objects that the deploy tests read. Rendered YAML is untyped; these
 * shapes are asserted by the schema validation (schemas.test.ts) before the other tests rely on them.
 */
export interface ObjectMeta {
  readonly name: string;
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: ObjectMeta;
}

export interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly {
    readonly key: string;
    readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
    readonly values?: readonly string[];
  }[];
}

export interface Probe {
  readonly httpGet?: { readonly path?: string; readonly port: number | string };
  readonly periodSeconds?: number;
  readonly timeoutSeconds?: number;
  readonly failureThreshold?: number;
}

export interface SecurityContext {
  readonly runAsNonRoot?: boolean;
  readonly runAsUser?: number;
  readonly runAsGroup?: number;
  readonly readOnlyRootFilesystem?: boolean;
  readonly allowPrivilegeEscalation?: boolean;
  readonly capabilities?: { readonly drop?: readonly string[]; readonly add?: readonly string[] };
  readonly seccompProfile?: { readonly type: string };
}

export interface EnvVar {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: {
    readonly secretKeyRef?: { readonly name: string; readonly key: string };
    readonly configMapKeyRef?: { readonly name: string; readonly key: string };
    readonly fieldRef?: { readonly fieldPath: string };
  };
}

export interface Container {
  readonly name: string;
  readonly image: string;
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  readonly ports?: readonly {
    readonly name?: string;
    readonly containerPort: number;
    readonly protocol?: string;
  }[];
  readonly env?: readonly EnvVar[];
  readonly envFrom?: readonly {
    readonly configMapRef?: { readonly name: string; readonly optional?: boolean };
    readonly secretRef?: { readonly name: string };
  }[];
  readonly readinessProbe?: Probe;
  readonly livenessProbe?: Probe;
  readonly startupProbe?: Probe;
  readonly lifecycle?: { readonly preStop?: { readonly exec?: { readonly command: readonly string[] } } };
  readonly resources?: {
    readonly requests?: Readonly<Record<string, string | number>>;
    readonly limits?: Readonly<Record<string, string | number>>;
  };
  readonly securityContext?: SecurityContext;
  readonly volumeMounts?: readonly {
    readonly name: string;
    readonly mountPath: string;
    readonly readOnly?: boolean;
  }[];
}

export interface PodSpec {
  readonly containers: readonly Container[];
  readonly initContainers?: readonly Container[];
  readonly securityContext?: SecurityContext;
  readonly terminationGracePeriodSeconds?: number;
  readonly automountServiceAccountToken?: boolean;
  readonly serviceAccountName?: string;
  readonly restartPolicy?: string;
  readonly volumes?: readonly {
    readonly name: string;
    readonly emptyDir?: object;
    readonly secret?: {
      readonly secretName: string;
      readonly optional?: boolean;
      readonly defaultMode?: number;
      readonly items?: readonly { readonly key: string; readonly path: string }[];
    };
  }[];
}

export interface Deployment extends K8sObject {
  readonly spec: {
    readonly replicas?: number;
    readonly strategy?: {
      readonly type?: string;
      readonly rollingUpdate?: {
        readonly maxSurge?: number | string;
        readonly maxUnavailable?: number | string;
      };
    };
    readonly selector: LabelSelector;
    readonly template: {
      readonly metadata: { readonly labels: Readonly<Record<string, string>> };
      readonly spec: PodSpec;
    };
  };
}

export interface Job extends K8sObject {
  readonly spec: {
    readonly backoffLimit?: number;
    readonly activeDeadlineSeconds?: number;
    readonly template: {
      readonly metadata: { readonly labels: Readonly<Record<string, string>> };
      readonly spec: PodSpec;
    };
  };
}

export interface ServiceObject extends K8sObject {
  readonly spec: {
    readonly selector: Readonly<Record<string, string>>;
    readonly ports: readonly {
      readonly name?: string;
      readonly port: number;
      readonly targetPort?: number | string;
    }[];
  };
}

export interface ConfigMap extends K8sObject {
  readonly data?: Readonly<Record<string, string>>;
}

export interface NetworkPolicyPeer {
  readonly podSelector?: LabelSelector;
  readonly namespaceSelector?: LabelSelector;
  readonly ipBlock?: { readonly cidr: string; readonly except?: readonly string[] };
}

export interface NetworkPolicyPort {
  readonly port?: number | string;
  readonly protocol?: string;
}

export interface NetworkPolicy extends K8sObject {
  readonly spec: {
    readonly podSelector: LabelSelector;
    readonly policyTypes?: readonly ('Ingress' | 'Egress')[];
    readonly ingress?: readonly {
      readonly from?: readonly NetworkPolicyPeer[];
      readonly ports?: readonly NetworkPolicyPort[];
    }[];
    readonly egress?: readonly {
      readonly to?: readonly NetworkPolicyPeer[];
      readonly ports?: readonly NetworkPolicyPort[];
    }[];
  };
}

export interface ScaleTarget {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly name: string;
}

export interface ScaledObject extends K8sObject {
  readonly spec: {
    readonly scaleTargetRef: ScaleTarget;
    readonly minReplicaCount?: number;
    readonly maxReplicaCount?: number;
    readonly triggers: readonly {
      readonly type: string;
      readonly metadata: Readonly<Record<string, string>>;
      readonly authenticationRef?: { readonly name: string; readonly kind?: string };
    }[];
  };
}

export interface HorizontalPodAutoscaler extends K8sObject {
  readonly spec: {
    readonly scaleTargetRef: ScaleTarget;
    readonly minReplicas?: number;
    readonly maxReplicas: number;
    readonly metrics?: readonly { readonly type: string; readonly resource?: { readonly name: string } }[];
  };
}

export interface PodDisruptionBudget extends K8sObject {
  readonly spec: {
    readonly selector: LabelSelector;
    readonly maxUnavailable?: number | string;
    readonly minAvailable?: number | string;
  };
}

export interface KafkaTopic extends K8sObject {
  readonly spec: {
    readonly topicName?: string;
    readonly partitions: number;
    readonly replicas: number;
    readonly config?: Readonly<Record<string, string | number | boolean>>;
  };
}

export interface IngressObject extends K8sObject {
  readonly spec: {
    readonly ingressClassName?: string;
    readonly tls?: readonly { readonly hosts?: readonly string[]; readonly secretName?: string }[];
    readonly rules: readonly {
      readonly host?: string;
      readonly http: {
        readonly paths: readonly {
          readonly backend: {
            readonly service: {
              readonly name: string;
              readonly port: { readonly name?: string; readonly number?: number };
            };
          };
        }[];
      };
    }[];
  };
}

export interface ServiceMonitor extends K8sObject {
  readonly spec: {
    readonly selector: LabelSelector;
    readonly endpoints: readonly { readonly port?: string; readonly path?: string }[];
  };
}

/** A CloudNativePG Cluster (postgresql.cnpg.io/v1), the fields the tests read. */
export interface PostgresCluster extends K8sObject {
  readonly spec: {
    readonly instances?: number;
    readonly enableSuperuserAccess?: boolean;
    readonly resources?: { readonly limits?: Readonly<Record<string, string | number>> };
    readonly postgresql?: {
      readonly parameters?: Readonly<Record<string, string>>;
      readonly synchronous?: { readonly method: string; readonly number: number };
    };
    readonly bootstrap?: {
      readonly initdb?: {
        readonly database?: string;
        readonly owner?: string;
        readonly postInitApplicationSQL?: readonly string[];
      };
    };
    readonly managed?: {
      readonly roles?: readonly {
        readonly name: string;
        readonly ensure?: 'present' | 'absent';
        readonly login?: boolean;
        readonly superuser?: boolean;
        readonly bypassrls?: boolean;
        readonly connectionLimit?: number;
        readonly passwordSecret?: { readonly name: string };
      }[];
    };
  };
}

/** Whether `labels` satisfy `selector` (an empty selector selects everything, as in Kubernetes). */
export function selects(selector: LabelSelector, labels: Readonly<Record<string, string>> = {}): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) return false;
  }
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    const present = key in labels;
    const value = labels[key];
    if (operator === 'Exists' && !present) return false;
    if (operator === 'DoesNotExist' && present) return false;
    if (operator === 'In' && (value === undefined || !values.includes(value))) return false;
    if (operator === 'NotIn' && value !== undefined && values.includes(value)) return false;
  }
  return true;
}

/** One ACL rule of a Strimzi KafkaUser. */
export interface KafkaUserAcl {
  readonly type?: 'allow' | 'deny';
  readonly resource: {
    readonly type: 'topic' | 'group' | 'cluster' | 'transactionalId';
    readonly name?: string;
    readonly patternType?: 'literal' | 'prefix';
  };
  readonly host?: string;
  readonly operations?: readonly string[];
}

/** A Strimzi KafkaUser (kafka.strimzi.io/v1beta2), the fields the tests read. */
export interface KafkaUser extends K8sObject {
  readonly spec: {
    readonly authentication?: {
      readonly type: string;
      readonly password?: {
        readonly valueFrom: { readonly secretKeyRef?: { readonly name?: string; readonly key?: string } };
      };
    };
    readonly authorization?: { readonly type: string; readonly acls: readonly KafkaUserAcl[] };
  };
}

/** A KEDA TriggerAuthentication (keda.sh/v1alpha1), the fields the tests read. */
export interface TriggerAuthentication extends K8sObject {
  readonly spec: {
    readonly secretTargetRef?: readonly {
      readonly parameter: string;
      readonly name: string;
      readonly key: string;
    }[];
  };
}

/** A cert-manager Certificate (cert-manager.io/v1), the fields the tests read. */
export interface Certificate extends K8sObject {
  readonly spec: {
    readonly secretName: string;
    readonly issuerRef: { readonly name: string; readonly kind?: string; readonly group?: string };
    readonly isCA?: boolean;
    readonly commonName?: string;
    readonly dnsNames?: readonly string[];
    readonly uris?: readonly string[];
    readonly ipAddresses?: readonly string[];
    readonly emailAddresses?: readonly string[];
    readonly otherNames?: readonly object[];
    readonly literalSubject?: string;
    readonly usages?: readonly string[];
    readonly duration?: string;
    readonly renewBefore?: string;
    readonly renewBeforePercentage?: number;
    readonly privateKey?: {
      readonly algorithm?: 'RSA' | 'ECDSA' | 'Ed25519';
      readonly size?: number;
      readonly encoding?: 'PKCS1' | 'PKCS8';
      readonly rotationPolicy?: 'Never' | 'Always';
    };
  };
}

/** A cert-manager Issuer (cert-manager.io/v1), the fields the tests read. */
export interface Issuer extends K8sObject {
  readonly spec: {
    readonly ca?: { readonly secretName: string };
    readonly selfSigned?: object;
    readonly acme?: object;
    readonly vault?: object;
    readonly venafi?: object;
  };
}
