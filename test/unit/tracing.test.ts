// Tracing is off unless the OpenTelemetry endpoint variable is set, and a bad endpoint is an error
// naming the variable (src/telemetry/tracing.ts).
import { tracesUrl } from '../../src/telemetry/tracing';
import { ConfigError, loadWorkerConfig } from '../../src/worker/config';

test('tracing is off without OTEL_EXPORTER_OTLP_ENDPOINT, and when the SDK or the exporter is turned off', () => {
  expect(tracesUrl({})).toBeUndefined();
  expect(
    tracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SDK_DISABLED: 'true' }),
  ).toBeUndefined();
  expect(
    tracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_TRACES_EXPORTER: 'none' }),
  ).toBeUndefined();
});

test('the endpoint is a base URL (/v1/traces added); the traces endpoint is used as written', () => {
  expect(tracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318/' })).toBe('http://127.0.0.1:4318/v1/traces');
  expect(
    tracesUrl({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x:1',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:14318/v1/traces',
    }),
  ).toBe('http://127.0.0.1:14318/v1/traces');
});

test('a bad endpoint is refused naming the variable, by the CLI side and by the worker configuration', () => {
  expect(() => tracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: '127.0.0.1:4318' })).toThrow(
    /OTEL_EXPORTER_OTLP_ENDPOINT must be an http\(s\) URL/,
  );
  expect(() => tracesUrl({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'grpc://127.0.0.1:4317' })).toThrow(
    /OTEL_EXPORTER_OTLP_TRACES_ENDPOINT must be an http\(s\) URL/,
  );
  let err: unknown;
  try {
    loadWorkerConfig([], {
      HWAYO_KUBE_IN_CLUSTER: 'true',
      HWAYO_CODEC: 'off',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url',
    });
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ConfigError);
  expect((err as Error).message).toMatch(/OTEL_EXPORTER_OTLP_ENDPOINT: must be a URL/);
});
