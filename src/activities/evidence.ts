// The security gates of SEED 8.1, read from the reports CI hands over: Trivy (no HIGH/CRITICAL),
// Gitleaks (no leaked secret), npm audit (no high/critical), SonarQube (no open security hotspot).
// Each parser returns findings or throws EvidenceError when the report is not what it claims to be.
// A clean report only counts when its own metadata ties it to this release (see docs/cli.md
// "Security evidence"): Trivy names every image deployed; Gitleaks (SARIF) and SonarQube name the
// commit of the image tag (BUILD-GIT_COMMIT_SHORT), SonarQube also the project (the plan's app).

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
const examples = (items: string[]) =>
  `${items.slice(0, 3).join(', ')}${items.length > 3 ? `, +${items.length - 3} more` : ''}`;

/** What the release deploys, which a report must name to count. */
export interface ReleaseArtifact {
  /** Every image the release deploys (blue's containers on the new tag). */
  images: string[];
  /** The images the emergency path would deploy to blue (its last known good tag), when the release names one. */
  lastKnownGoodImages?: string[];
  /** The commit the image tag names (`BUILD-GIT_COMMIT_SHORT`), if it names one. */
  commit?: string;
  /** The SonarQube project key the release's code is analysed under (the plan's app). */
  projectKey: string;
}

/** `1234-abc1234` -> `abc1234`: the last dash-separated part when it is 7 to 40 hex digits. */
export function commitOfTag(tag: string): string | undefined {
  const last = tag.split('-').pop() ?? '';
  return /^[0-9a-f]{7,40}$/i.test(last) && tag.includes('-') ? last.toLowerCase() : undefined;
}

/** Docker's defaults written out: `nginx:1` is `docker.io/library/nginx:1`. */
export function normaliseImage(ref: string): string {
  const parts = ref.trim().split('/');
  const hasRegistry = parts.length > 1 && (/[.:]/.test(parts[0]) || parts[0] === 'localhost');
  if (!hasRegistry) parts.unshift('docker.io');
  if (parts[0] === 'docker.io' && parts.length === 2) parts.splice(1, 0, 'library');
  return parts.join('/');
}

/** Same commit when one hash is a prefix of the other (short and full forms), at least 7 digits. */
const sameCommit = (a: string, b: string) => {
  const [x, y] = [a.toLowerCase(), b.toLowerCase()];
  return Math.min(x.length, y.length) >= 7 && (x.startsWith(y) || y.startsWith(x));
};

const needCommit = (artifact: ReleaseArtifact, tool: string) => {
  if (!artifact.commit)
    throw new EvidenceError(
      `the image tag names no commit (BUILD-GIT_COMMIT_SHORT), so the ${tool} report cannot be tied to the release`,
    );
  return artifact.commit;
};

/**
 * `trivy image --format json`: Results[].Vulnerabilities / Secrets / Misconfigurations with Severity.
 * One report per image, or an array of them (`jq -s . *.json`); together they must cover every image
 * the release deploys (and every last-known-good image the emergency path would), by ArtifactName or
 * Metadata.RepoTags, and name no other image.
 */
export function trivyGate(input: unknown, artifact: ReleaseArtifact): GateOutcome {
  const reports = Array.isArray(input) ? input : [input];
  if (reports.length === 0) throw new EvidenceError('not a Trivy JSON report (an empty array)');
  const found: string[] = [];
  const covered = new Set<string>();
  const foreign: string[] = [];
  const lastKnownGood = artifact.lastKnownGoodImages ?? [];
  const wanted = new Set([...artifact.images, ...lastKnownGood].map(normaliseImage));
  for (const report of reports) {
    if (!obj(report) || !('Results' in report || 'SchemaVersion' in report))
      throw new EvidenceError('not a Trivy JSON report (no SchemaVersion/Results)');
    if (typeof report.ArtifactName !== 'string' || !report.ArtifactName)
      throw new EvidenceError('the Trivy report names no ArtifactName, so it cannot be tied to an image');
    const names = [report.ArtifactName, ...list<string>(obj(report.Metadata) ? report.Metadata.RepoTags : [])]
      .filter((n) => typeof n === 'string')
      .map(normaliseImage);
    const hits = names.filter((n) => wanted.has(n));
    if (!hits.length) foreign.push(report.ArtifactName);
    hits.forEach((h) => covered.add(h));
    for (const r of list<Record<string, unknown>>(report.Results)) {
      for (const v of list<Record<string, string>>(r.Vulnerabilities)) {
        if (BLOCKING.has(v.Severity))
          found.push(`${v.VulnerabilityID} ${v.Severity} in ${v.PkgName}@${v.InstalledVersion}`);
      }
      for (const s of list<Record<string, string>>(r.Secrets))
        if (BLOCKING.has(s.Severity)) found.push(`secret ${s.RuleID} ${s.Severity} in ${r.Target}`);
      for (const m of list<Record<string, string>>(r.Misconfigurations)) {
        if (BLOCKING.has(m.Severity) && m.Status !== 'PASS')
          found.push(`misconfiguration ${m.ID} ${m.Severity} in ${r.Target}`);
      }
    }
  }
  const target =
    reports.length === 1 ? String((reports[0] as Record<string, unknown>).ArtifactName) : `${reports.length} images`;
  if (found.length)
    return {
      gate: 'trivy',
      ok: false,
      count: found.length,
      detail: `Trivy: ${found.length} HIGH/CRITICAL finding(s) in ${target}: ${examples(found)}`,
    };
  if (foreign.length)
    throw new EvidenceError(
      `scanned ${examples(foreign)}, which this release does not deploy (it deploys ${examples(artifact.images)})`,
    );
  const unscanned = (images: string[]) => images.filter((i) => !covered.has(normaliseImage(i)));
  const missing = unscanned(artifact.images);
  if (missing.length) throw new EvidenceError(`no scan of ${examples(missing)}, which this release deploys`);
  const missingGood = unscanned(lastKnownGood);
  if (missingGood.length)
    throw new EvidenceError(
      `no scan of ${examples(missingGood)}, the last known good images the emergency path would deploy`,
    );
  return { gate: 'trivy', ok: true, count: 0, detail: `Trivy: no HIGH/CRITICAL findings in ${target}` };
}

