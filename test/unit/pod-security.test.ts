// Release namespaces are created at pod security `restricted` (issue 19, item 6): the worker may not create green
// weaker than the strictest level, whatever the labels it is asked for.
import { ApplicationFailure } from '@temporalio/common';
import { ENFORCE_LABEL, releaseNamespaceLabels } from '../../src/activities/kubernetes/pod-security';

const asked = { 'app.kubernetes.io/part-of': 'hwayo', 'hwayo.io/environment': 'green' };

test('a new release namespace enforces restricted, beside the labels asked for', () => {
  expect(releaseNamespaceLabels(asked)).toEqual({ ...asked, 'pod-security.kubernetes.io/enforce': 'restricted' });
  expect(releaseNamespaceLabels({})).toEqual({ [ENFORCE_LABEL]: 'restricted' });
  expect(releaseNamespaceLabels({ [ENFORCE_LABEL]: 'restricted' })).toEqual({ [ENFORCE_LABEL]: 'restricted' });
});

test.each([
  [ENFORCE_LABEL, 'privileged'],
  [ENFORCE_LABEL, 'baseline'],
  ['pod-security.kubernetes.io/enforce-version', 'v1.0'],
  ['pod-security.kubernetes.io/warn', 'privileged'],
])('asked for %s=%s: refused as bad input, naming the label', (key, value) => {
  let err: unknown;
  try {
    releaseNamespaceLabels({ ...asked, [key]: value });
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ApplicationFailure);
  expect({ type: (err as ApplicationFailure).type, nonRetryable: (err as ApplicationFailure).nonRetryable }).toEqual({
    type: 'InvalidInput',
    nonRetryable: true,
  });
  expect((err as Error).message).toBe(
    `a release namespace is created at pod-security.kubernetes.io/enforce=restricted only; refused label ${key}=${value}`,
  );
});
