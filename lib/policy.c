/* Policy: the built-in baselines, sensitive lists, thresholds and windows.
 * Everything here is data that a policy file may replace. */
#include <string.h>

#include "alloc-private.h"
#include "cluster-private.h"
#include "policy-private.h"

#define LIST(arr) { (const char **)(arr), sizeof(arr) / sizeof((arr)[0]), NULL, 0, 0, 0, NULL }

static const char *const control_plane_users[] = {
	"system:kube-controller-manager", "system:kube-scheduler", "system:apiserver",
	"system:kube-proxy", "system:kube-aggregator", "system:volume-scheduler",
};

static const char *const provider_prefixes[] = {
	"eks:",                   /* EKS control-plane components */
	"system:gke-",            /* GKE components */
	"system:gcp-controller-manager", "system:clustermetrics", "system:l7-lb-controller",
	"system:managed-certificate-controller",
	"aksService",             /* AKS control plane */
};

static const char *const operator_prefixes[] = {
	"system:serviceaccount:openshift-",
};

static const char *const sensitive_resources[] = {
	"secrets", "pods/exec", "pods/attach", "pods/portforward", "pods/ephemeralcontainers",
	"serviceaccounts/token", "nodes/proxy", "clusterroles", "clusterrolebindings",
	"roles", "rolebindings", "certificatesigningrequests",
	"certificatesigningrequests/approval", "mutatingwebhookconfigurations",
	"validatingwebhookconfigurations", "selfsubjectrulesreviews",
};

static const char *const system_namespaces[] = {
	"kube-system", "kube-public", "kube-node-lease", "gke-system",
};

static const char *const sensitive_host_paths[] = {
	"/", "/etc", "/proc", "/sys", "/root", "/home", "/boot", "/dev", "/var/run",
	"/run", "/var/lib/kubelet", "/var/lib/docker", "/var/lib/containerd",
	"/var/run/docker.sock", "/run/containerd/containerd.sock",
	"/var/run/crio/crio.sock", "/var/log", "/usr", "/lib", "/bin", "/sbin",
	"/etc/kubernetes",
};

static const char *const dangerous_capabilities[] = {
	"ALL", "SYS_ADMIN", "NET_ADMIN", "SYS_PTRACE", "SYS_MODULE", "DAC_READ_SEARCH",
	"DAC_OVERRIDE", "SYS_RAWIO", "SYS_BOOT", "SYS_CHROOT", "BPF", "PERFMON",
	"NET_RAW", "SETUID", "SETGID", "MKNOD",
};

/* What anonymous clients are meant to reach: the health and version
 * endpoints, and the service-account issuer's OIDC discovery document and
 * signing keys, public by design so that other parties can verify the
 * cluster's tokens. */
static const char *const health_paths[] = {
	"/healthz", "/livez", "/readyz", "/version", "/.well-known/openid-configuration",
	"/openid/v1/jwks",
};

static const char *const privileged_roles[] = {
	"cluster-admin", "admin", "system:masters", "system:kube-controller-manager",
	"system:kube-scheduler",
	"system:controller:clusterrole-aggregation-controller", "system:node",
};

static const char *const system_role_prefixes[] = {
	"system:", "eks:",
};

static const char *const system_role_exceptions[] = {
	"system:coredns", "system:managed-certificate-controller",
};

/* Images no workload runs by accident: crypto-miners, and the offensive
 * tools of Kubernetes attack write-ups; each a repository name, matched
 * against every component of an image's path, or a path matched at its
 * end (privileged_workload). */
static const char *const suspicious_images[] = {
	"xmrig", "xmr-stak", "xmr-stak-cpu", "cpuminer", "cpuminer-multi", "minerd",
	"ethminer", "lolminer", "nbminer", "kube-hunter", "peirates", "kubesploit",
	"metasploit-framework", "kali-rolling",
};

void kag__policy_defaults(kag__policy *p)
{
	static const kag__strlist cp = LIST(control_plane_users);
	static const kag__strlist prov = LIST(provider_prefixes);
	static const kag__strlist ops = LIST(operator_prefixes);
	static const kag__strlist sens = LIST(sensitive_resources);
	static const kag__strlist sysns = LIST(system_namespaces);
	static const kag__strlist hp = LIST(sensitive_host_paths);
	static const kag__strlist caps = LIST(dangerous_capabilities);
	static const kag__strlist health = LIST(health_paths);
	static const kag__strlist proles = LIST(privileged_roles);
	static const kag__strlist sysroles = LIST(system_role_prefixes);
	static const kag__strlist sysexc = LIST(system_role_exceptions);
	static const kag__strlist images = LIST(suspicious_images);
	static const kag__strlist none = { NULL, 0, NULL, 0, 0, 0, NULL };

	memset(p, 0, sizeof(*p));
	p->probe_threshold = 10;
	p->probe_window_us = 1800ULL * 1000000;
	p->late_us = 30ULL * 1000000;
	p->dedup_capacity = 65536;
	p->principal_capacity = 4096;
	p->pending_capacity = 4096;
	p->secret_burst_threshold = 5;
	p->secret_burst_window_us = 600ULL * 1000000;
	p->sequence_window_us = 300ULL * 1000000;
	p->discovery_threshold = 5;
	p->discovery_window_us = 600ULL * 1000000;
	p->new_terms_capacity = 4096;
	p->repeat_window_us = 600ULL * 1000000;
	p->repeat_capacity = 4096;
	p->repeat_key = KAG_REPEAT_DEFAULT;
	p->control_plane_users = cp;
	p->provider_prefixes = prov;
	p->operator_prefixes = ops;
	p->trusted_users = none;
	p->sensitive_resources = sens;
	p->system_namespaces = sysns;
	p->sensitive_host_paths = hp;
	p->dangerous_capabilities = caps;
	p->health_paths = health;
	p->privileged_roles = proles;
	p->system_role_prefixes = sysroles;
	p->system_role_exceptions = sysexc;
	p->trusted_networks = none;
	p->deployers = none;
	p->default_components = 1;
	p->suspicious_images = images;
}

