/**
 * deploy/kubernetes, validated without a cluster. The kustomization is rendered here (it
 * only lists resources; no kustomize binary is packaged for npm or Debian) and, where
 * `kubectl` is installed, compared with `kubectl kustomize`. Each object is then checked
 * against the Kubernetes schemas twice: by kubernetes-models' validators (types, required
 * fields, formats) and by TypeScript against kubernetes-models' types (unknown fields: a
 * misspelt `readOnlyRootFileSystem` passes the first and fails the second). On top, what a
 * production review asks of this deployment: the restricted Pod Security Standard, a pinned
 * image, probes on the right health services, a drain that fits the grace period, metrics
 * declared and scraped, tokens from a Secret, spreading, a NetworkPolicy, sized resources.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { LIVENESS_SERVICE } from "../../src/transport/grpc/health.ts";

const root = path.resolve(import.meta.dirname, "../..");
const kustomizationDir = path.join(root, "deploy/kubernetes");

type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: manifests are checked field by field below
  spec?: any;
  [key: string]: unknown;
};

/** YAML as Kubernetes reads it (1.1: `0440` is octal there, decimal in YAML 1.2). */
function parseYaml(text: string): Manifest[] {
  return parseAllDocuments(text, { version: "1.1" })
    .map((document) => {
      if (document.errors.length > 0) throw new Error(document.errors.join("; "));
      return document.toJS() as Manifest | null;
    })
    .filter((manifest): manifest is Manifest => manifest !== null);
}

/** `kustomize build` of a kustomization that only lists resources (anything else is refused). */
function renderKustomization(dir: string): Manifest[] {
  const [kustomization] = parseYaml(readFileSync(path.join(dir, "kustomization.yaml"), "utf8"));
  const { apiVersion, kind, resources, ...rest } = kustomization as unknown as {
    apiVersion: string;
    kind: string;
    resources: string[];
  };
  expect(apiVersion).toBe("kustomize.config.k8s.io/v1beta1");
  expect(kind).toBe("Kustomization");
  // A transformer (images, labels, patches…) would need real kustomize to render.
  expect(Object.keys(rest)).toEqual([]);
  return resources.flatMap((file) => parseYaml(readFileSync(path.join(dir, file), "utf8")));
}

const manifests = renderKustomization(kustomizationDir);
const byKind = (kind: string) => manifests.filter((manifest) => manifest.kind === kind);
const deployment = byKind("Deployment")[0]!;
const pod = deployment.spec.template.spec;
const container = pod.containers[0];
const envOf = (name: string): string | undefined =>
  container.env.find((variable: { name: string }) => variable.name === name)?.value;

/** kubernetes-models' module and class for an apiVersion and kind. */
function modelPath(manifest: Manifest): string {
  const [group, version] = manifest.apiVersion.includes("/")
    ? manifest.apiVersion.split("/")
    : [undefined, manifest.apiVersion];
  return `kubernetes-models/${group === undefined ? "" : `${group}/`}${version}/${manifest.kind}`;
}

describe("the kustomization", () => {
  it("renders the same objects as kubectl kustomize, where kubectl is installed", () => {
    if (spawnSync("kubectl", ["version", "--client"], { stdio: "ignore" }).status !== 0) {
      console.warn("kubectl not installed: the rendering is checked by this test alone");
      return;
    }
    const built = parseYaml(
      execFileSync("kubectl", ["kustomize", kustomizationDir], { encoding: "utf8" }),
    );
    const key = (manifest: Manifest) => `${manifest.kind}/${manifest.metadata.name}`;
    const sorted = (list: Manifest[]) => [...list].sort((a, b) => key(a).localeCompare(key(b)));
    expect(sorted(built)).toEqual(sorted(manifests));
  });

  it("holds the objects a production deployment needs", () => {
    expect(manifests.map((manifest) => manifest.kind).sort()).toEqual([
      "Deployment",
      "NetworkPolicy",
      "PodDisruptionBudget",
      "Service",
      "ServiceAccount",
    ]);
  });
});