const gitleaksOutcome = (found: string[]): GateOutcome =>
  found.length
    ? {
        gate: 'gitleaks',
        ok: false,
        count: found.length,
        detail: `Gitleaks: ${found.length} leaked secret(s): ${examples(found)}, rotate them and rewrite history`,
      }
    : { gate: 'gitleaks', ok: true, count: 0, detail: 'Gitleaks: no leaked secrets' };

/**
 * `gitleaks detect --report-format sarif` with the scanned commit recorded in the run's
 * versionControlProvenance (SARIF 2.1.0; CI adds it, see docs/cli.md). The plain JSON array format
 * still blocks on findings, but an empty array names no commit and proves nothing.
 */
export function gitleaksGate(report: unknown, artifact: ReleaseArtifact): GateOutcome {
  const describe = (f: Record<string, unknown>) =>
    `${f.RuleID} in ${f.File}:${f.StartLine}${f.Commit ? ` (commit ${String(f.Commit).slice(0, 8)})` : ''}`;
  if (Array.isArray(report)) {
    // Findings in the plain format always block; an array of anything else is some other report.
    if (report.some((f) => !obj(f) || typeof f.RuleID !== 'string'))
      throw new EvidenceError('not a Gitleaks SARIF report (a JSON array whose items are not Gitleaks findings)');
    if (report.length) return gitleaksOutcome((report as Record<string, unknown>[]).map(describe));
    throw new EvidenceError(
      "an empty Gitleaks JSON array names no commit and proves nothing: hand over `--report-format sarif` with the run's versionControlProvenance",
    );
  }
  if (!obj(report) || !Array.isArray(report.runs))
    throw new EvidenceError('not a Gitleaks SARIF report (no runs array)');
  const runs = report.runs as Record<string, unknown>[];
  const tool = (run: Record<string, unknown>) =>
    obj(run.tool) && obj(run.tool.driver) ? String(run.tool.driver.name ?? '') : '';
  if (!runs.length || runs.some((run) => !/^gitleaks$/i.test(tool(run))))
    throw new EvidenceError('not a Gitleaks SARIF report (a run whose tool.driver.name is not gitleaks)');
  const found = runs.flatMap((run) =>
    list<Record<string, unknown>>(run.results).map((r) => {
      const loc = list<Record<string, Record<string, Record<string, unknown>>>>(r.locations)[0]?.physicalLocation;
      const fp = obj(r.partialFingerprints) ? r.partialFingerprints : {};
      return describe({
        RuleID: r.ruleId,
        File: loc?.artifactLocation?.uri,
        StartLine: loc?.region?.startLine,
        Commit: fp.commitSha,
      });
    }),
  );
  if (found.length) return gitleaksOutcome(found);
  const commit = needCommit(artifact, 'Gitleaks');
  for (const run of runs) {
    const revisions = list<Record<string, unknown>>(run.versionControlProvenance)
      .map((p) => String(p.revisionId ?? ''))
      .filter(Boolean);
    if (!revisions.length)
      throw new EvidenceError(
        'the Gitleaks SARIF run has no versionControlProvenance[].revisionId naming the scanned commit',
      );
    if (!revisions.some((r) => sameCommit(r, commit)))
      throw new EvidenceError(`Gitleaks scanned commit ${revisions.join(', ')}, not ${commit} of the image tag`);
  }
  return gitleaksOutcome(found);
}

