#!/usr/bin/env bash
# Writes deploy/compose/.env (git-ignored) with fresh keys and passwords for the Docker Compose
# system. Values already in the file are kept, so stored secrets, sessions and the database stay
# readable; a variable the file lacks (one added since it was written) is appended. Delete the file
# (and the volumes: `docker compose … down -v`) for new ones.
set -euo pipefail
cd "$(dirname "$0")"
key() { head -c "${1:-32}" /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n'; }
umask 077
if [ ! -f .env ]; then
  printf '# Keys of the local Docker Compose system only. Production keys live in Kubernetes Secrets.\n' >.env
  created=1
fi
added=()
add() {
  if ! grep -q "^$1=" .env; then
    printf '%s=%s\n' "$1" "$2" >>.env
    added+=("$1")
  fi
}
add SECRET_KEYS "k1:$(key 32)"
add SECRET_ACTIVE_KID k1
add SESSION_SIGNING_KEY "$(key 32)"
add DEMO_CLIENT_SECRET "$(key 24)"
# base64url: safe inside the services' DATABASE_URLs without escaping.
add POSTGRES_PASSWORD "$(key 24)"
add DATABASE_PASSWORD_AUTH "$(key 24)"
add DATABASE_PASSWORD_HISTORY "$(key 24)"
add DATABASE_PASSWORD_INGRESS "$(key 24)"
add DATABASE_PASSWORD_INTEGRATIONS "$(key 24)"
# integrations' own key ring for the webhook signing secrets.
add INTEGRATIONS_SECRET_KEYS "k1:$(key 32)"
add INTEGRATIONS_SECRET_ACTIVE_KID k1
# Kafka: the super user (kafka-setup, tools on the host), the controller listener's user, and one
# SCRAM user per principal of libs/contracts/kafka-access.json (KAFKA_PASSWORD_<SERVICE>).
add KAFKA_ADMIN_PASSWORD "$(key 24)"
add KAFKA_CONTROLLER_PASSWORD "$(key 24)"
add KAFKA_PASSWORD_INGRESS "$(key 24)"
add KAFKA_PASSWORD_ENRICHMENT "$(key 24)"
add KAFKA_PASSWORD_HISTORY "$(key 24)"
add KAFKA_PASSWORD_INTEGRATIONS "$(key 24)"
if [ -n "${created:-}" ]; then
  echo "wrote deploy/compose/.env"
elif [ ${#added[@]} -gt 0 ]; then
  echo "deploy/compose/.env exists; added ${added[*]}"
else
  echo "deploy/compose/.env exists; keeping it"
fi
