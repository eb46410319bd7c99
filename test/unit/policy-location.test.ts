// HWAYO_POLICY: where the worker reads the platform policy. Unset is the shipped ConfigMap (fail closed: a release is
// refused while it is missing); `none` must be said explicitly; anything else stops the worker at start.
import { DEFAULT_POLICY, policyLocation } from '../../src/activities/config';
import { ConfigError, loadWorkerConfig } from '../../src/worker/config';

const load = (env: Record<string, string>) =>
  loadWorkerConfig([], { HWAYO_KUBE_IN_CLUSTER: 'true', HWAYO_CODEC: 'off', ...env });

test('unset, the worker reads the shipped ConfigMap', () => {
  expect(DEFAULT_POLICY).toBe('configmap:hwayo-release/hwayo-release-policy');
  expect(load({}).activities.policy).toEqual({
    kind: 'configmap',
    namespace: 'hwayo-release',
    name: 'hwayo-release-policy',
  });
});

test('configmap:NAMESPACE/NAME and none are taken', () => {
  expect(load({ HWAYO_POLICY: 'configmap:platform/release-policy' }).activities.policy).toEqual({
    kind: 'configmap',
    namespace: 'platform',
    name: 'release-policy',
  });
  expect(load({ HWAYO_POLICY: 'none' }).activities.policy).toEqual({ kind: 'none' });
});

test.each(['off', 'configmap:', 'configmap:a', 'configmap:A/b', 'file:/etc/policy.yaml', 'configmap:a/b/c'])(
  'HWAYO_POLICY=%s stops the worker, naming the variable and the forms it takes',
  (value) => {
    expect(policyLocation(value)).toBeUndefined();
    let err: unknown;
    try {
      load({ HWAYO_POLICY: value });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toEqual([
      'HWAYO_POLICY: must be configmap:NAMESPACE/NAME (default configmap:hwayo-release/hwayo-release-policy) or none (a local stack only)',
    ]);
  },
);
