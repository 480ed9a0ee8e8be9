/* privileged_workload: pod specs that break container isolation (privileged
 * containers, host namespaces, sensitive hostPath volumes, writable ranking
 * above read-only, dangerous added capabilities, allowPrivilegeEscalation,
 * a process namespace shared by the pod's containers), or that run what no
 * workload runs by accident (an image of the policy's suspicious_images, a
 * container whose command and args open a reverse shell), in pods and in
 * the pod templates of workload controllers, on create, update and patch.
 * One walk of the spec, one verdict naming everything wrong with it. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "body-private.h"
#include "detector-private.h"
#include "finding-private.h"
#include "request-private.h"
#include "shell-private.h"

static const kag__technique attack[] = {
	KAG__PRIMARY("T1611", NULL),
	KAG__PRIMARY("T1610", NULL),
	KAG__TECHNIQUE("T1059.004", "reverse-shell commands"),
	{ NULL }
};
static const int required[] = { KAG_FIELD_VERB, KAG_FIELD_OBJ_RESOURCE };
static const int wanted[] = { KAG_FIELD_REQUEST_OBJECT, KAG_FIELD_USER_USERNAME,
			      KAG_FIELD_OBJ_NAMESPACE };

enum {
	W_NONE, W_POD, W_WORKLOAD, W_WSPEC, W_TEMPLATE, W_CRON, W_CRONSPEC, W_JOBTPL,
	W_PODTEMPLATE, W_PODSPEC, W_CONTAINERS, W_CONTAINER, W_SC, W_CAPS, W_CAPADD, W_CAP,
	W_VOLUMES, W_VOLUME, W_HOSTPATH, W_HOSTPATH_PATH, W_HOSTNETWORK, W_HOSTPID, W_HOSTIPC,
	W_PRIV, W_APE, W_META, W_OWNERS, W_OWNER, W_SHAREPID, W_MOUNTS, W_MOUNT, W_IMAGE,
	W_ARGV, W_ARG
};

static int wl_child(int type, const char *key, size_t len)
{
	switch (type) {
	case W_POD:
		return KAG__KEY("spec") ? W_PODSPEC : KAG__KEY("metadata") ? W_META : 0;
	case W_WORKLOAD:
	case W_JOBTPL:
		return KAG__KEY("spec") ? W_WSPEC : 0;
	case W_WSPEC:
	case W_PODTEMPLATE:
		return KAG__KEY("template") ? W_TEMPLATE : 0;
	case W_TEMPLATE:
		return KAG__KEY("spec") ? W_PODSPEC : 0;
	case W_CRON:
		return KAG__KEY("spec") ? W_CRONSPEC : 0;
	case W_CRONSPEC:
		return KAG__KEY("jobTemplate") ? W_JOBTPL : 0;
	case W_PODSPEC:
		if (KAG__KEY("containers") || KAG__KEY("initContainers") ||
		    KAG__KEY("ephemeralContainers"))
			return W_CONTAINERS;
		if (KAG__KEY("volumes"))
			return W_VOLUMES;
		if (KAG__KEY("hostNetwork"))
			return W_HOSTNETWORK;
		if (KAG__KEY("hostPID"))
			return W_HOSTPID;
		if (KAG__KEY("hostIPC"))
			return W_HOSTIPC;
		return KAG__KEY("shareProcessNamespace") ? W_SHAREPID : 0;
	case W_CONTAINERS:
		return W_CONTAINER;
	case W_CONTAINER:
		if (KAG__KEY("volumeMounts"))
			return W_MOUNTS;
		if (KAG__KEY("image"))
			return W_IMAGE;
		if (KAG__KEY("command") || KAG__KEY("args"))
			return W_ARGV;
		return KAG__KEY("securityContext") ? W_SC : 0;
	case W_ARGV:
		return W_ARG;
	case W_MOUNTS:
		return W_MOUNT;
	case W_SC:
		if (KAG__KEY("privileged"))
			return W_PRIV;
		if (KAG__KEY("allowPrivilegeEscalation"))
			return W_APE;
		return KAG__KEY("capabilities") ? W_CAPS : 0;
	case W_CAPS:
		return KAG__KEY("add") ? W_CAPADD : 0;
	case W_CAPADD:
		return W_CAP;
	case W_VOLUMES:
		return W_VOLUME;
	case W_VOLUME:
		return KAG__KEY("hostPath") ? W_HOSTPATH : 0;
	case W_HOSTPATH:
		return KAG__KEY("path") ? W_HOSTPATH_PATH : 0;
	case W_META:
		return KAG__KEY("ownerReferences") ? W_OWNERS : 0;
	case W_OWNERS:
		return W_OWNER;
	default:
		return 0;
	}
}

#define WL_MAX 8

typedef struct {
	size_t n;
	kag_str v[WL_MAX];
} str_set;

#define WL_MOUNTS 32

/* A sensitive hostPath volume, and the mounts of volumes by name: a
 * volume every mount of which is readOnly is read-only. */
