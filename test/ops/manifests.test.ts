import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseNodeConfig } from '@insights/node';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/tmp.ts';

const K8S = path.join(REPO_ROOT, 'deploy', 'k8s');

/** kubernetes-models validates each object against the Kubernetes OpenAPI schema shipped in the npm package (nothing fetched). */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment as never,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget as never,
  'v1/ConfigMap': ConfigMap as never,
  'v1/Service': Service as never,
};

type Obj = { apiVersion: string; kind: string; metadata: { name: string }; spec?: any; data?: Record<string, string> };

function load(file: string): Obj[] {
  const docs = parseAllDocuments(readFileSync(path.join(K8S, file), 'utf8'));
  for (const d of docs) expect(d.errors, `${file}: YAML errors`).toEqual([]);
  return docs.map((d) => d.toJS() as Obj);
}

describe('ops - Kubernetes manifests', () => {
  const files = readdirSync(K8S).filter((f) => f.endsWith('.yaml'));

  it('manifests - every object validates against the Kubernetes schema', () => {
    expect(files.sort()).toEqual(['forums.yaml', 'lms.yaml', 'wiki.yaml']);
    for (const file of files)
      for (const obj of load(file)) {
        const Model = MODELS[`${obj.apiVersion}/${obj.kind}`];
        expect(Model, `${file}: no schema for ${obj.apiVersion} ${obj.kind}`).toBeDefined();
        expect(() => new Model!(obj as never).validate(), `${file}: ${obj.kind} ${obj.metadata.name}`).not.toThrow();
      }
  });

  it('manifests - a bad object is refused (the validator is really checking)', () => {
    const [, deployment] = load('lms.yaml');
    const bad = structuredClone(deployment!);
    bad.spec.replicas = 'two';
    expect(() => new Deployment(bad as never).validate()).toThrow(/replicas/);
  });

  it('manifests - per subsystem: a Deployment with probes on /healthz and /readyz, limits, a PDB on its pods, a valid node config', () => {
    for (const file of files) {
      const objs = load(file);
      const dep = objs.find((o) => o.kind === 'Deployment')!;
      const pdb = objs.find((o) => o.kind === 'PodDisruptionBudget')!;
      const cm = objs.find((o) => o.kind === 'ConfigMap')!;
      const c = dep.spec.template.spec.containers[0];
      expect(c.livenessProbe.httpGet.path).toBe('/healthz');
      expect(c.readinessProbe.httpGet.path).toBe('/readyz');
      expect(c.ports.map((p: { name: string }) => p.name)).toEqual(['grpc', 'http']);
      expect(c.resources.limits).toEqual({ cpu: expect.anything(), memory: expect.any(String) });
      expect(c.resources.requests).toBeDefined();
      expect(pdb.spec.selector.matchLabels).toEqual(dep.spec.template.metadata.labels);
      expect(dep.spec.replicas).toBeGreaterThan(pdb.spec.minAvailable);
      const config = parseNodeConfig(JSON.parse(cm.data!['node.json']!), '/etc/insights');
      expect(config.grpc.port).toBe(50051);
      expect(config.http.port).toBe(8080);
      expect(config.tls?.requireClientCert).toBe(true);
      // A pod's cgroup is not delegated to the node: the pod's limits bound it; the rest is required.
      expect(config.sandbox.require).toEqual(['kernel', 'seccomp']);
    }
  });
});
