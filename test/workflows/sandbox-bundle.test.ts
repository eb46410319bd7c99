// The workflow sandbox loads the metric providers' registry and their pure halves (src/metrics/<kind>/spec.ts),
// never a measuring half: the bundle webpack builds for it holds no measure.ts and no AWS SDK. Lint keeps such
// imports out of the source (eslint.config.mjs); this checks what actually got bundled.
import { METRIC_PROVIDERS } from '../../src/plan/types';
import { bundle } from './env';

test('the workflow bundle holds every provider spec.ts and no measure.ts nor AWS SDK', async () => {
  const { code } = await bundle();
  expect(code).toContain('src/metrics/registry.ts');
  for (const kind of METRIC_PROVIDERS) expect(code).toContain(`src/metrics/${kind}/spec.ts`);
  expect(code.match(/src\/metrics\/[\w/-]*measure\.ts/g)).toBeNull();
  expect(code).not.toContain('@aws-sdk');
  expect(code).not.toContain('GetMetricDataCommand');
}, 180_000);