typedef struct {
	kag_str volume, path;
} host_volume;

typedef struct {
	kag_str volume;
	int read_only;
} volume_mount;

typedef struct {
	const kag__policy *p;
	kag_str container;       /* the container being walked */
	kag_str volume;          /* the volume being walked */
	str_set privileged, escalation, caps, paths, read_only;
	int host_network, host_pid, host_ipc, root_path, high_cap, share_pid;
	kag_str owner_kind, owner_name;
	host_volume host[WL_MAX];
	size_t n_host;
	volume_mount mounts[WL_MOUNTS];
	size_t n_mounts;
	int mounts_lost;         /* more mounts than kept: none is read-only */
	str_set images;          /* listed in suspicious_images */
	/* the container's command and args, joined, and the first reverse
	 * shell found in one */
	char argv[KAG__SHELL_MAX];
	size_t argv_len;
	kag_str shell_container;
	const char *shell;
} wl_scan;

static void set_add(str_set *s, kag_str v)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i].len == v.len && memcmp(s->v[i].ptr, v.ptr, v.len) == 0)
			return;
	if (s->n < WL_MAX)
		s->v[s->n++] = v;
}

static char upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/* Capability names compare without case and without a CAP_ prefix. */
static int cap_eq(kag_str a, const char *b)
{
	size_t bl = strlen(b), i;

	if (a.len >= 4 && upper(a.ptr[0]) == 'C' && upper(a.ptr[1]) == 'A' &&
	    upper(a.ptr[2]) == 'P' && a.ptr[3] == '_') {
		a.ptr += 4;
		a.len -= 4;
	}
	if (bl >= 4 && strncmp(b, "CAP_", 4) == 0) {
		b += 4;
		bl -= 4;
	}
	if (a.len != bl)
		return 0;
	for (i = 0; i < bl; i++)
		if (upper(a.ptr[i]) != upper(b[i]))
			return 0;
	return 1;
}

static size_t trim_slash(const char *s, size_t n)
{
	while (n > 1 && s[n - 1] == '/')
		n--;
	return n;
}

/* A hostPath is sensitive when it is a listed path, lies under one, or is
 * an ancestor of one (mounting /var exposes /var/run/docker.sock). The
 * root entry matches only the root itself. */
static int path_sensitive(const kag__strlist *l, kag_str path)
{
	size_t n, i;

	if (!path.ptr || path.len == 0 || path.ptr[0] != '/')
		return 0;
	n = trim_slash(path.ptr, path.len);
	for (i = 0; i < l->n; i++) {
		const char *e = l->items[i];
		size_t en = trim_slash(e, strlen(e));

		if (en == n && memcmp(e, path.ptr, n) == 0)
			return 1;
		if (en == 1 || n == 1) {
			if (n == 1)
				return 1; /* "/" is an ancestor of everything listed */
			continue;
		}
		if (n > en && path.ptr[en] == '/' && memcmp(e, path.ptr, en) == 0)
			return 1;
		if (en > n && e[n] == '/' && memcmp(e, path.ptr, n) == 0)
			return 1;
	}
	return 0;
}

/* The image names a listed repository: an item without a slash is any
 * component of the image's path, one with a slash the end of the path
 * (the registry host, tag and digest set aside). */
