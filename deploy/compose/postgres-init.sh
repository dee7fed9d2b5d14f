#!/usr/bin/env bash
# The postgres image runs this once, when it initialises an empty data volume: one login role per
# Parley service with a store, each allowed to create (and so own) its own schema in database
# `parley` and nothing else, as the CloudNativePG component and `npm run up` set it up. Passwords
# come from deploy/compose/.env (generate-env.sh). Changing them later needs `down -v`, or ALTER ROLE.
set -euo pipefail
psql --no-psqlrc --set=ON_ERROR_STOP=1 --username="$POSTGRES_USER" --dbname="$POSTGRES_DB" \
  --set=auth_password="$DATABASE_PASSWORD_AUTH" \
  --set=history_password="$DATABASE_PASSWORD_HISTORY" \
  --set=ingress_password="$DATABASE_PASSWORD_INGRESS" \
  --set=integrations_password="$DATABASE_PASSWORD_INTEGRATIONS" <<'SQL'
create role parley_auth login password :'auth_password';
create role parley_history login password :'history_password';
create role parley_ingress login password :'ingress_password';
create role parley_integrations login password :'integrations_password';
grant connect, create on database :"DBNAME" to parley_auth, parley_history, parley_ingress, parley_integrations;
SQL
