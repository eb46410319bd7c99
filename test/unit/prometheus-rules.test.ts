// deploy/prometheus, deploy/alertmanager and deploy/grafana checked by the real tools: promtool (Debian
// `prometheus`, scripts/install/prometheus.sh) and amtool (Debian `prometheus-alertmanager`,
// scripts/install/alertmanager.sh); scripts/test-tools.sh installs both before the unit project runs. A missing
// tool fails the test with how to install it; nothing is skipped.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';

const ROOT = join(__dirname, '..', '..');
const PROM = join(ROOT, 'deploy', 'prometheus');
const RULE_FILES = ['alerts.seed.yml', 'alerts.seed-thresholds.yml', 'alerts.worker.yml'].map((f) => join(PROM, f));
const ALERTMANAGER = join(ROOT, 'deploy', 'alertmanager', 'alertmanager.yml');
const DASHBOARD = join(ROOT, 'deploy', 'grafana', 'dashboards', 'hwayo-releases.json');

function tool(name: string, install: string): string {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  if (found.status !== 0) throw new Error(`${name} is not installed: ${install}`);
  return found.stdout.trim();
}
const promtool = () =>
  tool('promtool', 'bash scripts/install/prometheus.sh (Debian prometheus 2.42.0+ds-5+deb12u1, which ships promtool)');
const amtool = () =>
  tool('amtool', 'bash scripts/install/alertmanager.sh (Debian prometheus-alertmanager 0.25.0-1+b4)');

