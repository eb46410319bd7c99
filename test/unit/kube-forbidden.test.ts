// A just-restarted kube-apiserver answers 403 while its RBAC cache syncs (chaos suite, scenario 4):
// kube calls ask again for a grace period before a 403 counts as PermissionDenied.
import { ApplicationFailure } from '@temporalio/common';
import { kubeCall, retryForbidden } from '../../src/activities/kubernetes/errors';

const forbidden = () =>
  Object.assign(new Error('forbidden: RBAC: clusterrole "hwayo-release-worker-route" not found'), { code: 403 });

test('a 403 that clears within the grace period is retried and the call succeeds', async () => {
  let calls = 0;
  const result = await retryForbidden(
    async () => {
      if (++calls < 3) throw forbidden();
      return 'written';
    },
    1_000,
    10,
  );
  expect(result).toBe('written');
  expect(calls).toBe(3);
});

test('a 403 that lasts past the grace period is rethrown; other errors are not retried', async () => {
  let calls = 0;
  await expect(
    retryForbidden(
      async () => {
        calls++;
        throw forbidden();
      },
      100,
      20,
    ),
  ).rejects.toMatchObject({ code: 403 });
  expect(calls).toBeGreaterThan(2);
  let other = 0;
  await expect(
    retryForbidden(
      async () => {
        other++;
        throw Object.assign(new Error('not found'), { code: 404 });
      },
      1_000,
      10,
    ),
  ).rejects.toMatchObject({ code: 404 });
  expect(other).toBe(1);
});

test('kubeCall: a 403 during the apiserver warm-up no longer fails the call as PermissionDenied', async () => {
  let calls = 0;
  const out = await kubeCall('update virtualservices hwayo-gateway/hwayo-canary', async () => {
    if (++calls === 1) throw forbidden();
    return { ok: true };
  });
  expect(out).toEqual({ ok: true });
  expect(calls).toBe(2);
});

test('kubeCall: a lasting 403 is still PermissionDenied, non-retryable', async () => {
  jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] });
  try {
    const p = kubeCall('get nodes', async () => {
      throw forbidden();
    });
    const settled = p.catch((e: unknown) => e);
    await jest.advanceTimersByTimeAsync(11_000);
    const err = await settled;
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'PermissionDenied', nonRetryable: true });
  } finally {
    jest.useRealTimers();
  }
});
