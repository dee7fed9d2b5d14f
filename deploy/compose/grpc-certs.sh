#!/usr/bin/env bash
# The gRPC mutual-TLS certificates of the Docker Compose system (development only; Kubernetes gets
# them from cert-manager, deploy/k8s/base/grpc-certificates.yaml): a CA, and per service a
# certificate whose URI SAN spiffe://parley.local/<service> is its identity, with the DNS SANs
# <service> (the name the others dial) and localhost, ECDSA P-256, for server and client auth.
#
#   grpc-certs.sh DIR     DIR/ca/{ca.crt,ca.key} and DIR/<service>/{ca.crt,tls.crt,tls.key}
#
# The file names are those of a cert-manager Secret, so the services' GRPC_TLS_* variables are the
# same as in Kubernetes. The one-shot service grpc-certs runs it at every `up`: what is still valid
# for 30 days is kept, the rest is made anew (everything, when the CA is). With PKI_OWNER=uid:gid the
# services' files are given to that user (the services run as 10001), keys readable by it alone.
set -euo pipefail
dir="${1:?usage: grpc-certs.sh DIR}"
services=(auth history integrations enrichment ingress)
renew_within=$((30 * 86400))
umask 077

fresh() { [ -f "$1" ] && openssl x509 -checkend "$renew_within" -noout -in "$1" >/dev/null 2>&1; }

mkdir -p "$dir/ca"
if ! fresh "$dir/ca/ca.crt" || [ ! -f "$dir/ca/ca.key" ]; then
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -days 3650 \
    -subj "/CN=Parley Compose gRPC CA" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=hash" \
    -keyout "$dir/ca/ca.key" -out "$dir/ca/ca.crt" 2>/dev/null
  echo "grpc-certs: made a new CA"
fi

for service in "${services[@]}"; do
  out="$dir/$service"
  mkdir -p "$out"
  if fresh "$out/tls.crt" && [ -f "$out/tls.key" ] && cmp -s "$dir/ca/ca.crt" "$out/ca.crt" &&
    openssl verify -CAfile "$dir/ca/ca.crt" "$out/tls.crt" >/dev/null 2>&1; then
    continue
  fi
  work="$(mktemp -d)"
  printf '%s\n' \
    "basicConstraints=critical,CA:FALSE" \
    "keyUsage=critical,digitalSignature" \
    "extendedKeyUsage=serverAuth,clientAuth" \
    "subjectAltName=URI:spiffe://parley.local/$service,DNS:$service,DNS:localhost,IP:127.0.0.1" \
    "subjectKeyIdentifier=hash" \
    "authorityKeyIdentifier=keyid" >"$work/extensions"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$service" \
    -keyout "$work/tls.key" -out "$work/tls.csr" 2>/dev/null
  openssl x509 -req -sha256 -days 365 -in "$work/tls.csr" -CA "$dir/ca/ca.crt" -CAkey "$dir/ca/ca.key" \
    -set_serial "0x$(openssl rand -hex 16)" -extfile "$work/extensions" -out "$work/tls.crt" 2>/dev/null
  cp "$dir/ca/ca.crt" "$work/ca.crt"
  chmod 0444 "$work/ca.crt" "$work/tls.crt"
  chmod 0400 "$work/tls.key"
  if [ -n "${PKI_OWNER:-}" ]; then chown "$PKI_OWNER" "$out" "$work/ca.crt" "$work/tls.crt" "$work/tls.key"; fi
  chmod 0750 "$out"
  # Replaced file by file; a service starting meanwhile fails its TLS check and is restarted.
  mv -f "$work/ca.crt" "$work/tls.crt" "$work/tls.key" "$out/"
  rm -rf "$work"
  echo "grpc-certs: issued spiffe://parley.local/$service"
done