static int image_listed(const kag__strlist *l, kag_str image)
{
	const char *p = image.ptr, *end = image.ptr + image.len, *c, *slash = NULL;
	size_t i;

	if (!p)
		return 0;
	c = memchr(p, '@', image.len);
	if (c)
		end = c;
	for (c = p; c < end; c++)
		if (*c == '/')
			slash = c;
	c = memchr(slash ? slash : p, ':', (size_t)(end - (slash ? slash : p)));
	if (c)
		end = c;
	for (i = 0; i < l->n; i++) {
		const char *e = l->items[i];
		size_t en = strlen(e);
		const char *q;

		if (strchr(e, '/')) {
			if ((size_t)(end - p) >= en && memcmp(end - en, e, en) == 0 &&
			    ((size_t)(end - p) == en || end[-(ptrdiff_t)en - 1] == '/'))
				return 1;
			continue;
		}
		for (q = p; q < end;) {
			const char *next = memchr(q, '/', (size_t)(end - q));
			size_t n = (size_t)((next ? next : end) - q);

			if (n == en && memcmp(q, e, en) == 0)
				return 1;
			q = next ? next + 1 : end;
		}
	}
	return 0;
}

static kag_str current_container(const wl_scan *s)
{
	return s->container.ptr ? s->container : (kag_str){ "(patched)", 9 };
}

/* The container walked so far is done: judge its command line. */
static void end_container(wl_scan *s)
{
	if (s->argv_len && !s->shell) {
		s->shell = kag__reverse_shell(s->argv, s->argv_len);
		if (s->shell)
			s->shell_container = current_container(s);
	}
	s->argv_len = 0;
}

static void add_arg(wl_scan *s, json_t *v)
{
	size_t sep = s->argv_len ? 1 : 0, n;

	if (!json_is_string(v) || s->argv_len + sep >= sizeof(s->argv))
		return; /* the rest of a long command line is not read */
	if (sep)
		s->argv[s->argv_len++] = ' ';
	n = json_string_length(v);
	if (n > sizeof(s->argv) - s->argv_len)
		n = sizeof(s->argv) - s->argv_len;
	memcpy(s->argv + s->argv_len, json_string_value(v), n);
	s->argv_len += n;
}

static void wl_reset(void *ud)
{
	wl_scan *s = ud;

	end_container(s);
	s->container = (kag_str){ NULL, 0 };
	s->volume = (kag_str){ NULL, 0 };
}

static int str_same(kag_str a, kag_str b)
{
	return a.ptr && b.ptr && a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0;
}

/* Mounted, and only readOnly: a patch that adds the volume without its
 * mounts, or a mount the walk did not keep, leaves it writable. */
static int volume_read_only(const wl_scan *s, kag_str volume)
{
	size_t i;
	int seen = 0;

	if (s->mounts_lost || !volume.ptr)
		return 0;
	for (i = 0; i < s->n_mounts; i++) {
		if (!str_same(s->mounts[i].volume, volume))
			continue;
		if (!s->mounts[i].read_only)
			return 0;
		seen = 1;
	}
	return seen;
}

/* After the walk: the sensitive paths split into writable (paths) and
 * read-only (read_only) ones. */
static void sort_host_paths(wl_scan *s)
{
	size_t i;

	for (i = 0; i < s->n_host; i++) {
		if (volume_read_only(s, s->host[i].volume)) {
			set_add(&s->read_only, s->host[i].path);
		} else {
			set_add(&s->paths, s->host[i].path);
			if (trim_slash(s->host[i].path.ptr, s->host[i].path.len) == 1)
				s->root_path = 1;
		}
	}
}

