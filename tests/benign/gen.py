#!/usr/bin/env python3
"""A seeded, realistic benign audit stream of a small kubeadm cluster, with
attacks mixed in.

The cluster: one control-plane node and three workers (Kubernetes v1.29.2),
an API server audit policy at Metadata for reads, secrets, configmaps,
leases and events, and at Request level (bodies) for writes to workloads,
pods, services, RBAC and admission configuration; ResponseComplete events,
with a RequestReceived event ahead of some requests (the policy does not
omit that stage). Over some minutes an administrator installs, upgrades and
removes widely used Helm charts (kube-prometheus-stack, cert-manager,
argo-cd, ingress-nginx, gatekeeper, kubernetes-dashboard, airflow) while the
control plane, the kubelets, the add-ons and the charts' operators go about
their work.

Every benign event's auditID starts with benign-<behaviour>-, every attack
event's with attack-<name>- (attacks.jsonl: which detector must fire, and
how severely). Python 3 standard library only.

usage: gen.py [--seed N] [--events N] [--no-attacks] [--attacks FILE] [-o FILE]
"""
import argparse
import json
import os
import random
import sys
from datetime import datetime, timedelta, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
K8S = "v1.29.2"
GIT = "4b8e819355d791d96b7e9d9efe4cbafae2311c88"[:7]
START = datetime(2024, 3, 14, 9, 0, 0, tzinfo=timezone.utc)

# the stream's rate on this model, to turn --events into minutes
EVENTS_PER_MINUTE = 935

NODES = [("cp-1", "192.168.10.10"), ("worker-1", "192.168.10.11"),
         ("worker-2", "192.168.10.12"), ("worker-3", "192.168.10.13")]
CP_IP = NODES[0][1]
ADMIN_IP = "10.20.4.17"            # the admins' bastion host
ADMIN = {"username": "kubernetes-admin",
         "groups": ["kubeadm:cluster-admins", "system:authenticated"]}
OIDC = {"username": "oidc:alice@example.com",
        "groups": ["oidc:platform-admins", "system:authenticated"]}

CORE = {"pods", "services", "endpoints", "secrets", "configmaps", "serviceaccounts",
        "namespaces", "nodes", "events", "persistentvolumeclaims", "persistentvolumes",
        "limitranges", "resourcequotas", "replicationcontrollers", "podtemplates"}
GROUP = {
    "deployments": "apps", "replicasets": "apps", "daemonsets": "apps",
    "statefulsets": "apps", "controllerrevisions": "apps",
    "jobs": "batch", "cronjobs": "batch",
    "leases": "coordination.k8s.io", "endpointslices": "discovery.k8s.io",
    "ingresses": "networking.k8s.io", "ingressclasses": "networking.k8s.io",
    "networkpolicies": "networking.k8s.io",
    "roles": "rbac.authorization.k8s.io", "rolebindings": "rbac.authorization.k8s.io",
    "clusterroles": "rbac.authorization.k8s.io",
    "clusterrolebindings": "rbac.authorization.k8s.io",
    "mutatingwebhookconfigurations": "admissionregistration.k8s.io",
    "validatingwebhookconfigurations": "admissionregistration.k8s.io",
    "customresourcedefinitions": "apiextensions.k8s.io",
    "apiservices": "apiregistration.k8s.io",
    "poddisruptionbudgets": "policy",
    "horizontalpodautoscalers": "autoscaling",
    "storageclasses": "storage.k8s.io", "csinodes": "storage.k8s.io",
    "csidrivers": "storage.k8s.io", "volumeattachments": "storage.k8s.io",
    "priorityclasses": "scheduling.k8s.io", "runtimeclasses": "node.k8s.io",
    "tokenreviews": "authentication.k8s.io",
    "subjectaccessreviews": "authorization.k8s.io",
    "certificatesigningrequests": "certificates.k8s.io",
    "flowschemas": "flowcontrol.apiserver.k8s.io",
    "prioritylevelconfigurations": "flowcontrol.apiserver.k8s.io",
    "certificates": "cert-manager.io", "certificaterequests": "cert-manager.io",
    "issuers": "cert-manager.io", "clusterissuers": "cert-manager.io",
    "orders": "acme.cert-manager.io", "challenges": "acme.cert-manager.io",
    "applications": "argoproj.io", "appprojects": "argoproj.io",
    "applicationsets": "argoproj.io",
    "prometheuses": "monitoring.coreos.com", "alertmanagers": "monitoring.coreos.com",
    "servicemonitors": "monitoring.coreos.com", "podmonitors": "monitoring.coreos.com",
    "prometheusrules": "monitoring.coreos.com",
    "constrainttemplates": "templates.gatekeeper.sh", "configs": "config.gatekeeper.sh",
    "k8spspprivilegedcontainer": "constraints.gatekeeper.sh",
    "nodes.metrics.k8s.io": "metrics.k8s.io",
}
VERSION = {"apps": "v1", "batch": "v1", "coordination.k8s.io": "v1",
           "discovery.k8s.io": "v1", "networking.k8s.io": "v1",
           "rbac.authorization.k8s.io": "v1", "admissionregistration.k8s.io": "v1",
           "apiextensions.k8s.io": "v1", "apiregistration.k8s.io": "v1",
           "policy": "v1", "autoscaling": "v2", "storage.k8s.io": "v1",
           "scheduling.k8s.io": "v1", "node.k8s.io": "v1",
           "authentication.k8s.io": "v1", "authorization.k8s.io": "v1",
           "certificates.k8s.io": "v1", "flowcontrol.apiserver.k8s.io": "v1beta3",
           "cert-manager.io": "v1", "acme.cert-manager.io": "v1",
           "argoproj.io": "v1alpha1", "monitoring.coreos.com": "v1",
           "templates.gatekeeper.sh": "v1", "config.gatekeeper.sh": "v1alpha1",
           "constraints.gatekeeper.sh": "v1beta1", "metrics.k8s.io": "v1beta1"}
KIND = {"deployments": "Deployment", "replicasets": "ReplicaSet", "daemonsets": "DaemonSet",
        "statefulsets": "StatefulSet", "jobs": "Job", "cronjobs": "CronJob", "pods": "Pod",
        "services": "Service", "roles": "Role", "rolebindings": "RoleBinding",
        "clusterroles": "ClusterRole", "clusterrolebindings": "ClusterRoleBinding",
        "mutatingwebhookconfigurations": "MutatingWebhookConfiguration",
        "validatingwebhookconfigurations": "ValidatingWebhookConfiguration"}
CLUSTER_SCOPED = {"nodes", "namespaces", "persistentvolumes", "clusterroles",
                  "clusterrolebindings", "mutatingwebhookconfigurations",
                  "validatingwebhookconfigurations", "customresourcedefinitions",
                  "apiservices", "storageclasses", "csinodes", "csidrivers",
                  "volumeattachments", "priorityclasses", "runtimeclasses",
                  "tokenreviews", "subjectaccessreviews", "certificatesigningrequests",
                  "flowschemas", "prioritylevelconfigurations", "clusterissuers",
                  "ingressclasses", "constrainttemplates", "k8spspprivilegedcontainer"}
# writes logged with their bodies (the policy's Request rule)
BODY_RESOURCES = {"pods", "deployments", "daemonsets", "statefulsets", "replicasets",
                  "jobs", "cronjobs", "services", "roles", "rolebindings", "clusterroles",
                  "clusterrolebindings", "mutatingwebhookconfigurations",
                  "validatingwebhookconfigurations"}
WRITES = {"create", "update", "patch", "delete", "deletecollection"}

REASON_VERB = {"get": "get", "list": "list", "watch": "watch", "create": "create",
               "update": "update", "patch": "patch", "delete": "delete",
               "deletecollection": "deletecollection"}


def sa(ns, name, pod=None, node=None):
    """A service account identity with its bound-token extras."""
    u = {"username": "system:serviceaccount:%s:%s" % (ns, name),
         "uid": None,
         "groups": ["system:serviceaccounts", "system:serviceaccounts:" + ns,
                    "system:authenticated"]}
    if pod:
        u["extra"] = {"authentication.kubernetes.io/pod-name": [pod],
                      "authentication.kubernetes.io/pod-uid": [None]}
        if node:
            u["extra"]["authentication.kubernetes.io/node-name"] = [node]
    return u


def node_user(n):
    return {"username": "system:node:" + n, "groups": ["system:nodes", "system:authenticated"]}


def kcm_sa(controller):
    return sa("kube-system", controller)


def kcm_ua(suffix):
    return "kube-controller-manager/%s (linux/amd64) kubernetes/%s/%s" % (K8S, GIT, suffix)


def kube_ua(component, suffix=None):
    s = "%s/%s (linux/amd64) kubernetes/%s" % (component, K8S, GIT)
    return s + "/" + suffix if suffix else s


class Stream:
    """Events of the modelled minutes, kept with their time to be sorted."""

    def __init__(self, rng, minutes):
        self.rng = rng
        self.span = minutes * 60.0
        self.events = []
        self.serial = 0

    def uid(self):
        return "%08x-%04x-4%03x-%04x-%012x" % tuple(
            self.rng.getrandbits(b) for b in (32, 16, 12, 16, 48))

    def fill_uids(self, user):
        u = json.loads(json.dumps(user))
        if "uid" in u and u["uid"] is None:
            u["uid"] = self.stable_uid(u["username"])
        for v in (u.get("extra") or {}).values():
            for i, x in enumerate(v):
                if x is None:
                    v[i] = self.stable_uid(u["username"] + "/pod")
        return u

    def stable_uid(self, key):
        r = random.Random(key)
        return "%08x-%04x-4%03x-%04x-%012x" % tuple(r.getrandbits(b) for b in (32, 16, 12, 16, 48))

    def add(self, t, behaviour, user, ua, ip, verb, resource=None, ns=None, name=None,
            sub=None, code=None, query=None, uri=None, body=None, level=None,
            message=None, reason=None, authz=None, decision="allow", extra_ann=None,
            duration=None, received=None):
        """One request: its ResponseComplete event (and sometimes RequestReceived)."""
        if t < 0 or t > self.span:
            return
        self.serial += 1
        audit_id = "benign-%s-%s" % (behaviour, self.uid())
        group = GROUP.get(resource, "" if resource in CORE or resource is None else None)
        if group is None:
            group = ""
        version = VERSION.get(group, "v1")
        if uri is None:
            uri = self.uri(verb, resource, group, version, ns, name, sub, query)
        if code is None:
            code = 201 if verb == "create" else 200
        if level is None:
            level = "Request" if (body is not None and verb in WRITES) else "Metadata"
        ev = {"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": level,
              "auditID": audit_id, "stage": "ResponseComplete", "requestURI": uri,
              "verb": verb, "user": self.fill_uids(user), "sourceIPs": [ip],
              "userAgent": ua}
        if resource is not None:
            ref = {"resource": resource}
            if ns and resource not in CLUSTER_SCOPED:
                ref["namespace"] = ns
            if name:
                ref["name"] = name
            if group:
                ref["apiGroup"] = group
            ref["apiVersion"] = version
            if sub:
                ref["subresource"] = sub
            ev["objectRef"] = ref
        status = {"metadata": {}, "code": code}
        if code >= 400:
            status.update({"status": "Failure", "message": message or "",
                           "reason": reason or {403: "Forbidden", 404: "NotFound",
                                                409: "Conflict", 422: "Invalid"}.get(code, ""),
                           "details": {"name": name or "", "kind": resource or ""}})
            if not name:
                del status["details"]["name"]
        ev["responseStatus"] = status
        if level in ("Request", "RequestResponse") and body is not None:
            ev["requestObject"] = body
        if duration is None:
            duration = self.rng.uniform(0.0008, 0.012)
        t0 = START + timedelta(seconds=t)
        ev["requestReceivedTimestamp"] = stamp(t0)
        ev["stageTimestamp"] = stamp(t0 + timedelta(seconds=duration))
        ann = {"authorization.k8s.io/decision": decision,
               "authorization.k8s.io/reason": authz if authz is not None else ""}
        if extra_ann:
            ann.update(extra_ann)
        ev["annotations"] = ann
        self.events.append((t + duration, self.serial, ev))
        if received if received is not None else self.rng.random() < 0.06:
            rr = {k: ev[k] for k in ("kind", "apiVersion", "level", "auditID")}
            rr["stage"] = "RequestReceived"
            for k in ("requestURI", "verb", "user", "sourceIPs", "userAgent", "objectRef"):
                if k in ev:
                    rr[k] = ev[k]
            if "requestObject" in ev:
                rr["requestObject"] = ev["requestObject"]
            rr["requestReceivedTimestamp"] = ev["requestReceivedTimestamp"]
            rr["stageTimestamp"] = ev["requestReceivedTimestamp"]
            self.serial += 1
            self.events.append((t, self.serial, rr))
        return ev

    def uri(self, verb, resource, group, version, ns, name, sub, query):
        if resource is None:
            return "/"
        base = "/api/v1" if not group else "/apis/%s/%s" % (group, version)
        p = base
        if ns and resource not in CLUSTER_SCOPED:
            p += "/namespaces/" + ns
        p += "/" + resource
        if name and verb not in ("list", "watch", "deletecollection"):
            p += "/" + name
        if sub:
            p += "/" + sub
        q = query
        if verb == "watch":
            q = (q + "&" if q else "") + "allowWatchBookmarks=true&resourceVersion=%d&timeout=%dm%ds&timeoutSeconds=%d&watch=true" % (
                self.rng.randint(100000, 999999), 5, 21, 321)
        elif verb == "list" and q is None:
            q = "limit=500&resourceVersion=0"
        if verb == "patch" and q is None:
            q = "fieldManager=kubectl-client-side-apply&fieldValidation=Strict"
        return p + ("?" + q if q else "")

    def every(self, period, jitter, start=0.0):
        """Times of a periodic loop over the span."""
        t = start + self.rng.uniform(0, period)
        while t < self.span:
            yield t
            t += period + self.rng.uniform(-jitter, jitter)


