#!/usr/bin/env bash
# Writes deploy/compose/.env (git-ignored) with fresh keys for the Docker Compose system, once:
# an existing file is kept, so stored secrets and sessions stay readable. Delete it for new keys.
set -euo pipefail
cd "$(dirname "$0")"
if [ -f .env ]; then
  echo "deploy/compose/.env exists; keeping it"
  exit 0
fi
key() { head -c "${1:-32}" /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n'; }
umask 077
cat >.env <<ENV
# Keys of the local Docker Compose system only. Production keys live in Kubernetes Secrets.
SECRET_KEYS=k1:$(key 32)
SECRET_ACTIVE_KID=k1
SESSION_SIGNING_KEY=$(key 32)
DEMO_CLIENT_SECRET=$(key 24)
ENV
echo "wrote deploy/compose/.env"
