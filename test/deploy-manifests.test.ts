// biome-ignore-all lint/suspicious/noExplicitAny: manifests are untyped parsed YAML, walked by path.
// Every Kubernetes manifest in deploy/ is checked offline:
// - against the Kubernetes JSON schemas bundled in the `kubernetes-models` npm package (no download:
//   its validators are compiled into the package); these schemas do not reject unknown fields, so
// - structural checks catch what matters to us: probe paths, ports matching the Service, the non-root
//   read-only security context, the SIGTERM drain fitting terminationGracePeriodSeconds, selectors;
// - each stage overlay is rendered by a minimal strategic merge (named list items merge by name, other
//   lists are replaced, as kustomize does for these fields) and the result validated again.
// KServe's CRDs (ServingRuntime, InferenceService) have no bundled schema: structure is checked, and
// their container is validated as a core/v1 Container.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Container } from "kubernetes-models/v1/Container";
import { PersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import { Service } from "kubernetes-models/v1/Service";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";

type Obj = Record<string, any>;

const root = join(import.meta.dirname, "../deploy");
const k8s = join(root, "kubernetes");
const STAGES = ["development", "test", "acceptance", "production"];

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? yamlFiles(join(dir, e.name)) : /\.ya?ml$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

function load(file: string): Obj[] {
  const docs = parseAllDocuments(readFileSync(file, "utf8"));
  for (const d of docs) if (d.errors.length) throw new Error(`${file}: ${d.errors[0].message}`);
  return docs.map((d) => d.toJS() as Obj).filter((d) => d != null);
}

const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  "v1/ConfigMap": ConfigMap,
  "v1/Service": Service,
  "v1/PersistentVolumeClaim": PersistentVolumeClaim,
  "apps/v1/Deployment": Deployment,
  "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
};

function validate(o: Obj): void {
  const Model = MODELS[`${o.apiVersion}/${o.kind}`];
  if (!Model) throw new Error(`no bundled schema for ${o.apiVersion} ${o.kind}`);
  new Model(o).validate();
}

/** kustomize's strategic merge for the fields our patches touch. */
function merge(base: any, patch: any): any {
  if (Array.isArray(base) && Array.isArray(patch)) {
    if (!patch.every((p) => p && typeof p === "object" && "name" in p)) return patch;
    const out = base.map((b) => {
      const p = patch.find((x) => x.name === b?.name);
      return p ? merge(b, p) : b;
    });
    for (const p of patch) if (!base.some((b) => b?.name === p.name)) out.push(p);
    return out;
  }
  if (base && patch && typeof base === "object" && typeof patch === "object" && !Array.isArray(patch)) {
    const out = { ...base };
    for (const [k, v] of Object.entries(patch)) out[k] = k in base ? merge(base[k], v) : v;
    return out;
  }
  return patch;
}

function kustomization(dir: string): Obj {
  return load(join(dir, "kustomization.yaml"))[0];
}

function baseResources(): Obj[] {
  const dir = join(k8s, "base");
  return (kustomization(dir).resources as string[]).flatMap((r) => load(join(dir, r)));
}

function render(stage: string): Obj[] {
  const dir = join(k8s, "overlays", stage);
  const k = kustomization(dir);
  expect(k.resources).toEqual(["../../base"]);
  let objs = baseResources();
  for (const { path } of k.patches as { path: string }[]) {
    for (const patch of load(join(dir, path))) {
      const i = objs.findIndex((o) => o.kind === patch.kind && o.metadata.name === patch.metadata.name);
      expect(
        i,
        `${stage}/${path} patches ${patch.kind} ${patch.metadata.name}, which the base has`,
      ).toBeGreaterThanOrEqual(0);
      objs[i] = merge(objs[i], patch);
    }
  }
  objs = objs.map((o) => ({ ...o, metadata: { ...o.metadata, namespace: k.namespace } }));
  for (const img of k.images ?? []) {
    for (const o of objs) {
      for (const c of o.spec?.template?.spec?.containers ?? []) {
        if (c.image === img.name) c.image = `${img.newName}:${img.newTag}`;
      }
    }
  }
  return objs;
}

const byKind = (objs: Obj[], kind: string) => {
  const found = objs.filter((o) => o.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0];
};