static void wl_visit(void *ud, int type, json_t *v)
{
	wl_scan *s = ud;
	size_t i;

	if (!v)
		return; /* a removal never adds privilege */
	switch (type) {
	case W_CONTAINER:
		end_container(s);
		s->container = kag__json_str(v, "name");
		if (!s->container.ptr)
			s->container = (kag_str){ "(unnamed)", 9 };
		break;
	case W_PRIV:
		if (json_is_true(v))
			set_add(&s->privileged, current_container(s));
		break;
	case W_APE:
		if (json_is_true(v))
			set_add(&s->escalation, current_container(s));
		break;
	case W_CAP:
		if (!json_is_string(v))
			break;
		for (i = 0; i < s->p->dangerous_capabilities.n; i++) {
			kag_str c = { json_string_value(v), json_string_length(v) };

			if (cap_eq(c, s->p->dangerous_capabilities.items[i])) {
				set_add(&s->caps, c);
				if (cap_eq(c, "ALL") || cap_eq(c, "SYS_ADMIN") ||
				    cap_eq(c, "SYS_MODULE"))
					s->high_cap = 1;
				break;
			}
		}
		break;
	case W_VOLUME:
		s->volume = kag__json_str(v, "name");
		break;
	case W_HOSTPATH_PATH:
		if (json_is_string(v) && s->n_host < WL_MAX) {
			kag_str pth = { json_string_value(v), json_string_length(v) };

			if (path_sensitive(&s->p->sensitive_host_paths, pth))
				s->host[s->n_host++] = (host_volume){ s->volume, pth };
		}
		break;
	case W_MOUNT:
		if (s->n_mounts == WL_MOUNTS) {
			s->mounts_lost = 1;
			break;
		}
		s->mounts[s->n_mounts].volume = kag__json_str(v, "name");
		s->mounts[s->n_mounts++].read_only =
			json_is_true(json_object_get(v, "readOnly"));
		break;
	case W_SHAREPID:
		s->share_pid |= json_is_true(v);
		break;
	case W_IMAGE:
		if (json_is_string(v)) {
			kag_str img = { json_string_value(v), json_string_length(v) };

			if (image_listed(&s->p->suspicious_images, img))
				set_add(&s->images, img);
		}
		break;
	case W_ARG:
		add_arg(s, v);
		break;
	case W_HOSTNETWORK:
		s->host_network |= json_is_true(v);
		break;
	case W_HOSTPID:
		s->host_pid |= json_is_true(v);
		break;
	case W_HOSTIPC:
		s->host_ipc |= json_is_true(v);
		break;
	case W_OWNER:
		if (!s->owner_kind.ptr) {
			s->owner_kind = kag__json_str(v, "kind");
			s->owner_name = kag__json_str(v, "name");
		}
		break;
	default:
		break;
	}
}

static const kag__body_schema wl_schema = { wl_child, wl_visit, wl_reset };

static int root_type(const kag_event *ev)
{
	static const char *const templated[] = { "deployments", "daemonsets", "statefulsets",
						  "replicasets", "jobs", "replicationcontrollers",
						  NULL };
	kag_str r = ev->str[KAG_FIELD_OBJ_RESOURCE];
	size_t i;

	if (!kag__has(ev, KAG_FIELD_OBJ_RESOURCE))
		return W_NONE;
	if (kag__str_eq(r, "pods"))
		return W_POD;
	if (kag__str_eq(r, "cronjobs"))
		return W_CRON;
	if (kag__str_eq(r, "podtemplates"))
		return W_PODTEMPLATE;
	for (i = 0; templated[i]; i++)
		if (kag__str_eq(r, templated[i]))
			return W_WORKLOAD;
	return W_NONE;
}

static int applies(const kag_event *ev, const kag__ctx *ctx)
{
	int root;

	if (ctx->outcome == KAG_OUTCOME_DENIED || ctx->outcome == KAG_OUTCOME_ERROR)
		return 0;
	if (!kag__verb_is(ev, kag__verbs_change))
		return 0;
	root = root_type(ev);
	if (root == W_NONE)
		return 0;
	/* Platform daemons (CNI, kube-proxy, storage drivers) need host access
	 * in the system namespaces; that is the platform reconciling itself,
	 * whatever the body would show. */
	if (kag__is_platform(ev, ctx) && kag__in_system_namespace(ev, ctx->policy))
		return 0;
	/* a controller's copy of a template: the owner's write was judged */
	if (kag__derived_copy(ev, ctx))
		return 0;
	if (kag__has(ev, KAG_FIELD_OBJ_SUBRESOURCE))
		return root == W_POD && kag__eq(ev, KAG_FIELD_OBJ_SUBRESOURCE, "ephemeralcontainers");
	/* a pod's security settings cannot change after creation: only
	 * ephemeral containers (above) add to a running pod */
	return root != W_POD || kag__eq(ev, KAG_FIELD_VERB, "create");
}

