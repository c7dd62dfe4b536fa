// The deployment files, checked without a cluster or network: every Kubernetes object in docker/k8s against a vendored
// JSON schema of its kind (tests/deploy/schemas, the fields we use, unknown fields refused), then the references
// between them and to the code: selectors and labels, probes on routes the hub serves, ports, env names the hub reads
// (core/config.ts), the migration Job's command, and the Dockerfile and compose file agreeing with all of it.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse as parseYaml, parseAllDocuments } from 'yaml';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const K8S = path.join(ROOT, 'docker/k8s');
const SCHEMAS = path.join(ROOT, 'tests/deploy/schemas');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

type Obj = Record<string, any>;
interface Manifest { file: string; doc: Obj }

const SCHEMA_OF: Record<string, string> = {
  'v1/Namespace': 'namespace.json',
  'v1/ServiceAccount': 'serviceaccount.json',
  'v1/ConfigMap': 'configmap.json',
  'v1/Secret': 'secret.json',
  'v1/Service': 'service.json',
  'apps/v1/Deployment': 'deployment.json',
  'batch/v1/Job': 'job.json',
  'networking.k8s.io/v1/Ingress': 'ingress.json',
  'autoscaling/v2/HorizontalPodAutoscaler': 'hpa.json',
  'policy/v1/PodDisruptionBudget': 'pdb.json',
  'kustomize.config.k8s.io/v1beta1/Kustomization': 'kustomization.json',
};
// variables the Node.js runtime reads, not the hub
const RUNTIME_ENV = new Set(['NODE_OPTIONS', 'NODE_ENV']);

function validators(): (doc: Obj) => string[] {
  // strict: a schema keyword ajv does not know is an error; strictRequired off for the "one of these" rules
  const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
  for (const file of readdirSync(SCHEMAS)) ajv.addSchema(JSON.parse(readFileSync(path.join(SCHEMAS, file), 'utf8')));
  const cache = new Map<string, ValidateFunction>();
  return (doc) => {
    const schema = SCHEMA_OF[`${doc.apiVersion}/${doc.kind}`];
    if (!schema) return [`no schema for ${doc.apiVersion} ${doc.kind}`];
    if (!cache.has(schema)) cache.set(schema, ajv.getSchema(schema)!);
    const validate = cache.get(schema)!;
    return validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
  };
}

function loadManifests(): Manifest[] {
  return readdirSync(K8S)
    .filter((f) => /\.ya?ml$/.test(f))
    .flatMap((file) => parseAllDocuments(readFileSync(path.join(K8S, file), 'utf8')).map((d) => {
      if (d.errors.length) throw new Error(`${file}: ${d.errors[0].message}`);
      return { file, doc: d.toJS() as Obj };
    }));
}