describe("Kubernetes schemas", () => {
  it.each(manifests.map((manifest) => [`${manifest.kind}/${manifest.metadata.name}`, manifest]))(
    "%s passes kubernetes-models' validation",
    async (_, manifest) => {
      const module = (await import(modelPath(manifest))) as Record<
        string,
        new (
          data: unknown,
        ) => { validate(): void }
      >;
      const Model = module[manifest.kind]!;
      expect(() => new Model(manifest).validate()).not.toThrow();
    },
  );

  it("has no field the Kubernetes types do not know (TypeScript against kubernetes-models' types)", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "flowgate-manifests-"));
    try {
      symlinkSync(path.join(root, "node_modules"), path.join(dir, "node_modules"));
      mkdirSync(path.join(dir, "src"));
      const files = manifests.map((manifest, index) => {
        const file = `src/manifest-${index}.ts`;
        writeFileSync(
          path.join(dir, file),
          `import type { I${manifest.kind} } from "${modelPath(manifest)}";\n` +
            `export const manifest: I${manifest.kind} = ${JSON.stringify(manifest, null, 2)};\n`,
        );
        return file;
      });
      writeFileSync(
        path.join(dir, "tsconfig.json"),
        JSON.stringify({
          compilerOptions: {
            strict: true,
            noEmit: true,
            module: "nodenext",
            moduleResolution: "nodenext",
            skipLibCheck: true,
            types: [],
          },
          files,
        }),
      );
      const result = spawnSync("npx", ["tsc", "-p", dir], { cwd: root, encoding: "utf8" });
      expect(result.stdout + result.stderr).toBe("");
      expect(result.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the restricted Pod Security Standard", () => {
  it("runs as a non-root user and group with the RuntimeDefault seccomp profile", () => {
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    expect(pod.securityContext.runAsGroup).toBeGreaterThan(0);
    for (const key of ["hostNetwork", "hostPID", "hostIPC"]) expect(pod[key]).toBeFalsy();
  });

  it("gives every container no privilege escalation, no capabilities and a read-only root", () => {
    for (const each of [...pod.containers, ...(pod.initContainers ?? [])]) {
      expect(each.securityContext).toMatchObject({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] },
      });
      expect(each.securityContext.capabilities.add ?? []).toEqual([]);
      expect(each.securityContext.privileged).toBeFalsy();
      expect(each.ports.every((port: { hostPort?: number }) => port.hostPort === undefined)).toBe(
        true,
      );
    }
  });

  it("uses only the volume types the standard allows, an emptyDir for what must be written", () => {
    const allowed = [
      "configMap",
      "csi",
      "downwardAPI",
      "emptyDir",
      "ephemeral",
      "persistentVolumeClaim",
      "projected",
      "secret",
    ];
    for (const volume of pod.volumes) {
      const types = Object.keys(volume).filter((key) => key !== "name");
      expect(
        types.every((type) => allowed.includes(type)),
        volume.name,
      ).toBe(true);
    }
    const tmp = pod.volumes.find((volume: { emptyDir?: unknown }) => volume.emptyDir !== undefined);
    expect(container.volumeMounts).toContainEqual({ name: tmp.name, mountPath: "/tmp" });
  });
});

describe("the image", () => {
  it("is a version tag, package.json's version, never latest", () => {
    const version = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")).version;
    expect(container.image).toBe(`flowgate:${version}`);
    expect(container.imagePullPolicy).toBe("IfNotPresent");
  });
});

describe("probes and the drain", () => {
  it("asks liveness of the process alone and readiness of the database-backed overall service", () => {
    expect(container.livenessProbe.grpc).toEqual({ port: 50051, service: LIVENESS_SERVICE });
    expect(container.startupProbe.grpc).toEqual({ port: 50051, service: LIVENESS_SERVICE });
    expect(container.readinessProbe.grpc).toEqual({ port: 50051, service: "" });
  });

  it("sleeps in preStop, and leaves more grace than preStop plus the drain plus closing", () => {
    const [command, seconds] = container.lifecycle.preStop.exec.command;
    expect(command).toBe("sleep");
    const preStopMs = Number(seconds) * 1000;
    expect(preStopMs).toBeGreaterThanOrEqual(5000);
    const drainMs = Number(envOf("FLOWGATE_SHUTDOWN_GRACE_MS"));
    // The database close and the trace flush are bounded at 5 s each (app.ts, tracing.ts).
    expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(preStopMs + drainMs + 10_000);
  });
});

