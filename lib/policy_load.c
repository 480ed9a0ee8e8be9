/* Policy files and setters: a JSON document (schema in kag.h and
 * examples/policy.json) that replaces or extends the built-in policy of a
 * registry before it is sealed, and the equivalent typed setters.
 *
 * Loading is all or nothing: the document is checked and applied to a
 * staging copy, and only a document without any error reaches the registry.
 * Unknown keys are errors, so that a misspelt key cannot silently leave a
 * weaker default in place. Errors name the offending value by JSON pointer
 * and are kept on the registry (kag_registry_error_message/_path). */
#include <jansson.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "alloc-private.h"
#include "cluster-private.h"
#include "component-load-private.h"
#include "detector-private.h"
#include "jptr-private.h"
#include "load-private.h"
#include "policy-private.h"

#define POLICY_MAX_BYTES (16u << 20)
#define LIST_MAX_ITEMS 4096
#define ITEM_MAX_BYTES 1024

enum { CHECK_ANY, CHECK_PATH, CHECK_CAPABILITY, CHECK_CIDR };

static const struct {
	const char *name;
	int id;          /* KAG_LIST_* */
	size_t off;
	int check;
} lists[] = {
	{ "control_plane_users", KAG_LIST_CONTROL_PLANE_USERS,
	  offsetof(kag__policy, control_plane_users), CHECK_ANY },
	{ "provider_prefixes", KAG_LIST_PROVIDER_PREFIXES,
	  offsetof(kag__policy, provider_prefixes), CHECK_ANY },
	{ "operator_prefixes", KAG_LIST_OPERATOR_PREFIXES,
	  offsetof(kag__policy, operator_prefixes), CHECK_ANY },
	{ "trusted_users", KAG_LIST_TRUSTED_USERS,
	  offsetof(kag__policy, trusted_users), CHECK_ANY },
	{ "sensitive_resources", KAG_LIST_SENSITIVE_RESOURCES,
	  offsetof(kag__policy, sensitive_resources), CHECK_ANY },
	{ "system_namespaces", KAG_LIST_SYSTEM_NAMESPACES,
	  offsetof(kag__policy, system_namespaces), CHECK_ANY },
	{ "sensitive_host_paths", KAG_LIST_SENSITIVE_HOST_PATHS,
	  offsetof(kag__policy, sensitive_host_paths), CHECK_PATH },
	{ "dangerous_capabilities", KAG_LIST_DANGEROUS_CAPABILITIES,
	  offsetof(kag__policy, dangerous_capabilities), CHECK_CAPABILITY },
	{ "health_paths", KAG_LIST_HEALTH_PATHS,
	  offsetof(kag__policy, health_paths), CHECK_PATH },
	{ "privileged_roles", KAG_LIST_PRIVILEGED_ROLES,
	  offsetof(kag__policy, privileged_roles), CHECK_ANY },
	{ "system_role_prefixes", KAG_LIST_SYSTEM_ROLE_PREFIXES,
	  offsetof(kag__policy, system_role_prefixes), CHECK_ANY },
	{ "system_role_exceptions", KAG_LIST_SYSTEM_ROLE_EXCEPTIONS,
	  offsetof(kag__policy, system_role_exceptions), CHECK_ANY },
	{ "trusted_networks", KAG_LIST_TRUSTED_NETWORKS,
	  offsetof(kag__policy, trusted_networks), CHECK_CIDR },
	{ "deployers", KAG_LIST_DEPLOYERS, offsetof(kag__policy, deployers), CHECK_ANY },
	{ "suspicious_images", KAG_LIST_SUSPICIOUS_IMAGES,
	  offsetof(kag__policy, suspicious_images), CHECK_ANY },
};
#define N_LISTS (sizeof(lists) / sizeof(lists[0]))


static kag__strlist *list_at(kag__policy *p, size_t i)
{
	return (kag__strlist *)(void *)((char *)p + lists[i].off);
}


/* ---- string lists ---- */

