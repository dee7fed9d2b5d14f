// @ts-check
// A real Apache Kafka 4 broker (KRaft, one node: broker + controller) from Maven Central's jars, run
// with the machine's Java, with SASL users and the StandardAuthorizer (kafka-security.mjs). Data,
// logs, the dev certificate and the pid file live under the data dir; jars under the cache.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import {
  ensureDevCertificate,
  formatStamp,
  kafkaAdminCredentials,
  kafkaSaslMechanism,
  scramFormatArgs,
  securityProperties,
} from './kafka-security.mjs';
import {
  ensureServer,
  requireCommand,
  runningPid,
  runToCompletion,
  serverStatus,
  stopProcess,
} from './processes.mjs';
import { InfraError, repoRoot } from './settings.mjs';

export { kafkaAdminCredentials, serviceKafkaCredentials } from './kafka-security.mjs';

/** @typedef {import('./settings.mjs').InfraSettings} InfraSettings */

/** @param {InfraSettings} settings */
function paths(settings) {
  const dataRoot = join(settings.dataDir, 'kafka');
  return {
    libs: join(settings.cacheDir, 'kafka', settings.kafka.version, 'libs'),
    dataRoot,
    logDirs: join(dataRoot, 'data'),
    properties: join(dataRoot, 'server.properties'),
    log4j: join(dataRoot, 'log4j2.properties'),
    certificate: join(dataRoot, 'tls'),
    /** What the storage was formatted for (kafka-security.mjs formatStamp, and the Kafka version). */
    stamp: join(dataRoot, 'format-stamp.json'),
    pidFile: join(dataRoot, 'kafka.pid'),
    logFile: join(dataRoot, 'kafka.log'),
  };
}

/** Copies the broker's jars from Maven Central into the cache once per version. @param {InfraSettings} settings */
function ensureJars(settings) {
  const { libs } = paths(settings);
  if (existsSync(libs)) return false;
  requireCommand(
    'mvn',
    ['-v'],
    'to download the Kafka broker from Maven Central',
    'install Maven (apt-get install maven), or set KAFKA_BROKERS to a running broker',
  );
  console.error(
    `[infra] downloading Apache Kafka ${settings.kafka.version} from Maven Central (first run only)`,
  );
  // Into a fresh folder renamed at the end, so an interrupted download is never taken as complete.
  const partial = `${libs}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  runToCompletion(
    'mvn',
    [
      '-q',
      '-B',
      '-f',
      join(repoRoot, 'scripts/infra/kafka/pom.xml'),
      `-Dkafka.version=${settings.kafka.version}`,
      'dependency:copy-dependencies',
      `-DoutputDirectory=${partial}`,
      '-DincludeScope=runtime',
    ],
    { what: 'resolving Kafka jars with Maven' },
  );
  if (!readdirSync(partial).some((file) => file.startsWith('kafka_2.13-'))) {
    throw new InfraError(`Maven resolved no kafka_2.13 jar into ${partial}`);
  }
  renameSync(partial, libs);
  return true;
}

/** @param {InfraSettings} settings */
function writeConfig(settings) {
  const p = paths(settings);
  const { host } = settings;
  const { port, controllerPort, tlsPort } = settings.kafka;
  mkdirSync(p.logDirs, { recursive: true });
  const { keystore } = ensureDevCertificate(p.certificate, host);
  writeFileSync(
    p.properties,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@${host}:${controllerPort}`,
      ...securityProperties({
        listeners: {
          client: `${host}:${port}`,
          tls: `${host}:${tlsPort}`,
          controller: `${host}:${controllerPort}`,
        },
        advertised: { client: `${host}:${port}`, tls: `${host}:${tlsPort}` },
        keystore,
      }),
      `log.dirs=${p.logDirs}`,
      // One node: internal topics cannot be replicated; small counts keep the first group join fast.
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=10',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'transaction.state.log.num.partitions=4',
      'share.coordinator.state.topic.replication.factor=1',
      'share.coordinator.state.topic.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      // Topics are created on purpose (Strimzi KafkaTopics in production, ensureTopics locally).
      'auto.create.topics.enable=false',
      'num.partitions=3',
      'num.network.threads=2',
      'num.io.threads=4',
      'log.retention.hours=24',
      'log.segment.bytes=67108864',
      '',
    ].join('\n'),
  );
  // Kafka 4 logs through log4j2 (the jars come with the broker's, scripts/infra/kafka/pom.xml).
  writeFileSync(
    p.log4j,
    [
      'status = warn',
      'appender.stdout.type = Console',
      'appender.stdout.name = STDOUT',
      'appender.stdout.layout.type = PatternLayout',
      'appender.stdout.layout.pattern = [%d] %p %m (%c)%n',
      'rootLogger.level = warn',
      'rootLogger.appenderRef.stdout.ref = STDOUT',
      'logger.broker.name = kafka.server.BrokerServer',
      'logger.broker.level = info',
      'logger.controller.name = kafka.server.ControllerServer',
      'logger.controller.level = info',
      '',
    ].join('\n'),
  );
}

