#!/usr/bin/env python3
"""Tally kag's verdicts on the peers' own test events.

Runs the built kag-triage (--all) over every labelled event of the Panther
EKS/GKE/AKS test files (tests/data/panther-analysis/index.json labels each
line with the peer rule and its expected result) and over the Falco k8s-audit
trace files named after the rule they should or should not trigger. Each
event is judged on its own, as the peers' own test harnesses do (the Panther
fixtures reuse auditIDs, which kag would otherwise de-duplicate as stages of
one request).

For each peer rule, mapped to the kag detector of issue 3, it prints the
positives the detector flagged (a suspicious or malicious verdict above info) and the
negatives it flagged. Events where kag deliberately differs are listed with
the reason from EXPLAINED below; anything else that disagrees is listed as
UNEXPLAINED.

Each explained difference is also pinned to kag's exact outcome on that
event (flagged, declined or quiet, with the verdict's severity, assessment
and reason) in pinned.json beside this script: an explained line whose
outcome changes fails the tally too. --update-pinned rewrites the file, for
a deliberate change only (review its diff).

usage: tally.py [--triage PATH] [--data DIR] [--quiet] [--update-pinned]
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# peer rule (Panther RuleID suffix match, or Falco trace name) -> kag detector
PANTHER_MAP = [
    ("AnonymousAPIAccess", "anonymous_access"),
    ("API.AnonymousAccess", "anonymous_access"),
    ("Multiple403.PublicIP", "rbac_probing"),
    ("Multiple403", "rbac_probing"),
    ("Secret.AccessDenied", "rbac_probing"),
    ("SystemNamespaceFromPublicIP", "public_source"),
    ("System.Principal.PublicIP", "public_source"),
    ("Privileged.Created", "privileged_workload"),
    ("Privileged.Pod.Created", "privileged_workload"),
    ("HostPath.Volume", "privileged_workload"),
    ("Host.Path.Volume.Mount", "privileged_workload"),
    ("Host.IPC", "privileged_workload"),
    ("Host.Network", "privileged_workload"),
    ("Host.PID", "privileged_workload"),
    ("Host.PID.Namespace", "privileged_workload"),
    ("Dangerous.Capabilities", "privileged_workload"),
    ("NodePort.Deployed", "exposed_service"),
    ("Ingress.NoTLS", "exposed_service"),
    ("ExecIntoPod", "interactive_access"),
    ("Pod.Exec", "interactive_access"),
    ("Kubectl.CP.Operation", "interactive_access"),
    ("StealServiceAccountToken", "interactive_access"),
    ("AdmissionController.Created", "control_plane_tampering"),
    ("BulkSecretAccess", "secrets_access"),
    ("Secrets.DumpAllNamespaces", "secrets_access"),
    ("ClientCertificate.Created", "credential_minting"),
    ("ServiceAccount.TokenCreated", "credential_minting"),
    ("ClusterRoleBinding.Privileged", "rbac_escalation"),
    ("Role.NodeProxyPermissions", "rbac_escalation"),
    ("Role.PodExec", "rbac_escalation"),
    ("Role.Wildcard", "rbac_escalation"),
    ("Role.WritePermissions", "rbac_escalation"),
    ("SystemRole.Modified", "rbac_escalation"),
    ("CronJob.CreatedOrModified", "persistence_workload"),
    ("DaemonSet.Created", "persistence_workload"),
    ("Pod.SystemNamespace", "persistence_workload"),
]

# Falco trace file (without .json) -> (Falco rule, kag detector, should fire)
FALCO_MAP = {
    "anonymous_creates_namespace_foo": ("anonymous_creates_namespace", "anonymous_access", True),
    "exec_pod": ("exec_pod", "interactive_access", True),
    "attach_pod": ("attach_pod", "interactive_access", True),
    "attach_cluster_admin_role": ("attach_cluster_admin_role", "rbac_escalation", True),
    "create_cluster_role_pod_exec": ("cluster_role_*", "rbac_escalation", True),
    "create_cluster_role_wildcard_resources": ("cluster_role_*", "rbac_escalation", True),
    "create_cluster_role_wildcard_verbs": ("cluster_role_*", "rbac_escalation", True),
    "create_cluster_role_write_privileges": ("cluster_role_*", "rbac_escalation", True),
    "delete_cluster_role_kube_aggregator": ("cluster_role_*", "rbac_escalation", True),
    "modify_cluster_role_node_problem_detector": ("cluster_role_*", "rbac_escalation", True),
    "create_nginx_pod_privileged": ("privileged", "privileged_workload", True),
    "create_nginx_pod_privileged_2nd_container": ("privileged", "privileged_workload", True),
    "create_nginx_pod_no_secctx_1st_container_privileged_2nd_container":
        ("privileged", "privileged_workload", True),
    "create_nginx_pod_unprivileged": ("privileged", "privileged_workload", False),
    "create_nginx_pod_sensitive_mount": ("sensitive_mount", "privileged_workload", True),
    "create_nginx_pod_sensitive_mount_2nd_container":
        ("sensitive_mount", "privileged_workload", True),
    "create_nginx_pod_unsensitive_mount": ("sensitive_mount", "privileged_workload", False),
    "create_nginx_pod_hostnetwork": ("hostnetwork", "privileged_workload", True),
    "create_nginx_pod_nohostnetwork": ("hostnetwork", "privileged_workload", False),
    "create_nginx_service_nodeport": ("nodeport", "exposed_service", True),
    "create_nginx_service_nonodeport": ("nodeport", "exposed_service", False),
    "create_pod_kube_system_namespace":
        ("create_pod_kube_system_namespace", "persistence_workload", True),
    "create_pod_kube_public_namespace":
        ("create_pod_kube_system_namespace", "persistence_workload", True),
}

# Events where kag deliberately differs from the peer's expectation.
# key: (file, line, rule id) for Panther, ("falco", trace name) for Falco.
EXPLAINED = {
    # anonymous_access
    ("eks_audit_native_events.jsonl", 3, "Amazon.EKS.AnonymousAPIAccess"):
        "anonymous GET /version: health and version endpoints are excluded by design "
        "(issue 3); Panther flags it because the source is public",
    ("eks_audit_native_events.jsonl", 7, "Amazon.EKS.AnonymousAPIAccess"):
        "anonymous /healthz: excluded from any source (cloud health checkers use public "
        "ranges); Panther only excludes private sources",
    ("eks_audit_native_events.jsonl", 8, "Amazon.EKS.AnonymousAPIAccess"):
        "403/forbid: a denied request is not access; it belongs to rbac_probing (a single "
        "denial on a non-sensitive path is below its burst threshold)",
    # rbac_probing thresholds
    ("eks_audit_native_events.jsonl", 11, "Amazon.EKS.Audit.Multiple403"):
        "a single 403 on endpointslices: the peer rule is a threshold rule (10 in 30 min) "
        "whose test feeds one event; kag's burst fires on the 10th denial "
        "(check_catalogue replays it)",
    ("eks_audit_native_events.jsonl", 68, "Kubernetes.API.Multiple403.PublicIP"):
        "single 403 of a threshold rule; kag's burst fires on the 10th denial",
    ("eks_audit_native_events.jsonl", 130, "Kubernetes.Secret.AccessDenied"):
        "404 Not Found is not a denial (no authorization failure); Panther counts any "
        "failed request",
    ("eks_audit_native_events.jsonl", 133, "Kubernetes.Secret.AccessDenied"):
        "kag reports every denied secret read, also by kube-system service accounts "
        "(a denied platform identity is not reconciliation); Panther excludes system users",
    ("eks_audit_native_events.jsonl", 135, "Kubernetes.Secret.AccessDenied"):
        "a denied secrets list is reported too; the peer rule only looks at get",
    # public_source
    ("eks_audit_native_events.jsonl", 14, "Amazon.EKS.Audit.SystemNamespaceFromPublicIP"):
        "stage ResponseStarted: kag judges each request once, on whichever stage comes "
        "first, so the stage carries no weight; Panther skips ResponseStarted",
    ("eks_audit_native_events.jsonl", 17, "Amazon.EKS.Audit.SystemNamespaceFromPublicIP"):
        "node on an AWS public address: Panther excludes cloud node ranges; kag carries no "
        "provider range data (policy trusted_networks)",
    ("eks_audit_native_events.jsonl", 171, "Kubernetes.System.Principal.PublicIP"):
        "node on an AWS public address: Panther excludes cloud node ranges; kag carries no "
        "provider range data (policy trusted_networks)",
    ("eks_audit_native_events.jsonl", 176, "Kubernetes.System.Principal.PublicIP"):
        "sourceIPs [10.0.1.5, 54.212.83.236]: kag judges the last entry (the connection "
        "peer, public); Panther requires every entry to be public, which lets a client "
        "hide behind a forged X-Forwarded-For",
    # privileged_workload
    ("eks_audit_native_events.jsonl", 99, "Kubernetes.Pod.Privileged.Created"):
        "runAsNonRoot: false is not privilege (no host access, no capabilities); the "
        "peer rule is broader than its name",
    ("eks_audit_native_events.jsonl", 100, "Kubernetes.Pod.Privileged.Created"):
        "runAsUser: 0 is not privilege (no host access, no capabilities); the peer rule "
        "is broader than its name",
    # exposed_service
    ("eks_audit_native_events.jsonl", 57, "Kubernetes.Ingress.NoTLS"):
        "ingress without TLS in kube-system by a person: kag does not exempt system "
        "namespaces (exposing their services without TLS is worse, not better)",
    ("eks_audit_native_events.jsonl", 59, "Kubernetes.Ingress.NoTLS"):
        "update of an ingress without TLS: kag judges updates too (low)",
    # credential_minting
    ("eks_audit_native_events.jsonl", 157, "Kubernetes.ServiceAccount.TokenCreated"):
        "kube-controller-manager minting a token outside the system namespaces: reported, "
        "but low (a platform identity)",
    # rbac_escalation
    ("eks_audit_native_events.jsonl", 38, "Kubernetes.ClusterRoleBinding.Privileged"):
        "RoleBinding to cluster-admin: kag covers namespaced bindings too (as Elastic); "
        "the peer rule is ClusterRoleBinding only",
    ("eks_audit_native_events.jsonl", 107, "Kubernetes.Role.NodeProxyPermissions"):
        "a Role granting create on pods: a write grant (low), in scope of the sibling "
        "rule Role.WritePermissions",
    ("eks_audit_native_events.jsonl", 110, "Kubernetes.Role.NodeProxyPermissions"):
        "update of a role granting nodes/proxy: kag judges updates and patches too",
    ("eks_audit_native_events.jsonl", 116, "Kubernetes.Role.PodExec"):
        "update of a role granting pods/exec: kag judges updates and patches too",
    ("eks_audit_native_events.jsonl", 122, "Kubernetes.Role.Wildcard"):
        "update of a role granting *: kag judges updates and patches too",
    ("eks_audit_native_events.jsonl", 128, "Kubernetes.Role.WritePermissions"):
        "update of a role granting pod create: kag judges updates and patches too",
    # persistence_workload
    ("eks_audit_native_events.jsonl", 77, "Kubernetes.Pod.SystemNamespace"):
        "a deployment created in kube-system by a person: the peer rule looks at pods "
        "only, kag judges the workload at its origin (the pods the controllers derive "
        "from it are baselined), as Defender and GKE do",
    ("falco", "create_pod_kube_system_namespace"):
        "the pod was created by the replicaset-controller (platform baseline) from a "
        "ReplicaSet; Falco's rule is an image allowlist, kag judges the identity",
    ("falco", "create_pod_kube_public_namespace"):
        "the pod was created by the replicaset-controller (platform baseline) from a "
        "ReplicaSet; Falco's rule is an image allowlist, kag judges the identity",
    ("aks_diagnostic_records.jsonl", 18, "Kubernetes.Pod.HostPath.Volume"):
        "hostPath /mnt/data is not a sensitive path (policy sensitive_host_paths); the "
        "peer rule flags any hostPath",
    ("gke_cloudaudit_logentries.jsonl", 11, "GCP.K8S.Privileged.Pod.Created"):
        "runAsNonRoot: false is not privilege; the peer rule is broader than its name",
    ("gke_cloudaudit_logentries.jsonl", 14, "GCP.K8S.Privileged.Pod.Created"):
        "privileged pod in kube-system by container-engine-robot@<project>."
        "iam.gserviceaccount.com: kag does not treat every Google service account as "
        "platform (Panther trusts the whole .iam.gserviceaccount.com suffix); the GKE "
        "robot belongs in provider_prefixes/trusted_users",
    # public_source on cloud node ranges
    ("aks_diagnostic_records.jsonl", 31, "Kubernetes.System.Principal.PublicIP"):
        "kube-system service account on an Azure public address: kag carries no provider "
        "range data (policy trusted_networks)",
    ("aks_diagnostic_records.jsonl", 32, "Kubernetes.System.Principal.PublicIP"):
        "kube-system service account on an Azure public address: kag carries no provider "
        "range data (policy trusted_networks)",
    ("aks_diagnostic_records.jsonl", 33, "Kubernetes.System.Principal.PublicIP"):
        "node on an Azure public address: kag carries no provider range data (policy "
        "trusted_networks)",
    # anonymous on GKE
    ("gke_cloudaudit_logentries.jsonl", 20, "Kubernetes.API.AnonymousAccess"):
        "the fixture names system:anonymous only in authenticationInfo.authoritySelector "
        "(no principalEmail); the GKE front end does not take the selector for the user, "
        "so the request has no identity",
    # threshold rules on AKS/GKE
    ("aks_diagnostic_records.jsonl", 12, "Kubernetes.API.Multiple403.PublicIP"):
        "single 403 of a threshold rule; kag's burst fires on the 10th denial",
    ("gke_cloudaudit_logentries.jsonl", 30, "Kubernetes.API.Multiple403.PublicIP"):
        "single 403 of a threshold rule; kag's burst fires on the 10th denial",
    # interactive_access: an exec is interactive access whatever its command
    ("eks_audit_native_events.jsonl", 63, "Kubernetes.Kubectl.CP.Operation"):
        "an exec is interactive access whatever the command (sibling rule Pod.Exec)",
    ("eks_audit_native_events.jsonl", 64, "Kubernetes.Kubectl.CP.Operation"):
        "an exec is interactive access whatever the command (sibling rule Pod.Exec)",
    ("eks_audit_native_events.jsonl", 65, "Kubernetes.Kubectl.CP.Operation"):
        "an exec is interactive access whatever the command (sibling rule Pod.Exec)",
    ("eks_audit_native_events.jsonl", 66, "Kubernetes.Kubectl.CP.Operation"):
        "an exec is interactive access whatever the command, also by a kube-system "
        "service account (never baseline: controller_baseline excludes exec)",
    ("eks_audit_native_events.jsonl", 164, "Kubernetes.Pod.StealServiceAccountToken"):
        "an exec is interactive access whatever the command (sibling rule Pod.Exec)",
    ("eks_audit_native_events.jsonl", 167, "Kubernetes.Pod.StealServiceAccountToken"):
        "an exec is interactive access whatever the command, also by kube-proxy's "
        "service account (never baseline: controller_baseline excludes exec)",
    # secrets_access
    ("eks_audit_native_events.jsonl", 145, "Kubernetes.Secrets.DumpAllNamespaces"):
        "a namespaced secrets list by a person: secrets access (medium), in scope of the "
        "sibling rule BulkSecretAccess; only the all-namespaces dump ranks high",
    ("eks_audit_native_events.jsonl", 146, "Kubernetes.Secrets.DumpAllNamespaces"):
        "a secret read by a person: secrets access (medium), in scope of the sibling rule "
        "BulkSecretAccess",
    ("eks_audit_native_events.jsonl", 139, "Kubernetes.BulkSecretAccess"):
        "403 on get secrets: a denied read is rbac_probing's (reported there as a denied "
        "attempt), never secrets access",
}


def detector_for(rule_id):
    for suffix, det in PANTHER_MAP:
        if rule_id.endswith(suffix):
            return det
    return None


def run(triage, data):
    p = subprocess.run([triage, "--all", "-"], input=data, capture_output=True)
    verdicts, errors = [], []
    for line in p.stdout.decode("utf-8", "replace").splitlines():
        if not line.strip():
            continue
        rec = json.loads(line)
        if "error" in rec:
            errors.append(rec["error"])
        else:
            verdicts.append(rec)
    return verdicts, errors


def outcome_of(verdicts, errors, det):
    """flagged, declined (needs_context) or quiet; 'rejected' if not parsed."""
    if errors and not verdicts:
        return "rejected", errors[0].get("message", "")
    mine = [v for v in verdicts if v["detector"] == det]
    # a flag is what kag-triage writes as a finding by default: suspicious
    # or malicious at low and up (info verdicts record, they do not alert)
    flags = [v for v in mine if v["assessment"] in ("suspicious", "malicious")
             and v["severity"] != "info"]
    if flags:
        v = flags[0]
        return "flagged", "%s %s: %s" % (v["severity"], v["assessment"], v["reason"])
    if any(v["assessment"] == "needs_context" for v in mine):
        v = next(v for v in mine if v["assessment"] == "needs_context")
        return "declined", v["reason"]
    return "quiet", ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--triage", default=os.environ.get("KAG_TRIAGE", "kag-triage"))
    ap.add_argument("--data", default=os.path.join(HERE, "..", "data"))
    ap.add_argument("--quiet", action="store_true", help="tally only")
    ap.add_argument("--pinned", default=os.path.join(HERE, "pinned.json"))
    ap.add_argument("--update-pinned", action="store_true",
                    help="rewrite the pinned outcomes of the explained differences")
    a = ap.parse_args()

    rows = {}      # (source, rule, det) -> counters
    notes = []     # disagreements
    unmapped = {}
    index = json.load(open(os.path.join(a.data, "panther-analysis", "index.json")))
    files = {}
    for e in index:
        fname = e["file"]
        if fname not in files:
            path = os.path.join(a.data, "panther-analysis", fname)
            files[fname] = open(path, "rb").read().splitlines() if os.path.exists(path) else None
        det = detector_for(e["rule_id"])
        if det is None:
            unmapped[e["rule_id"]] = unmapped.get(e["rule_id"], 0) + 1
            continue
        src = fname.split("_")[0]
        key = (src, e["rule_id"], det)
        r = rows.setdefault(key, {"pos": 0, "pos_hit": 0, "neg": 0, "neg_hit": 0,
                                  "rejected": 0})
        lines = files[fname]
        if lines is None:
            r["rejected"] += 1
            continue
        verdicts, errors = run(a.triage, lines[e["line"] - 1] + b"\n")
        res, why = outcome_of(verdicts, errors, det)
        if res == "rejected":
            r["rejected"] += 1
            continue
        expl = EXPLAINED.get((fname, e["line"], e["rule_id"]))
        if not expl and res == "declined":
            expl = "gate declined, evidence not in the event: " + why
        if e["expected_result"]:
            r["pos"] += 1
            r["pos_hit"] += res == "flagged"
            if res != "flagged":
                notes.append((fname, e["line"], e["rule_id"], det, "positive " + res,
                              expl or why, bool(expl), why))
        else:
            r["neg"] += 1
            r["neg_hit"] += res == "flagged"
            if res == "flagged":
                notes.append((fname, e["line"], e["rule_id"], det, "negative flagged",
                              expl or why, bool(expl), why))

    falco_dir = os.path.join(a.data, "falco-k8s-audit")
    for name, (rule, det, positive) in sorted(FALCO_MAP.items()):
        path = os.path.join(falco_dir, name + ".json")
        key = ("falco", rule, det)
        r = rows.setdefault(key, {"pos": 0, "pos_hit": 0, "neg": 0, "neg_hit": 0,
                                  "rejected": 0})
        if not os.path.exists(path):
            r["rejected"] += 1
            continue
        verdicts, errors = run(a.triage, open(path, "rb").read())
        res, why = outcome_of(verdicts, errors, det)
        expl = EXPLAINED.get(("falco", name))
        if not expl and res == "declined":
            expl = "gate declined, evidence not in the event: " + why
        if res == "rejected":
            r["rejected"] += 1
        elif positive:
            r["pos"] += 1
            r["pos_hit"] += res == "flagged"
            if res != "flagged":
                notes.append(("falco", name, rule, det, "positive " + res, expl or why,
                              bool(expl), why))
        else:
            r["neg"] += 1
            r["neg_hit"] += res == "flagged"
            if res == "flagged":
                notes.append(("falco", name, rule, det, "negative flagged", expl or why,
                              bool(expl), why))

    tot = {"pos": 0, "pos_hit": 0, "neg": 0, "neg_hit": 0, "rejected": 0}
    print("%-5s %-52s %-24s %9s %9s %s" % ("src", "peer rule", "kag detector", "pos",
                                           "neg", "not read"))
    for (src, rule, det), r in sorted(rows.items(), key=lambda kv: (kv[0][2], kv[0][0], kv[0][1])):
        for k in tot:
            tot[k] += r[k]
        print("%-5s %-52s %-24s %4d/%-4d %4d/%-4d %s" % (
            src, rule, det, r["pos_hit"], r["pos"], r["neg_hit"], r["neg"],
            r["rejected"] or ""))
    print()
    pos_pct = 100.0 * tot["pos_hit"] / tot["pos"] if tot["pos"] else 0.0
    neg_pct = 100.0 * tot["neg_hit"] / tot["neg"] if tot["neg"] else 0.0
    expl_miss = sum(1 for n in notes if n[6] and n[4].startswith("positive"))
    expl_fp = sum(1 for n in notes if n[6] and n[4] == "negative flagged")
    print("total: positives flagged %d/%d (%.1f%%), negatives flagged %d/%d (%.1f%%), "
          "records not read %d" % (tot["pos_hit"], tot["pos"], pos_pct, tot["neg_hit"],
                                   tot["neg"], neg_pct, tot["rejected"]))
    adj_pos = tot["pos"] - expl_miss
    adj_neg = tot["neg"] - expl_fp
    print("excluding the deliberate differences below: positives %d/%d (%.1f%%), "
          "negatives %d/%d (%.1f%%)" % (
              tot["pos_hit"], adj_pos, 100.0 * tot["pos_hit"] / adj_pos if adj_pos else 0,
              tot["neg_hit"] - expl_fp, adj_neg,
              100.0 * (tot["neg_hit"] - expl_fp) / adj_neg if adj_neg else 0))
    by_src = {}
    for (src, rule, det), r in rows.items():
        b = by_src.setdefault(src, [0, 0, 0, 0])
        b[0] += r["pos_hit"]; b[1] += r["pos"]; b[2] += r["neg_hit"]; b[3] += r["neg"]
    for src in sorted(by_src):
        b = by_src[src]
        declined = sum(1 for n in notes if n[0].startswith(src) and n[4] == "positive declined")
        print("  %-5s positives %d/%d, negatives %d/%d, positives declined by the gate %d" % (
            src, b[0], b[1], b[2], b[3], declined))
    if unmapped:
        print("peer rules without a kag detector (not tallied): " +
              ", ".join("%s (%d)" % kv for kv in sorted(unmapped.items())))
    if not a.quiet and notes:
        print("\ndisagreements:")
        for src, where, rule, det, what, why, ok, _ in notes:
            print("  %s %s:%s %s -> %s: %s\n      %s" % (
                "explained  " if ok else "UNEXPLAINED", src, where, rule, det, what, why))
    return check_pinned(a, notes) | (0 if all(n[6] for n in notes) else 1)


def check_pinned(a, notes):
    """The explained differences, each with kag's exact outcome, against the
    pinned ones: 0 when they are the same."""
    got = sorted([{"source": n[0], "where": str(n[1]), "rule": n[2], "detector": n[3],
                   "outcome": n[4], "verdict": n[7]} for n in notes if n[6]],
                 key=lambda d: (d["source"], d["where"], d["rule"]))
    if a.update_pinned:
        with open(a.pinned, "w") as f:
            json.dump(got, f, indent=1, sort_keys=True)
            f.write("\n")
        print("pinned %d explained differences in %s" % (len(got), a.pinned))
        return 0
    try:
        want = json.load(open(a.pinned))
    except (OSError, ValueError) as e:
        print("no pinned outcomes (%s): run with --update-pinned" % e)
        return 1
    if got == want:
        print("the %d explained differences are as pinned" % len(got))
        return 0
    key = lambda d: (d["source"], d["where"], d["rule"])
    wanted = {key(d): d for d in want}
    have = {key(d): d for d in got}
    for k in sorted(set(wanted) | set(have)):
        if wanted.get(k) != have.get(k):
            print("PINNED OUTCOME CHANGED %s:%s %s\n      pinned: %s\n      now:    %s" % (
                k[0], k[1], k[2],
                wanted[k]["outcome"] + ": " + wanted[k]["verdict"] if k in wanted else "-",
                have[k]["outcome"] + ": " + have[k]["verdict"] if k in have else "-"))
    return 1


if __name__ == "__main__":
    sys.exit(main())
