// Pure parts of the activities: Prometheus answers, security-group ports, error classes, report gates.
import { ApplicationFailure } from '@temporalio/common';
import { disallowedIngress } from '../../src/activities/preflight/security-groups';
import { awsFailure, httpStatusFailure } from '../../src/activities/classify';
import { EvidenceError, npmAuditGate, sonarHotspotsGate, trivyGate } from '../../src/activities/evidence';
import { readingFromResponse } from '../../src/metrics/prometheus/measure';

const prom = (data: unknown) => JSON.stringify({ status: 'success', data });

describe('readingFromResponse', () => {
  it('reads one sample and a scalar', () => {
    expect(
      readingFromResponse('m', 200, prom({ resultType: 'vector', result: [{ metric: {}, value: [1, '0.5'] }] })),
    ).toEqual({ name: 'm', value: 0.5 });
    expect(readingFromResponse('m', 200, prom({ resultType: 'scalar', result: [1, '3'] }))).toEqual({
      name: 'm',
      value: 3,
    });
  });
  it('gives each non-number its reason', () => {
    expect(readingFromResponse('m', 200, prom({ resultType: 'vector', result: [] }))).toMatchObject({
      inconclusive: 'empty-result',
    });
    expect(
      readingFromResponse('m', 200, prom({ resultType: 'vector', result: [{ metric: {}, value: [1, 'NaN'] }] })),
    ).toMatchObject({ inconclusive: 'not-a-number' });
    expect(
      readingFromResponse('m', 200, prom({ resultType: 'vector', result: [{ metric: {}, value: [1, '-Inf'] }] })),
    ).toMatchObject({ inconclusive: 'not-a-number' });
    expect(readingFromResponse('m', 200, prom({ resultType: 'matrix', result: [] }))).toMatchObject({
      inconclusive: 'not-a-number',
      detail: expect.stringContaining('matrix'),
    });
    expect(readingFromResponse('m', 503, 'upstream down')).toMatchObject({
      inconclusive: 'http-error',
      detail: 'Prometheus answered HTTP 503: upstream down',
    });
    expect(readingFromResponse('m', 200, '<html>')).toMatchObject({ inconclusive: 'http-error' });
    expect(
      readingFromResponse(
        'm',
        422,
        JSON.stringify({ status: 'error', errorType: 'execution', error: 'query timed out' }),
      ),
    ).toMatchObject({ inconclusive: 'http-error', detail: expect.stringContaining('execution: query timed out') });
  });
});

describe('disallowedIngress', () => {
  it('allows exact allowed ports and flags everything else', () => {
    expect(
      disallowedIngress(
        [
          { IpProtocol: 'tcp', FromPort: 80, ToPort: 80 },
          { IpProtocol: 'tcp', FromPort: 443, ToPort: 443 },
        ],
        [80, 443],
      ),
    ).toEqual([]);
    expect(disallowedIngress([{ IpProtocol: 'tcp', FromPort: 0, ToPort: 65535 }], [80, 443])).toEqual(['tcp/0-65535']);
    expect(disallowedIngress([{ IpProtocol: '-1' }], [80, 443])).toEqual(['all traffic']);
    expect(disallowedIngress([{ IpProtocol: 'udp', FromPort: 53, ToPort: 53 }], [80, 443])).toEqual(['udp/53']);
  });
});

describe('failure classes', () => {
  const aws = (name: string, status: number, fault: 'client' | 'server' = status < 500 ? 'client' : 'server') =>
    awsFailure(
      'doing it',
      Object.assign(new Error('boom'), { name, $fault: fault, $metadata: { httpStatusCode: status } }),
    );
  it('AWS: missing, denied and invalid are final; throttling and 5xx are retried', () => {
    expect(aws('DBInstanceNotFoundFault', 404)).toMatchObject({ type: 'NotFound', nonRetryable: true });
    expect(aws('AccessDeniedException', 403)).toMatchObject({ type: 'PermissionDenied', nonRetryable: true });
    expect(aws('InvalidParameterValue', 400)).toMatchObject({ type: 'InvalidInput', nonRetryable: true });
    expect(aws('ThrottlingException', 400)).toMatchObject({ type: 'Unavailable', nonRetryable: false });
    expect(aws('InternalFailure', 500)).toMatchObject({ type: 'Unavailable', nonRetryable: false });
    expect(awsFailure('x', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toMatchObject({
      nonRetryable: false,
    });
  });
  it('HTTP statuses', () => {
    expect(httpStatusFailure('w', 403, '')).toMatchObject({ type: 'PermissionDenied', nonRetryable: true });
    expect(httpStatusFailure('w', 400, 'bad')).toMatchObject({ type: 'InvalidInput', nonRetryable: true });
    expect(httpStatusFailure('w', 429, '')).toMatchObject({ nonRetryable: false });
    expect(httpStatusFailure('w', 503, '')).toBeInstanceOf(ApplicationFailure);
    expect(httpStatusFailure('w', 503, '').nonRetryable).toBe(false);
  });
});

describe('report gates', () => {
  it('Trivy ignores LOW/MEDIUM and passed misconfigurations', () => {
    const r = trivyGate(
      {
        SchemaVersion: 2,
        ArtifactName: 'registry.local/a:1-abcdef0',
        Results: [
          {
            Target: 't',
            Vulnerabilities: [{ Severity: 'MEDIUM' }],
            Misconfigurations: [{ ID: 'KSV001', Severity: 'HIGH', Status: 'PASS' }],
          },
        ],
      },
      { images: ['registry.local/a:1-abcdef0'], projectKey: 'a' },
    );
    expect(r.ok).toBe(true);
  });
  it('npm audit v6 (metadata only) is read too; an npm error report is not evidence', () => {
    expect(npmAuditGate({ advisories: {}, metadata: { vulnerabilities: { high: 2, critical: 0 } } })).toMatchObject({
      ok: false,
      count: 2,
    });
    expect(() =>
      npmAuditGate({ error: { code: 'ENOLOCK', summary: 'This command requires an existing lockfile.' } }),
    ).toThrow(EvidenceError);
  });
  it('SonarQube: a truncated export with nothing open is refused rather than passed', () => {
    expect(() => sonarHotspotsGate({ paging: { total: 120 }, hotspots: [] }, { images: [], projectKey: 'a' })).toThrow(
      'export every page',
    );
  });
});