static int strlist_contains(const kag__strlist *l, const char *s)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->items[i], s) == 0)
			return 1;
	return 0;
}

/* Append a copy of s to an owned list (items alias owned, as
 * kag__policy_dispose expects). A value already listed is not repeated. */
static int strlist_append(kag__strlist *l, const char *s, size_t len, size_t *cap)
{
	char *copy;

	if (strlist_contains(l, s))
		return KAG_OK;
	if (l->n >= LIST_MAX_ITEMS)
		return KAG_ELIMIT;
	if (l->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		char **no = kag__realloc(l->owned, ncap * sizeof(*no));

		if (!no)
			return KAG_ENOMEM;
		l->owned = no;
		l->items = (const char **)no;
		*cap = ncap;
	}
	copy = kag__strndup(s, len);
	if (!copy)
		return KAG_ENOMEM;
	l->owned[l->n++] = copy;
	return KAG_OK;
}

/* An owned copy of `base` (NULL: empty), to be extended. */
static int strlist_copy(kag__strlist *out, const kag__strlist *base, size_t *cap)
{
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	*cap = 0;
	for (i = 0; base && i < base->n; i++) {
		rc = strlist_append(out, base->items[i], strlen(base->items[i]), cap);
		if (rc < 0) {
			kag__strlist_dispose(out);
			return rc;
		}
	}
	return KAG_OK;
}

/* "a.b.c.d/n" or an IPv6 address with "/n". */
static int valid_cidr(const char *s, size_t len)
{
	const char *slash = memchr(s, '/', len);
	size_t alen, i, digits = 0, groups = 0;
	unsigned prefix = 0, octet = 0;
	int v6 = memchr(s, ':', len) != NULL;

	if (!slash || slash == s || slash + 1 == s + len || s + len - slash > 4)
		return 0;
	for (i = (size_t)(slash - s) + 1; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		prefix = prefix * 10 + (unsigned)(s[i] - '0');
	}
	if (prefix > (v6 ? 128u : 32u))
		return 0;
	alen = (size_t)(slash - s);
	if (v6) {
		for (i = 0; i < alen; i++) {
			char c = s[i];

			if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
			      (c >= 'A' && c <= 'F') || c == ':' || c == '.'))
				return 0;
		}
		return alen >= 2;
	}
	for (i = 0; i <= alen; i++) {
		if (i == alen || s[i] == '.') {
			if (digits == 0 || digits > 3 || octet > 255)
				return 0;
			groups++;
			digits = 0;
			octet = 0;
		} else if (s[i] >= '0' && s[i] <= '9') {
			octet = octet * 10 + (unsigned)(s[i] - '0');
			digits++;
		} else {
			return 0;
		}
	}
	return groups == 4;
}

/* Why `s` cannot be an item of list i, or NULL. */
static const char *bad_item(size_t i, const char *s, size_t len)
{
	size_t k;

	if (len == 0)
		return "must not be empty";
	if (len > ITEM_MAX_BYTES)
		return "is longer than 1024 bytes";
	if (strlen(s) != len)
		return "contains a NUL character";
	for (k = 0; k < len; k++)
		if ((unsigned char)s[k] < 0x20 || s[k] == 0x7f)
			return "contains a control character";
	if (lists[i].check == CHECK_CIDR && !valid_cidr(s, len))
		return "must be a network in CIDR notation, e.g. \"203.0.113.0/24\"";
	if (lists[i].check == CHECK_PATH && s[0] != '/')
		return "must be an absolute path starting with '/'";
	if (lists[i].check == CHECK_CAPABILITY) {
		for (k = 0; k < len; k++) {
			char c = s[k];

			if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			      (c >= '0' && c <= '9') || c == '_'))
				return "must be a capability name (letters, digits, '_')";
		}
	}
	return NULL;
}