/** The environment variable names core/config.ts reads (every read.<kind>('NAME', ...) call). */
function hubEnvNames(): Set<string> {
  return new Set([...read('core/config.ts').matchAll(/read\.\w+\('([A-Z][A-Z0-9_]*)'/g)].map((m) => m[1]));
}

/** GET paths of the hub's API document. */
function hubGetPaths(): Set<string> {
  const doc = parseYaml(read('openapi/hub.yaml')) as { paths: Record<string, Obj> };
  return new Set(Object.entries(doc.paths).filter(([, item]) => item.get).map(([p]) => p));
}

const matches = (selector: Obj, labels: Obj) => Object.entries(selector).every(([k, v]) => labels?.[k] === v);

describe('Kubernetes manifests (docker/k8s)', () => {
  const manifests = loadManifests();
  const validate = validators();
  const one = (kind: string, name?: string) => {
    const found = manifests.filter((m) => m.doc.kind === kind && (name === undefined || m.doc.metadata?.name === name));
    if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
    return found[0].doc;
  };
  const deployment = () => one('Deployment');
  const hub = () => deployment().spec.template.spec.containers.find((c: Obj) => c.name === 'hub');

  it('validates every object against the schema of its kind', () => {
    expect(manifests.length).toBeGreaterThanOrEqual(11);
    const problems = manifests.flatMap((m) => validate(m.doc).map((e) => `${m.file} ${m.doc.kind}: ${e}`));
    expect(problems).toEqual([]);
  });

  it('refuses what the API server would refuse or silently drop (the schemas can fail)', () => {
    const broken = (change: (d: Obj) => void) => {
      const copy = structuredClone(deployment());
      change(copy);
      return validate(copy);
    };
    expect(broken((d) => { d.spec.template.spec.containers[0].readinesProbe = d.spec.template.spec.containers[0].readinessProbe; })).not.toEqual([]);
    expect(broken((d) => { delete d.spec.template.spec.containers[0].resources; })).not.toEqual([]);
    expect(broken((d) => { d.spec.replicas = 'two'; })).not.toEqual([]);
    expect(broken((d) => { d.metadata.name = 'Srhub_API'; })).not.toEqual([]);
    expect(broken((d) => { d.spec.template.spec.containers[0].resources.requests.cpu = 'half'; })).not.toEqual([]);
    expect(validate({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' } })).toEqual(['no schema for v1 Pod']);
  });

  it('lists every manifest file in the kustomization, and only those', () => {
    const kustomization = one('Kustomization');
    const files = readdirSync(K8S).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml');
    expect([...kustomization.resources].sort()).toEqual(files.sort());
    // the image name the kustomization rewrites is the one the workloads use
    for (const kind of ['Deployment', 'Job']) {
      for (const c of one(kind).spec.template.spec.containers) expect(kustomization.images.map((i: Obj) => i.name)).toContain(c.image);
    }
  });

  it('ties selectors, labels, ports and names together', () => {
    const d = deployment();
    const podLabels = d.spec.template.metadata.labels;
    expect(matches(d.spec.selector.matchLabels, podLabels)).toBe(true);
    const service = one('Service');
    expect(matches(service.spec.selector, podLabels)).toBe(true);
    // the Service selects the API pods only, not the migration Job's
    expect(matches(service.spec.selector, one('Job').spec.template.metadata.labels)).toBe(false);
    expect(matches(one('PodDisruptionBudget').spec.selector.matchLabels, podLabels)).toBe(true);
    const containerPorts = hub().ports as Obj[];
    for (const p of service.spec.ports) expect(containerPorts.map((c) => c.name)).toContain(p.targetPort);
    const ingress = one('Ingress');
    for (const rule of ingress.spec.rules) {
      for (const p of rule.http.paths) {
        expect(p.backend.service.name).toBe(service.metadata.name);
        expect(service.spec.ports.map((sp: Obj) => sp.name)).toContain(p.backend.service.port.name);
      }
    }
    const hpa = one('HorizontalPodAutoscaler');
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: d.apiVersion, kind: d.kind, name: d.metadata.name });
    // CPU utilisation needs a CPU request; drains must not be blocked by the budget
    expect(hub().resources.requests.cpu).toBeDefined();
    const pdb = one('PodDisruptionBudget');
    expect(pdb.spec.minAvailable).toBeLessThan(hpa.spec.minReplicas);
    expect(pdb.spec.minAvailable).toBeLessThan(d.spec.replicas);
    for (const w of [d, one('Job')]) expect(one('ServiceAccount', w.spec.template.spec.serviceAccountName)).toBeDefined();
  });

  it('probes routes the hub serves: readiness /ready, liveness /health, on the container port', () => {
    const routes = hubGetPaths();
    const c = hub();
    expect(c.readinessProbe.httpGet.path).toBe('/ready');
    expect(c.livenessProbe.httpGet.path).toBe('/health');
    for (const probe of [c.readinessProbe, c.livenessProbe, c.startupProbe]) {
      expect(routes).toContain(probe.httpGet.path);
      expect(c.ports.map((p: Obj) => p.name)).toContain(probe.httpGet.port);
    }
    // the port the hub listens on (PORT) is the container port
    expect(Number(one('ConfigMap').data.PORT)).toBe(c.ports.find((p: Obj) => p.name === c.readinessProbe.httpGet.port).containerPort);
  });

  it('passes only variables the hub reads, from objects and keys that exist', () => {
    const known = hubEnvNames();
    expect(known).toContain('DATABASE_URL'); // the pattern finds the names
    const configMap = one('ConfigMap');
    const secret = one('Secret');
    for (const key of [...Object.keys(configMap.data), ...Object.keys(secret.stringData)]) expect({ key, known: known.has(key) }).toEqual({ key, known: true });
    for (const kind of ['Deployment', 'Job']) {
      for (const c of one(kind).spec.template.spec.containers) {
        for (const e of c.env ?? []) {
          expect({ name: e.name, known: known.has(e.name) || RUNTIME_ENV.has(e.name) }).toEqual({ name: e.name, known: true });
          const ref = e.valueFrom?.secretKeyRef;
          if (ref) expect(Object.keys(one('Secret', ref.name).stringData)).toContain(ref.key);
        }
        for (const from of c.envFrom ?? []) {
          if (from.configMapRef) expect(one('ConfigMap', from.configMapRef.name)).toBeDefined();
          if (from.secretRef) expect(one('Secret', from.secretRef.name)).toBeDefined();
        }
      }
    }
    // the hub refuses to start on PostgreSQL without the master key: both workloads get it
    const hasVar = (c: Obj, name: string) =>
      (c.env ?? []).some((e: Obj) => e.name === name) || (c.envFrom ?? []).some((f: Obj) => f.secretRef && name in one('Secret', f.secretRef.name).stringData);
    for (const kind of ['Deployment', 'Job']) {
      const c = one(kind).spec.template.spec.containers[0];
      expect([hasVar(c, 'DATABASE_URL'), hasVar(c, 'SRHUB_MASTER_KEY')]).toEqual([true, true]);
    }
  });

  it('keeps secrets out of the repository: the Secret holds placeholders only', () => {
    for (const [key, value] of Object.entries(one('Secret').stringData as Record<string, string>)) expect({ key, placeholder: value.includes('CHANGE-ME') }).toEqual({ key, placeholder: true });
  });

  it('runs the migration Job as a real command of the srhub CLI, with the hub\'s image', () => {
    const job = one('Job').spec.template.spec.containers[0];
    const [node, script, command] = job.command as string[];
    expect(node).toBe('node');
    expect(existsSync(path.join(ROOT, script))).toBe(true);
    expect(read('core/cli/main.ts')).toContain(`case '${command}':`);
    expect(command).toBe('migrate');
    expect(job.image).toBe(hub().image);
    expect(hub().command).toEqual(['node', script, 'serve']);
  });

  it('runs non-root on a read-only root filesystem, with resources and a graceful stop', () => {
    const d = deployment();
    for (const pod of [d.spec.template.spec, one('Job').spec.template.spec]) {
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(pod.automountServiceAccountToken).toBe(false);
      for (const c of pod.containers) {
        expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
        expect(c.resources.limits.memory).toBeDefined();
        // tsx writes its compile cache under the temporary directory: it must be writable
        expect(c.volumeMounts.map((v: Obj) => v.mountPath)).toContain('/tmp');
        for (const v of c.volumeMounts) expect(pod.volumes.map((x: Obj) => x.name)).toContain(v.name);
      }
    }
    // the hub's own shutdown timeout and the preStop pause fit in the grace period
    const preStop = Number(hub().lifecycle.preStop.exec.command[1]);
    expect(Number(one('ConfigMap').data.SRHUB_SHUTDOWN_TIMEOUT_MS) / 1000 + preStop).toBeLessThan(d.spec.template.spec.terminationGracePeriodSeconds);
  });
});

describe('Dockerfile and compose file', () => {
  const dockerfile = read('docker/Dockerfile');
  const compose = parseYaml(read('docker/compose.yaml')) as Obj;
  const deployment = parseYaml(readFileSync(path.join(K8S, 'deployment.yaml'), 'utf8')) as Obj;
  const hub = deployment.spec.template.spec.containers[0];

  it('copies every folder the hub reads at run time, and only folders that exist', () => {
    const copied = [...dockerfile.matchAll(/^COPY (?!--from)(\S+) /gm)].map((m) => m[1]).filter((s) => !s.includes('.json'));
    for (const dir of copied) expect({ dir, exists: existsSync(path.join(ROOT, dir)) }).toEqual({ dir, exists: true });
    // bin/srhub.js loads core/cli; the API documents, migrations and connectors are read from these folders
    expect(copied.sort()).toEqual(['bin', 'connectors', 'consent', 'core', 'openapi']);
    // the run-time loader is a production dependency (npm ci --omit=dev keeps it)
    expect(Object.keys(JSON.parse(read('package.json')).dependencies)).toContain('tsx');
  });

  it('agrees with the Kubernetes manifests and the hub: port, user, data folder, health check, command', () => {
    const env = Object.fromEntries([...dockerfile.matchAll(/^\s*(?:ENV )?([A-Z_]+)=(\S+?)\s*\\?$/gm)].map((m) => [m[1], m[2]]));
    expect(Number(/^EXPOSE (\d+)/m.exec(dockerfile)![1])).toBe(hub.ports[0].containerPort);
    expect(Number(env.PORT)).toBe(hub.ports[0].containerPort);
    expect(hub.volumeMounts.map((v: Obj) => v.mountPath)).toContain(env.SRHUB_DATA_DIR);
    // USER node is uid 1000 in the official node images
    expect(/^USER node$/m.test(dockerfile)).toBe(true);
    expect(deployment.spec.template.spec.securityContext.runAsUser).toBe(1000);
    const check = /HEALTHCHECK[\s\S]*?\/(\w+)'\)/.exec(dockerfile)![1];
    expect(hubGetPaths()).toContain(`/${check}`);
    expect(JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)![1])).toEqual(hub.command);
  });

  it('passes the compose hub only variables the hub reads, on the port it listens on', () => {
    const known = hubEnvNames();
    for (const name of Object.keys(compose.services.hub.environment)) expect({ name, known: known.has(name) }).toEqual({ name, known: true });
    const [published, target] = String(compose.services.hub.ports[0]).split(':').map(Number);
    expect(target).toBe(Number(/^EXPOSE (\d+)/m.exec(dockerfile)![1]));
    expect(published).toBeGreaterThan(0);
    // the hub waits for healthy dependencies; both have a health check
    for (const dep of Object.keys(compose.services.hub.depends_on)) expect(compose.services[dep].healthcheck).toBeDefined();
    expect(compose.services.hub.build.dockerfile).toBe('docker/Dockerfile');
  });
});
