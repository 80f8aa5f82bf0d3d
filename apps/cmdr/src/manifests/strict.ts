// Unknown-field detection for built-in Kubernetes kinds (what kubeconform's -strict adds): the typed
// models of @kubernetes/client-node carry, for every API type, the list of its fields and their types
// (generated from the Kubernetes OpenAPI spec). A misspelt or misplaced key (e.g. `readinesProbe`, or
// `maxUnavailable` under the wrong parent) would otherwise be dropped silently by the API server.

interface Attribute {
  baseName: string;
  type: string;
}
type Models = Record<string, { attributeTypeMap?: Attribute[] } | undefined>;

let models: Promise<Models> | undefined;
const loadModels = () => {
  models ??= import('@kubernetes/client-node').then((m) => m as unknown as Models);
  return models;
};

/** `apps/v1` + `Deployment` → `V1Deployment`, `autoscaling/v2` + `HorizontalPodAutoscaler` → `V2HorizontalPodAutoscaler`. */
export function modelName(apiVersion: string, kind: string): string {
  const version = apiVersion.split('/').at(-1) ?? '';
  return `${version.charAt(0).toUpperCase()}${version.slice(1)}${kind}`;
}

function walk(value: unknown, type: string, path: string, all: Models, out: string[]): void {
  if (value === null || value === undefined) return;
  const array = /^Array<(.+)>$/.exec(type);
  if (array) {
    if (Array.isArray(value)) {
      for (const [i, item] of value.entries()) walk(item, array[1] as string, `${path}[${i}]`, all, out);
    }
    return;
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    if (typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) walk(item, map[1] as string, `${path}.${key}`, all, out);
    }
    return;
  }
  const attributes = all[type]?.attributeTypeMap;
  if (attributes === undefined || typeof value !== 'object' || Array.isArray(value)) return; // scalars, IntOrString
  for (const [key, item] of Object.entries(value)) {
    const attribute = attributes.find((a) => a.baseName === key);
    if (attribute === undefined) out.push(`${path ? `${path}.` : ''}${key}`);
    else walk(item, attribute.type, path ? `${path}.${key}` : key, all, out);
  }
}

/**
 * Paths of fields the kind's schema does not define; undefined when the kind is not a built-in one
 * (custom resources are checked by their CRD schema only).
 */
export async function unknownFields(manifest: { apiVersion: string; kind: string }): Promise<string[] | undefined> {
  const all = await loadModels();
  const name = modelName(manifest.apiVersion, manifest.kind);
  if (all[name]?.attributeTypeMap === undefined) return undefined;
  const out: string[] = [];
  walk(manifest, name, '', all, out);
  return out;
}