function run(cmd: string, args: string[]): { status: number | null; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: ROOT, timeout: 120_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
}
const rules = (): Rule[] =>
  RULE_FILES.flatMap((f) =>
    (parse(readFileSync(f, 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules),
  );

// SEED section 7's list of system and business alerts: [rule, comparison, severity].
const SECTION_7: [string, string, string][] = [
  ['HighCPUUsage', '> 80', 'warning'],
  ['HighMemoryUsage', '> 85', 'warning'],
  ['HighDiskUsage', '> 90', 'critical'],
  ['HighNetworkLatency', '> 100', 'warning'],
  ['HTTP5xxRateAboveSLO', '> 1', 'critical'],
  ['SlowResponseTime', '> 2', 'warning'],
  ['HighDBPoolUsage', '> 80', 'warning'],
  ['HighQueueLength', '> 1000', 'warning'],
  ['LoginSuccessBelowTarget', '< 95', 'critical'],
  ['DataSubmissionSuccessLow', '< 98', 'critical'],
  ['ReportGenerationSuccessLow', '< 99', 'critical'],
  ['SlowPageLoad', '> 3', 'warning'],
];
/** A rule's expression split into the measured query and its comparison (`> 80`). */
function splitRule(rule: Rule): { query: string; comparison: string } {
  const m = /^(.*) ([<>] [0-9.]+)$/.exec(rule.expr.replace(/\s+/g, ' ').trim());
  if (!m) throw new Error(`${rule.alert}: no trailing threshold in ${rule.expr}`);
  return { query: m[1], comparison: m[2] };
}
const ruleByName = (name: string): Rule => {
  const r = rules().find((x) => x.alert === name);
  if (!r) throw new Error(`no rule ${name}`);
  return r;
};

describe('alert rules', () => {
  test('promtool check rules accepts every rule file', () => {
    const r = run(promtool(), ['check', 'rules', ...RULE_FILES]);
    expect(r.out).not.toMatch(/FAILED/);
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/SUCCESS: 6 rules found/);
    expect(r.out).toMatch(/SUCCESS: 10 rules found/);
    expect(r.out).toMatch(/SUCCESS: 9 rules found/);
  });

  test('promtool test rules: every rule fires when it should and not before', () => {
    const tests = readdirSync(join(PROM, 'tests'))
      .filter((f) => f.endsWith('.test.yml'))
      .map((f) => join(PROM, 'tests', f));
    expect(tests.length).toBeGreaterThanOrEqual(2);
    const r = run(promtool(), ['test', 'rules', ...tests]);
    expect({ status: r.status, out: r.out }).toEqual({
      status: 0,
      out: expect.not.stringMatching(/FAILED/) as unknown as string,
    });
    // Every alert is exercised by at least one test case.
    const tested = tests.map((f) => readFileSync(f, 'utf8')).join('\n');
    for (const rule of rules())
      expect({ alert: rule.alert, tested: tested.includes(`alertname: ${rule.alert}`) }).toEqual({
        alert: rule.alert,
        tested: true,
      });
  });

  test("the seed's rules with the seed's thresholds, durations and severities", () => {
    const byName = Object.fromEntries(rules().map((r) => [r.alert, r]));
    const seed: [string, RegExp, string, string][] = [
      ['HighErrorRate', /\* 100 > 5$/, '2m', 'critical'],
      ['HighResponseTime', /histogram_quantile\(0\.95,.*\) > 5$/, '5m', 'critical'],
      [
        'DatabaseConnectionFailure',
        /^up\{job="postgresql"\} == 0 or pg_up\{job="postgresql"\} == 0$/,
        '1m',
        'critical',
      ],
      ['LowLoginSuccessRate', /\* 100 < 90$/, '3m', 'critical'],
      ['HighCPUUsage', /\* 100 > 80$/, '10m', 'warning'],
      ['HighMemoryUsage', /\* 100 > 85$/, '10m', 'warning'],
      // Section 6's rollback budgets: automatic 5 minutes, manual 10.
      ['HwayoRollbackOverAutomaticBudget', /^hwayo_release_stage\{stage="rolling-back"\} == 1$/, '5m', 'warning'],
      ['HwayoRollbackTooSlow', /^hwayo_release_stage\{stage="rolling-back"\} == 1$/, '10m', 'critical'],
    ];
    for (const [name, expr, dur, severity] of seed) {
      const r = byName[name];
      expect({ name, expr: r.expr.replace(/\s+/g, ' ').trim(), for: r.for, severity: r.labels?.severity }).toEqual({
        name,
        expr: expect.stringMatching(expr) as unknown as string,
        for: dur,
        severity,
      });
    }
  });

  test("section 7's system and business alerts at the seed's thresholds and severities", () => {
    const got = SECTION_7.map(([name]) => {
      const r = ruleByName(name);
      return [name, splitRule(r).comparison, r.labels?.severity];
    });
    expect(got).toEqual(SECTION_7);
  });
});

function routeOf(labels: string[]): string {
  const r = run(amtool(), ['config', 'routes', 'test', `--config.file=${ALERTMANAGER}`, ...labels]);
  return r.out
    .split('\n')
    .filter((l) => !l.startsWith('Warning'))
    .join('')
    .trim();
}

describe('alertmanager routing', () => {
  test('amtool check-config accepts it', () => {
    const r = run(amtool(), ['check-config', ALERTMANAGER]);
    expect(r.out).toMatch(/SUCCESS/);
    expect(r.status).toBe(0);
  });

  test.each([
    [['severity=critical', 'alertname=HighErrorRate', 'service=api-gateway'], 'critical'],
    [['severity=warning', 'alertname=HighCPUUsage'], 'slack-alerts'],
    [['alertname=Unlabelled'], 'slack-alerts'],
  ])('alert %j goes to %s', (labels, receiver) => {
    expect(routeOf(labels)).toBe(receiver);
  });

  test('every rule reaches the receiver of its severity (critical pages, warning goes to Slack)', () => {
    const receiverOf: Record<string, string> = { critical: 'critical', warning: 'slack-alerts' };
    const got = rules().map((r) => [r.alert, routeOf([`alertname=${r.alert}`, `severity=${r.labels?.severity}`])]);
    expect(got).toEqual(rules().map((r) => [r.alert, receiverOf[r.labels?.severity ?? ''] ?? 'no severity']));
  });

  test("the seed's grouping, timings and receivers", () => {
    const am = parse(readFileSync(ALERTMANAGER, 'utf8')) as {
      route: {
        group_by: string[];
        group_wait: string;
        repeat_interval: string;
        routes: { matchers: string[]; receiver: string; repeat_interval: string }[];
      };
      receivers: {
        name: string;
        pagerduty_configs?: unknown[];
        slack_configs?: { channel: string }[];
        email_configs?: { to: string }[];
      }[];
    };
    expect(am.route).toMatchObject({
      group_by: ['alertname', 'cluster', 'service'],
      group_wait: '10s',
      repeat_interval: '1h',
    });
    expect(am.route.routes.map((r) => [r.matchers, r.receiver, r.repeat_interval])).toEqual([
      [['severity="critical"'], 'critical', '5m'],
      [['severity="warning"'], 'slack-alerts', '30m'],
    ]);
    const critical = am.receivers.find((r) => r.name === 'critical')!;
    expect(critical.pagerduty_configs).toHaveLength(1);
    expect(critical.slack_configs?.map((s) => s.channel)).toEqual(['#hwayo-critical']);
    expect(critical.email_configs?.map((e) => e.to)).toEqual(['oncall@hwayo.com']);
    expect(am.receivers.find((r) => r.name === 'slack-alerts')!.slack_configs?.map((s) => s.channel)).toEqual([
      '#hwayo-alerts',
    ]);
  });
});

describe('grafana dashboard', () => {
  interface Panel {
    title: string;
    type: string;
    targets?: { expr: string; refId: string }[];
    panels?: Panel[];
  }
  const dashboard = () =>
    JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
      uid: string;
      title: string;
      panels: Panel[];
      templating: { list: { name: string }[] };
    };
  const panels = () =>
    dashboard()
      .panels.flatMap((p) => [p, ...(p.panels ?? [])])
      .filter((p) => p.type !== 'row');

  test('is JSON with the release panels', () => {
    const d = dashboard();
    expect(d.uid).toBe('hwayo-releases');
    const titles = panels()
      .map((p) => p.title.toLowerCase())
      .join(' | ');
    for (const what of ['outcome', 'stage', 'weight', 'rollback', 'analysis', 'approval', 'activity'])
      expect(titles).toContain(what);
    for (const p of panels())
      expect({ title: p.title, targets: (p.targets ?? []).length > 0 }).toEqual({ title: p.title, targets: true });
  });

  test('every panel query parses as PromQL (promtool, with dashboard variables filled in)', () => {
    const fill = (expr: string) =>
      expr.replace(/\$__rate_interval|\$__interval|\$__range/g, '5m').replace(/\$\{?(\w+)(:\w+)?\}?/g, 'x');
    const exprs = panels().flatMap((p, n) =>
      (p.targets ?? []).map((t, i) => ({ record: `dashboard:panel_${n}_${i}`, expr: fill(t.expr), title: p.title })),
    );
    expect(exprs.length).toBeGreaterThanOrEqual(8);
    const dir = mkdtempSync(join(tmpdir(), 'hwayo-dash-'));
    // One file per query, so a failure names the panel.
    for (const e of exprs) {
      const file = join(dir, `${e.record.replace(/:/g, '_')}.yml`);
      writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules: [{ record: e.record, expr: e.expr }] }] }));
      const r = run(promtool(), ['check', 'rules', file]);
      expect({ panel: e.title, expr: e.expr, status: r.status, out: r.status === 0 ? '' : r.out }).toEqual({
        panel: e.title,
        expr: e.expr,
        status: 0,
        out: '',
      });
    }
  });

  test("each of section 7's alerts has a panel plotting the rule's query with its threshold marked", () => {
    interface Thresholds {
      fieldConfig?: { defaults?: { thresholds?: { steps: { value: number | null }[] } } };
    }
    const got = SECTION_7.map(([name]) => {
      const { query, comparison } = splitRule(ruleByName(name));
      const panel = panels().find((p) => (p.targets ?? []).some((t) => t.expr === query)) as
        (Panel & Thresholds) | undefined;
      const marked = panel?.fieldConfig?.defaults?.thresholds?.steps.map((s) => s.value) ?? [];
      return { name, panel: panel !== undefined, marked: marked.includes(Number(comparison.slice(2))) };
    });
    expect(got).toEqual(SECTION_7.map(([name]) => ({ name, panel: true, marked: true })));
  });

  test('a query with a syntax error is rejected by the same check (the check can fail)', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'hwayo-dash-')), 'bad.yml');
    writeFileSync(file, stringify({ groups: [{ name: 'x', rules: [{ record: 'x:y', expr: 'sum(rate(foo[5m])' }] }] }));
    expect(run(promtool(), ['check', 'rules', file]).status).not.toBe(0);
    expect(
      execFileSync(promtool(), ['--version'], { encoding: 'utf8' }).concat(
        spawnSync(promtool(), ['--version'], { encoding: 'utf8' }).stderr,
      ),
    ).toMatch(/promtool, version 2\./);
  });
});
