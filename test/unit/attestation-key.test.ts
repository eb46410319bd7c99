// HWAYO_ATTESTATION_KEY: the worker's signing key for release attestations, checked at start like every variable.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadWorkerConfig } from '../../src/worker/config';

const load = (env: Record<string, string>) =>
  loadWorkerConfig([], { HWAYO_KUBE_IN_CLUSTER: 'true', HWAYO_CODEC: 'off', ...env });
const dir = mkdtempSync(join(tmpdir(), 'hwayo-attestation-key-'));
const keyFile = (name: string, text: string, mode: number) => {
  const file = join(dir, name);
  writeFileSync(file, text, { mode });
  return file;
};

const problems = (env: Record<string, string>): string[] => {
  try {
    load(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

test('unset, the worker has no attestation key (and attests nothing)', () => {
  expect(load({}).activities.attestationKey).toBeUndefined();
});

test('a key file as `keys generate` writes it is read as the 32-byte key', () => {
  const file = keyFile('ok.key', `${Buffer.alloc(32, 5).toString('base64')}\n`, 0o600);
  expect(load({ HWAYO_ATTESTATION_KEY: file }).activities.attestationKey).toEqual(new Uint8Array(32).fill(5));
});

test.each([
  ['missing', join(dir, 'absent.key'), /cannot read key file .*absent\.key: ENOENT/],
  ['not a key', keyFile('short.key', 'c2hvcnQ=\n', 0o600), /is not an approver key/],
  ['readable by others', keyFile('open.key', `${Buffer.alloc(32, 5).toString('base64')}\n`, 0o644), /mode 0644/],
])('a key file that is %s stops the worker, naming the variable', (_what, file, message) => {
  expect(problems({ HWAYO_ATTESTATION_KEY: file })).toEqual([expect.stringMatching(/^HWAYO_ATTESTATION_KEY: /)]);
  expect(problems({ HWAYO_ATTESTATION_KEY: file })[0]).toMatch(message);
});
