// How a plan names a backend: "svc.ns[.svc.cluster.local]" (Istio hosts) or "ns/svc" (Gateway API).
// Shared by the plan's validation and the route edits, so both read a destination the same way.

/** "x.ns.svc.cluster.local" -> "x.ns". */
export const shortHost = (h: string) => h.replace(/\.svc\.cluster\.local\.?$/, '');

/** "name", "namespace/name" or "name.namespace[.svc.cluster.local]" -> a Service reference. */
export function serviceRef(destination: string, defaultNamespace: string): { name: string; namespace: string } {
  if (destination.includes('/')) {
    const [namespace, name] = destination.split('/', 2);
    return { name, namespace };
  }
  const labels = shortHost(destination).split('.');
  return labels.length >= 2
    ? { name: labels[0], namespace: labels[1] }
    : { name: labels[0], namespace: defaultNamespace };
}

const NAMESPACE = /\{\{\s*namespace\s*\}\}/g;

/** A destination template with {{namespace}} filled in. */
export const renderDestination = (template: string, namespace: string) => template.replace(NAMESPACE, namespace);

/** Whether the template follows the namespace it is rendered for. */
export const followsNamespace = (template: string) => renderDestination(template, '\0') !== template;