def stamp(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def rbac_reason(kind, binding, role, subject):
    return 'RBAC: allowed by %s "%s" of ClusterRole "%s" to %s' % (kind, binding, role, subject)


def sa_subject(ns, name):
    return 'ServiceAccount "%s/%s"' % (name, ns)


# ---- the workloads ----

def container(name, image, sc=None, ports=None, mounts=None):
    c = {"name": name, "image": image, "imagePullPolicy": "IfNotPresent",
         "resources": {"requests": {"cpu": "10m", "memory": "64Mi"}},
         "terminationMessagePath": "/dev/termination-log",
         "terminationMessagePolicy": "File"}
    c["securityContext"] = sc if sc is not None else {
        "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
        "runAsNonRoot": True, "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"}}
    if ports:
        c["ports"] = [{"containerPort": p, "protocol": "TCP"} for p in ports]
    c["volumeMounts"] = (mounts or []) + [{
        "name": "kube-api-access", "readOnly": True,
        "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}]
    return c


def projected_token_volume():
    return {"name": "kube-api-access", "projected": {"defaultMode": 420, "sources": [
        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
        {"configMap": {"name": "kube-root-ca.crt",
                       "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
        {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {
            "apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}}]}}


class Workload:
    """A Deployment, StatefulSet, DaemonSet or hook Job of a chart."""

    def __init__(self, kind, name, sa_name, containers, replicas=1, volumes=None,
                 host=None, secrets=(), configmaps=()):
        self.kind, self.name, self.sa = kind, name, sa_name
        self.containers, self.replicas = containers, replicas
        self.volumes = volumes or []
        self.host = host or {}
        self.secrets, self.configmaps = list(secrets), list(configmaps)

    def pod_spec(self):
        spec = {"serviceAccountName": self.sa, "containers": self.containers,
                "volumes": self.volumes + [projected_token_volume()],
                "restartPolicy": "Never" if self.kind == "Job" else "Always",
                "dnsPolicy": "ClusterFirst", "terminationGracePeriodSeconds": 30,
                "securityContext": {"runAsNonRoot": True, "fsGroup": 65534}}
        spec.update(self.host)
        return spec


class Chart:
    def __init__(self, release, ns, chart, version, sas, workloads, configmaps=(),
                 secrets=(), services=(), crds=(), cluster_rbac=(), ns_rbac=(),
                 webhooks=(), hooks=(), operator=None):
        self.release, self.ns, self.chart, self.version = release, ns, chart, version
        self.sas, self.workloads = sas, workloads
        self.configmaps, self.secrets, self.services = configmaps, secrets, services
        self.crds, self.cluster_rbac, self.ns_rbac = crds, cluster_rbac, ns_rbac
        self.webhooks, self.hooks, self.operator = webhooks, hooks, operator
        self.revision = 1


def rule(groups, resources, verbs):
    return {"apiGroups": groups, "resources": resources, "verbs": verbs}


READ = ["get", "list", "watch"]
SC_NGINX = {"allowPrivilegeEscalation": False, "runAsNonRoot": True, "runAsUser": 101,
            "capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]},
            "seccompProfile": {"type": "RuntimeDefault"}}


def charts():
    ro = lambda n, p: {"name": n, "mountPath": p, "readOnly": True}
    cm = Chart("cert-manager", "cert-manager", "cert-manager", "v1.14.4",
               ["cert-manager", "cert-manager-cainjector", "cert-manager-webhook",
                "cert-manager-startupapicheck"],
               [Workload("Deployment", "cert-manager", "cert-manager", [container(
                   "cert-manager-controller", "quay.io/jetstack/cert-manager-controller:v1.14.4",
                   ports=[9402])]),
                Workload("Deployment", "cert-manager-cainjector", "cert-manager-cainjector",
                         [container("cert-manager-cainjector",
                                    "quay.io/jetstack/cert-manager-cainjector:v1.14.4")]),
                Workload("Deployment", "cert-manager-webhook", "cert-manager-webhook",
                         [container("cert-manager-webhook",
                                    "quay.io/jetstack/cert-manager-webhook:v1.14.4",
                                    ports=[10250])])],
               configmaps=["cert-manager-webhook"], services=[("cert-manager", 9402),
                                                              ("cert-manager-webhook", 443)],
               crds=["certificates.cert-manager.io", "certificaterequests.cert-manager.io",
                     "issuers.cert-manager.io", "clusterissuers.cert-manager.io",
                     "orders.acme.cert-manager.io", "challenges.acme.cert-manager.io"],
               cluster_rbac=[("cert-manager-controller-certificates", [
                   rule(["cert-manager.io"], ["certificates", "certificaterequests"], ["*"]),
                   rule([""], ["secrets"], ["get", "list", "watch", "create", "update", "delete", "patch"])]),
                   ("cert-manager-cainjector", [
                       rule(["admissionregistration.k8s.io"], ["validatingwebhookconfigurations",
                                                               "mutatingwebhookconfigurations"],
                            ["get", "list", "watch", "update", "patch"]),
                       rule([""], ["secrets"], READ)])],
               ns_rbac=[("cert-manager-webhook:dynamic-serving", [
                   rule([""], ["secrets"], ["get", "list", "watch", "update"])])],
               webhooks=[("validatingwebhookconfigurations", "cert-manager-webhook"),
                         ("mutatingwebhookconfigurations", "cert-manager-webhook")],
               hooks=[Workload("Job", "cert-manager-startupapicheck",
                               "cert-manager-startupapicheck", [container(
                                   "cert-manager-startupapicheck",
                                   "quay.io/jetstack/cert-manager-startupapicheck:v1.14.4")])])
    nginx = Chart("ingress-nginx", "ingress-nginx", "ingress-nginx", "4.10.0",
                  ["ingress-nginx", "ingress-nginx-admission"],
                  [Workload("Deployment", "ingress-nginx-controller", "ingress-nginx", [container(
                      "controller", "registry.k8s.io/ingress-nginx/controller:v1.10.0",
                      sc=SC_NGINX, ports=[80, 443, 8443])], replicas=2,
                      configmaps=["ingress-nginx-controller"], secrets=["ingress-nginx-admission"])],
                  configmaps=["ingress-nginx-controller"],
                  services=[("ingress-nginx-controller", 80), ("ingress-nginx-controller-admission", 443)],
                  cluster_rbac=[("ingress-nginx", [
                      rule([""], ["configmaps", "endpoints", "nodes", "pods", "secrets", "namespaces"],
                           ["list", "watch"]),
                      rule(["networking.k8s.io"], ["ingresses", "ingressclasses"], READ),
                      rule(["networking.k8s.io"], ["ingresses/status"], ["update"])]),
                      ("ingress-nginx-admission", [rule(["admissionregistration.k8s.io"],
                                                        ["validatingwebhookconfigurations"],
                                                        ["get", "update"])])],
                  ns_rbac=[("ingress-nginx", [rule(["coordination.k8s.io"], ["leases"],
                                                   ["get", "create", "update"])]),
                           ("ingress-nginx-admission", [rule([""], ["secrets"], ["get", "create"])])],
                  webhooks=[("validatingwebhookconfigurations", "ingress-nginx-admission")],
                  hooks=[Workload("Job", "ingress-nginx-admission-create", "ingress-nginx-admission",
                                  [container("create", "registry.k8s.io/ingress-nginx/kube-webhook-certgen:v1.4.0")]),
                         Workload("Job", "ingress-nginx-admission-patch", "ingress-nginx-admission",
                                  [container("patch", "registry.k8s.io/ingress-nginx/kube-webhook-certgen:v1.4.0")])])
    kps = Chart("kube-prometheus-stack", "monitoring", "kube-prometheus-stack", "57.0.3",
                ["kube-prometheus-stack-operator", "kube-prometheus-stack-prometheus",
                 "kube-prometheus-stack-alertmanager", "kube-prometheus-stack-grafana",
                 "kube-prometheus-stack-kube-state-metrics",
                 "kube-prometheus-stack-prometheus-node-exporter",
                 "kube-prometheus-stack-admission"],
                [Workload("Deployment", "kube-prometheus-stack-operator",
                          "kube-prometheus-stack-operator", [container(
                              "kube-prometheus-stack", "quay.io/prometheus-operator/prometheus-operator:v0.72.0",
                              ports=[10250])], secrets=["kube-prometheus-stack-admission"]),
                 Workload("Deployment", "kube-prometheus-stack-kube-state-metrics",
                          "kube-prometheus-stack-kube-state-metrics", [container(
                              "kube-state-metrics", "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.10.1",
                              ports=[8080])]),
                 Workload("Deployment", "kube-prometheus-stack-grafana", "kube-prometheus-stack-grafana",
                          [container("grafana-sc-dashboard", "quay.io/kiwigrid/k8s-sidecar:1.26.1"),
                           container("grafana", "docker.io/grafana/grafana:10.4.0", ports=[3000])],
                          configmaps=["kube-prometheus-stack-grafana"],
                          secrets=["kube-prometheus-stack-grafana"]),
                 Workload("DaemonSet", "kube-prometheus-stack-prometheus-node-exporter",
                          "kube-prometheus-stack-prometheus-node-exporter", [container(
                              "node-exporter", "quay.io/prometheus/node-exporter:v1.7.0",
                              sc={"readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False},
                              ports=[9100], mounts=[ro("proc", "/host/proc"), ro("sys", "/host/sys"),
                                                    {"name": "root", "mountPath": "/host/root",
                                                     "mountPropagation": "HostToContainer",
                                                     "readOnly": True}])],
                          volumes=[{"name": "proc", "hostPath": {"path": "/proc", "type": ""}},
                                   {"name": "sys", "hostPath": {"path": "/sys", "type": ""}},
                                   {"name": "root", "hostPath": {"path": "/", "type": ""}}],
                          host={"hostNetwork": True, "hostPID": True}, replicas=4)],
                configmaps=["kube-prometheus-stack-grafana", "kube-prometheus-stack-grafana-datasource",
                            "kube-prometheus-stack-k8s-resources-cluster",
                            "kube-prometheus-stack-node-exporter-full"],
                secrets=["kube-prometheus-stack-grafana", "alertmanager-kube-prometheus-stack-alertmanager"],
                services=[("kube-prometheus-stack-operator", 443), ("kube-prometheus-stack-prometheus", 9090),
                          ("kube-prometheus-stack-grafana", 80), ("kube-prometheus-stack-kube-state-metrics", 8080),
                          ("kube-prometheus-stack-prometheus-node-exporter", 9100)],
                crds=["prometheuses.monitoring.coreos.com", "servicemonitors.monitoring.coreos.com",
                      "podmonitors.monitoring.coreos.com", "prometheusrules.monitoring.coreos.com",
                      "alertmanagers.monitoring.coreos.com"],
                cluster_rbac=[("kube-prometheus-stack-operator", [
                    rule(["monitoring.coreos.com"], ["*"], ["*"]),
                    rule(["apps"], ["statefulsets"], ["*"]),
                    rule([""], ["configmaps", "secrets"], ["*"]),
                    rule([""], ["services", "services/finalizers", "endpoints"], ["get", "create", "update", "delete"])]),
                    ("kube-prometheus-stack-kube-state-metrics", [
                        rule([""], ["configmaps", "secrets", "nodes", "pods", "services", "namespaces",
                                    "persistentvolumeclaims", "endpoints"], ["list", "watch"]),
                        rule(["apps"], ["daemonsets", "deployments", "replicasets", "statefulsets"],
                             ["list", "watch"])]),
                    ("kube-prometheus-stack-grafana-clusterrole", [
                        rule([""], ["configmaps", "secrets"], READ)]),
                    ("kube-prometheus-stack-prometheus", [
                        rule([""], ["nodes", "nodes/metrics", "services", "endpoints", "pods"], READ),
                        {"nonResourceURLs": ["/metrics", "/metrics/cadvisor"], "verbs": ["get"]}]),
                    ("kube-prometheus-stack-admission", [rule(["admissionregistration.k8s.io"], [
                        "validatingwebhookconfigurations", "mutatingwebhookconfigurations"], ["get", "update"])])],
                ns_rbac=[("kube-prometheus-stack-admission", [rule([""], ["secrets"], ["get", "create"])])],
                webhooks=[("mutatingwebhookconfigurations", "kube-prometheus-stack-admission"),
                          ("validatingwebhookconfigurations", "kube-prometheus-stack-admission")],
                hooks=[Workload("Job", "kube-prometheus-stack-admission-create", "kube-prometheus-stack-admission",
                                [container("create", "registry.k8s.io/ingress-nginx/kube-webhook-certgen:v20221220-controller-v1.5.1-58-g787ea74b6")]),
                       Workload("Job", "kube-prometheus-stack-admission-patch", "kube-prometheus-stack-admission",
                                [container("patch", "registry.k8s.io/ingress-nginx/kube-webhook-certgen:v20221220-controller-v1.5.1-58-g787ea74b6")])])
    argo = Chart("argo-cd", "argocd", "argo-cd", "6.7.3",
                 ["argocd-application-controller", "argocd-server", "argocd-repo-server",
                  "argocd-applicationset-controller", "argocd-notifications-controller", "argocd-dex-server"],
                 [Workload("StatefulSet", "argocd-application-controller", "argocd-application-controller",
                           [container("application-controller", "quay.io/argoproj/argocd:v2.10.4", ports=[8082])],
                           configmaps=["argocd-cm", "argocd-cmd-params-cm"]),
                  Workload("Deployment", "argocd-server", "argocd-server",
                           [container("server", "quay.io/argoproj/argocd:v2.10.4", ports=[8080])],
                           configmaps=["argocd-cm", "argocd-rbac-cm"], secrets=["argocd-secret"]),
                  Workload("Deployment", "argocd-repo-server", "argocd-repo-server",
                           [container("repo-server", "quay.io/argoproj/argocd:v2.10.4", ports=[8081])]),
                  Workload("Deployment", "argocd-redis", "argocd-redis",
                           [container("redis", "public.ecr.aws/docker/library/redis:7.2.4-alpine")]),
                  Workload("Deployment", "argocd-applicationset-controller", "argocd-applicationset-controller",
                           [container("applicationset-controller", "quay.io/argoproj/argocd:v2.10.4")])],
                 configmaps=["argocd-cm", "argocd-rbac-cm", "argocd-cmd-params-cm", "argocd-ssh-known-hosts-cm",
                             "argocd-tls-certs-cm", "argocd-gpg-keys-cm"],
                 secrets=["argocd-secret", "argocd-notifications-secret"],
                 services=[("argocd-server", 80), ("argocd-repo-server", 8081), ("argocd-redis", 6379)],
                 crds=["applications.argoproj.io", "appprojects.argoproj.io", "applicationsets.argoproj.io"],
                 cluster_rbac=[("argo-cd-argocd-application-controller", [
                     rule(["*"], ["*"], ["*"]), {"nonResourceURLs": ["*"], "verbs": ["*"]}]),
                     ("argo-cd-argocd-server", [rule(["*"], ["*"], ["delete", "get", "patch"]),
                                                rule([""], ["events"], ["list"]),
                                                rule([""], ["pods", "pods/log"], ["get"])])],
                 ns_rbac=[("argo-cd-argocd-server", [rule([""], ["secrets", "configmaps"],
                                                           ["create", "get", "list", "watch", "update",
                                                            "patch", "delete"])])])
    gk = Chart("gatekeeper", "gatekeeper-system", "gatekeeper", "3.15.1",
               ["gatekeeper-admin", "gatekeeper-update-namespace-label"],
               [Workload("Deployment", "gatekeeper-controller-manager", "gatekeeper-admin",
                         [container("manager", "openpolicyagent/gatekeeper:v3.15.1", ports=[8443])],
                         replicas=3, secrets=["gatekeeper-webhook-server-cert"]),
                Workload("Deployment", "gatekeeper-audit", "gatekeeper-admin",
                         [container("manager", "openpolicyagent/gatekeeper:v3.15.1")],
                         secrets=["gatekeeper-webhook-server-cert"])],
               secrets=["gatekeeper-webhook-server-cert"],
               services=[("gatekeeper-webhook-service", 443)],
               crds=["constrainttemplates.templates.gatekeeper.sh", "configs.config.gatekeeper.sh",
                     "assign.mutations.gatekeeper.sh", "providers.externaldata.gatekeeper.sh"],
               cluster_rbac=[("gatekeeper-manager-role", [
                   rule(["*"], ["*"], ["get", "list", "watch"]),
                   rule(["admissionregistration.k8s.io"], ["mutatingwebhookconfigurations",
                                                            "validatingwebhookconfigurations"],
                        ["create", "delete", "get", "list", "patch", "update", "watch"]),
                   rule(["constraints.gatekeeper.sh", "templates.gatekeeper.sh"], ["*"], ["*"])])],
               ns_rbac=[("gatekeeper-manager-role", [rule([""], ["secrets"], ["create", "delete", "get", "list",
                                                                            "patch", "update", "watch"])])],
               webhooks=[("validatingwebhookconfigurations", "gatekeeper-validating-webhook-configuration"),
                         ("mutatingwebhookconfigurations", "gatekeeper-mutating-webhook-configuration")],
               hooks=[Workload("Job", "gatekeeper-update-namespace-label", "gatekeeper-update-namespace-label",
                               [container("kubectl-label", "openpolicyagent/gatekeeper-crds:v3.15.1")])])
    dash = Chart("kubernetes-dashboard", "kubernetes-dashboard", "kubernetes-dashboard", "7.1.2",
                 ["kubernetes-dashboard-api", "kubernetes-dashboard-web",
                  "kubernetes-dashboard-metrics-scraper", "kubernetes-dashboard-kong"],
                 [Workload("Deployment", "kubernetes-dashboard-api", "kubernetes-dashboard-api",
                           [container("kubernetes-dashboard-api", "docker.io/kubernetesui/dashboard-api:1.4.1",
                                      ports=[8000])], secrets=["kubernetes-dashboard-csrf"]),
                  Workload("Deployment", "kubernetes-dashboard-web", "kubernetes-dashboard-web",
                           [container("kubernetes-dashboard-web", "docker.io/kubernetesui/dashboard-web:1.2.3",
                                      ports=[8000])]),
                  Workload("Deployment", "kubernetes-dashboard-metrics-scraper",
                           "kubernetes-dashboard-metrics-scraper",
                           [container("kubernetes-dashboard-metrics-scraper",
                                      "docker.io/kubernetesui/dashboard-metrics-scraper:1.1.1")]),
                  Workload("Deployment", "kubernetes-dashboard-kong", "kubernetes-dashboard-kong",
                           [container("proxy", "kong:3.6", ports=[8443])])],
                 configmaps=["kong-dbless-config", "kubernetes-dashboard-web-settings"],
                 secrets=["kubernetes-dashboard-csrf"],
                 services=[("kubernetes-dashboard-kong-proxy", 443), ("kubernetes-dashboard-api", 8000),
                           ("kubernetes-dashboard-web", 8000)],
                 cluster_rbac=[("kubernetes-dashboard-metrics-scraper", [
                     rule(["metrics.k8s.io"], ["pods", "nodes"], READ)])],
                 ns_rbac=[("kubernetes-dashboard-api", [rule([""], ["secrets"], ["get", "update", "delete"]),
                                                        rule([""], ["configmaps"], ["get", "update"])])])
    af = Chart("airflow", "airflow", "airflow", "1.13.1",
               ["airflow-scheduler", "airflow-webserver", "airflow-triggerer", "airflow-worker",
                "airflow-migrate-database-job", "airflow-create-user-job", "airflow-redis"],
               [Workload("Deployment", "airflow-scheduler", "airflow-scheduler",
                         [container("scheduler", "apache/airflow:2.8.3")],
                         secrets=["airflow-fernet-key", "airflow-metadata"], configmaps=["airflow-config"]),
                Workload("Deployment", "airflow-webserver", "airflow-webserver",
                         [container("webserver", "apache/airflow:2.8.3", ports=[8080])],
                         secrets=["airflow-webserver-secret-key", "airflow-metadata"],
                         configmaps=["airflow-config"]),
                Workload("StatefulSet", "airflow-triggerer", "airflow-triggerer",
                         [container("triggerer", "apache/airflow:2.8.3")], configmaps=["airflow-config"]),
                Workload("StatefulSet", "airflow-worker", "airflow-worker",
                         [container("worker", "apache/airflow:2.8.3")], replicas=2,
                         secrets=["airflow-fernet-key"], configmaps=["airflow-config"]),
                Workload("StatefulSet", "airflow-postgresql", "default",
                         [container("postgresql", "docker.io/bitnami/postgresql:11.12.0-debian-10-r44",
                                    ports=[5432])], secrets=["airflow-postgresql"]),
                Workload("StatefulSet", "airflow-redis", "airflow-redis",
                         [container("redis", "redis:7-bookworm", ports=[6379])], secrets=["airflow-redis-password"])],
               configmaps=["airflow-config", "airflow-statsd"],
               secrets=["airflow-fernet-key", "airflow-webserver-secret-key", "airflow-metadata",
                        "airflow-postgresql", "airflow-redis-password", "airflow-broker-url"],
               services=[("airflow-webserver", 8080), ("airflow-postgresql", 5432), ("airflow-redis", 6379),
                         ("airflow-statsd", 9125), ("airflow-worker", 8793)],
               ns_rbac=[("airflow-pod-launcher-role", [rule([""], ["pods"], ["create", "list", "get", "patch",
                                                                              "watch", "delete"]),
                                                       rule([""], ["pods/log"], ["get"]),
                                                       rule([""], ["pods/exec"], ["create", "get"])])],
               hooks=[Workload("Job", "airflow-run-airflow-migrations", "airflow-migrate-database-job",
                               [container("run-airflow-migrations", "apache/airflow:2.8.3")]),
                      Workload("Job", "airflow-create-user", "airflow-create-user-job",
                               [container("create-user", "apache/airflow:2.8.3")])])
    return {c.release: c for c in (cm, nginx, kps, argo, gk, dash, af)}


# ---- behaviours ----

def rid(rng, n=10, chars="bcdfghjklmnpqrstvwxz2456789"):
    return "".join(rng.choice(chars) for _ in range(n))


def pod_ip(rng):
    return "10.244.%d.%d" % (rng.randint(0, 3), rng.randint(2, 250))


class Cluster:
    """Running pods of the charts, their identities and the helpers that
    emit the requests a component makes."""

    def __init__(self, s, charts):
        self.s, self.rng, self.charts = s, s.rng, charts
        self.pods = {}           # (ns, workload) -> [(pod, node)]

    def ident(self, ns, sa_name, pod=None):
        node = self.rng.choice(NODES[1:])[0]
        return sa(ns, sa_name, pod or "%s-%s-%s" % (sa_name, rid(self.rng), rid(self.rng, 5)), node)

    def watch_pair(self, t, beh, user, ua, ip, resource, ns=None, query=None, start=False):
        """An informer's list then watch (start-up), or a watch re-established."""
        if start:
            self.s.add(t, beh, user, ua, ip, "list", resource, ns, query=(
                query + "&" if query else "") + "limit=500&resourceVersion=0")
            t += 0.05
        self.s.add(t, beh, user, ua, ip, "watch", resource, ns, query=query,
                   duration=self.rng.uniform(290, 560) if not start else None)

    def informers(self, t, beh, user, ua, ip, resources, ns=None, start=True):
        for i, r in enumerate(resources):
            self.watch_pair(t + i * 0.01, beh, user, ua, ip, r, ns, start=start)

    def rewatch_loop(self, beh, user, ua, ip, resources, ns=None, period=420.0):
        """Watches expire after 5-10 minutes and are re-established."""
        for r in resources:
            for t in self.s.every(period, period * 0.3):
                self.watch_pair(t, beh, user, ua, ip, r, ns)


def leases(s):
    rng = s.rng
    holders = [
        ("kube-system", "kube-controller-manager", {"username": "system:kube-controller-manager",
                                                   "groups": ["system:authenticated"]},
         kcm_ua("leader-election"), CP_IP, 1),
        ("kube-system", "kube-scheduler", {"username": "system:kube-scheduler",
                                          "groups": ["system:authenticated"]},
         kube_ua("kube-scheduler", "leader-election"), CP_IP, 1),
        ("kube-system", "cert-manager-controller", sa("cert-manager", "cert-manager", "cert-manager-7d9f8d7b9c-x2hpl", "worker-1"),
         "cert-manager-leader-election/v1.14.4 (linux/amd64) cert-manager/f6a7f8d", "10.244.1.23", 1),
        ("kube-system", "cert-manager-cainjector-leader-election",
         sa("cert-manager", "cert-manager-cainjector", "cert-manager-cainjector-5c5695d979-kwqz8", "worker-2"),
         "cainjector/v1.14.4 (linux/amd64) kubernetes/$Format", "10.244.2.41", 1),
        ("ingress-nginx", "ingress-nginx-leader", sa("ingress-nginx", "ingress-nginx", "ingress-nginx-controller-6b8f6d6f8d-4qk7n", "worker-3"),
         "nginx-ingress-controller/v1.10.0 (linux/amd64) ingress-nginx/71f78d49f0a496c31d4c19f095469f3f23900f8a",
         "10.244.3.17", 2),
        ("gatekeeper-system", "gatekeeper-system-leader",
         sa("gatekeeper-system", "gatekeeper-admin", "gatekeeper-controller-manager-7f8c9b6d5-h2x9m", "worker-1"),
         "manager/v0.0.0 (linux/amd64) kubernetes/$Format", "10.244.1.52", 3),
        ("monitoring", "prometheus-operator-leader", sa("monitoring", "kube-prometheus-stack-operator"),
         "operator/v0.72.0 (linux/amd64) kubernetes/$Format", "10.244.2.12", 1),
    ]
    for ns, name, user, ua, ip, replicas in holders:
        authz = ("RBAC: allowed by ClusterRoleBinding \"system:kube-controller-manager\" of ClusterRole \"system:kube-controller-manager\" to User \"system:kube-controller-manager\""
                 if "controller-manager" in user["username"] and "serviceaccount" not in user["username"] else
                 "RBAC: allowed by RoleBinding \"%s-leaderelection\" of Role \"%s-leaderelection\"" % (name, name))
        for t in s.every(2.0, 0.2):
            s.add(t, "lease", user, ua, ip, "get", "leases", ns, name, authz=authz)
            if rng.random() < 0.004:
                s.add(t + 0.003, "lease", user, ua, ip, "update", "leases", ns, name, code=409,
                      message='Operation cannot be fulfilled on leases.coordination.k8s.io "%s": the object has been modified; please apply your changes to the latest version and try again' % name,
                      authz=authz)
            else:
                s.add(t + 0.003, "lease", user, ua, ip, "update", "leases", ns, name, authz=authz)
        for _ in range(replicas - 1):       # standbys try to acquire
            for t in s.every(2.0, 0.3):
                s.add(t, "lease", user, ua, ip, "get", "leases", ns, name, authz=authz)
    # each API server's identity lease
    apis = {"username": "system:apiserver", "uid": None, "groups": ["system:masters"]}
    for t in s.every(10.0, 0.5):
        s.add(t, "lease", apis, kube_ua("kube-apiserver"), "::1", "update", "leases",
              "kube-system", "apiserver-3pzl5gmmf3gpfrbbmqo2ylozhm")


def kubelets(s, cl):
    rng = s.rng
    for node, ip in NODES:
        u = node_user(node)
        ua = kube_ua("kubelet")
        for t in s.every(10.0, 0.4):
            s.add(t, "kubelet", u, ua, ip, "update", "leases", "kube-node-lease", node)
            s.add(t + 0.2, "kubelet", u, ua, ip, "get", "nodes", None, node,
                  query="resourceVersion=0&timeout=10s")
        for t in s.every(60.0, 10.0):
            s.add(t, "kubelet", u, ua, ip, "patch", "nodes", None, node, sub="status",
                  query=None, uri="/api/v1/nodes/%s/status?timeout=10s" % node)
        # the objects its pods mount: per-object watches, re-established
        mounts = [("configmaps", "kube-system", "kube-root-ca.crt"), ("configmaps", "kube-system", "kube-proxy"),
                  ("configmaps", "kube-system", "coredns")]
        for c in cl.charts.values():
            for w in c.workloads:
                if rng.random() < 0.4:
                    mounts += [("secrets", c.ns, x) for x in w.secrets]
                    mounts += [("configmaps", c.ns, x) for x in w.configmaps]
                    mounts.append(("configmaps", c.ns, "kube-root-ca.crt"))
        for res, ns, name in mounts:
            for t in s.every(480.0, 150.0):
                q = "fieldSelector=metadata.name%%3D%s" % name
                s.add(t, "kubelet", u, ua, ip, "watch", res, ns, query=q,
                      duration=rng.uniform(300, 600))
        # projected token refresh: TokenRequests for the pods it runs
        for t in s.every(45.0, 20.0):
            c = rng.choice(list(cl.charts.values()))
            s_name = rng.choice(c.sas)
            s.add(t, "kubelet", u, ua, ip, "create", "serviceaccounts", c.ns, s_name, sub="token")
        for r in ("pods", "services", "nodes", "runtimeclasses", "csidrivers"):
            for t in s.every(500.0, 100.0):
                q = "fieldSelector=spec.nodeName%%3D%s" % node if r == "pods" else None
                s.add(t, "kubelet", u, ua, ip, "watch", r, None, query=q, duration=rng.uniform(300, 600))


def addons(s, cl):
    for node, ip in NODES:
        u = sa("kube-system", "kube-proxy", "kube-proxy-" + rid(random.Random(node), 5), node)
        cl.rewatch_loop("kube-proxy", u, kube_ua("kube-proxy"), ip,
                        ["services", "endpointslices", "nodes"])
    for i in range(2):
        u = sa("kube-system", "coredns", "coredns-76f75df574-" + rid(random.Random(i), 5), "cp-1")
        cl.rewatch_loop("coredns", u, "coredns/v1.11.1 (linux/amd64) kubernetes/$Format",
                        "10.244.0.%d" % (2 + i), ["endpointslices", "services", "namespaces"])
    u = sa("kube-system", "metrics-server", "metrics-server-6d94bc8694-8rglz", "worker-2")
    cl.rewatch_loop("metrics-server", u, "metrics-server/v0.7.0 (linux/amd64) kubernetes/$Format",
                    "10.244.2.7", ["nodes", "pods"])
    hpa = kcm_sa("horizontal-pod-autoscaler")
    for t in s.every(15.0, 0.3):
        for ns, name in (("shop", "frontend"), ("shop", "checkout")):
            s.add(t, "controllers", hpa, kcm_ua("system:serviceaccount:kube-system:horizontal-pod-autoscaler"),
                  CP_IP, "list", "pods", ns, uri="/apis/metrics.k8s.io/v1beta1/namespaces/%s/pods?labelSelector=app%%3D%s" % (ns, name))
            s.add(t + 0.01, "controllers", hpa, kcm_ua("system:serviceaccount:kube-system:horizontal-pod-autoscaler"),
                  CP_IP, "get", "deployments", ns, name, sub="scale")


def control_plane(s, cl):
    apis = {"username": "system:apiserver", "uid": None, "groups": ["system:masters"]}
    ua = kube_ua("kube-apiserver")
    for t in s.every(10.0, 0.3):
        s.add(t, "apiserver", apis, ua, "::1", "get", "endpoints", "default", "kubernetes")
        s.add(t + 0.01, "apiserver", apis, ua, "::1", "get", "endpointslices", "default", "kubernetes")
    for t in s.every(60.0, 2.0):
        s.add(t, "apiserver", apis, ua, "::1", "get", "namespaces", None, "kube-system")
        s.add(t, "apiserver", apis, ua, "::1", "get", "flowschemas", None, "exempt")
    cl.rewatch_loop("apiserver", apis, ua, "::1",
                    ["namespaces", "secrets", "serviceaccounts", "configmaps", "clusterroles",
                     "clusterrolebindings", "roles", "rolebindings", "mutatingwebhookconfigurations",
                     "validatingwebhookconfigurations", "apiservices", "customresourcedefinitions",
                     "flowschemas", "prioritylevelconfigurations", "priorityclasses"])
    sched = {"username": "system:kube-scheduler", "groups": ["system:authenticated"]}
    sua = kube_ua("kube-scheduler", "scheduler")
    cl.rewatch_loop("scheduler", sched, sua, CP_IP,
                    ["pods", "nodes", "persistentvolumes", "persistentvolumeclaims", "services",
                     "replicationcontrollers", "replicasets", "statefulsets", "storageclasses",
                     "csinodes", "csidrivers", "poddisruptionbudgets", "namespaces"])
    for controller, res in (
            ("replicaset-controller", ["replicasets", "pods"]),
            ("deployment-controller", ["deployments", "replicasets", "pods"]),
            ("daemon-set-controller", ["daemonsets", "pods", "nodes", "controllerrevisions"]),
            ("statefulset-controller", ["statefulsets", "pods", "controllerrevisions"]),
            ("job-controller", ["jobs", "pods"]), ("cronjob-controller", ["cronjobs", "jobs"]),
            ("endpointslice-controller", ["services", "pods", "endpointslices", "nodes"]),
            ("endpoint-controller", ["services", "pods", "endpoints"]),
            ("namespace-controller", ["namespaces"]),
            ("generic-garbage-collector", ["secrets", "configmaps", "pods", "deployments",
                                           "replicasets", "jobs", "serviceaccounts", "roles",
                                           "rolebindings", "services", "leases"]),
            ("resourcequota-controller", ["resourcequotas", "pods", "services", "secrets",
                                          "configmaps", "persistentvolumeclaims"]),
            ("node-controller", ["nodes", "leases", "pods"]),
            ("service-account-controller", ["serviceaccounts", "namespaces"]),
            ("root-ca-cert-publisher", ["configmaps", "namespaces"]),
            ("ttl-after-finished-controller", ["jobs"]),
            ("pvc-protection-controller", ["persistentvolumeclaims", "pods"])):
        u = kcm_sa(controller)
        cl.rewatch_loop("controllers", u, kcm_ua("system:serviceaccount:kube-system:" + controller),
                        CP_IP, res, period=480.0)
    # the garbage collector and quota controller rediscover the API every 30 s
    gc = kcm_sa("generic-garbage-collector")
    for t in s.every(30.0, 0.5):
        for p in ("/api", "/apis"):
            s.add(t, "controllers", gc, kcm_ua("system:serviceaccount:kube-system:generic-garbage-collector"),
                  CP_IP, "get", uri=p)


def health(s):
    anon = {"username": "system:anonymous", "groups": ["system:unauthenticated"]}
    pub = 'RBAC: allowed by ClusterRoleBinding "system:public-info-viewer" of ClusterRole "system:public-info-viewer" to Group "system:unauthenticated"'
    for t in s.every(1.0, 0.05):
        s.add(t, "health", anon, "kube-probe/1.29", CP_IP, "get", uri="/readyz", authz=pub, received=False)
    for t in s.every(10.0, 0.1):
        s.add(t, "health", anon, "kube-probe/1.29", CP_IP, "get", uri="/livez", authz=pub, received=False)
    for t in s.every(3.0, 0.1):
        s.add(t, "health", anon, "", "192.168.10.5", "get", uri="/healthz", authz=pub, received=False)
    prom = sa("monitoring", "kube-prometheus-stack-prometheus", "prometheus-kube-prometheus-stack-prometheus-0", "worker-3")
    for t in s.every(30.0, 0.5):
        s.add(t, "health", prom, "Prometheus/2.50.1", "10.244.3.30", "get", uri="/metrics",
              authz='RBAC: allowed by ClusterRoleBinding "kube-prometheus-stack-prometheus" of ClusterRole "kube-prometheus-stack-prometheus" to ServiceAccount "kube-prometheus-stack-prometheus/monitoring"')


OPERATORS = {
    # release: (ns, sa, userAgent, pod ip, own secrets, own configmaps, status writes,
    #           cluster-wide informers at start-up, reconcile period)
    "cert-manager": ("cert-manager", "cert-manager",
                     "cert-manager-certificates-issuing/v1.14.4 (linux/amd64) cert-manager/f6a7f8d",
                     "10.244.1.23", ["cert-manager-webhook-ca", "argocd-server-tls", "shop-tls"],
                     [], [("certificates", "shop", "shop-tls", "status")],
                     ["secrets", "certificates", "certificaterequests", "issuers", "clusterissuers",
                      "orders", "challenges", "ingresses", "pods", "services"], 20.0),
    "kube-prometheus-stack": ("monitoring", "kube-prometheus-stack-operator",
                              "operator/v0.72.0 (linux/amd64) kubernetes/$Format", "10.244.2.12",
                              ["prometheus-kube-prometheus-stack-prometheus",
                               "prometheus-kube-prometheus-stack-prometheus-tls-assets-0",
                               "prometheus-kube-prometheus-stack-prometheus-web-config",
                               "alertmanager-kube-prometheus-stack-alertmanager-generated"],
                              ["prometheus-kube-prometheus-stack-prometheus-rulefiles-0"],
                              [("prometheuses", "monitoring", "kube-prometheus-stack-prometheus", "status"),
                               ("services", "kube-system", "kube-prometheus-stack-kubelet", None),
                               ("endpoints", "kube-system", "kube-prometheus-stack-kubelet", None)],
                              ["prometheuses", "alertmanagers", "servicemonitors", "podmonitors",
                               "prometheusrules", "secrets", "configmaps", "statefulsets", "namespaces"], 30.0),
    "ingress-nginx": ("ingress-nginx", "ingress-nginx",
                      "nginx-ingress-controller/v1.10.0 (linux/amd64) ingress-nginx/71f78d49f0a496c31d4c19f095469f3f23900f8a",
                      "10.244.3.17", [], ["ingress-nginx-controller"],
                      [("ingresses", "shop", "shop", "status")],
                      ["ingresses", "ingressclasses", "services", "endpointslices", "secrets", "configmaps"], 30.0),
    "gatekeeper": ("gatekeeper-system", "gatekeeper-admin", "manager/v0.0.0 (linux/amd64) kubernetes/$Format",
                   "10.244.1.52", ["gatekeeper-webhook-server-cert"], [],
                   [("configs", "gatekeeper-system", "config", "status")],
                   ["constrainttemplates", "configs", "customresourcedefinitions", "namespaces",
                    "k8spspprivilegedcontainer", "validatingwebhookconfigurations",
                    "mutatingwebhookconfigurations"], 60.0),
    "argo-cd": ("argocd", "argocd-application-controller",
                "argocd-application-controller/v2.10.4+f5d63a5 (linux/amd64) kubernetes/$Format",
                "10.244.2.33", ["argocd-secret", "repo-shop-gitops"], ["argocd-cm", "argocd-rbac-cm",
                                                                      "argocd-cmd-params-cm"],
                [("applications", "argocd", "shop", None), ("applications", "argocd", "monitoring-rules", None)],
                ["secrets", "configmaps", "pods", "services", "deployments", "replicasets", "statefulsets",
                 "daemonsets", "jobs", "cronjobs", "ingresses", "endpointslices", "serviceaccounts",
                 "roles", "rolebindings", "clusterroles", "clusterrolebindings", "namespaces",
                 "persistentvolumeclaims", "customresourcedefinitions", "applications", "appprojects"], 60.0),
    "kubernetes-dashboard": ("kubernetes-dashboard", "kubernetes-dashboard-api",
                             "dashboard-api/1.4.1", "10.244.1.60", ["kubernetes-dashboard-csrf"],
                             ["kubernetes-dashboard-web-settings"], [], ["namespaces"], 15.0),
}

KSM_TYPES = ["configmaps", "secrets", "nodes", "pods", "services", "namespaces", "endpoints",
             "persistentvolumeclaims", "persistentvolumes", "resourcequotas", "limitranges",
             "replicationcontrollers", "daemonsets", "deployments", "replicasets", "statefulsets",
             "jobs", "cronjobs", "horizontalpodautoscalers", "ingresses", "leases",
             "mutatingwebhookconfigurations", "validatingwebhookconfigurations",
             "networkpolicies", "poddisruptionbudgets", "storageclasses",
             "certificatesigningrequests", "volumeattachments"]


def operator_ident(cl, release, restart=0):
    ns, sa_name, ua, ip = OPERATORS[release][:4]
    pod = "%s-%s-%s" % (sa_name, rid(random.Random(release + str(restart))),
                        rid(random.Random(release + str(restart) + "x"), 5))
    return sa(ns, sa_name, pod, "worker-%d" % (1 + len(release) % 3)), ua, ip


def operators(s, cl, alive):
    """Reconcile loops: re-reading the same secrets and configmaps, writing
    their own status and objects; alive(release, t) says if it runs."""
    rng = s.rng
    for release, (ns, sa_name, ua, ip, secs, cms, writes, _, period) in OPERATORS.items():
        user, ua, ip = operator_ident(cl, release)
        for t in s.every(period, period * 0.2):
            if not alive(release, t):
                continue
            for x in secs:
                s.add(t, "operator-reconcile", user, ua, ip, "get", "secrets",
                      "shop" if x == "shop-tls" else "argocd" if x == "argocd-server-tls" else ns, x)
            for x in cms:
                s.add(t + 0.01, "operator-reconcile", user, ua, ip, "get", "configmaps", ns, x)
            for res, wns, name, sub in writes:
                if rng.random() < 0.5:
                    verb = "patch" if res == "applications" else "update"
                    code = 409 if rng.random() < 0.05 else None
                    s.add(t + 0.02, "operator-reconcile", user, ua, ip, verb, res, wns, name, sub=sub,
                          query="" if verb == "patch" else None, code=code,
                          message='Operation cannot be fulfilled on %s "%s": the object has been modified; please apply your changes to the latest version and try again' % (res, name) if code else None)
    # argo-cd's API server: the administrator has the UI open
    srv = sa("argocd", "argocd-server", "argocd-server-7d8b9c6f4-lq2vd", "worker-1")
    for t in s.every(10.0, 3.0):
        if alive("argo-cd", t):
            for res, name in (("configmaps", "argocd-cm"), ("secrets", "argocd-secret"),
                              ("configmaps", "argocd-rbac-cm")):
                s.add(t, "operator-reconcile", srv, "argocd-server/v2.10.4+f5d63a5 (linux/amd64) kubernetes/$Format",
                      "10.244.1.44", "get", res, "argocd", name)
            s.add(t + 0.02, "operator-reconcile", srv, "argocd-server/v2.10.4+f5d63a5 (linux/amd64) kubernetes/$Format",
                  "10.244.1.44", "list", "applications", "argocd")
    # gatekeeper's audit: every minute, every kind in every namespace
    aud = sa("gatekeeper-system", "gatekeeper-admin", "gatekeeper-audit-6f8d7c9b5-pv7sd", "worker-2")
    for t in s.every(60.0, 1.0):
        if alive("gatekeeper", t):
            for i, r in enumerate(["pods", "services", "configmaps", "secrets", "deployments",
                                   "ingresses", "namespaces", "serviceaccounts", "roles"]):
                s.add(t + i * 0.2, "operator-reconcile", aud, "manager/v0.0.0 (linux/amd64) kubernetes/$Format",
                      "10.244.2.28", "list", r, None, query="limit=500")
            s.add(t + 2, "operator-reconcile", aud, "manager/v0.0.0 (linux/amd64) kubernetes/$Format",
                  "10.244.2.28", "patch", "k8spspprivilegedcontainer", None, "psp-privileged-container",
                  sub="status", query="")
    # Grafana's sidecar: dashboards and datasources in every namespace
    gsc = sa("monitoring", "kube-prometheus-stack-grafana", "kube-prometheus-stack-grafana-5c7b8f9d4-zr6tj", "worker-3")
    for t in s.every(60.0, 2.0):
        if alive("kube-prometheus-stack", t):
            s.add(t, "operator-reconcile", gsc, "OpenAPI-Generator/29.0.0/python", "10.244.3.22", "watch",
                  "configmaps", None, query="labelSelector=grafana_dashboard%3D1", duration=60.0)
            s.add(t, "operator-reconcile", gsc, "OpenAPI-Generator/29.0.0/python", "10.244.3.22", "watch",
                  "secrets", None, query="labelSelector=grafana_datasource%3D1", duration=60.0)
    # long-lived informers of the operators and kube-state-metrics
    for release, o in OPERATORS.items():
        user, ua, ip = operator_ident(cl, release)
        for r in o[7]:
            for t in s.every(420.0, 120.0):
                if alive(release, t):
                    cl.watch_pair(t, "operator-reconcile", user, ua, ip, r)
    ksm = sa("monitoring", "kube-prometheus-stack-kube-state-metrics",
             "kube-prometheus-stack-kube-state-metrics-6c9d8f7b5-2kxmd", "worker-1")
    for r in KSM_TYPES:
        for t in s.every(420.0, 120.0):
            cl.watch_pair(t, "operator-reconcile", ksm, "kube-state-metrics/v2.10.1 (linux/amd64) kubernetes/$Format",
                          "10.244.1.31", r)


def informer_startup(s, cl, release, t, restart):
    """A restarted operator lists and watches everything it caches."""
    user, ua, ip = operator_ident(cl, release, restart)
    cl.informers(t, "informer-start", user, ua, ip, OPERATORS[release][7])
    if release == "kube-prometheus-stack":
        ksm = sa("monitoring", "kube-prometheus-stack-kube-state-metrics",
                 "kube-prometheus-stack-kube-state-metrics-%s" % rid(s.rng), "worker-2")
        cl.informers(t + 1.5, "informer-start", ksm,
                     "kube-state-metrics/v2.10.1 (linux/amd64) kubernetes/$Format", pod_ip(s.rng), KSM_TYPES)


HELM_UA = "helm/v3.14.2"


def labels(c):
    return {"app.kubernetes.io/instance": c.release, "app.kubernetes.io/managed-by": "Helm",
            "helm.sh/chart": "%s-%s" % (c.chart, c.version)}


def meta(c, name, ns=True):
    m = {"name": name, "labels": labels(c),
         "annotations": {"meta.helm.sh/release-name": c.release, "meta.helm.sh/release-namespace": c.ns}}
    if ns:
        m["namespace"] = c.ns
    return m


def workload_body(c, w):
    tmpl = {"metadata": {"labels": {"app.kubernetes.io/name": w.name,
                                    "app.kubernetes.io/instance": c.release}},
            "spec": w.pod_spec()}
    spec = {"selector": {"matchLabels": tmpl["metadata"]["labels"]}, "template": tmpl}
    if w.kind in ("Deployment", "StatefulSet"):
        spec["replicas"] = w.replicas
    if w.kind == "Job":
        spec = {"backoffLimit": 6, "ttlSecondsAfterFinished": 300, "template": tmpl}
    api = "batch/v1" if w.kind == "Job" else "apps/v1"
    return {"kind": w.kind, "apiVersion": api, "metadata": meta(c, w.name), "spec": spec}


def plural(kind):
    return {"Deployment": "deployments", "StatefulSet": "statefulsets", "DaemonSet": "daemonsets",
            "Job": "jobs"}[kind]


class Helm:
    def __init__(self, s, cl, user, ip):
        self.s, self.cl, self.user, self.ip = s, cl, user, ip
        self.rng = s.rng

    def a(self, t, verb, resource=None, ns=None, name=None, **kw):
        kw.setdefault("authz", 'RBAC: allowed by ClusterRoleBinding "kubeadm:cluster-admins" of ClusterRole "cluster-admin" to Group "kubeadm:cluster-admins"')
        return self.s.add(t, "helm", self.user, HELM_UA, self.ip, verb, resource, ns, name, **kw)

    def discovery(self, t):
        for p in ("/version", "/api", "/apis", "/apis/apps/v1", "/apis/rbac.authorization.k8s.io/v1",
                  "/apis/admissionregistration.k8s.io/v1", "/apis/apiextensions.k8s.io/v1"):
            self.a(t, "get", uri=p)
            t += 0.01
        return t

    def history(self, t, c):
        sel = "labelSelector=name%%3D%s%%2Cowner%%3Dhelm" % c.release
        self.a(t, "list", "secrets", c.ns, query=sel)
        self.a(t + 0.02, "list", "secrets", c.ns,
               query="labelSelector=name%%3D%s%%2Cowner%%3Dhelm%%2Cstatus%%3Ddeployed" % c.release)
        return t + 0.05

    def release_secret(self, t, c, verb, rev):
        return self.a(t, verb, "secrets", c.ns, "sh.helm.release.v1.%s.v%d" % (c.release, rev))

    def objects(self, t, c, verb):
        """The chart's objects, in helm's install order."""
        items = []
        items += [("customresourcedefinitions", x, None) for x in c.crds]
        items += [("serviceaccounts", x, None) for x in c.sas]
        items += [("secrets", x, None) for x in c.secrets]
        items += [("configmaps", x, None) for x in c.configmaps]
        for name, rules in c.cluster_rbac:
            items.append(("clusterroles", name, {"kind": "ClusterRole", "apiVersion": "rbac.authorization.k8s.io/v1",
                                                 "metadata": meta(c, name, False), "rules": rules}))
            items.append(("clusterrolebindings", name, {
                "kind": "ClusterRoleBinding", "apiVersion": "rbac.authorization.k8s.io/v1",
                "metadata": meta(c, name, False),
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name},
                "subjects": [{"kind": "ServiceAccount", "name": c.sas[0], "namespace": c.ns}]}))
        for name, rules in c.ns_rbac:
            items.append(("roles", name, {"kind": "Role", "apiVersion": "rbac.authorization.k8s.io/v1",
                                          "metadata": meta(c, name), "rules": rules}))
            items.append(("rolebindings", name, {
                "kind": "RoleBinding", "apiVersion": "rbac.authorization.k8s.io/v1", "metadata": meta(c, name),
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
                "subjects": [{"kind": "ServiceAccount", "name": c.sas[-1], "namespace": c.ns}]}))
        for name, port in c.services:
            typ = "LoadBalancer" if name == "ingress-nginx-controller" else "ClusterIP"
            items.append(("services", name, {"kind": "Service", "apiVersion": "v1", "metadata": meta(c, name),
                                             "spec": {"type": typ, "ports": [{"port": port, "protocol": "TCP"}],
                                                      "selector": {"app.kubernetes.io/instance": c.release}}}))
        items += [(plural(w.kind), w.name, workload_body(c, w)) for w in c.workloads]
        for res, name in c.webhooks:
            items.append((res, name, {"kind": KIND[res], "apiVersion": "admissionregistration.k8s.io/v1",
                                      "metadata": meta(c, name, False), "webhooks": [{
                                          "name": name.replace("-", ".") + ".k8s.io",
                                          "clientConfig": {"service": {"name": name, "namespace": c.ns,
                                                                       "path": "/validate"}},
                                          "failurePolicy": "Fail", "sideEffects": "None",
                                          "admissionReviewVersions": ["v1"]}]}))
        done = []
        for res, name, body in items:
            if verb == "create":
                self.a(t, "create", res, c.ns, None if res != "customresourcedefinitions" else None,
                       body=body, query="fieldManager=helm")
            elif verb == "patch":
                self.a(t, "get", res, c.ns, name)
                if body is not None or self.rng.random() < 0.5:
                    patch = {"metadata": {"labels": labels(c)}}
                    if res in ("deployments", "statefulsets", "daemonsets"):
                        patch["spec"] = body["spec"]
                    self.a(t + 0.005, "patch", res, c.ns, name, body=patch if body is not None else None,
                           query="fieldManager=helm")
            else:
                self.a(t, "delete", res, c.ns, name)
            done.append((res, name))
            t += self.rng.uniform(0.01, 0.04)
        return t, items

    def hooks(self, t, c):
        for w in c.hooks:
            self.a(t, "create", "jobs", c.ns, body=workload_body(c, w), query="fieldManager=helm")
            job_pods(self.s, self.cl, c, w, t + 0.05)
            self.a(t + 0.1, "watch", "jobs", c.ns, query="fieldSelector=metadata.name%%3D%s" % w.name,
                   duration=8.0)
            t += 9.0
            if w.name.endswith("admission-patch"):
                ca_patch_job(self.s, c, t - 4.0)
            if w.name.endswith("admission-create"):
                s_ = sa(c.ns, w.sa, w.name + "-" + rid(self.rng, 5), "worker-2")
                self.s.add(t - 5.0, "ca-injection", s_, "kube-webhook-certgen/v0.0.0 (linux/amd64) kubernetes/$Format",
                           pod_ip(self.rng), "get", "secrets", c.ns, c.hooks[0].name.replace("-create", ""),
                           code=404, message='secrets "%s" not found' % c.hooks[0].name.replace("-create", ""))
                self.s.add(t - 4.9, "ca-injection", s_, "kube-webhook-certgen/v0.0.0 (linux/amd64) kubernetes/$Format",
                           pod_ip(self.rng), "create", "secrets", c.ns)
            self.a(t, "delete", "jobs", c.ns, w.name)
        return t

    def install(self, t, c):
        t = self.discovery(t)
        t = self.history(t, c)
        self.a(t, "get", "namespaces", None, c.ns, code=404, message='namespaces "%s" not found' % c.ns)
        self.a(t + 0.01, "create", "namespaces", None)
        self.release_secret(t + 0.05, c, "create", 1)
        t, items = self.objects(t + 0.1, c, "create")
        for w in c.workloads:
            rollout(self.s, self.cl, c, w, t + self.rng.uniform(0.1, 0.5))
        t = self.hooks(t + 1.0, c)
        self.release_secret(t, c, "update", 1)
        return t

    def upgrade(self, t, c):
        t = self.discovery(t)
        t = self.history(t, c)
        self.a(t, "get", "secrets", c.ns, "sh.helm.release.v1.%s.v%d" % (c.release, c.revision))
        c.revision += 1
        self.release_secret(t + 0.05, c, "create", c.revision)
        t, items = self.objects(t + 0.1, c, "patch")
        for w in c.workloads:
            rollout(self.s, self.cl, c, w, t + self.rng.uniform(0.1, 0.5), replace=True)
        t = self.hooks(t + 1.0, c)
        self.release_secret(t, c, "update", c.revision - 1)
        self.release_secret(t + 0.01, c, "update", c.revision)
        return t

    def uninstall(self, t, c):
        t = self.discovery(t)
        t = self.history(t, c)
        self.release_secret(t, c, "update", c.revision)
        t, items = self.objects(t + 0.1, c, "delete")
        for w in c.workloads:
            teardown(self.s, c, w, t + 0.5)
        for rev in range(1, c.revision + 1):
            self.release_secret(t + 0.1 * rev, c, "delete", rev)
        return t


def _pod_name(rng, w, i, hashed):
    if w.kind in ("StatefulSet",):
        return "%s-%d" % (w.name, i)
    return "%s-%s%s" % (w.name, (hashed + "-") if hashed else "", rid(rng, 5))


def pod_body(c, w, name, owner_kind, owner):
    b = {"kind": "Pod", "apiVersion": "v1",
         "metadata": {"namespace": c.ns, "labels": {"app.kubernetes.io/name": w.name,
                                                    "app.kubernetes.io/instance": c.release},
                      "ownerReferences": [{"apiVersion": "batch/v1" if owner_kind == "Job" else "apps/v1",
                                           "kind": owner_kind, "name": owner, "uid": None,
                                           "controller": True, "blockOwnerDeletion": True}]},
         "spec": w.pod_spec()}
    b["metadata"]["ownerReferences"][0]["uid"] = str(random.Random(owner).getrandbits(64))
    if w.kind == "StatefulSet":
        b["metadata"]["name"] = name
    else:
        b["metadata"]["generateName"] = name.rsplit("-", 1)[0] + "-"
    return b


def pod_lifecycle(s, c, w, t, name, creator, owner_kind, owner, node=None):
    """A controller creates a pod; the scheduler binds it; the kubelet runs it."""
    rng = s.rng
    ctl = kcm_sa(creator)
    ua = kcm_ua("system:serviceaccount:kube-system:" + creator)
    psa = {"pod-security.kubernetes.io/enforce-policy": "privileged:latest"}
    level = "Request" if rng.random() < 0.5 else "Metadata"
    s.add(t, "derived-objects", ctl, ua, CP_IP, "create", "pods", c.ns,
          body=pod_body(c, w, name, owner_kind, owner), level=level, extra_ann=psa,
          authz='RBAC: allowed by ClusterRoleBinding "system:controller:%s" of ClusterRole "system:controller:%s" to ServiceAccount "%s/kube-system"' % (creator, creator, creator))
    node = node or rng.choice(NODES[1:])
    sched = {"username": "system:kube-scheduler", "groups": ["system:authenticated"]}
    s.add(t + 0.02, "derived-objects", sched, kube_ua("kube-scheduler", "scheduler"), CP_IP,
          "create", "pods", c.ns, name, sub="binding")
    s.add(t + 0.03, "derived-objects", sched, kube_ua("kube-scheduler", "scheduler"), CP_IP,
          "create", "events", c.ns)
    ku = node_user(node[0])
    kua = kube_ua("kubelet")
    tk = t + rng.uniform(0.2, 0.8)
    s.add(tk, "derived-objects", ku, kua, node[1], "get", "pods", c.ns, name)
    s.add(tk + 0.01, "derived-objects", ku, kua, node[1], "create", "serviceaccounts", c.ns, w.sa, sub="token")
    for x in w.secrets:
        s.add(tk + 0.02, "derived-objects", ku, kua, node[1], "get", "secrets", c.ns, x)
    for x in w.configmaps + ["kube-root-ca.crt"]:
        s.add(tk + 0.02, "derived-objects", ku, kua, node[1], "get", "configmaps", c.ns, x)
    for d in (0.05, 2.5, 7.0):
        s.add(tk + d, "derived-objects", ku, kua, node[1], "patch", "pods", c.ns, name, sub="status",
              uri="/api/v1/namespaces/%s/pods/%s/status" % (c.ns, name))
    eps = kcm_sa("endpointslice-controller")
    s.add(tk + 7.5, "derived-objects", eps, kcm_ua("system:serviceaccount:kube-system:endpointslice-controller"),
          CP_IP, "update", "endpointslices", c.ns, "%s-%s" % (w.name, rid(rng, 5)))
    return tk + 7.0


def rollout(s, cl, c, w, t, replace=False):
    rng = s.rng
    if w.kind == "Deployment":
        rs = "%s-%s" % (w.name, rid(rng))
        d = kcm_sa("deployment-controller")
        dua = kcm_ua("system:serviceaccount:kube-system:deployment-controller")
        body = {"kind": "ReplicaSet", "apiVersion": "apps/v1", "metadata": {"name": rs, "namespace": c.ns},
                "spec": {"replicas": w.replicas, "template": workload_body(c, w)["spec"]["template"]}}
        s.add(t, "derived-objects", d, dua, CP_IP, "create", "replicasets", c.ns, body=body,
              level="Request" if rng.random() < 0.5 else "Metadata")
        for k in range(3):
            s.add(t + 0.5 + k * 3, "derived-objects", d, dua, CP_IP, "update", "deployments", c.ns, w.name,
                  sub="status")
        for i in range(w.replicas):
            name = "%s-%s" % (rs, rid(rng, 5))
            end = pod_lifecycle(s, c, w, t + 0.1 + i * 0.05, name, "replicaset-controller", "ReplicaSet", rs)
            if replace:
                s.add(end + 1, "derived-objects", kcm_sa("replicaset-controller"),
                      kcm_ua("system:serviceaccount:kube-system:replicaset-controller"), CP_IP,
                      "delete", "pods", c.ns, "%s-%s-%s" % (w.name, rid(rng), rid(rng, 5)))
        if replace:
            s.add(t + 10, "derived-objects", d, dua, CP_IP, "update", "replicasets", c.ns,
                  "%s-%s" % (w.name, rid(rng)))
    elif w.kind == "StatefulSet":
        for i in range(w.replicas):
            pod_lifecycle(s, c, w, t + i * 8.0, "%s-%d" % (w.name, i), "statefulset-controller",
                          "StatefulSet", w.name)
    elif w.kind == "DaemonSet":
        for i, node in enumerate(NODES):
            if replace:
                s.add(t + i * 6.0 - 0.5, "derived-objects", kcm_sa("daemon-set-controller"),
                      kcm_ua("system:serviceaccount:kube-system:daemon-set-controller"), CP_IP,
                      "delete", "pods", c.ns, "%s-%s" % (w.name, rid(rng, 5)))
            pod_lifecycle(s, c, w, t + i * 6.0, "%s-%s" % (w.name, rid(rng, 5)), "daemon-set-controller",
                          "DaemonSet", w.name, node=node)
    release = c.release
    if release in OPERATORS and w is c.workloads[0]:
        informer_startup(s, cl, release, t + 12.0, int(t))


def job_pods(s, cl, c, w, t):
    job = kcm_sa("job-controller")
    name = "%s-%s" % (w.name, rid(s.rng, 5))
    end = pod_lifecycle(s, c, w, t, name, "job-controller", "Job", w.name)
    s.add(end + 0.5, "derived-objects", job, kcm_ua("system:serviceaccount:kube-system:job-controller"),
          CP_IP, "update", "jobs", c.ns, w.name, sub="status")


def teardown(s, c, w, t):
    gc = kcm_sa("generic-garbage-collector")
    ua = kcm_ua("system:serviceaccount:kube-system:generic-garbage-collector")
    if w.kind == "Deployment":
        s.add(t, "derived-objects", gc, ua, CP_IP, "delete", "replicasets", c.ns, "%s-%s" % (w.name, rid(s.rng)))
    for i in range(w.replicas):
        s.add(t + 0.2 + i * 0.05, "derived-objects", gc, ua, CP_IP, "delete", "pods", c.ns,
              "%s-%s" % (w.name, rid(s.rng, 5)))


def cronjobs(s, cl):
    """shop/session-cleanup runs every five minutes: CronJob -> Job -> Pod."""
    c = Chart("shop", "shop", "shop", "1.0.0", ["session-cleanup"], [])
    w = Workload("Job", "session-cleanup", "session-cleanup",
                 [container("cleanup", "registry.example.com/shop/cleanup:2.3.1")])
    cj = kcm_sa("cronjob-controller")
    ua = kcm_ua("system:serviceaccount:kube-system:cronjob-controller")
    t = 40.0
    while t < s.span:
        job = "session-cleanup-%d" % (28512000 + int(t // 60))
        jw = Workload("Job", job, "session-cleanup", w.containers)
        s.add(t, "derived-objects", cj, ua, CP_IP, "create", "jobs", "shop", body=workload_body(c, jw),
              level="Request")
        s.add(t + 0.05, "derived-objects", cj, ua, CP_IP, "update", "cronjobs", "shop", "session-cleanup",
              sub="status")
        job_pods(s, cl, c, jw, t + 0.1)
        s.add(t + 30, "derived-objects", kcm_sa("ttl-after-finished-controller"),
              kcm_ua("system:serviceaccount:kube-system:ttl-after-finished-controller"), CP_IP,
              "delete", "jobs", "shop", "session-cleanup-%d" % (28512000 + int(t // 60) - 15))
        t += 300.0


def ca_patch(s, beh, user, ua, ip, t, res, name, verb="patch"):
    body = [{"op": "add", "path": "/webhooks/0/clientConfig/caBundle",
             "value": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJkakNDQVIyZ0F3SUJBZ0lRZm1Y"}]
    if verb == "update":
        # an update carries the whole object: the webhook still calls the
        # owner's service (in the updating account's namespace)
        svc_ns = user["username"].split(":")[2]
        body = {"kind": KIND[res], "apiVersion": "admissionregistration.k8s.io/v1",
                "metadata": {"name": name}, "webhooks": [{
                    "name": name.replace("-", ".") + ".k8s.io",
                    "clientConfig": {"service": {"name": name.replace("-configuration", "-service"),
                                                 "namespace": svc_ns, "path": "/v1/admit"},
                                     "caBundle": body[0]["value"]},
                    "rules": [{"apiGroups": ["*"], "apiVersions": ["*"], "operations": ["CREATE", "UPDATE"],
                               "resources": ["*"]}],
                    "failurePolicy": "Ignore", "sideEffects": "None",
                    "admissionReviewVersions": ["v1", "v1beta1"]}]}
    s.add(t, beh, user, ua, ip, "get", res, None, name)
    s.add(t + 0.01, beh, user, ua, ip, verb, res, None, name, body=body,
          query="" if verb == "patch" else None)


def ca_patch_job(s, c, t):
    """The chart's admission-patch hook writes the CA it made into its webhooks."""
    u = sa(c.ns, c.hooks[-1].sa, c.hooks[-1].name + "-" + rid(s.rng, 5), "worker-1")
    for res, name in c.webhooks:
        ca_patch(s, "ca-injection", u, "kube-webhook-certgen/v0.0.0 (linux/amd64) kubernetes/$Format",
                 pod_ip(s.rng), t, res, name)


def ca_injection(s, alive):
    cai = sa("cert-manager", "cert-manager-cainjector", "cert-manager-cainjector-5c5695d979-kwqz8", "worker-2")
    for t in s.every(90.0, 30.0):
        if alive("cert-manager", t):
            for res in ("validatingwebhookconfigurations", "mutatingwebhookconfigurations"):
                ca_patch(s, "ca-injection", cai, "cainjector/v1.14.4 (linux/amd64) kubernetes/$Format",
                         "10.244.2.41", t, res, "cert-manager-webhook", verb="update")
            s.add(t + 0.1, "ca-injection", cai, "cainjector/v1.14.4 (linux/amd64) kubernetes/$Format",
                  "10.244.2.41", "update", "customresourcedefinitions", None, "certificates.cert-manager.io")
    for replica in range(3):
        gk = sa("gatekeeper-system", "gatekeeper-admin",
                "gatekeeper-controller-manager-7f8c9b6d5-%s" % rid(random.Random(replica), 5),
                NODES[1 + replica][0])
        for t in s.every(120.0, 40.0):
            if alive("gatekeeper", t):
                s.add(t, "cert-rotation", gk, "manager/v0.0.0 (linux/amd64) kubernetes/$Format",
                      "10.244.%d.52" % (replica + 1), "get", "secrets", "gatekeeper-system",
                      "gatekeeper-webhook-server-cert")
                for res, name in (("validatingwebhookconfigurations", "gatekeeper-validating-webhook-configuration"),
                                  ("mutatingwebhookconfigurations", "gatekeeper-mutating-webhook-configuration")):
                    ca_patch(s, "ca-injection", gk, "manager/v0.0.0 (linux/amd64) kubernetes/$Format",
                             "10.244.%d.52" % (replica + 1), t + 0.05, res, name, verb="update")


def cert_rotation(s, alive):
    cm = sa("cert-manager", "cert-manager", "cert-manager-7d9f8d7b9c-x2hpl", "worker-1")
    ua = "cert-manager-certificates-issuing/v1.14.4 (linux/amd64) cert-manager/f6a7f8d"
    for i, (ns, cert) in enumerate((("shop", "shop-tls"), ("argocd", "argocd-server-tls"),
                                    ("monitoring", "grafana-tls"), ("cert-manager", "cert-manager-webhook-ca"))):
        t = 60.0 + i * 97.0
        if not alive("cert-manager", t):
            continue
        s.add(t, "cert-rotation", cm, ua.replace("issuing", "request-manager"), "10.244.1.23", "create",
              "certificaterequests", ns)
        s.add(t + 0.4, "cert-rotation", cm, ua.replace("issuing", "request-manager"), "10.244.1.23",
              "update", "certificaterequests", ns, "%s-%d" % (cert, 3 + i), sub="status")
        s.add(t + 0.8, "cert-rotation", cm, ua, "10.244.1.23", "get", "secrets", ns, cert)
        s.add(t + 0.9, "cert-rotation", cm, ua, "10.244.1.23", "update", "secrets", ns, cert)
        s.add(t + 1.0, "cert-rotation", cm, ua, "10.244.1.23", "update", "certificates", ns, cert, sub="status")
    wh = sa("cert-manager", "cert-manager-webhook", "cert-manager-webhook-6f9d8b7c5-m4x8r", "worker-3")
    for t in s.every(120.0, 20.0):
        if alive("cert-manager", t):
            s.add(t, "cert-rotation", wh, "webhook/v1.14.4 (linux/amd64) cert-manager/f6a7f8d", "10.244.3.40",
                  "get", "secrets", "cert-manager", "cert-manager-webhook-ca")


def forbid(s, t, beh, user, ua, ip, verb, res, ns, name, message, reason=""):
    s.add(t, beh, user, ua, ip, verb, res, ns, name, code=403, message=message, decision="forbid",
          authz=reason)


def startup_denials(s, t0):
    """The API server restarts (a certificate renewal); for a few seconds its
    RBAC cache is cold and the scheduler's informers are denied."""
    sched = {"username": "system:kube-scheduler", "groups": ["system:authenticated"]}
    ua = kube_ua("kube-scheduler", "scheduler")
    for k in range(3):
        for res, grp in (("pods", '""'), ("nodes", '""'), ("persistentvolumeclaims", '""'),
                         ("statefulsets", '"apps"'), ("csinodes", '"storage.k8s.io"'),
                         ("storageclasses", '"storage.k8s.io"'), ("poddisruptionbudgets", '"policy"'),
                         ("namespaces", '""')):
            forbid(s, t0 + k * 1.1 + s.rng.uniform(0, 0.3), "startup-403", sched, ua, CP_IP, "list", res, None, None,
                   '%s is forbidden: User "system:kube-scheduler" cannot list resource "%s" in API group %s at the cluster scope' % (
                       res, res, grp))
    for node, ip in NODES[1:]:
        forbid(s, t0 + 0.5, "startup-403", node_user(node), kube_ua("kubelet"), ip, "get", "nodes", None, node,
               'nodes "%s" is forbidden: User "system:node:%s" cannot get resource "nodes" in API group "" at the cluster scope' % (node, node))


def node_denials(s):
    """Kubelets asking for objects of pods not (yet) bound to them: the Node
    authorizer finds no relationship."""
    rng = s.rng
    for t in s.every(70.0, 30.0):
        node, ip = rng.choice(NODES[1:])
        ns, name, res = rng.choice([("airflow", "airflow-fernet-key", "secrets"),
                                    ("monitoring", "kube-prometheus-stack-grafana", "configmaps"),
                                    ("shop", "shop-db-credentials", "secrets"),
                                    ("argocd", "argocd-redis", "secrets")])
        why = "no relationship found between node '%s' and this object" % node
        forbid(s, t, "node-authz-403", node_user(node), kube_ua("kubelet"), ip, "get", res, ns, name,
               '%s "%s" is forbidden: User "system:node:%s" cannot get resource "%s" in API group "" in the namespace "%s": %s' % (
                   res, name, node, res, ns, why), reason=why)


def admission_denials(s):
    """A ReplicaSet whose pods the namespace's admission refuses: the
    replicaset-controller is allowed by RBAC and denied by admission, with
    backoff; and 422s from invalid writes."""
    rs = kcm_sa("replicaset-controller")
    ua = kcm_ua("system:serviceaccount:kube-system:replicaset-controller")
    t, back = 20.0, 1.0
    while t < s.span:
        s.add(t, "admission-deny", rs, ua, CP_IP, "create", "pods", "shop", code=403,
              message='pods "legacy-batch-7c9f5d8b6-" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "worker" must set securityContext.allowPrivilegeEscalation=false), runAsNonRoot != true (pod or container "worker" must set securityContext.runAsNonRoot=true)',
              authz='RBAC: allowed by ClusterRoleBinding "system:controller:replicaset-controller" of ClusterRole "system:controller:replicaset-controller" to ServiceAccount "replicaset-controller/kube-system"',
              extra_ann={"pod-security.kubernetes.io/enforce-policy": "restricted:latest"})
        t += back
        back = min(back * 2, 60.0)
    t, back = 35.0, 1.0
    while t < s.span:
        s.add(t, "admission-deny", rs, ua, CP_IP, "create", "pods", "analytics", code=403,
              message='admission webhook "validation.gatekeeper.sh" denied the request: [psp-privileged-container] Privileged container is not allowed: profiler, securityContext: {"privileged": true}',
              authz='RBAC: allowed by ClusterRoleBinding "system:controller:replicaset-controller" of ClusterRole "system:controller:replicaset-controller" to ServiceAccount "replicaset-controller/kube-system"')
        t += back
        back = min(back * 2, 90.0)
    dep = kcm_sa("deployment-controller")
    for t in s.every(150.0, 30.0):
        s.add(t, "admission-deny", dep, kcm_ua("system:serviceaccount:kube-system:deployment-controller"), CP_IP,
              "update", "deployments", "shop", "legacy-batch", sub="status", code=422,
              message='Deployment.apps "legacy-batch" is invalid: status.availableReplicas: Invalid value: 1: cannot be greater than readyReplicas')


def admins(s, cl):
    rng = s.rng
    ua = "kubectl/v1.29.2 (linux/amd64) kubernetes/4b8e819"
    admin_authz = 'RBAC: allowed by ClusterRoleBinding "kubeadm:cluster-admins" of ClusterRole "cluster-admin" to Group "kubeadm:cluster-admins"'
    oidc_authz = 'RBAC: allowed by ClusterRoleBinding "platform-admins" of ClusterRole "cluster-admin" to Group "oidc:platform-admins"'
    for t in s.every(20.0, 10.0):
        user, ip, authz = rng.choice([(ADMIN, ADMIN_IP, admin_authz), (OIDC, "10.20.4.33", oidc_authz)])
        ns = rng.choice(["monitoring", "argocd", "cert-manager", "ingress-nginx", "shop", "airflow",
                         "gatekeeper-system", "kube-system"])
        what = rng.random()
        if what < 0.4:
            s.add(t, "admin-kubectl", user, ua, ip, "list", "pods", ns, query="limit=500", authz=authz)
        elif what < 0.55:
            s.add(t, "admin-kubectl", user, ua, ip, "list", "pods", None, query="limit=500", authz=authz)
        elif what < 0.7:
            s.add(t, "admin-kubectl", user, ua, ip, "list", "nodes", None, query="limit=500", authz=authz)
        elif what < 0.85:
            pod = "%s-%s-%s" % (ns, rid(rng), rid(rng, 5))
            s.add(t, "admin-kubectl", user, ua, ip, "get", "pods", ns, pod, authz=authz)
            s.add(t + 0.05, "admin-kubectl", user, ua, ip, "list", "events", ns,
                  query="fieldSelector=involvedObject.name%%3D%s&limit=500" % pod, authz=authz)
        else:
            s.add(t, "admin-kubectl", user, ua, ip, "list", "deployments", ns, query="limit=500", authz=authz)
            s.add(t + 0.1, "admin-kubectl", user, ua, ip, "watch", "deployments", ns,
                  query="fieldSelector=metadata.name%3Dweb", duration=20.0)


def namespace_deletion(s, t, ns):
    s.add(t, "admin-kubectl", ADMIN, "kubectl/v1.29.2 (linux/amd64) kubernetes/4b8e819", ADMIN_IP,
          "delete", "namespaces", None, ns,
          authz='RBAC: allowed by ClusterRoleBinding "kubeadm:cluster-admins" of ClusterRole "cluster-admin" to Group "kubeadm:cluster-admins"')
    nc = kcm_sa("namespace-controller")
    ua = kcm_ua("system:serviceaccount:kube-system:namespace-controller")
    for i, r in enumerate(["configmaps", "endpoints", "events", "limitranges", "persistentvolumeclaims",
                           "pods", "podtemplates", "replicationcontrollers", "resourcequotas", "secrets",
                           "serviceaccounts", "services", "controllerrevisions", "daemonsets",
                           "deployments", "replicasets", "statefulsets", "horizontalpodautoscalers",
                           "cronjobs", "jobs", "leases", "endpointslices", "ingresses",
                           "networkpolicies", "poddisruptionbudgets", "rolebindings", "roles"]):
        s.add(t + 0.5 + i * 0.02, "derived-objects", nc, ua, CP_IP, "deletecollection", r, ns)
    s.add(t + 2.0, "derived-objects", nc, ua, CP_IP, "delete", "namespaces", None, ns)


def benign(rng, minutes):
    s = Stream(rng, minutes)
    cl = Cluster(s, charts())
    span = s.span
    helm = Helm(s, cl, ADMIN, ADMIN_IP)
    c = cl.charts
    window = {"kubernetes-dashboard": (0.45 * span, 0.72 * span), "airflow": (0.12 * span, 0.82 * span)}

    def alive(release, t):
        lo, hi = window.get(release, (-1.0, span + 1))
        return lo + 30.0 <= t < hi

    leases(s)
    kubelets(s, cl)
    addons(s, cl)
    control_plane(s, cl)
    health(s)
    operators(s, cl, alive)
    ca_injection(s, alive)
    cert_rotation(s, alive)
    node_denials(s)
    admission_denials(s)
    admins(s, cl)
    cronjobs(s, cl)
    helm.upgrade(0.05 * span, c["cert-manager"])
    helm.install(0.12 * span, c["airflow"])
    helm.upgrade(0.22 * span, c["ingress-nginx"])
    helm.upgrade(0.32 * span, c["kube-prometheus-stack"])
    startup_denials(s, 0.40 * span)
    helm.install(0.45 * span, c["kubernetes-dashboard"])
    t = helm.upgrade(0.55 * span, c["argo-cd"])
    s.add(t + 3.0, "admin-kubectl", ADMIN, "kubectl/v1.29.2 (linux/amd64) kubernetes/4b8e819", ADMIN_IP,
          "get", "secrets", "argocd", "argocd-initial-admin-secret",
          authz='RBAC: allowed by ClusterRoleBinding "kubeadm:cluster-admins" of ClusterRole "cluster-admin" to Group "kubeadm:cluster-admins"')
    helm.upgrade(0.62 * span, c["gatekeeper"])
    helm.uninstall(0.72 * span, c["kubernetes-dashboard"])
    t = helm.uninstall(0.82 * span, c["airflow"])
    namespace_deletion(s, t + 5.0, "airflow")
    return s


def load_attacks(path):
    out = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("//"):
                out.append(json.loads(line))
    return out


def attack_events(rec):
    if "file" in rec:
        with open(os.path.join(HERE, "..", "data", rec["file"])) as f:
            return [json.loads(x) for x in f if x.strip()]
    return rec["events"]


def as_v1(ev, audit_id, t):
    """An attack event as an audit.k8s.io/v1 Event at stream time t."""
    ev = json.loads(json.dumps(ev))
    ev.pop("metadata", None)
    ev.pop("timestamp", None)
    ev["kind"] = "Event"
    ev["apiVersion"] = "audit.k8s.io/v1"
    ev.setdefault("level", "Metadata")
    ev.setdefault("stage", "ResponseComplete")
    ev["auditID"] = audit_id
    t0 = START + timedelta(seconds=t)
    ev["requestReceivedTimestamp"] = stamp(t0)
    ev["stageTimestamp"] = stamp(t0 + timedelta(milliseconds=5))
    return ev


def mix_attacks(s, attacks):
    rng = random.Random(s.rng.random())
    for rec in attacks:
        t = rng.uniform(0.05 * s.span, 0.95 * s.span)
        ids = {}
        for i, ev in enumerate(attack_events(rec)):
            key = ev.get("auditID") or str(i)
            if key not in ids:
                ids[key] = "attack-%s-%04d" % (rec["name"], len(ids))
            tt = t + i * 0.4
            s.serial += 1
            s.events.append((tt, s.serial, as_v1(ev, ids[key], tt)))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--events", type=int, default=20000,
                    help="about this many benign events (default 20000)")
    ap.add_argument("--attacks", default=os.path.join(HERE, "attacks.jsonl"))
    ap.add_argument("--no-attacks", action="store_true")
    ap.add_argument("-o", "--output", default="-")
    a = ap.parse_args(argv)
    rng = random.Random(a.seed)
    s = benign(rng, max(a.events, 1000) / EVENTS_PER_MINUTE)
    if not a.no_attacks:
        mix_attacks(s, load_attacks(a.attacks))
    s.events.sort(key=lambda e: (e[0], e[1]))
    out = sys.stdout if a.output == "-" else open(a.output, "w")
    for _, _, ev in s.events:
        out.write(json.dumps(ev, separators=(",", ":")) + "\n")
    if out is not sys.stdout:
        out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
