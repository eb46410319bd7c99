// createNamespace adopts an existing green only when this app made it (threat 8, docs/security.md).
import { adoptionRefusal } from '../../src/activities/kubernetes/objects';

const ns = (labels?: Record<string, string>) => ({ metadata: { name: 'hwayo-production-green', labels } });
const wanted = { 'app.kubernetes.io/part-of': 'hwayo', 'hwayo.io/release': 'r2', 'hwayo.io/environment': 'green' };

describe('adoptionRefusal', () => {
  it('adopts a namespace hwayo-release made for the same app, or one the same release made', () => {
    expect(
      adoptionRefusal(
        ns({
          'app.kubernetes.io/managed-by': 'hwayo-release',
          'app.kubernetes.io/part-of': 'hwayo',
          'hwayo.io/release': 'r1',
        }),
        wanted,
      ),
    ).toBeUndefined();
    expect(
      adoptionRefusal(ns({ 'app.kubernetes.io/part-of': 'hwayo', 'hwayo.io/release': 'r2' }), wanted),
    ).toBeUndefined();
    expect(adoptionRefusal(ns({ 'app.kubernetes.io/managed-by': 'hwayo-release' }), {})).toBeUndefined();
  });

  it('refuses a namespace without the labels, of another app, or managed by another tool, naming what it found', () => {
    expect(adoptionRefusal(ns(), wanted)).toMatch(
      /^namespace hwayo-production-green already exists and was not created by hwayo-release for app hwayo \(app.kubernetes.io\/managed-by=\(none\), app.kubernetes.io\/part-of=\(none\)\): refusing to adopt it/,
    );
    expect(
      adoptionRefusal(
        ns({ 'app.kubernetes.io/managed-by': 'hwayo-release', 'app.kubernetes.io/part-of': 'payments' }),
        wanted,
      ),
    ).toMatch(/part-of=payments/);
    expect(
      adoptionRefusal(ns({ 'app.kubernetes.io/managed-by': 'argocd', 'app.kubernetes.io/part-of': 'hwayo' }), wanted),
    ).toMatch(/managed-by=argocd/);
    expect(adoptionRefusal(ns({ 'app.kubernetes.io/part-of': 'hwayo' }), {})).toMatch(/refusing to adopt/);
  });
});