static void put_set(kag_finding *f, const char *key, const str_set *s)
{
	size_t i;

	if (!s->n)
		return;
	kag__buf_putc(f->extra, ',');
	kag__buf_put_json_str(f->extra, key, strlen(key));
	kag__buf_puts(f->extra, ":[");
	for (i = 0; i < s->n; i++) {
		if (i)
			kag__buf_putc(f->extra, ',');
		kag__buf_put_json_str(f->extra, s->v[i].ptr, s->v[i].len);
	}
	kag__buf_putc(f->extra, ']');
}

/* Append "what[0], what[1]" of a set to a reason buffer. */
static void say_set(char *buf, size_t size, const char *label, const str_set *s)
{
	size_t n = strlen(buf), i;

	if (!s->n || n >= size - 1)
		return;
	n += snprintf(buf + n, size - n, "%s%s ", n ? "; " : "", label);
	for (i = 0; i < s->n && n < size - 1; i++)
		n += snprintf(buf + n, size - n, "%s%.*s", i ? "," : "",
			      (int)(s->v[i].len > 64 ? 64 : s->v[i].len), s->v[i].ptr);
}

static void say(char *buf, size_t size, const char *text)
{
	size_t n = strlen(buf);

	if (n < size - 1)
		snprintf(buf + n, size - n, "%s%s", n ? "; " : "", text);
}

/* Every finding hangs on one of these names: a body that spells none of
 * them (the switches only with a true value), names no listed image and
 * gives no container a command line needs no parse. Hardened pod specs
 * say "privileged": false and the like. */
static int may_matter(const kag_event *ev, const kag__policy *p)
{
	static const kag__body_needle keys[] = {
		{ "privileged", 1 }, { "hostPID", 1 }, { "hostIPC", 1 }, { "hostNetwork", 1 },
		{ "allowPrivilegeEscalation", 1 }, { "hostPath", 0 }, { "capabilities", 0 },
		{ "shareProcessNamespace", 1 }, { "\"command\"", 0 }, { "\"args\"", 0 },
	};
	/* asked in batches: the body is read for escapes once a batch */
	kag__body_needle batch[sizeof(keys) / sizeof(keys[0]) + 24];
	size_t k = sizeof(keys) / sizeof(keys[0]), i = 0, n = p->suspicious_images.n;

	memcpy(batch, keys, sizeof(keys));
	for (;;) {
		for (; k < sizeof(batch) / sizeof(batch[0]) - 1 && i < n; k++, i++) {
			batch[k].name = p->suspicious_images.items[i];
			batch[k].only_true = 0;
		}
		batch[k].name = NULL;
		if (kag__event_body_may_contain(ev, 0, batch))
			return 1;
		if (i == n)
			return 0;
		k = 0;
	}
}