/** What a stage must get right, checked on the rendered objects. */
function checkServer(objs: Obj[], stage?: string) {
  for (const o of objs) validate(o);
  const dep = byKind(objs, "Deployment");
  const svc = byKind(objs, "Service");
  const hpa = byKind(objs, "HorizontalPodAutoscaler");
  const pdb = byKind(objs, "PodDisruptionBudget");
  const cm = byKind(objs, "ConfigMap");
  const pvc = byKind(objs, "PersistentVolumeClaim");
  const pod = dep.spec.template;
  const [c] = pod.spec.containers;

  // Selectors: the Deployment's, the Service's and the PDB's all pick the pod's labels.
  for (const sel of [dep.spec.selector.matchLabels, svc.spec.selector, pdb.spec.selector.matchLabels]) {
    for (const [k, v] of Object.entries(sel)) expect(pod.metadata.labels[k]).toBe(v);
  }
  expect(hpa.spec.scaleTargetRef).toMatchObject({
    kind: "Deployment",
    name: dep.metadata.name,
    apiVersion: "apps/v1",
  });
  expect(hpa.spec.minReplicas).toBeLessThanOrEqual(hpa.spec.maxReplicas);
  // A node drain must be able to evict a pod even at the minimum scale.
  expect(pdb.spec.minAvailable).toBeLessThan(hpa.spec.minReplicas);

  // Probes: readiness on /readyz, liveness on /healthz, on the named container port the Service targets.
  const port = c.ports.find((p: Obj) => p.name === svc.spec.ports[0].targetPort);
  expect(port, "Service targetPort names a container port").toBeDefined();
  expect(c.readinessProbe.httpGet).toMatchObject({ path: "/readyz", port: port.name });
  expect(c.livenessProbe.httpGet).toMatchObject({ path: "/healthz", port: port.name });
  // The server listens where the pod says: LGBM_PORT from the ConfigMap, on all interfaces.
  expect(c.envFrom).toContainEqual({ configMapRef: { name: cm.metadata.name } });
  expect(Number(cm.data.LGBM_PORT)).toBe(port.containerPort);
  expect(cm.data.LGBM_HOST).toBe("0.0.0.0");
  // The image's entrypoint (Dockerfile: WORKDIR /app, ENTRYPOINT node bin/lgbm.js serve).
  expect(c.command).toEqual(["node", "/app/bin/lgbm.js"]);
  expect(c.args[0]).toBe("serve");

  // Non-root, read-only root file system, nothing extra; writable paths are volumes.
  expect(pod.spec.securityContext.runAsNonRoot).toBe(true);
  expect(pod.spec.securityContext.runAsUser).toBeGreaterThan(0);
  expect(c.securityContext).toMatchObject({
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"] },
  });
  expect(c.resources.requests.cpu).toBeDefined();
  expect(c.resources.limits.memory).toBeDefined();
  const mounts = Object.fromEntries(c.volumeMounts.map((m: Obj) => [m.mountPath, m]));
  expect(mounts[c.args[1]]).toMatchObject({ readOnly: true });
  const models = pod.spec.volumes.find((v: Obj) => v.name === mounts[c.args[1]].name);
  expect(models.persistentVolumeClaim.claimName).toBe(pvc.metadata.name);
  const logDir = cm.data.LGBM_PREDICTION_LOG.replace(/\/[^/]+$/, "");
  expect(mounts[logDir], "the prediction log is on a writable volume").toBeDefined();
  expect(mounts["/tmp"]).toBeDefined();
  for (const m of c.volumeMounts) expect(pod.spec.volumes.map((v: Obj) => v.name)).toContain(m.name);

  // SIGTERM drain: preStop sleep + the server's shutdown timeout fit in the grace period.
  const sleep = Number(c.lifecycle.preStop.exec.command[1]);
  const drain = Number(cm.data.LGBM_SHUTDOWN_TIMEOUT_MS) / 1000;
  expect(sleep).toBeGreaterThan(0);
  expect(sleep + drain).toBeLessThan(pod.spec.terminationGracePeriodSeconds);

  if (stage) {
    expect(cm.data.LGBM_PROFILE).toBe(stage);
    for (const o of objs) expect(o.metadata.namespace).toBe(`lgbm-${stage}`);
    expect(c.image).toMatch(/^ghcr\.io\/example\/lightgbm-node:.+/);
  }
}

