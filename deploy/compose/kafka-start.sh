#!/usr/bin/env bash
# The Compose system's broker (the `kafka` service, apache/kafka image): KRaft, one node, with
# authentication and ACLs as in production. Clients sign in with SASL SCRAM-SHA-512 on INTERNAL
# (kafka:9092, the containers) and HOST (localhost:29092, tools on the host); the broker itself as
# the super user parley-admin, added when the storage is formatted. The controller listener takes
# SASL PLAIN with a static user, parley-controller (SCRAM credentials live in the metadata log the
# controller itself serves). The StandardAuthorizer denies whatever no ACL allows; kafka-setup adds
# the services' users and ACLs. Passwords come from deploy/compose/.env (generate-env.sh).
set -euo pipefail
: "${KAFKA_ADMIN_PASSWORD:?}" "${KAFKA_CONTROLLER_PASSWORD:?}"
config=/tmp/server.properties
data=/var/lib/kafka/data
admin_login="org.apache.kafka.common.security.scram.ScramLoginModule required username=\"parley-admin\" password=\"$KAFKA_ADMIN_PASSWORD\";"
controller_login="org.apache.kafka.common.security.plain.PlainLoginModule required username=\"parley-controller\" password=\"$KAFKA_CONTROLLER_PASSWORD\" user_parley-controller=\"$KAFKA_CONTROLLER_PASSWORD\";"

cat >"$config" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@kafka:9093
listeners=INTERNAL://:9092,HOST://:29092,CONTROLLER://:9093
advertised.listeners=INTERNAL://kafka:9092,HOST://localhost:29092
listener.security.protocol.map=INTERNAL:SASL_PLAINTEXT,HOST:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT
inter.broker.listener.name=INTERNAL
controller.listener.names=CONTROLLER
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.internal.scram-sha-512.sasl.jaas.config=$admin_login
listener.name.host.scram-sha-512.sasl.jaas.config=$admin_login
sasl.mechanism.controller.protocol=PLAIN
listener.name.controller.sasl.enabled.mechanisms=PLAIN
listener.name.controller.plain.sasl.jaas.config=$controller_login
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:parley-admin;User:parley-controller
log.dirs=$data
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
# Topics are made on purpose (kafka-setup here, Strimzi's KafkaTopics in Kubernetes).
auto.create.topics.enable=false
EOF

# For the health check and for kafka-setup's tools.
printf '%s\n' 'security.protocol=SASL_PLAINTEXT' 'sasl.mechanism=SCRAM-SHA-512' \
  "sasl.jaas.config=$admin_login" >/tmp/admin.properties

if [ ! -f "$data/meta.properties" ]; then
  /opt/kafka/bin/kafka-storage.sh format --config "$config" \
    --cluster-id "$(/opt/kafka/bin/kafka-storage.sh random-uuid)" \
    --add-scram "SCRAM-SHA-512=[name=parley-admin,password=$KAFKA_ADMIN_PASSWORD]"
fi
exec /opt/kafka/bin/kafka-server-start.sh "$config"