static int judge(kag_finding *f, const kag_event *ev, kag__ctx *ctx)
{
	wl_scan s;
	char what[320], user[128], ns[96], res[32], name[96], verb[16];
	int platform = kag__is_platform(ev, ctx);
	int severity, root = root_type(ev);

	if (!may_matter(ev, ctx->policy))
		return KAG_OK;
	memset(&s, 0, sizeof(s));
	s.p = ctx->policy;
	kag__body_walk_request(&wl_schema, root, ev, &s);
	end_container(&s);
	sort_host_paths(&s);
	if (!s.privileged.n && !s.escalation.n && !s.caps.n && !s.paths.n && !s.read_only.n &&
	    !s.host_network && !s.host_pid && !s.host_ipc && !s.share_pid && !s.images.n &&
	    !s.shell)
		return KAG_OK;

	what[0] = '\0';
	if (s.shell) {
		char sh[160];

		snprintf(sh, sizeof(sh), "container %.*s opens a reverse shell (%s)",
			 (int)(s.shell_container.len > 64 ? 64 : s.shell_container.len),
			 s.shell_container.ptr, s.shell);
		say(what, sizeof(what), sh);
	}
	say_set(what, sizeof(what), "suspicious image", &s.images);
	say_set(what, sizeof(what), "privileged container", &s.privileged);
	if (s.host_pid)
		say(what, sizeof(what), "hostPID");
	if (s.host_ipc)
		say(what, sizeof(what), "hostIPC");
	if (s.host_network)
		say(what, sizeof(what), "hostNetwork");
	if (s.share_pid)
		say(what, sizeof(what), "shareProcessNamespace");
	say_set(what, sizeof(what), "sensitive hostPath", &s.paths);
	say_set(what, sizeof(what), "read-only sensitive hostPath", &s.read_only);
	say_set(what, sizeof(what), "capabilities", &s.caps);
	say_set(what, sizeof(what), "allowPrivilegeEscalation in", &s.escalation);

	if ((s.privileged.n && (s.host_pid || s.root_path)) || s.shell)
		severity = KAG_SEVERITY_CRITICAL;   /* a node takeover kit, a shell for someone */
	else if (s.privileged.n || s.host_pid || s.paths.n || s.high_cap || s.images.n)
		severity = KAG_SEVERITY_HIGH;
	else if (s.host_network || s.host_ipc || s.caps.n || s.read_only.n)
		severity = KAG_SEVERITY_MEDIUM; /* reading the node, not writing it */
	else
		severity = KAG_SEVERITY_LOW;
	/* A controller stamping out pods from its owner: the owner's creation
	 * is the decision to look at; the pod still runs with host access. */
	if (platform && severity > KAG_SEVERITY_LOW)
		severity--;

	kag__show(ev, KAG_FIELD_USER_USERNAME, user, sizeof(user));
	kag__show(ev, KAG_FIELD_OBJ_RESOURCE, res, sizeof(res));
	kag__show(ev, KAG_FIELD_VERB, verb, sizeof(verb));
	if (kag__usable(ev, KAG_FIELD_OBJ_NAME))
		kag__show(ev, KAG_FIELD_OBJ_NAME, name, sizeof(name));
	else
		snprintf(name, sizeof(name), "(new)");
	kag__show(ev, KAG_FIELD_OBJ_NAMESPACE, ns, sizeof(ns));
	kag__report(f, KAG_ASSESSMENT_SUSPICIOUS, severity, KAG_CONFIDENCE_HIGH,
		    "%s %s %s/%s by %s%s%s%s: %s", verb, res, ns, name, user,
		    platform ? " (" : "", platform ? kag__identity_class_name(ctx->identity) : "",
		    platform ? ", for its owner)" : "", what);
	kag__finding_attack(f, "T1611");
	kag__finding_attack(f, "T1610");
	if (s.shell)
		kag__finding_attack(f, "T1059.004");

	kag__extra_key(f, "podSecurity");
	kag__buf_puts(f->extra, "{\"specPath\":");
	kag__buf_puts(f->extra, json_is_array(kag__event_body(ev, 0))
				? "\"json-patch\""
				: root == W_POD ? "\"spec\""
				: root == W_CRON ? "\"spec.jobTemplate.spec.template.spec\""
				: root == W_PODTEMPLATE ? "\"template.spec\""
				: "\"spec.template.spec\"");
	put_set(f, "privileged", &s.privileged);
	if (s.host_pid)
		kag__buf_puts(f->extra, ",\"hostPID\":true");
	if (s.host_ipc)
		kag__buf_puts(f->extra, ",\"hostIPC\":true");
	if (s.host_network)
		kag__buf_puts(f->extra, ",\"hostNetwork\":true");
	if (s.share_pid)
		kag__buf_puts(f->extra, ",\"shareProcessNamespace\":true");
	put_set(f, "hostPaths", &s.paths);
	put_set(f, "readOnlyHostPaths", &s.read_only);
	put_set(f, "suspiciousImages", &s.images);
	if (s.shell) {
		kag__buf_puts(f->extra, ",\"reverseShell\":{\"container\":");
		kag__buf_put_json_str(f->extra, s.shell_container.ptr, s.shell_container.len);
		kag__buf_puts(f->extra, ",\"form\":");
		kag__buf_put_json_str(f->extra, s.shell, strlen(s.shell));
		kag__buf_putc(f->extra, '}');
	}
	put_set(f, "capabilities", &s.caps);
	put_set(f, "allowPrivilegeEscalation", &s.escalation);
	if (s.owner_kind.ptr) {
		kag__buf_puts(f->extra, ",\"owner\":{\"kind\":");
		kag__buf_put_json_str(f->extra, s.owner_kind.ptr, s.owner_kind.len);
		kag__buf_puts(f->extra, ",\"name\":");
		if (s.owner_name.ptr)
			kag__buf_put_json_str(f->extra, s.owner_name.ptr, s.owner_name.len);
		else
			kag__buf_puts(f->extra, "null");
		kag__buf_putc(f->extra, '}');
	}
	kag__buf_putc(f->extra, '}');
	return KAG_OK;
}