describe("Kubernetes manifests (deploy/kubernetes)", () => {
  it("every YAML file parses and every base resource exists", () => {
    const files = yamlFiles(root);
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) expect(() => load(f), relative(root, f)).not.toThrow();
    for (const r of kustomization(join(k8s, "base")).resources)
      expect(existsSync(join(k8s, "base", r)), r).toBe(true);
  });

  it("the base validates against the Kubernetes schemas and holds together", () => {
    checkServer(baseResources());
  });

  it("the validator does reject a broken manifest", () => {
    const dep = baseResources().find((o) => o.kind === "Deployment")!;
    const broken = merge(dep, {
      spec: {
        template: {
          spec: { containers: [{ name: "server", ports: [{ name: "http", containerPort: "8000x" }] }] },
        },
      },
    });
    expect(() => validate(broken)).toThrow(/containerPort/);
    expect(() => validate({ ...dep, spec: { ...dep.spec, replicas: "two" } })).toThrow(/replicas/);
  });

  it.each(STAGES)("overlay %s renders to valid manifests with its profile", (stage) => {
    checkServer(render(stage), stage);
  });

  it("stages differ in settings only: one image, scaled up towards production", () => {
    const images = STAGES.map(
      (s) => byKind(render(s), "Deployment").spec.template.spec.containers[0].image.split(":")[0],
    );
    expect(new Set(images).size).toBe(1);
    const max = STAGES.map((s) => byKind(render(s), "HorizontalPodAutoscaler").spec.maxReplicas);
    expect([...max].sort((a, b) => a - b)).toEqual(max);
  });
});

describe("KServe manifests (deploy/kserve)", () => {
  const runtime = load(join(root, "kserve/servingruntime.yaml"))[0];
  const isvc = load(join(root, "kserve/inferenceservice.yaml"))[0];
  const grpcIsvc = load(join(root, "kserve/inferenceservice-grpc.yaml"))[0];

  it("the ServingRuntime runs lgbm serve /mnt/models: V2 REST on 8080, V2 gRPC on 8081", () => {
    expect(runtime).toMatchObject({ apiVersion: "serving.kserve.io/v1alpha1", kind: "ServingRuntime" });
    expect(runtime.spec.protocolVersions).toEqual(["v2", "grpc-v2"]);
    const [c] = runtime.spec.containers;
    expect(c.name).toBe("kserve-container");
    new Container(c).validate();
    expect([...c.command, ...c.args].join(" ")).toMatch(
      /^node \/app\/bin\/lgbm\.js serve \/mnt\/models --port 8080\b/,
    );
    expect(c.args.join(" ")).toMatch(/--grpc-port 8081\b/);
    expect(c.ports).toEqual([
      { containerPort: 8080, name: "http1", protocol: "TCP" },
      { containerPort: 8081, name: "h2c", protocol: "TCP" },
    ]);
    expect(c.readinessProbe.httpGet).toMatchObject({ path: "/v2/health/ready", port: 8080 });
    expect(c.livenessProbe.httpGet).toMatchObject({ path: "/v2/health/live", port: 8080 });
    expect(c.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true });
  });

  it("the InferenceService uses that runtime for the shipped model", () => {
    expect(isvc).toMatchObject({ apiVersion: "serving.kserve.io/v1beta1", kind: "InferenceService" });
    expect(isvc.metadata.name).toBe("hr-attrition");
    const m = isvc.spec.predictor.model;
    expect(m.runtime).toBe(runtime.metadata.name);
    expect(m.protocolVersion).toBe("v2");
    expect(runtime.spec.supportedModelFormats.map((f: Obj) => f.name)).toContain(m.modelFormat.name);
    expect(m.storageUri).toMatch(/^(pvc|s3|gs|https?):\/\//);
    expect(existsSync(join(import.meta.dirname, "../models", isvc.metadata.name, "model.txt"))).toBe(true);
  });

  it("the gRPC InferenceService speaks grpc-v2 on the runtime's h2c port", () => {
    expect(grpcIsvc).toMatchObject({ apiVersion: "serving.kserve.io/v1beta1", kind: "InferenceService" });
    const m = grpcIsvc.spec.predictor.model;
    expect(m.runtime).toBe(runtime.metadata.name);
    expect(m.protocolVersion).toBe("grpc-v2");
    expect(runtime.spec.protocolVersions).toContain(m.protocolVersion);
    const [h2c] = m.ports;
    expect(h2c).toEqual({ name: "h2c", containerPort: 8081, protocol: "TCP" });
    expect(runtime.spec.containers[0].ports).toContainEqual(h2c);
    expect(m.storageUri).toBe(isvc.spec.predictor.model.storageUri);
  });
});
