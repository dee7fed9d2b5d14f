// @ts-check
// Who may connect to the local broker and how (docs/kafka.md): SCRAM-SHA-512 users bootstrapped when
// the storage is formatted (parley-admin, a super user, and one principal per service from
// libs/contracts/kafka-access.json), the StandardAuthorizer denying whatever no ACL allows, and a
// SASL_SSL listener with a dev certificate beside the SASL_PLAINTEXT one. Dev credentials only:
// production users and passwords are Strimzi KafkaUsers (deploy/README.md).
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { requireCommand, runToCompletion } from './processes.mjs';
import { InfraError, repoRoot } from './settings.mjs';

/** @type {'scram-sha-512'} */
export const kafkaSaslMechanism = 'scram-sha-512';

/** The super user that creates topics and ACLs (the launcher, tests, `npm run up`, the benchmark). */
export const kafkaAdminCredentials = Object.freeze({
  username: 'parley-admin',
  password: devPassword('parley-admin'),
});

/**
 * The controller listener's one user (SASL PLAIN, a static JAAS user): SCRAM credentials live in the
 * metadata log that the controller itself serves, so Kafka does not offer SCRAM on that listener.
 */
const controllerCredentials = Object.freeze({
  username: 'parley-controller',
  password: devPassword('parley-controller'),
});

/** @param {string} user */
function devPassword(user) {
  return `${user}-dev-password`;
}

/** @returns {Record<string, { user: string }>} the principals of kafka-access.json by service */
function principals() {
  const file = join(repoRoot, 'libs/contracts/kafka-access.json');
  return JSON.parse(readFileSync(file, 'utf8')).principals;
}

/**
 * A service's dev SCRAM credentials on the local broker (its principal in kafka-access.json).
 *
 * @example
 * const { username, password } = serviceKafkaCredentials('history'); // parley-history
 * @param {string} service
 */
export function serviceKafkaCredentials(service) {
  const principal = principals()[service];
  if (!principal)
    throw new InfraError(`no Kafka principal for "${service}" in libs/contracts/kafka-access.json`);
  return Object.freeze({ username: principal.user, password: devPassword(principal.user) });
}

/** Every SCRAM user the storage is formatted with, admin first. */
export function scramUsers() {
  return [kafkaAdminCredentials, ...Object.keys(principals()).map(serviceKafkaCredentials)];
}

/** StorageTool `format` arguments adding the SCRAM users (kafka-storage.sh format --add-scram). */
export function scramFormatArgs() {
  return scramUsers().flatMap(({ username, password }) => [
    '--add-scram',
    `SCRAM-SHA-512=[name=${username},password=${password}]`,
  ]);
}

/**
 * What the data dir was formatted for: a data dir made otherwise (a 3.x broker, no users, another
 * set of users) is not reused.
 */
export function formatStamp() {
  return JSON.stringify({
    security: 'sasl-scram-sha-512/standard-authorizer/1',
    users: scramUsers().map(({ username }) => username),
  });
}

const keystorePassword = 'parley-dev-keystore';

/**
 * keytool's arguments that make `dir`/broker.p12 (a self-signed certificate for `host`, 127.0.0.1
 * and localhost) and export its certificate to `dir`/ca.pem.
 * @param {string} dir @param {string} host @returns {[string[], string[]]}
 */
export function devCertificateCommands(dir, host) {
  const store = [
    '-keystore',
    join(dir, 'broker.p12'),
    '-storetype',
    'PKCS12',
    '-storepass',
    keystorePassword,
  ];
  const names = [...new Set([`IP:${host}`, 'IP:127.0.0.1', 'DNS:localhost'])].join(',');
  const subject = ['-alias', 'broker', '-keyalg', 'RSA', '-keysize', '2048', '-validity', '3650'];
  return [
    ['-genkeypair', ...store, ...subject, '-dname', 'CN=parley-kafka-dev', '-ext', `SAN=${names}`],
    ['-exportcert', '-rfc', ...store, '-alias', 'broker', '-file', join(dir, 'ca.pem')],
  ];
}

/**
 * A self-signed dev certificate for 127.0.0.1 (PKCS12 keystore for the broker, the PEM certificate
 * as the clients' CA file), made once with the JDK's keytool (the broker needs Java anyway).
 * @param {string} dir @param {string} host
 */
export function ensureDevCertificate(dir, host) {
  const keystore = join(dir, 'broker.p12');
  const caFile = join(dir, 'ca.pem');
  if (!existsSync(keystore) || !existsSync(caFile)) {
    requireCommand(
      'keytool',
      ['-help'],
      'to make the Kafka dev certificate',
      'install a JDK 17+ (apt-get install openjdk-17-jre-headless)',
    );
    // Into a fresh folder renamed at the end, so a half-made certificate is never used.
    const partial = `${dir}.partial-${process.pid}`;
    rmSync(partial, { recursive: true, force: true });
    mkdirSync(partial, { recursive: true });
    const [generate, exportPem] = devCertificateCommands(partial, host);
    runToCompletion('keytool', generate, { what: 'making the Kafka dev certificate' });
    runToCompletion('keytool', exportPem, { what: 'exporting the Kafka dev certificate' });
    rmSync(dir, { recursive: true, force: true });
    renameSync(partial, dir);
  }
  return { keystore, caFile };
}

/** @param {string} value */
const quoted = (value) => `"${value}"`;

/**
 * The listener and security lines of server.properties: SASL_PLAINTEXT (CLIENT) and SASL_SSL
 * (CLIENT_TLS) with SCRAM-SHA-512 for clients, SASL PLAIN on the loopback controller listener.
 * Addresses are `host:port`; `advertised` is where clients reach the two client listeners.
 * @param {{
 *   listeners: { client: string, tls: string, controller: string },
 *   advertised: { client: string, tls: string },
 *   keystore: string,
 * }} options
 */
export function securityProperties({ listeners, advertised, keystore }) {
  const admin = kafkaAdminCredentials;
  const scram = `org.apache.kafka.common.security.scram.ScramLoginModule required username=${quoted(admin.username)} password=${quoted(admin.password)};`;
  const { username, password } = controllerCredentials;
  return [
    `listeners=CLIENT://${listeners.client},CLIENT_TLS://${listeners.tls},CONTROLLER://${listeners.controller}`,
    `advertised.listeners=CLIENT://${advertised.client},CLIENT_TLS://${advertised.tls}`,
    'listener.security.protocol.map=CLIENT:SASL_PLAINTEXT,CLIENT_TLS:SASL_SSL,CONTROLLER:SASL_PLAINTEXT',
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=CLIENT',
    'sasl.enabled.mechanisms=SCRAM-SHA-512',
    'sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512',
    // The broker's own connections (to itself) log in as the super user.
    `listener.name.client.scram-sha-512.sasl.jaas.config=${scram}`,
    `listener.name.client_tls.scram-sha-512.sasl.jaas.config=${scram}`,
    'sasl.mechanism.controller.protocol=PLAIN',
    'listener.name.controller.sasl.enabled.mechanisms=PLAIN',
    `listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=${quoted(username)} password=${quoted(password)} user_${username}=${quoted(password)};`,
    'listener.name.client_tls.ssl.keystore.type=PKCS12',
    `listener.name.client_tls.ssl.keystore.location=${keystore}`,
    `listener.name.client_tls.ssl.keystore.password=${keystorePassword}`,
    'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    'allow.everyone.if.no.acl.found=false',
    `super.users=User:${admin.username};User:${username}`,
  ];
}

/** The services that have a Kafka principal (the keys of kafka-access.json's principals). */
export function kafkaServices() {
  return Object.keys(principals());
}