/** @param {InfraSettings} settings @param {string} mainClass @param {string[]} args */
function javaArgs(settings, mainClass, args) {
  const p = paths(settings);
  return [
    `-Xms128m`,
    `-Xmx${settings.kafka.heap}`,
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${p.log4j}`,
    '-cp',
    `${p.libs}/*`,
    mainClass,
    ...args,
  ];
}

/**
 * Answers when the broker serves metadata requests (to `sasl`'s user, over TLS trusting `ca` when given).
 * @param {string} brokers
 * @param {{ sasl?: { username: string, password: string }, ca?: string }} [security]
 */
export async function kafkaAnswers(brokers, { sasl, ca } = {}) {
  const kafka = new kafkajs.Kafka({
    clientId: 'parley-infra',
    brokers: brokers.split(','),
    logLevel: kafkajs.logLevel.NOTHING,
    connectionTimeout: 1000,
    retry: { retries: 0 },
    ...(sasl ? { sasl: { mechanism: kafkaSaslMechanism, ...sasl } } : {}),
    ...(ca ? { ssl: { ca: [ca] } } : {}),
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0 && cluster.controller !== null;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** @param {InfraSettings} settings */
function expectedStamp(settings) {
  return JSON.stringify({ kafka: settings.kafka.version, ...JSON.parse(formatStamp()) });
}

/** @param {InfraSettings} settings @returns {string | undefined} */
function currentStamp(settings) {
  const { stamp } = paths(settings);
  return existsSync(stamp) ? readFileSync(stamp, 'utf8').trim() : undefined;
}

/** @param {InfraSettings} settings */
function formatStorage(settings) {
  const p = paths(settings);
  if (existsSync(join(p.logDirs, 'meta.properties')) && currentStamp(settings) !== expectedStamp(settings)) {
    // Local throwaway data (never a deployment's): a Kafka 3 data dir, or one without these users.
    console.error(
      `[infra] ${p.logDirs} holds Kafka data formatted for another setup (Kafka 3, another version or other SASL users): formatting it anew`,
    );
    rmSync(p.logDirs, { recursive: true, force: true });
    mkdirSync(p.logDirs, { recursive: true });
  }
  if (existsSync(join(p.logDirs, 'meta.properties'))) return;
  rmSync(p.stamp, { force: true });
  const clusterId = runToCompletion('java', javaArgs(settings, 'kafka.tools.StorageTool', ['random-uuid']), {
    what: 'creating a Kafka cluster id',
  }).trim();
  runToCompletion(
    'java',
    javaArgs(settings, 'kafka.tools.StorageTool', [
      'format',
      '-t',
      clusterId,
      '-c',
      p.properties,
      ...scramFormatArgs(),
    ]),
    { what: 'formatting Kafka storage' },
  );
  writeFileSync(p.stamp, `${expectedStamp(settings)}\n`);
}

/**
 * Starts the broker unless it runs already; formats storage (with the SCRAM users) on first start.
 * @param {InfraSettings} settings
 * @returns {Promise<{
 *   brokers: string, version: string, started: boolean, pid: number,
 *   sasl: { mechanism: 'scram-sha-512', username: string, password: string },
 *   tls: { brokers: string, caFile: string },
 * }>}
 */
export async function ensureKafka(settings) {
  const p = paths(settings);
  const brokers = `${settings.host}:${settings.kafka.port}`;
  const running = runningPid(p.pidFile, p.properties);
  if (running && currentStamp(settings) !== expectedStamp(settings)) {
    throw new InfraError(
      `the Kafka broker running from ${p.dataRoot} (pid ${running}) was started for another setup (Kafka 3 without SASL, another version or other users): stop it (npm run infra -- stop, with the same PARLEY_* settings) and start again`,
    );
  }
  const { pid, started } = await ensureServer({
    name: 'Kafka',
    pidFile: p.pidFile,
    marker: p.properties,
    logFile: p.logFile,
    host: settings.host,
    port: settings.kafka.port,
    portHint: 'set PARLEY_KAFKA_PORT, or KAFKA_BROKERS to use that broker',
    timeoutMs: 90_000,
    ready: () => kafkaAnswers(brokers, { sasl: kafkaAdminCredentials }),
    prepare() {
      requireCommand(
        'java',
        ['-version'],
        'to run the Kafka broker',
        'install a JDK 17+ (apt-get install openjdk-17-jre-headless), or set KAFKA_BROKERS to a running broker',
      );
      ensureJars(settings);
      writeConfig(settings);
      formatStorage(settings);
      return { command: 'java', args: javaArgs(settings, 'kafka.Kafka', [p.properties]) };
    },
  });
  return {
    brokers,
    version: settings.kafka.version,
    started,
    pid,
    sasl: { mechanism: kafkaSaslMechanism, ...kafkaAdminCredentials },
    tls: { brokers: `${settings.host}:${settings.kafka.tlsPort}`, caFile: join(p.certificate, 'ca.pem') },
  };
}

/** @param {InfraSettings} settings */
export function kafkaStatus(settings) {
  const p = paths(settings);
  return serverStatus(p.pidFile, p.properties, `${settings.host}:${settings.kafka.port}`, p.logFile);
}

/** @param {InfraSettings} settings */
export function stopKafka(settings) {
  const p = paths(settings);
  return stopProcess(p.pidFile, p.properties, 30_000);
}