static int find_list(const char *name)
{
	size_t i;

	for (i = 0; i < N_LISTS; i++)
		if (strcmp(lists[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int find_list_id(int id)
{
	size_t i;

	for (i = 0; i < N_LISTS; i++)
		if (lists[i].id == id)
			return (int)i;
	return -1;
}

/* ---- the repeat key ---- */

static const struct {
	const char *name;
	uint64_t bit;
} repeat_parts[] = {
	{ "user", KAG_REPEAT_USER }, { "verb", KAG_REPEAT_VERB },
	{ "resource", KAG_REPEAT_RESOURCE }, { "namespace", KAG_REPEAT_NAMESPACE },
	{ "name", KAG_REPEAT_NAME }, { "outcome", KAG_REPEAT_OUTCOME },
	{ "reason", KAG_REPEAT_REASON }, { "source", KAG_REPEAT_SOURCE },
	{ "user_agent", KAG_REPEAT_USER_AGENT },
};
#define N_REPEAT_PARTS (sizeof(repeat_parts) / sizeof(repeat_parts[0]))

/* ---- the loader ---- */

typedef struct {
	kag_registry *r;
	kag__policy st;            /* staging copy; lists borrowed until touched */
	int touched[N_LISTS];      /* st's list i is a new owned list */
	size_t cap[N_LISTS];
	signed char *enabled;      /* per entry: -1 unchanged, 0 off, 1 on */
	kag__component *comps;     /* "components" read, appended at commit */
	size_t n_comps;
	kag__addrlists bad;        /* "bad_sources": a staged copy when bad_staged */
	int bad_staged;
	kag__cluster *cluster;     /* "cluster", read; the registry's at commit */
	int cluster_staged;
	kag__jptr path;
} loader;

/* Reject the document at the pointer being read. */
#define fail(L, ...) kag__load_fail((L)->r, &(L)->path, __VA_ARGS__)

static int load_number(loader *L, size_t i, json_t *v)
{
	json_int_t n;

	if (!json_is_integer(v) || (n = json_integer_value(v)) < 0 ||
	    !kag__policy_number_ok(i, (uint64_t)n))
		return fail(L, KAG_ESCHEMA, "expected %s from %llu to %llu, got %s",
			    kag__policy_numbers[i].seconds ? "a whole number of seconds" : "an integer",
			    (unsigned long long)kag__policy_number_min(i),
			    (unsigned long long)kag__policy_numbers[i].max,
			    json_is_integer(v) ? "a value out of range" : kag__json_kind(v));
	*kag__policy_number_at(&L->st, i) = kag__policy_numbers[i].seconds ? (uint64_t)n * 1000000 : (uint64_t)n;
	return KAG_OK;
}

static int load_section(loader *L, const char *section, json_t *obj)
{
	const char *key;
	json_t *v;
	size_t i;
	int rc;

	if (!json_is_object(obj))
		return fail(L, KAG_ESCHEMA, "expected an object, got %s", kag__json_kind(obj));
	json_object_foreach(obj, key, v) {
		size_t old = kag__jptr_push(&L->path, key);

		for (i = 0; i < kag__policy_n_numbers; i++)
			if (strcmp(kag__policy_numbers[i].section, section) == 0 &&
			    strcmp(kag__policy_numbers[i].key, key) == 0)
				break;
		if (i == kag__policy_n_numbers) {
			char known[200];
			size_t k, n = 0;

			known[0] = '\0';
			for (k = 0; k < kag__policy_n_numbers; k++)
				if (strcmp(kag__policy_numbers[k].section, section) == 0 && n < sizeof(known))
					n += snprintf(known + n, sizeof(known) - n, "%s%s",
						      n ? ", " : "", kag__policy_numbers[k].key);
			return fail(L, KAG_ESCHEMA, "unknown key in \"%s\" (known: %s)", section,
				    known);
		}
		rc = load_number(L, i, v);
		if (rc < 0)
			return rc;
		kag__jptr_pop(&L->path, old);
	}
	return KAG_OK;
}

/* "name": [...] replaces list i (add = 0) or extends it (add = 1). */
static int load_list(loader *L, size_t i, json_t *arr, int add)
{
	kag__strlist *dst = list_at(&L->st, i);
	json_t *v;
	size_t k;
	int rc;

	if (!json_is_array(arr))
		return fail(L, KAG_ESCHEMA, "expected an array of strings, got %s",
			    kag__json_kind(arr));
	if (json_array_size(arr) > LIST_MAX_ITEMS)
		return fail(L, KAG_ELIMIT, "more than %d items", LIST_MAX_ITEMS);
	if (!L->touched[i] || !add) {
		kag__strlist fresh;
		size_t cap;

		rc = strlist_copy(&fresh, add ? dst : NULL, &cap);
		if (rc < 0)
			return fail(L, rc, "out of memory");
		if (L->touched[i])
			kag__strlist_dispose(dst);
		*dst = fresh;
		L->cap[i] = cap;
		L->touched[i] = 1;
	}
	json_array_foreach(arr, k, v) {
		size_t old = kag__jptr_index(&L->path, k);
		const char *why;

		if (!json_is_string(v))
			return fail(L, KAG_ESCHEMA, "expected a string, got %s", kag__json_kind(v));
		why = bad_item(i, json_string_value(v), json_string_length(v));
		if (why)
			return fail(L, KAG_ESCHEMA, "%s", why);
		rc = strlist_append(dst, json_string_value(v), json_string_length(v), &L->cap[i]);
		if (rc == KAG_ELIMIT)
			return fail(L, rc, "the list would hold more than %d items", LIST_MAX_ITEMS);
		if (rc < 0)
			return fail(L, rc, "out of memory");
		kag__jptr_pop(&L->path, old);
	}
	return KAG_OK;
}

static int load_detector_ids(loader *L, json_t *arr, int on)
{
	json_t *v;
	size_t k;

	if (!json_is_array(arr))
		return fail(L, KAG_ESCHEMA, "expected an array of detector ids, got %s",
			    kag__json_kind(arr));
	json_array_foreach(arr, k, v) {
		size_t old = kag__jptr_index(&L->path, k);
		int e;

		if (!json_is_string(v))
			return fail(L, KAG_ESCHEMA, "expected a detector id, got %s", kag__json_kind(v));
		e = kag__registry_find_entry(L->r, json_string_value(v));
		if (e < 0)
			return fail(L, KAG_ENOTFOUND, "unknown detector \"%s\"",
				    json_string_value(v));
		if (L->enabled[e] == !on)
			return fail(L, KAG_ESCHEMA, "detector \"%s\" is both enabled and disabled",
				    json_string_value(v));
		L->enabled[e] = (signed char)on;
		kag__jptr_pop(&L->path, old);
	}
	return KAG_OK;
}

static int load_detectors(loader *L, json_t *obj)
{
	const char *key;
	json_t *v;
	int rc;

	if (!json_is_object(obj))
		return fail(L, KAG_ESCHEMA, "expected an object, got %s", kag__json_kind(obj));
	json_object_foreach(obj, key, v) {
		size_t old = kag__jptr_push(&L->path, key);

		if (strcmp(key, "enable") == 0)
			rc = load_detector_ids(L, v, 1);
		else if (strcmp(key, "disable") == 0)
			rc = load_detector_ids(L, v, 0);
		else
			rc = fail(L, KAG_ESCHEMA, "unknown key in \"detectors\" (known: enable, "
				  "disable)");
		if (rc < 0)
			return rc;
		kag__jptr_pop(&L->path, old);
	}
	return KAG_OK;
}

/* "repeat_key": ["user", "verb", ...], the parts of the repeat key. */
static int load_repeat_key(loader *L, json_t *arr)
{
	uint64_t parts = 0;
	json_t *v;
	size_t k, i;

	if (!json_is_array(arr) || json_array_size(arr) == 0)
		return fail(L, KAG_ESCHEMA, "expected a non-empty array of key parts, got %s",
			    json_is_array(arr) ? "an empty array" : kag__json_kind(arr));
	json_array_foreach(arr, k, v) {
		char idx[24];
		size_t old;

		snprintf(idx, sizeof(idx), "%zu", k);
		old = kag__jptr_push(&L->path, idx);
		for (i = 0; i < N_REPEAT_PARTS; i++)
			if (json_is_string(v) && strcmp(json_string_value(v), repeat_parts[i].name) == 0)
				break;
		if (i == N_REPEAT_PARTS)
			return fail(L, KAG_ESCHEMA, "unknown repeat key part (known: user, verb, "
				    "resource, namespace, name, outcome, reason, source, user_agent)");
		parts |= repeat_parts[i].bit;
		kag__jptr_pop(&L->path, old);
	}
	L->st.repeat_key = parts;
	return KAG_OK;
}

#define COMPONENTS_MAX 1024

/* "components": [...], entries added ahead of the built-in ones. */
static int load_components(loader *L, json_t *arr)
{
	json_t *v;
	size_t k;
	int rc;

	if (!json_is_array(arr))
		return fail(L, KAG_ESCHEMA, "expected an array of components, got %s",
			    kag__json_kind(arr));
	if (json_array_size(arr) + L->st.n_components > COMPONENTS_MAX)
		return fail(L, KAG_ELIMIT, "more than %d components", COMPONENTS_MAX);
	L->comps = kag__calloc(json_array_size(arr) + 1, sizeof(*L->comps));
	if (!L->comps)
		return fail(L, KAG_ENOMEM, "out of memory");
	json_array_foreach(arr, k, v) {
		size_t old = kag__jptr_index(&L->path, k);

		L->n_comps = k + 1;
		rc = kag__component_load(L->r, &L->path, v, &L->comps[k]);
		if (rc < 0)
			return rc;
		kag__jptr_pop(&L->path, old);
	}
	return KAG_OK;
}

/* The registry's entries, then the ones read. */
static int commit_components(loader *L, kag__policy *p)
{
	kag__component *all;

	if (!L->n_comps)
		return KAG_OK;
	all = kag__realloc(p->components, (p->n_components + L->n_comps) * sizeof(*all));
	if (!all)
		return KAG_ENOMEM;
	memcpy(all + p->n_components, L->comps, L->n_comps * sizeof(*all));
	p->components = all;
	p->n_components += L->n_comps;
	kag__free(L->comps);
	L->comps = NULL;
	L->n_comps = 0;
	return KAG_OK;
}

static void drop_components(loader *L)
{
	size_t i;

	for (i = 0; i < L->n_comps; i++)
		kag__component_dispose(&L->comps[i]);
	kag__free(L->comps);
	L->comps = NULL;
	L->n_comps = 0;
}

/* One list of "bad_sources": an array of entries, read as the lines of a
 * list's text so that the text and the policy obey one format. */
static int load_bad_list(loader *L, const char *name, json_t *arr)
{
	kag_buf text;
	json_t *v;
	size_t k, line = 0;
	char why[160];
	int rc;

	if (!json_is_array(arr))
		return fail(L, KAG_ESCHEMA, "expected an array of addresses and CIDR ranges, got %s",
			    kag__json_kind(arr));
	kag__buf_init(&text);
	json_array_foreach(arr, k, v) {
		if (!json_is_string(v) || strchr(json_string_value(v), '\n')) {
			kag__buf_dispose(&text);
			kag__jptr_index(&L->path, k);
			return fail(L, KAG_ESCHEMA, "expected one address or CIDR range, got %s",
				    json_is_string(v) ? "several lines" : kag__json_kind(v));
		}
		kag__buf_put(&text, json_string_value(v), json_string_length(v));
		kag__buf_putc(&text, '\n');
	}
	if (text.oom) {
		kag__buf_dispose(&text);
		return fail(L, KAG_ENOMEM, "out of memory");
	}
	rc = kag__addrlists_load(&L->bad, name, text.data ? text.data : "", text.len, &line,
				 why, sizeof(why));
	kag__buf_dispose(&text);
	if (rc < 0) {
		if (line)
			kag__jptr_index(&L->path, line - 1);
		return fail(L, rc, "%s", why);
	}
	return KAG_OK;
}

/* "bad_sources": {"NAME": [...], ...}, each replacing the list of that
 * name (kag_registry_load_addresses() loads the same from text). */
static int load_bad_sources(loader *L, json_t *obj)
{
	const char *name;
	json_t *v;
	int rc;

	if (!json_is_object(obj))
		return fail(L, KAG_ESCHEMA, "expected an object of named lists, got %s",
			    kag__json_kind(obj));
	if (!L->bad_staged) {
		if (kag__addrlists_copy(&L->bad, &L->st.bad_sources) < 0)
			return fail(L, KAG_ENOMEM, "out of memory");
		L->bad_staged = 1;
	}
	json_object_foreach(obj, name, v) {
		size_t old = kag__jptr_push(&L->path, name);

		rc = load_bad_list(L, name, v);
		if (rc < 0)
			return rc;
		kag__jptr_pop(&L->path, old);
	}
	return KAG_OK;
}

/* "cluster": {"name": "prod-eu-1", "labels": {"env": "prod", ...}},
 * replacing the registry's cluster, labels and all. */
static int load_cluster(loader *L, json_t *obj)
{
	json_t *name, *labels, *v;
	const char *key, *why;
	size_t old;

	if (!json_is_object(obj))
		return fail(L, KAG_ESCHEMA, "expected an object with \"name\" and \"labels\", got %s",
			    kag__json_kind(obj));
	json_object_foreach(obj, key, v) {
		if (strcmp(key, "name") != 0 && strcmp(key, "labels") != 0) {
			kag__jptr_push(&L->path, key);
			return fail(L, KAG_ESCHEMA, "unknown key in \"cluster\" (known: name, labels)");
		}
	}
	if (!(name = json_object_get(obj, "name")))
		return fail(L, KAG_ESCHEMA, "a cluster needs a \"name\"");
	old = kag__jptr_push(&L->path, "name");
	if (!json_is_string(name))
		return fail(L, KAG_ESCHEMA, "expected a string, got %s", kag__json_kind(name));
	if ((why = kag__cluster_bad(KAG__CLUSTER_NAME, json_string_value(name),
				    json_string_length(name))))
		return fail(L, KAG_ESCHEMA, "%s", why);
	kag__cluster_free(L->cluster);
	L->cluster = kag__cluster_new(json_string_value(name), json_string_length(name));
	L->cluster_staged = 1;
	if (!L->cluster)
		return fail(L, KAG_ENOMEM, "out of memory");
	kag__jptr_pop(&L->path, old);
	if (!(labels = json_object_get(obj, "labels")))
		return KAG_OK;
	kag__jptr_push(&L->path, "labels");
	if (!json_is_object(labels))
		return fail(L, KAG_ESCHEMA, "expected an object of strings, got %s",
			    kag__json_kind(labels));
	if (json_object_size(labels) > KAG__CLUSTER_LABELS_MAX)
		return fail(L, KAG_ELIMIT, "a cluster has at most %d labels, got %zu",
			    KAG__CLUSTER_LABELS_MAX, json_object_size(labels));
	json_object_foreach(labels, key, v) {
		old = kag__jptr_push(&L->path, key);
		why = kag__cluster_bad(KAG__CLUSTER_KEY, key, strlen(key));
		if (!why && !json_is_string(v))
			return fail(L, KAG_ESCHEMA, "expected a string, got %s", kag__json_kind(v));
		if (!why)
			why = kag__cluster_bad(KAG__CLUSTER_VALUE, json_string_value(v),
					       json_string_length(v));
		if (why)
			return fail(L, KAG_ESCHEMA, "%s", why);
		if (kag__cluster_set_label(L->cluster, key, strlen(key), json_string_value(v),
					   json_string_length(v)) < 0)
			return fail(L, KAG_ENOMEM, "out of memory");
		kag__jptr_pop(&L->path, old);
	}
	if (kag__cluster_finish(L->cluster) < 0)
		return fail(L, KAG_ENOMEM, "out of memory");
	return KAG_OK;
}

/* One top-level member. Pass 0 handles everything but "add_*" lists, pass
 * 1 only those, so that additions extend a replacement wherever it is. */
static int load_member(loader *L, const char *key, json_t *v, int pass)
{
	int add = strncmp(key, "add_", 4) == 0;
	int li = find_list(add ? key + 4 : key);

	if (pass == 1)
		return add && li >= 0 ? load_list(L, (size_t)li, v, 1) : KAG_OK;
	if (li >= 0)
		return add ? KAG_OK : load_list(L, (size_t)li, v, 0);
	if (strcmp(key, "version") == 0) {
		if (!json_is_integer(v) || json_integer_value(v) != 1)
			return fail(L, KAG_ESCHEMA, "unsupported policy version (this library "
				    "reads version 1)");
		return KAG_OK;
	}
	if (strcmp(key, "thresholds") == 0 || strcmp(key, "windows") == 0 ||
	    strcmp(key, "capacities") == 0)
		return load_section(L, key, v);
	if (strcmp(key, "detectors") == 0)
		return load_detectors(L, v);
	if (strcmp(key, "repeat_key") == 0)
		return load_repeat_key(L, v);
	if (strcmp(key, "components") == 0)
		return load_components(L, v);
	if (strcmp(key, "bad_sources") == 0)
		return load_bad_sources(L, v);
	if (strcmp(key, "cluster") == 0)
		return load_cluster(L, v);
	if (strcmp(key, "default_components") == 0) {
		if (!json_is_boolean(v))
			return fail(L, KAG_ESCHEMA, "expected true or false, got %s",
				    kag__json_kind(v));
		L->st.default_components = json_is_true(v);
		return KAG_OK;
	}
	if (strcmp(key, "description") == 0) {
		if (!json_is_string(v))
			return fail(L, KAG_ESCHEMA, "expected a string, got %s", kag__json_kind(v));
		return KAG_OK;
	}
	return fail(L, KAG_ESCHEMA, "unknown key");
}

int kag_registry_load_policy(kag_registry *r, const char *json, size_t len)
{
	loader L;
	json_t *root, *v;
	const char *key;
	size_t i;
	int pass, rc;

	rc = kag__load_open(&root, r, json, len, POLICY_MAX_BYTES, "the policy", "the policy");
	if (rc < 0)
		return rc;
	memset(&L, 0, sizeof(L));
	L.r = r;
	L.st = r->policy;
	L.enabled = kag__malloc(r->n_entries ? r->n_entries : 1);
	if (!L.enabled) {
		json_decref(root);
		kag__registry_error(r, "", "out of memory");
		return KAG_ENOMEM;
	}
	memset(L.enabled, -1, r->n_entries ? r->n_entries : 1);
	if (!json_is_object(root)) {
		rc = fail(&L, KAG_ESCHEMA, "a policy is a JSON object, got %s", kag__json_kind(root));
		goto done;
	}
	for (pass = 0; pass < 2 && rc == KAG_OK; pass++) {
		json_object_foreach(root, key, v) {
			size_t old = kag__jptr_push(&L.path, key);

			rc = load_member(&L, key, v, pass);
			if (rc < 0)
				break;
			kag__jptr_pop(&L.path, old);
		}
	}
	/* the only step of the commit that can fail comes first */
	if (rc == KAG_OK && commit_components(&L, &L.st) < 0)
		rc = fail(&L, KAG_ENOMEM, "out of memory");
	if (rc == KAG_OK) {
		/* commit: the registry takes the staged lists and numbers */
		for (i = 0; i < N_LISTS; i++)
			if (L.touched[i])
				kag__strlist_dispose(list_at(&r->policy, i));
		if (L.bad_staged) {
			kag__addrlists_dispose(&r->policy.bad_sources);
			L.st.bad_sources = L.bad;
			L.bad_staged = 0;
		}
		if (L.cluster_staged) {
			kag__cluster_free(r->policy.cluster);
			L.st.cluster = L.cluster;
			L.cluster = NULL;
		}
		r->policy = L.st;
		for (i = 0; i < r->n_entries; i++)
			if (L.enabled[i] >= 0)
				r->entries[i].enabled = L.enabled[i];
		kag__registry_clear_error(r);
	}
done:
	if (rc < 0) {
		for (i = 0; i < N_LISTS; i++)
			if (L.touched[i])
				kag__strlist_dispose(list_at(&L.st, i));
	}
	drop_components(&L);
	if (L.bad_staged)
		kag__addrlists_dispose(&L.bad);
	kag__cluster_free(L.cluster);
	kag__free(L.enabled);
	json_decref(root);
	return rc;
}

/* ---- typed setters ---- */

int kag_registry_load_addresses(kag_registry *r, const char *name, const char *text, size_t len)
{
	char why[160];
	size_t line;
	int rc;

	if (!r || !name || (!text && len))
		return KAG_EINVAL;
	if (r->sealed) {
		kag__registry_error(r, "", "the registry is sealed");
		return KAG_ESTATE;
	}
	rc = kag__addrlists_load(&r->policy.bad_sources, name, text ? text : "", len, &line,
				 why, sizeof(why));
	if (rc < 0) {
		if (line)
			kag__registry_error(r, "", "%.64s: line %zu: %s", name, line, why);
		else
			kag__registry_error(r, "", "%.64s: %s", name, why);
		return rc;
	}
	kag__registry_clear_error(r);
	return KAG_OK;
}

int kag_registry_policy_add(kag_registry *r, int list_id, const char *value)
{
	kag__strlist *l, fresh;
	const char *why;
	size_t cap;
	int i, rc;

	if (!r)
		return KAG_EINVAL;
	kag__registry_clear_error(r);
	i = find_list_id(list_id);
	if (i < 0) {
		kag__registry_error(r, "", "unknown policy list id %d", list_id);
		return KAG_EINVAL;
	}
	if (!value) {
		kag__registry_error(r, "", "%s: no value", lists[i].name);
		return KAG_EINVAL;
	}
	if (r->sealed) {
		kag__registry_error(r, "", "the registry is sealed");
		return KAG_ESTATE;
	}
	why = bad_item((size_t)i, value, strlen(value));
	if (why) {
		kag__registry_error(r, "", "%s value %s", lists[i].name, why);
		return KAG_EINVAL;
	}
	l = list_at(&r->policy, (size_t)i);
	if (strlist_contains(l, value))
		return KAG_OK;
	/* copy-on-write: defaults are static, so extend an owned copy */
	rc = strlist_copy(&fresh, l, &cap);
	if (rc == KAG_OK)
		rc = strlist_append(&fresh, value, strlen(value), &cap);
	if (rc < 0) {
		kag__strlist_dispose(&fresh);
		kag__registry_error(r, "", "%s: %s", lists[i].name, rc == KAG_ELIMIT
				    ? "the list would hold more than 4096 items" : "out of memory");
		return rc;
	}
	kag__strlist_dispose(l);
	*l = fresh;
	return KAG_OK;
}

int kag_registry_policy_clear(kag_registry *r, int list_id)
{
	int i;

	if (!r)
		return KAG_EINVAL;
	kag__registry_clear_error(r);
	i = find_list_id(list_id);
	if (i < 0) {
		kag__registry_error(r, "", "unknown policy list id %d", list_id);
		return KAG_EINVAL;
	}
	if (r->sealed) {
		kag__registry_error(r, "", "the registry is sealed");
		return KAG_ESTATE;
	}
	kag__strlist_dispose(list_at(&r->policy, (size_t)i));
	return KAG_OK;
}