/**
 * `npm audit --json` (v7+: auditReportVersion 2, metadata.vulnerabilities counts and vulnerabilities{}
 * by package; v6 has the same metadata). Findings always block; a clean report counts only when its
 * metadata says it audited a dependency tree (npm audit names no project or commit: it is tied to the
 * release by where it is read from, the version's evidence location).
 */
export function npmAuditGate(report: unknown): GateOutcome {
  const counts = obj(report) && obj(report.metadata) ? report.metadata.vulnerabilities : undefined;
  if (!obj(counts)) {
    if (obj(report) && obj(report.error))
      throw new EvidenceError(`npm audit failed: ${String(report.error.summary ?? report.error.code)}`);
    throw new EvidenceError('not an npm audit JSON report (no metadata.vulnerabilities)');
  }
  const high = Number(counts.high ?? 0),
    critical = Number(counts.critical ?? 0);
  const names =
    obj(report) && obj(report.vulnerabilities)
      ? Object.entries(report.vulnerabilities as Record<string, { severity?: string }>)
          .filter(([, v]) => v.severity === 'high' || v.severity === 'critical')
          .map(([n, v]) => `${n} (${v.severity})`)
      : [];
  const total = high + critical;
  if (total)
    return {
      gate: 'npmAudit',
      ok: false,
      count: total,
      detail: `npm audit: ${critical} critical and ${high} high vulnerabilities${names.length ? `: ${examples(names)}` : ''}`,
    };
  const meta = (report as { metadata: Record<string, unknown> }).metadata;
  const audited = obj(meta.dependencies) ? Number(meta.dependencies.total) : Number(meta.totalDependencies);
  if (!(audited > 0) || !('auditReportVersion' in (report as object) || 'totalDependencies' in meta)) {
    throw new EvidenceError(
      'the npm audit report has no auditReportVersion and dependency count (metadata.dependencies.total), so it shows no audited project',
    );
  }
  return {
    gate: 'npmAudit',
    ok: true,
    count: 0,
    detail: `npm audit: no high or critical vulnerabilities in ${audited} dependencies`,
  };
}

/**
 * SonarQube `api/hotspots/search` answer: hotspots still TO_REVIEW, or ACKNOWLEDGED (accepted as real),
 * block. The answer names no analysis, so CI adds `projectKey` and `revision` (the analysed commit,
 * from `api/project_analyses/search`) at the top (docs/cli.md); both must match the release.
 */
export function sonarHotspotsGate(report: unknown, artifact: ReleaseArtifact): GateOutcome {
  if (!obj(report) || !Array.isArray(report.hotspots))
    throw new EvidenceError('not a SonarQube hotspots report (no hotspots array)');
  const open = (report.hotspots as Record<string, unknown>[]).filter(
    (h) => h.status === 'TO_REVIEW' || h.resolution === 'ACKNOWLEDGED',
  );
  const found = open.map(
    (h) =>
      `${h.securityCategory ?? h.ruleKey ?? 'hotspot'} in ${String(h.component ?? '')
        .split(':')
        .pop()}:${h.line ?? '?'}`,
  );
  const total =
    obj(report.paging) && typeof report.paging.total === 'number' ? report.paging.total : report.hotspots.length;
  if (found.length)
    return {
      gate: 'sonarqubeHotspots',
      ok: false,
      count: found.length,
      detail: `SonarQube: ${found.length} open security hotspot(s): ${examples(found)}`,
    };
  if (total > report.hotspots.length)
    throw new EvidenceError(`SonarQube report lists ${report.hotspots.length} of ${total} hotspots: export every page`);
  if (typeof report.projectKey !== 'string' || typeof report.revision !== 'string') {
    throw new EvidenceError(
      'the SonarQube report names no projectKey and revision (add them from api/project_analyses/search), so it cannot be tied to the release',
    );
  }
  if (report.projectKey !== artifact.projectKey)
    throw new EvidenceError(`analyses SonarQube project ${report.projectKey}, not ${artifact.projectKey}`);
  const strays = (report.hotspots as Record<string, unknown>[]).filter(
    (h) => h.project !== undefined && h.project !== report.projectKey,
  );
  if (strays.length)
    throw new EvidenceError(
      `lists hotspots of project ${String(strays[0].project)} under projectKey ${report.projectKey}`,
    );
  const commit = needCommit(artifact, 'SonarQube');
  if (!sameCommit(report.revision, commit))
    throw new EvidenceError(`analysed revision ${report.revision}, not ${commit} of the image tag`);
  return {
    gate: 'sonarqubeHotspots',
    ok: true,
    count: 0,
    detail: `SonarQube: no open security hotspots in ${report.projectKey} at ${report.revision.slice(0, 12)}`,
  };
}

export const GATES = {
  trivy: { label: 'Trivy', parse: trivyGate },
  gitleaks: { label: 'Gitleaks', parse: gitleaksGate },
  npmAudit: { label: 'npm audit', parse: npmAuditGate },
  sonarqubeHotspots: { label: 'SonarQube hotspots', parse: sonarHotspotsGate },
} as const;