void kag__strlist_dispose(kag__strlist *l)
{
	size_t i;

	if (l->owned) {
		for (i = 0; i < l->n; i++)
			kag__free(l->owned[i]);
		kag__free(l->owned);
	}
	l->owned = NULL;
	l->items = NULL;
	l->n = 0;
	l->indexed = 0;
	kag__free(l->len_of);
	l->len_of = NULL;
}

static void list_index(kag__strlist *l)
{
	size_t i, len;

	kag__free(l->len_of);
	l->len_of = l->n ? kag__calloc(l->n, sizeof(*l->len_of)) : NULL;
	l->lens = l->firsts = 0;
	for (i = 0; i < l->n; i++) {
		len = strlen(l->items[i]);
		if (l->len_of)
			l->len_of[i] = len;
		l->lens |= (uint64_t)1 << (len < 63 ? len : 63);
		l->firsts |= len ? (uint64_t)1 << ((unsigned char)l->items[i][0] & 63) : ~(uint64_t)0;
	}
	l->indexed = 1;
}

#define EACH_LIST(p, fn) do { \
	fn(&(p)->control_plane_users); \
	fn(&(p)->provider_prefixes); \
	fn(&(p)->operator_prefixes); \
	fn(&(p)->trusted_users); \
	fn(&(p)->sensitive_resources); \
	fn(&(p)->system_namespaces); \
	fn(&(p)->sensitive_host_paths); \
	fn(&(p)->dangerous_capabilities); \
	fn(&(p)->health_paths); \
	fn(&(p)->privileged_roles); \
	fn(&(p)->system_role_prefixes); \
	fn(&(p)->system_role_exceptions); \
	fn(&(p)->trusted_networks); \
	fn(&(p)->deployers); \
	fn(&(p)->suspicious_images); \
} while (0)

void kag__policy_index(kag__policy *p)
{
	EACH_LIST(p, list_index);
	kag__addrlists_seal(&p->bad_sources);
}

void kag__policy_components_dispose(kag__policy *p)
{
	size_t i;

	for (i = 0; i < p->n_components; i++)
		kag__component_dispose(&p->components[i]);
	kag__free(p->components);
	p->components = NULL;
	p->n_components = 0;
}

void kag__policy_dispose(kag__policy *p)
{
	EACH_LIST(p, kag__strlist_dispose);
	kag__policy_components_dispose(p);
	kag__addrlists_dispose(&p->bad_sources);
	kag__cluster_free(p->cluster);
	p->cluster = NULL;
}

const kag__component *kag__policy_component(const kag__policy *p, const kag_event *ev)
{
	const kag__component *c = kag__component_find(p->components, p->n_components, ev);

	if (!c && p->default_components)
		c = kag__component_find(kag__default_components, kag__n_default_components, ev);
	return c;
}

/* How many leading bytes of s the NUL-terminated item matches; *ended is
 * set when the item ended there. Stops at the first difference, so a
 * list of similar names costs no strlen() each. */
static size_t common(const char *item, kag_str s, int *ended)
{
	size_t j = 0;

	while (j < s.len && item[j] != '\0' && item[j] == s.ptr[j])
		j++;
	*ended = item[j] == '\0';
	return j;
}

int kag__strlist_has(const kag__strlist *l, kag_str s)
{
	size_t i;
	int ended;

	if (!s.ptr)
		return 0;
	if (l->indexed && (!((l->lens >> (s.len < 63 ? s.len : 63)) & 1) ||
			   (s.len && !((l->firsts >> ((unsigned char)s.ptr[0] & 63)) & 1))))
		return 0;
	if (l->len_of) {
		for (i = 0; i < l->n; i++)
			if (l->len_of[i] == s.len && memcmp(l->items[i], s.ptr, s.len) == 0)
				return 1;
		return 0;
	}
	for (i = 0; i < l->n; i++)
		if (common(l->items[i], s, &ended) == s.len && ended)
			return 1;
	return 0;
}

