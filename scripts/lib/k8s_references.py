"""Cross-checks rendered Kubernetes manifests: what the schemas cannot see.

Every reference names an object that is rendered too (ConfigMaps, Services,
Deployments behind HPAs, ScaledObjects and Ingresses, selectors that match
pod labels, named ports), every workload has probes or is a Job, resources
and a non-root security context, the only Secret referenced is the
documented `insider-bulk-secrets`, and every container's command is one the
workspace's binary really has (run with `--help`).

    python k8s_references.py BIN_DIR rendered.yaml
"""
import subprocess
import sys

import yaml

SECRET = "insider-bulk-secrets"
errors = []


def error(message):
    errors.append(message)


def pod_specs(objects):
    for obj in objects:
        kind, spec = obj["kind"], obj.get("spec", {})
        if kind in ("Deployment", "Job"):
            yield obj, spec["template"]
        elif kind == "CronJob":
            yield obj, spec["jobTemplate"]["spec"]["template"]


def matches(selector, labels):
    return all(labels.get(k) == v for k, v in selector.items())


def main(bin_dir, path):
    with open(path) as f:
        objects = [o for o in yaml.safe_load_all(f) if o]
    by_kind = {}
    for obj in objects:
        by_kind.setdefault(obj["kind"], {})[obj["metadata"]["name"]] = obj
    namespaces = {o["metadata"].get("namespace") for o in objects if o["kind"] != "Namespace"}
    if namespaces != set(by_kind.get("Namespace", {})):
        error(f"objects are in namespaces {namespaces}, rendered Namespace objects are {set(by_kind.get('Namespace', {}))}")

    pods = list(pod_specs(objects))
    for owner, template in pods:
        where = f"{owner['kind']} {owner['metadata']['name']}"
        spec = template["spec"]
        context = spec.get("securityContext", {})
        if not context.get("runAsNonRoot"):
            error(f"{where}: pod must run as non-root")
        for container in spec["containers"]:
            cwhere = f"{where} container {container['name']}"
            for source in container.get("envFrom", []):
                if "configMapRef" in source and source["configMapRef"]["name"] not in by_kind.get("ConfigMap", {}):
                    error(f"{cwhere}: ConfigMap {source['configMapRef']['name']} is not rendered")
                if "secretRef" in source and source["secretRef"]["name"] != SECRET:
                    error(f"{cwhere}: Secret {source['secretRef']['name']} is not the documented {SECRET}")
            if "limits" not in container.get("resources", {}) or "requests" not in container.get("resources", {}):
                error(f"{cwhere}: needs resource requests and limits")
            if not container.get("securityContext", {}).get("readOnlyRootFilesystem"):
                error(f"{cwhere}: root filesystem should be read-only")
            if owner["kind"] == "Deployment":
                for probe in ("readinessProbe", "livenessProbe"):
                    port = container.get(probe, {}).get("httpGet", {}).get("port")
                    if port not in {p.get("name") for p in container.get("ports", [])}:
                        error(f"{cwhere}: {probe} must probe a named container port")
            mounts = {m["name"] for m in container.get("volumeMounts", [])}
            if not mounts <= {v["name"] for v in spec.get("volumes", [])}:
                error(f"{cwhere}: mounts a volume the pod does not have")
            # ghcr.io/insider-bulk/gateway:TAG runs the insider-bulk-gateway binary.
            binary = "insider-bulk-" + container["image"].split("/")[-1].split(":")[0]
            command = [f"{bin_dir}/{binary}", *container.get("args", []), "--help"]
            try:
                run = subprocess.run(command, capture_output=True, text=True, timeout=30)
            except FileNotFoundError:
                error(f"{cwhere}: {command[0]} is not built (cargo build --workspace first)")
                continue
            if run.returncode != 0:
                error(f"{cwhere}: `{' '.join(command[1:])}` is not a command of {binary}: {run.stderr.strip()}")

    def pods_of(selector):
        return [t for _, t in pods if matches(selector, t["metadata"].get("labels", {}))]

    def deployment(name, where):
        if name not in by_kind.get("Deployment", {}):
            error(f"{where}: Deployment {name} is not rendered")

    for name, hpa in by_kind.get("HorizontalPodAutoscaler", {}).items():
        deployment(hpa["spec"]["scaleTargetRef"]["name"], f"HPA {name}")
    for name, scaled in by_kind.get("ScaledObject", {}).items():
        deployment(scaled["spec"]["scaleTargetRef"]["name"], f"ScaledObject {name}")
        if scaled["spec"].get("minReplicaCount", 0) < 1:
            error(f"ScaledObject {name}: packers must not scale to zero (the nightly and paid jobs wait)")
        for trigger in scaled["spec"]["triggers"]:
            auth = trigger.get("authenticationRef", {}).get("name")
            if auth not in by_kind.get("TriggerAuthentication", {}):
                error(f"ScaledObject {name}: TriggerAuthentication {auth} is not rendered")
            queue = trigger["metadata"].get("queueName")
            config = by_kind["ConfigMap"]["insider-bulk-config"]["data"]
            if queue != config.get("QUEUE_NAME"):
                error(f"ScaledObject {name}: scales on queue {queue}, the packers consume {config.get('QUEUE_NAME')}")
    for name, pdb in by_kind.get("PodDisruptionBudget", {}).items():
        if not pods_of(pdb["spec"]["selector"]["matchLabels"]):
            error(f"PodDisruptionBudget {name}: selects no pod")
    for name, service in by_kind.get("Service", {}).items():
        selected = pods_of(service["spec"]["selector"])
        if not selected:
            error(f"Service {name}: selects no pod")
        names = {p.get("name") for t in selected for c in t["spec"]["containers"] for p in c.get("ports", [])}
        for port in service["spec"]["ports"]:
            if port["targetPort"] not in names:
                error(f"Service {name}: targetPort {port['targetPort']} is not a port of its pods")
    for name, ingress in by_kind.get("Ingress", {}).items():
        for rule in ingress["spec"]["rules"]:
            for route in rule["http"]["paths"]:
                backend = route["backend"]["service"]
                service = by_kind.get("Service", {}).get(backend["name"])
                if not service:
                    error(f"Ingress {name}: Service {backend['name']} is not rendered")
                elif backend["port"].get("name") not in {p.get("name") for p in service["spec"]["ports"]}:
                    error(f"Ingress {name}: Service {backend['name']} has no port {backend['port']}")
                if route["path"] in ("/metrics", "/") or route["path"].startswith("/healthz"):
                    error(f"Ingress {name}: must not publish {route['path']}")
    for name, monitor in by_kind.get("ServiceMonitor", {}).items():
        services = [s for s in by_kind.get("Service", {}).values()
                    if matches(monitor["spec"]["selector"]["matchLabels"], s["metadata"].get("labels", {}))]
        if not services:
            error(f"ServiceMonitor {name}: selects no Service")
    for name, monitor in by_kind.get("PodMonitor", {}).items():
        if not pods_of(monitor["spec"]["selector"]["matchLabels"]):
            error(f"PodMonitor {name}: selects no pod")
    for name, policy in by_kind.get("NetworkPolicy", {}).items():
        selected = pods_of(policy["spec"]["podSelector"].get("matchLabels", {}))
        ports = {p.get("name") for t in selected for c in t["spec"]["containers"] for p in c.get("ports", [])}
        for rule in policy["spec"].get("ingress", []):
            for port in rule.get("ports", []):
                if isinstance(port["port"], str) and port["port"] not in ports:
                    error(f"NetworkPolicy {name}: port {port['port']} is not a port of the pods it selects")

    for message in errors:
        print(f"k8s_references: {path}: {message}", file=sys.stderr)
    if errors:
        sys.exit(1)
    print(f"k8s_references: {path}: {len(objects)} objects, references and commands check out")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
