// Validates the custom resources of rendered manifests against their CRDs'
// OpenAPI schemas (the @kubernetes-models packages are generated from KEDA's
// and the Prometheus operator's CRDs). Kinds the core Kubernetes schemas
// cover are left to kubernetes-validate. Exit 1 names each failing object.
//   node scripts/lib/validate_crds.mjs rendered.yaml ...
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

// The packages are installed under target/tools (K8S_NODE_TOOLS), not
// beside this script, so they are loaded by file path.
const tools = process.env.K8S_NODE_TOOLS;
const load = (path) => import(pathToFileURL(`${tools}/node_modules/${path}.js`).href);
const yaml = (await import(pathToFileURL(`${tools}/node_modules/js-yaml/dist/js-yaml.mjs`).href)).default;
const models = {
  "keda.sh/v1alpha1": {
    ScaledObject: "@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject",
    TriggerAuthentication: "@kubernetes-models/keda/keda.sh/v1alpha1/TriggerAuthentication",
  },
  "monitoring.coreos.com/v1": {
    ServiceMonitor: "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor",
    PodMonitor: "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor",
    PrometheusRule: "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule",
  },
};

let failed = 0;
let checked = 0;
for (const file of process.argv.slice(2)) {
  for (const doc of yaml.loadAll(readFileSync(file, "utf8"))) {
    if (!doc) continue;
    const group = models[doc.apiVersion];
    if (!group) {
      if (!doc.apiVersion.includes(".") || doc.apiVersion.endsWith(".k8s.io/v1") || doc.apiVersion.endsWith(".k8s.io/v2")) continue;
      console.error(`${file}: ${doc.kind} ${doc.metadata?.name}: no schema for ${doc.apiVersion}`);
      failed++;
      continue;
    }
    const module = group[doc.kind];
    if (!module) {
      console.error(`${file}: no schema for kind ${doc.kind} of ${doc.apiVersion}`);
      failed++;
      continue;
    }
    const Model = Object.values(await load(module))[0];
    try {
      new Model(doc).validate();
      checked++;
      console.log(`${file}: ${doc.kind} ${doc.metadata.name} valid`);
    } catch (err) {
      failed++;
      console.error(`${file}: ${doc.kind} ${doc.metadata?.name}: ${err.message}`);
    }
  }
}
if (failed > 0 || checked === 0) {
  console.error(`validate_crds: ${failed} invalid, ${checked} valid`);
  process.exit(1);
}