describe("operations", () => {
  it("declares the metrics port and has Prometheus scrape it", () => {
    const metricsPort = Number(envOf("FLOWGATE_METRICS_PORT"));
    expect(container.ports).toContainEqual({ name: "metrics", containerPort: metricsPort });
    expect(deployment.spec.template.metadata.annotations).toMatchObject({
      "prometheus.io/scrape": "true",
      "prometheus.io/port": String(metricsPort),
      "prometheus.io/path": "/metrics",
    });
  });

  it("reads the auth tokens from a Secret through FLOWGATE_AUTH_TOKENS_FILE", () => {
    const file = envOf("FLOWGATE_AUTH_TOKENS_FILE")!;
    const mount = container.volumeMounts.find((each: { mountPath: string }) =>
      file.startsWith(`${each.mountPath}/`),
    );
    const volume = pod.volumes.find((each: { name: string }) => each.name === mount.name);
    expect(volume.secret.secretName).toBeTruthy();
    expect(mount.readOnly).toBe(true);
    expect(envOf("FLOWGATE_AUTH_TOKENS")).toBeUndefined();
  });

  it("reads only variables that src/config.ts knows", () => {
    const config = readFileSync(path.join(root, "src/config.ts"), "utf8");
    for (const { name } of container.env) expect(config, name).toContain(`"${name}"`);
  });

  it("spreads replicas across nodes, so that the PodDisruptionBudget leaves replicas serving", () => {
    const labels = deployment.spec.template.metadata.labels;
    const spread = pod.topologySpreadConstraints.find(
      (constraint: { topologyKey: string }) => constraint.topologyKey === "kubernetes.io/hostname",
    );
    expect(spread).toMatchObject({ maxSkew: 1, whenUnsatisfiable: "DoNotSchedule" });
    expect(spread.labelSelector.matchLabels).toEqual(labels);
    const [pdb] = byKind("PodDisruptionBudget");
    expect(pdb!.spec.selector.matchLabels).toEqual(labels);
    expect(pdb!.spec.minAvailable).toBeLessThan(deployment.spec.replicas);
    expect(deployment.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
  });

  it("has a NetworkPolicy for the pods: gRPC and metrics in, DNS and PostgreSQL out", () => {
    const [policy] = byKind("NetworkPolicy");
    expect(policy!.spec.podSelector.matchLabels).toEqual(deployment.spec.template.metadata.labels);
    expect(policy!.spec.policyTypes).toEqual(["Ingress", "Egress"]);
    const ingressPorts = policy!.spec.ingress.flatMap((rule: { ports: { port: unknown }[] }) =>
      rule.ports.map((port) => port.port),
    );
    expect(ingressPorts).toEqual(expect.arrayContaining(["grpc", "metrics"]));
    const egressPorts = policy!.spec.egress.flatMap((rule: { ports: { port: unknown }[] }) =>
      rule.ports.map((port) => port.port),
    );
    expect(egressPorts).toEqual(expect.arrayContaining([53, 5432]));
  });

  it("requests the memory flowgate was measured to use, and limits it with headroom", () => {
    const mebibytes = (quantity: string) => {
      const match = /^(\d+)Mi$/.exec(quantity);
      if (match === null) throw new Error(`expected a quantity in Mi, got ${quantity}`);
      return Number(match[1]) * 2 ** 20;
    };
    // Peak RSS under load with the image's heap cap: 281 MB at 64 clients (README, Benchmark).
    const measuredPeak = 281e6;
    const request = mebibytes(container.resources.requests.memory);
    const limit = mebibytes(container.resources.limits.memory);
    expect(request).toBeGreaterThanOrEqual(measuredPeak);
    expect(request).toBeLessThan(measuredPeak * 1.2);
    expect(limit).toBeGreaterThanOrEqual(request * 1.25);
    expect(container.resources.requests.cpu).toBeDefined();
  });

  it("serves service ports that name the container's ports", () => {
    const [service] = byKind("Service");
    const names = container.ports.map((port: { name: string }) => port.name);
    for (const port of service!.spec.ports) expect(names).toContain(port.targetPort);
    expect(service!.spec.selector).toEqual(deployment.spec.template.metadata.labels);
  });
});
