// A finished release's report with two signed approvals, a control and an analysis: what the attestation covers.
import type { ReleaseReport } from '../../src/workflows/definitions';

export function sampleReport(releaseId = 'release-shop-2.4.0'): ReleaseReport {
  return {
    releaseId,
    app: 'shop',
    version: '2.4.0',
    imageTag: '1234-abc1234',
    outcome: 'succeeded',
    startedAt: '2026-12-06T01:00:00.000Z',
    finishedAt: '2026-12-06T02:00:00.000Z',
    timeline: [{ at: '2026-12-06T01:00:00.000Z', stage: 'preflight', event: 'started' }],
    approvals: ['tech-lead', 'qa'].map((role) => ({
      approverId: `${role}-1`,
      role,
      decision: 'approve' as const,
      signature: 'c2ln',
      signedAt: '2026-12-06T01:10:00.000Z',
      at: '2026-12-06T01:10:01.000Z',
      accepted: true,
      via: 'update' as const,
    })),
    preflight: [{ at: '2026-12-06T01:00:01.000Z', results: [{ name: 'evidence', ok: true, detail: 'clean' }] }],
    steps: [{ weight: 10, plannedMs: 60_000, elapsedMs: 60_000, pausedMs: 0, result: 'pass' }],
    analyses: [
      {
        at: '2026-12-06T01:20:00.000Z',
        stage: 'canary',
        weight: 10,
        kind: 'window-end',
        readings: [],
        verdict: 'pass',
        detail: 'all within bounds',
      },
    ],
    compensations: [],
    audit: [
      { at: '2026-12-06T01:30:00.000Z', action: 'promote', by: 'ops-1', accepted: true, detail: 'ok', signed: true },
    ],
    policy: { source: 'configmap hwayo-release/hwayo-release-policy', digest: 'sha256:00', environment: 'production' },
    planDigest: 'sha256:11',
    images: ['registry.local/shop-api:1234-abc1234', 'registry.local/shop-web:1234-abc1234'],
  };
}
