// @ts-check
// A real Apache Kafka broker (KRaft, one node: broker + controller) from Maven Central's jars, run
// with the machine's Java. Data, logs and the pid file live under the data dir; jars under the cache.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { ensureServer, requireCommand, runToCompletion, serverStatus, stopProcess } from './processes.mjs';
import { InfraError, repoRoot } from './settings.mjs';

/** @typedef {import('./settings.mjs').InfraSettings} InfraSettings */

/** @param {InfraSettings} settings */
function paths(settings) {
  const dataRoot = join(settings.dataDir, 'kafka');
  return {
    libs: join(settings.cacheDir, 'kafka', settings.kafka.version, 'libs'),
    dataRoot,
    logDirs: join(dataRoot, 'data'),
    properties: join(dataRoot, 'server.properties'),
    log4j: join(dataRoot, 'log4j.properties'),
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
  const { port, controllerPort } = settings.kafka;
  mkdirSync(p.logDirs, { recursive: true });
  writeFileSync(
    p.properties,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@${host}:${controllerPort}`,
      `listeners=PLAINTEXT://${host}:${port},CONTROLLER://${host}:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://${host}:${port}`,
      'controller.listener.names=CONTROLLER',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      'inter.broker.listener.name=PLAINTEXT',
      `log.dirs=${p.logDirs}`,
      // One node: internal topics cannot be replicated; small counts keep the first group join fast.
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=10',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'transaction.state.log.num.partitions=4',
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
  writeFileSync(
    p.log4j,
    [
      'log4j.rootLogger=WARN, stdout',
      'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
      'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
      'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
      'log4j.logger.kafka.server.BrokerServer=INFO',
      'log4j.logger.kafka.server.ControllerServer=INFO',
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
    `-Dlog4j.configuration=file:${p.log4j}`,
    '-cp',
    `${p.libs}/*`,
    mainClass,
    ...args,
  ];
}

/** Answers when the broker serves metadata requests. @param {string} brokers */
export async function kafkaAnswers(brokers) {
  const kafka = new kafkajs.Kafka({
    clientId: 'parley-infra',
    brokers: brokers.split(','),
    logLevel: kafkajs.logLevel.NOTHING,
    connectionTimeout: 1000,
    retry: { retries: 0 },
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

/**
 * Starts the broker unless it runs already; formats storage on first start.
 * @param {InfraSettings} settings
 * @returns {Promise<{ brokers: string, version: string, started: boolean, pid: number }>}
 */
export async function ensureKafka(settings) {
  const p = paths(settings);
  const brokers = `${settings.host}:${settings.kafka.port}`;
  const { pid, started } = await ensureServer({
    name: 'Kafka',
    pidFile: p.pidFile,
    marker: p.properties,
    logFile: p.logFile,
    host: settings.host,
    port: settings.kafka.port,
    portHint: 'set PARLEY_KAFKA_PORT, or KAFKA_BROKERS to use that broker',
    timeoutMs: 90_000,
    ready: () => kafkaAnswers(brokers),
    prepare() {
      requireCommand(
        'java',
        ['-version'],
        'to run the Kafka broker',
        'install a JDK 17+ (apt-get install openjdk-17-jre-headless), or set KAFKA_BROKERS to a running broker',
      );
      ensureJars(settings);
      writeConfig(settings);
      if (!existsSync(join(p.logDirs, 'meta.properties'))) {
        const clusterId = runToCompletion(
          'java',
          javaArgs(settings, 'kafka.tools.StorageTool', ['random-uuid']),
          {
            what: 'creating a Kafka cluster id',
          },
        ).trim();
        runToCompletion(
          'java',
          javaArgs(settings, 'kafka.tools.StorageTool', ['format', '-t', clusterId, '-c', p.properties]),
          {
            what: 'formatting Kafka storage',
          },
        );
      }
      return { command: 'java', args: javaArgs(settings, 'kafka.Kafka', [p.properties]) };
    },
  });
  return { brokers, version: settings.kafka.version, started, pid };
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
