import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repositoryRoot } from './support/render.js';

const scratch = mkdtempSync(join(tmpdir(), 'parley-kafka-ca-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const pem = (name: string) => `-----BEGIN CERTIFICATE-----\n${name}\n-----END CERTIFICATE-----`;

/**
 * A kubectl that serves one Secret of the Kafka namespace (keys → values) and records what is
 * applied, enough for the commands deploy/scripts/copy-kafka-ca.sh runs.
 */
function fakeKubectl(data: Record<string, string>): string {
  const bin = mkdtempSync(join(scratch, 'bin-'));
  const script = `#!/usr/bin/env bash
set -euo pipefail
args="$*"
case "$args" in
  *"get secret"*"range"*) printf '%s\\n' ${Object.keys(data)
    .map((key) => `'${key}'`)
    .join(' ')} ;;
${Object.entries(data)
  .map(([key, value]) => `  *"get secret"*'"${key}"'*) printf '%s' '${value}' ;;`)
  .join('\n')}
  *"create secret generic"*) file="\${args##*ca.crt=}"; file="\${file%% *}"; echo "$args" >"${bin}/created"; cat "$file" >"${bin}/ca.crt" ;;
  *"apply -f -"*) echo "$args" >"${bin}/applied" ;;
  *) echo "unexpected kubectl $args" >&2; exit 1 ;;
esac
`;
  writeFileSync(join(bin, 'kubectl'), script);
  chmodSync(join(bin, 'kubectl'), 0o755);
  return bin;
}

describe('deploy/scripts/copy-kafka-ca.sh', () => {
  it('copies every CA certificate of the Strimzi Secret into one ca.crt in Parley’s namespace', () => {
    const bin = fakeKubectl({
      'ca.crt': pem('NEW'),
      'ca-2026-11-01T00-00-00Z.crt': pem('OLD'),
      'ca.p12': 'binary',
      'ca.password': 'secret',
    });
    const output = execFileSync(
      'bash',
      [join(repositoryRoot, 'deploy/scripts/copy-kafka-ca.sh'), 'parley-dev'],
      {
        encoding: 'utf8',
        env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
      },
    );
    expect(output).toContain('parley-dev/parley-cluster-ca-cert holds 2 certificate(s)');
    const bundle = readFileSync(join(bin, 'ca.crt'), 'utf8');
    expect(bundle).toContain(pem('NEW'));
    expect(bundle).toContain(pem('OLD'));
    expect(bundle).not.toContain('binary');
    expect(readFileSync(join(bin, 'created'), 'utf8')).toMatch(
      /^-n parley-dev create secret generic parley-cluster-ca-cert /,
    );
    expect(readFileSync(join(bin, 'applied'), 'utf8')).toMatch(/^-n parley-dev apply -f -/);
  });

  it('refuses a Secret without certificates', () => {
    const bin = fakeKubectl({ 'ca.password': 'secret' });
    expect(() =>
      execFileSync('bash', [join(repositoryRoot, 'deploy/scripts/copy-kafka-ca.sh'), 'parley'], {
        encoding: 'utf8',
        stdio: 'pipe',
        env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
      }),
    ).toThrow(/no certificate in secret kafka\/parley-cluster-ca-cert/);
  });
});
