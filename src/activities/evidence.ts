// The security gates of SEED 8.1, read from the reports CI hands over: Trivy (no HIGH/CRITICAL),
// Gitleaks (no leaked secret), npm audit (no high/critical), SonarQube (no open security hotspot).
// Each parser returns findings or throws EvidenceError when the report is not what it claims to be.

export class EvidenceError extends Error {}

export interface GateOutcome {
  gate: 'trivy' | 'gitleaks' | 'npmAudit' | 'sonarqubeHotspots';
  ok: boolean;
  /** One line: what blocks the release, or what was checked. */
  detail: string;
  count: number;
}

const BLOCKING = new Set(['HIGH', 'CRITICAL']);
const obj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);
const examples = (items: string[]) => `${items.slice(0, 3).join(', ')}${items.length > 3 ? `, +${items.length - 3} more` : ''}`;

/** `trivy image --format json`: Results[].Vulnerabilities / Secrets / Misconfigurations with Severity. */
export function trivyGate(report: unknown): GateOutcome {
  if (!obj(report) || !('Results' in report || 'SchemaVersion' in report)) throw new EvidenceError('not a Trivy JSON report (no SchemaVersion/Results)');
  const found: string[] = [];
  for (const r of list<Record<string, unknown>>(report.Results)) {
    for (const v of list<Record<string, string>>(r.Vulnerabilities)) {
      if (BLOCKING.has(v.Severity)) found.push(`${v.VulnerabilityID} ${v.Severity} in ${v.PkgName}@${v.InstalledVersion}`);
    }
    for (const s of list<Record<string, string>>(r.Secrets)) if (BLOCKING.has(s.Severity)) found.push(`secret ${s.RuleID} ${s.Severity} in ${r.Target}`);
    for (const m of list<Record<string, string>>(r.Misconfigurations)) {
      if (BLOCKING.has(m.Severity) && m.Status !== 'PASS') found.push(`misconfiguration ${m.ID} ${m.Severity} in ${r.Target}`);
    }
  }
  const target = typeof report.ArtifactName === 'string' ? report.ArtifactName : 'image';
  return found.length
    ? { gate: 'trivy', ok: false, count: found.length, detail: `Trivy: ${found.length} HIGH/CRITICAL finding(s) in ${target}: ${examples(found)}` }
    : { gate: 'trivy', ok: true, count: 0, detail: `Trivy: no HIGH/CRITICAL findings in ${target}` };
}

/** `gitleaks detect --report-format json`: an array of findings; the secret itself is never repeated. */
export function gitleaksGate(report: unknown): GateOutcome {
  if (!Array.isArray(report)) throw new EvidenceError('not a Gitleaks JSON report (expected an array of findings)');
  const found = (report as Record<string, unknown>[]).map((f) => `${f.RuleID} in ${f.File}:${f.StartLine}${f.Commit ? ` (commit ${String(f.Commit).slice(0, 8)})` : ''}`);
  return found.length
    ? { gate: 'gitleaks', ok: false, count: found.length, detail: `Gitleaks: ${found.length} leaked secret(s): ${examples(found)}, rotate them and rewrite history` }
    : { gate: 'gitleaks', ok: true, count: 0, detail: 'Gitleaks: no leaked secrets' };
}

/** `npm audit --json` (v7+: metadata.vulnerabilities counts and vulnerabilities{} by package; v6 has the same metadata). */
export function npmAuditGate(report: unknown): GateOutcome {
  const counts = obj(report) && obj(report.metadata) ? report.metadata.vulnerabilities : undefined;
  if (!obj(counts)) {
    if (obj(report) && obj(report.error)) throw new EvidenceError(`npm audit failed: ${String(report.error.summary ?? report.error.code)}`);
    throw new EvidenceError('not an npm audit JSON report (no metadata.vulnerabilities)');
  }
  const high = Number(counts.high ?? 0), critical = Number(counts.critical ?? 0);
  const names = obj(report) && obj(report.vulnerabilities)
    ? Object.entries(report.vulnerabilities as Record<string, { severity?: string }>).filter(([, v]) => v.severity === 'high' || v.severity === 'critical').map(([n, v]) => `${n} (${v.severity})`)
    : [];
  const total = high + critical;
  return total
    ? { gate: 'npmAudit', ok: false, count: total, detail: `npm audit: ${critical} critical and ${high} high vulnerabilities${names.length ? `: ${examples(names)}` : ''}` }
    : { gate: 'npmAudit', ok: true, count: 0, detail: 'npm audit: no high or critical vulnerabilities' };
}

/** SonarQube `api/hotspots/search` answer: hotspots still TO_REVIEW, or ACKNOWLEDGED (accepted as real), block. */
export function sonarHotspotsGate(report: unknown): GateOutcome {
  if (!obj(report) || !Array.isArray(report.hotspots)) throw new EvidenceError('not a SonarQube hotspots report (no hotspots array)');
  const open = (report.hotspots as Record<string, unknown>[]).filter((h) => h.status === 'TO_REVIEW' || h.resolution === 'ACKNOWLEDGED');
  const found = open.map((h) => `${h.securityCategory ?? h.ruleKey ?? 'hotspot'} in ${String(h.component ?? '').split(':').pop()}:${h.line ?? '?'}`);
  const total = obj(report.paging) && typeof report.paging.total === 'number' ? report.paging.total : report.hotspots.length;
  if (total > report.hotspots.length && open.length === 0) {
    throw new EvidenceError(`SonarQube report lists ${report.hotspots.length} of ${total} hotspots: export every page`);
  }
  return found.length
    ? { gate: 'sonarqubeHotspots', ok: false, count: found.length, detail: `SonarQube: ${found.length} open security hotspot(s): ${examples(found)}` }
    : { gate: 'sonarqubeHotspots', ok: true, count: 0, detail: 'SonarQube: no open security hotspots' };
}

export const GATES = {
  trivy: { label: 'Trivy', parse: trivyGate },
  gitleaks: { label: 'Gitleaks', parse: gitleaksGate },
  npmAudit: { label: 'npm audit', parse: npmAuditGate },
  sonarqubeHotspots: { label: 'SonarQube hotspots', parse: sonarHotspotsGate },
} as const;
