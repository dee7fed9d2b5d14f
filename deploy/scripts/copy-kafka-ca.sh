#!/usr/bin/env bash
# Copies the CA certificates of the Strimzi cluster `parley` (Secret parley-cluster-ca-cert in the
# Kafka namespace) into Parley's namespace, as the Secret of the same name with one key, ca.crt:
# every certificate of the source Secret (`ca.crt`, and the `ca-<date>.crt` Strimzi keeps beside it
# while it replaces the CA) concatenated, so the services and KEDA trust the brokers before, during
# and after a CA renewal. Pods read it at start: run this after every renewal of the cluster CA
# (Strimzi renews it 30 days before it expires by default) and let Reloader, or a rollout restart,
# roll the Kafka clients (deploy/README.md, "Rotating credentials").
#
#   deploy/scripts/copy-kafka-ca.sh parley            # KAFKA_NAMESPACE=kafka KAFKA_CLUSTER=parley
set -euo pipefail
namespace="${1:?usage: copy-kafka-ca.sh <Parley namespace>}"
kafka_namespace="${KAFKA_NAMESPACE:-kafka}"
secret="${KAFKA_CLUSTER:-parley}-cluster-ca-cert"

bundle="$(mktemp)"
trap 'rm -f "$bundle"' EXIT
keys="$(kubectl -n "$kafka_namespace" get secret "$secret" -o go-template='{{range $k, $v := .data}}{{$k}}{{"\n"}}{{end}}')"
for key in $keys; do
  case "$key" in
  *.crt)
    kubectl -n "$kafka_namespace" get secret "$secret" -o go-template="{{index .data \"$key\" | base64decode}}" >>"$bundle"
    echo >>"$bundle"
    ;;
  esac
done
if ! grep -q 'BEGIN CERTIFICATE' "$bundle"; then
  echo "copy-kafka-ca: no certificate in secret $kafka_namespace/$secret" >&2
  exit 1
fi
kubectl -n "$namespace" create secret generic "$secret" --from-file=ca.crt="$bundle" \
  --dry-run=client -o yaml | kubectl -n "$namespace" apply -f -
echo "copy-kafka-ca: $namespace/$secret holds $(grep -c 'BEGIN CERTIFICATE' "$bundle") certificate(s)"