/* the index: applies() is false outside these (route.c) */
static const char *const route_resources[] = {
	"pods", "cronjobs", "podtemplates", "deployments", "daemonsets", "statefulsets",
	"replicasets", "jobs", "replicationcontrollers", NULL
};

const kag__detector_def kag__det_privileged_workload = {
	.id = "privileged_workload",
	.title = "Workload that breaks container isolation (privileged, host namespaces, "
		 "hostPath, capabilities) or runs a suspicious image or a reverse shell",
	.about = {
		.finds =
			"created pods, updated or patched pods/ephemeralcontainers, and the "
			"created, updated or patched pod templates of deployments, daemonsets, "
			"statefulsets, replicasets, jobs, replicationcontrollers, podtemplates "
			"and cronjobs (spec.jobTemplate.spec.template.spec) whose containers, "
			"initContainers or ephemeralContainers are privileged, add a dangerous "
			"capability (policy list) or set allowPrivilegeEscalation, or whose spec "
			"sets hostPID/hostIPC/hostNetwork or shareProcessNamespace (low: the "
			"pod's containers see each other's processes and files) or mounts a "
			"sensitive hostPath (policy list; a listed path, a path under one, or "
			"an ancestor of one): high when writable, medium when every "
			"volumeMount of it is readOnly (evidence.podSecurity.readOnlyHostPaths; "
			"escapes such as the /var/log symlink need write access); containers "
			"whose image is in the policy's suspicious_images (crypto-miners and "
			"offensive tools: xmrig, xmr-stak, cpuminer, minerd, ethminer, lolminer, "
			"nbminer, kube-hunter, peirates, kubesploit, metasploit-framework, "
			"kali-rolling; an item without a slash matches any component of the "
			"image's path, one with a slash the end of it; high, in "
			"evidence.podSecurity.suspiciousImages) or whose command and args, "
			"joined, open a reverse shell (the analysis of interactive_access's "
			"exec commands; critical, evidence.podSecurity.reverseShell names the "
			"container and the form, never the arguments); JSON "
			"Patch operations and merge patches are judged on what they add; "
			"privileged with hostPID or a / mount is critical; pods stamped out by a "
			"platform controller rank one step lower (judge the owner's creation); "
			"ReplicaSets, Pods and Jobs written by the controller that derives them "
			"from their owner's template (deployment, replicaset, replication, job, "
			"daemon-set, statefulset and cronjob controllers, or "
			"system:kube-controller-manager) through an in-cluster client from a "
			"private address are not judged at all, neither with a body nor as "
			"needs_context at Metadata level: the owner's write was",
		.fields = "requestObject, the pod spec; the containers' volumeMounts "
			  "(readOnly) of sensitive hostPath volumes",
		.level = "never a guess",
		.false_positives =
			"CNI, storage and monitoring agents need host access; platform identities "
			"in system namespaces are never flagged, other agents belong in the "
			"policy (trusted_users) or in a system namespace. Limits: a copy is "
			"left to its owner, so a template written before the log began, or at "
			"a level without bodies, is judged once (or needs context) at the "
			"owner; a controller credential used with a tool (kubectl, curl), "
			"without a userAgent or from a public address is judged as before",
		.peers =
			"Falco Create Privileged Pod / Sensitive Mount / HostNetwork / HostPid / "
			"HostIPC; Panther Pod.Privileged / HostPath / Host.IPC / Host.Network / "
			"Host.PID / Dangerous.Capabilities; Defender sensitive volume mount; "
			"Elastic privileged, hostPath, host "
			"namespace and capability rules; Sigma privileged container",
	},
	.attack = attack,
	KAG__REQUIRED(required),
	KAG__WANTED(wanted),
	.min_level = KAG_LEVEL_REQUEST,
	.needs_outcome = 1,
	.ctx_severity = KAG_SEVERITY_LOW,
	.verbs = kag__verbs_change,
	.resources = route_resources,
	.applies = applies,
	.judge = judge,
};