int kag__strlist_prefix(const kag__strlist *l, kag_str s)
{
	size_t i;
	int ended;

	if (!s.ptr)
		return 0;
	if (l->indexed && s.len && !((l->firsts >> ((unsigned char)s.ptr[0] & 63)) & 1))
		return 0;
	if (l->len_of) {
		for (i = 0; i < l->n; i++)
			if (l->len_of[i] <= s.len && memcmp(l->items[i], s.ptr, l->len_of[i]) == 0)
				return 1;
		return 0;
	}
	for (i = 0; i < l->n; i++) {
		common(l->items[i], s, &ended);
		if (ended)
			return 1;
	}
	return 0;
}

/* ---- the numbers: a policy document's and the registry options' ---- */

#define THRESHOLD_MAX 1000000
#define WINDOW_MAX (30u * 86400)      /* seconds */
#define CAPACITY_MAX (1u << 24)

const kag__policy_number kag__policy_numbers[] = {
	{ "thresholds", "probe", KAG_ROPT_PROBE_THRESHOLD,
	  offsetof(kag__policy, probe_threshold), 0, THRESHOLD_MAX },
	{ "thresholds", "secret_burst", KAG_ROPT_SECRET_BURST_THRESHOLD,
	  offsetof(kag__policy, secret_burst_threshold), 0, THRESHOLD_MAX },
	{ "thresholds", "discovery", KAG_ROPT_DISCOVERY_THRESHOLD,
	  offsetof(kag__policy, discovery_threshold), 0, THRESHOLD_MAX },
	{ "windows", "probe", KAG_ROPT_PROBE_WINDOW,
	  offsetof(kag__policy, probe_window_us), 1, WINDOW_MAX },
	{ "windows", "late_allowance", KAG_ROPT_LATE_ALLOWANCE,
	  offsetof(kag__policy, late_us), 1, WINDOW_MAX },
	{ "windows", "secret_burst", KAG_ROPT_SECRET_BURST_WINDOW,
	  offsetof(kag__policy, secret_burst_window_us), 1, WINDOW_MAX },
	{ "windows", "sequence", KAG_ROPT_SEQUENCE_WINDOW,
	  offsetof(kag__policy, sequence_window_us), 1, WINDOW_MAX },
	{ "windows", "discovery", KAG_ROPT_DISCOVERY_WINDOW,
	  offsetof(kag__policy, discovery_window_us), 1, WINDOW_MAX },
	{ "capacities", "dedup", KAG_ROPT_DEDUP_CAPACITY,
	  offsetof(kag__policy, dedup_capacity), 0, CAPACITY_MAX },
	{ "capacities", "principals", KAG_ROPT_PRINCIPAL_CAPACITY,
	  offsetof(kag__policy, principal_capacity), 0, CAPACITY_MAX },
	{ "capacities", "pending", KAG_ROPT_PENDING_CAPACITY,
	  offsetof(kag__policy, pending_capacity), 0, CAPACITY_MAX },
	{ "capacities", "new_terms", KAG_ROPT_NEW_TERMS_CAPACITY,
	  offsetof(kag__policy, new_terms_capacity), 0, CAPACITY_MAX },
	{ "windows", "repeat", KAG_ROPT_REPEAT_WINDOW,
	  offsetof(kag__policy, repeat_window_us), 1, WINDOW_MAX },
	{ "capacities", "repeats", KAG_ROPT_REPEAT_CAPACITY,
	  offsetof(kag__policy, repeat_capacity), 0, CAPACITY_MAX },
};
const size_t kag__policy_n_numbers =
	sizeof(kag__policy_numbers) / sizeof(kag__policy_numbers[0]);

uint64_t *kag__policy_number_at(kag__policy *p, size_t i)
{
	return (uint64_t *)(void *)((char *)p + kag__policy_numbers[i].off);
}

uint64_t kag__policy_number_min(size_t i)
{
	/* the repeat window alone takes 0, which turns suppression off */
	return kag__policy_numbers[i].option == KAG_ROPT_REPEAT_WINDOW ? 0 : 1;
}

int kag__policy_number_ok(size_t i, uint64_t value)
{
	return value >= kag__policy_number_min(i) && value <= kag__policy_numbers[i].max;
}

int kag__policy_set_option(kag__policy *p, int option, uint64_t value)
{
	size_t i;

	for (i = 0; i < kag__policy_n_numbers; i++) {
		if (kag__policy_numbers[i].option != option)
			continue;
		if (!kag__policy_number_ok(i, value))
			return KAG_EINVAL;
		*kag__policy_number_at(p, i) = kag__policy_numbers[i].seconds ? value * 1000000 : value;
		return KAG_OK;
	}
	return KAG_EINVAL;
}

/* Every KAG_REPEAT_* part. */
#define REPEAT_KEY_ALL 511u

int kag__policy_set_repeat_key(kag__policy *p, uint64_t parts)
{
	if (!parts || (parts & ~(uint64_t)REPEAT_KEY_ALL))
		return KAG_EINVAL;
	p->repeat_key = parts;
	return KAG_OK;
}
