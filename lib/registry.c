/* The detector registry: built-ins plus caller detectors, options, seal, and
 * the error detail of its calls (the loaders report through it). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "alloc-private.h"
#include "detector-private.h"
#include "finding-private.h"
#include "rules-private.h"

static const kag__detector_def *const builtins[] = {
	&kag__det_controller_baseline,
	&kag__det_interactive_access,
	&kag__det_impersonation,
	&kag__det_rbac_probing,
	&kag__det_secrets_access,
	&kag__det_privileged_workload,
	&kag__det_rbac_escalation,
	&kag__det_anonymous_access,
	&kag__det_credential_minting,
	&kag__det_node_proxy,
	&kag__det_control_plane_tampering,
	&kag__det_persistence_workload,
	&kag__det_exposed_service,
	&kag__det_discovery,
	&kag__det_public_source,
	&kag__det_new_user_agent,
	&kag__det_configmap_credentials,
	&kag__det_known_bad_source,
	&kag__det_destructive_delete,
	&kag__det_hygiene,
};

static int grow(kag_registry *r)
{
	kag__entry *ne;
	size_t cap;

	if (r->n_entries < r->cap_entries)
		return KAG_OK;
	cap = r->cap_entries ? r->cap_entries * 2 : 16;
	ne = kag__realloc(r->entries, cap * sizeof(*ne));
	if (!ne)
		return KAG_ENOMEM;
	r->entries = ne;
	r->cap_entries = cap;
	return KAG_OK;
}

/* A built-in's documentation, written from its definition. */
static int write_doc(kag__entry *e)
{
	kag_buf b;

	kag__buf_init(&b);
	kag__detector_doc(&b, &e->def);
	kag__buf_terminate(&b);
	if (b.oom) {
		kag__buf_dispose(&b);
		return KAG_ENOMEM;
	}
	e->own_doc = b.data;
	e->def.doc = e->own_doc;
	return KAG_OK;
}

int kag_registry_new(kag_registry **out)
{
	kag_registry *r;
	size_t i;

	if (!out)
		return KAG_EINVAL;
	*out = NULL;
	r = kag__calloc(1, sizeof(*r));
	if (!r)
		return KAG_ENOMEM;
	atomic_init(&r->refs, 1);
	kag__policy_defaults(&r->policy);
	for (i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++) {
		kag__entry *e;

		if (grow(r) < 0) {
			kag_registry_free(r);
			return KAG_ENOMEM;
		}
		e = &r->entries[r->n_entries++];
		memset(e, 0, sizeof(*e));
		e->def = *builtins[i];
		e->builtin = builtins[i];
		e->enabled = 1;
		if (write_doc(e) < 0) {
			kag_registry_free(r);
			return KAG_ENOMEM;
		}
	}
	*out = r;
	return KAG_OK;
}

void kag__registry_ref(kag_registry *r)
{
	atomic_fetch_add(&r->refs, 1);
}

void kag_registry_free(kag_registry *r)
{
	size_t i;

	if (!r || atomic_fetch_sub(&r->refs, 1) != 1)
		return;
	for (i = 0; i < r->n_entries; i++) {
		kag__free(r->entries[i].own_id);
		kag__free(r->entries[i].own_title);
		kag__free(r->entries[i].own_doc);
		kag__free(r->entries[i].own_required);
		kag__rule_free(r->entries[i].rule);
	}
	kag__free(r->entries);
	kag__policy_dispose(&r->policy);
	kag__free(r);
}

int kag__registry_find_entry(const kag_registry *r, const char *id)
{
	size_t i;

	for (i = 0; i < r->n_entries; i++)
		if (strcmp(r->entries[i].def.id, id) == 0)
			return (int)i;
	return -1;
}

static int valid_id(const char *id)
{
	size_t n = 0;

	for (; *id; id++, n++) {
		char c = *id;

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
		      c == '.' || (c >= 'A' && c <= 'Z')))
			return 0;
	}
	return n > 0 && n <= 64;
}

/* Callback-backed detectors are judged by the session directly. */
static int caller_judge(kag_finding *f, const kag_event *ev, kag__ctx *ctx)
{
	(void)f;
	(void)ev;
	(void)ctx;
	return KAG_OK;
}

int kag_registry_add_detector(kag_registry *r, const char *id, const char *title,
			      const int *decisive, size_t n_decisive, int min_level,
			      kag_detector_cb cb, void *user_data)
{
	kag__entry *e;
	size_t i;

	if (!r || !id || !cb || !valid_id(id) || (n_decisive && !decisive) ||
	    n_decisive > KAG__MAX_FIELDS || min_level < KAG_LEVEL_UNKNOWN ||
	    min_level > KAG_LEVEL_REQUEST_RESPONSE)
		return KAG_EINVAL;
	if (r->sealed)
		return KAG_ESTATE;
	if (kag__registry_find_entry(r, id) >= 0)
		return KAG_EINVAL;
	for (i = 0; i < n_decisive; i++)
		if (decisive[i] < 0 || decisive[i] >= KAG__FIELD_COUNT)
			return KAG_EINVAL;
	if (grow(r) < 0)
		return KAG_ENOMEM;
	e = &r->entries[r->n_entries];
	memset(e, 0, sizeof(*e));
	e->own_id = kag__strdup(id);
	e->own_title = kag__strdup(title ? title : id);
	e->own_doc = kag__strdup("caller-defined detector");
	e->own_required = kag__calloc(n_decisive ? n_decisive : 1, sizeof(int));
	if (!e->own_id || !e->own_title || !e->own_doc || !e->own_required) {
		kag__free(e->own_id);
		kag__free(e->own_title);
		kag__free(e->own_doc);
		kag__free(e->own_required);
		return KAG_ENOMEM;
	}
	if (n_decisive)
		memcpy(e->own_required, decisive, n_decisive * sizeof(int));
	e->def.id = e->own_id;
	e->def.title = e->own_title;
	e->def.doc = e->own_doc;
	e->def.required = e->own_required;
	e->def.n_required = n_decisive;
	e->def.min_level = min_level;
	e->def.needs_outcome = 0;
	e->def.ctx_severity = KAG_SEVERITY_LOW;
	e->def.judge = caller_judge;
	e->cb = cb;
	e->user_data = user_data;
	e->enabled = 1;
	r->n_entries++;
	return KAG_OK;
}

static int set_enabled(kag_registry *r, const char *id, int on)
{
	int i;

	if (!r || !id)
		return KAG_EINVAL;
	if (r->sealed)
		return KAG_ESTATE;
	i = kag__registry_find_entry(r, id);
	if (i < 0)
		return KAG_ENOTFOUND;
	r->entries[i].enabled = on;
	return KAG_OK;
}

int kag_registry_enable(kag_registry *r, const char *id)
{
	return set_enabled(r, id, 1);
}

int kag_registry_disable(kag_registry *r, const char *id)
{
	return set_enabled(r, id, 0);
}

int kag_registry_set_option_u64(kag_registry *r, int option, uint64_t value)
{
	/* only the repeat window takes 0 (suppression off) */
	if (!r || (value == 0 && option != KAG_ROPT_REPEAT_WINDOW))
		return KAG_EINVAL;
	if (r->sealed)
		return KAG_ESTATE;
	switch (option) {
	case KAG_ROPT_REPEAT_KEY: return kag__policy_set_repeat_key(&r->policy, value);
	case KAG_ROPT_PROBE_THRESHOLD: r->policy.probe_threshold = value; break;
	case KAG_ROPT_PROBE_WINDOW:
		if (value > UINT64_MAX / 1000000)
			return KAG_EINVAL;
		r->policy.probe_window_us = value * 1000000;
		break;
	case KAG_ROPT_LATE_ALLOWANCE:
		if (value > UINT64_MAX / 1000000)
			return KAG_EINVAL;
		r->policy.late_us = value * 1000000;
		break;
	case KAG_ROPT_DEDUP_CAPACITY:
	case KAG_ROPT_PRINCIPAL_CAPACITY:
	case KAG_ROPT_PENDING_CAPACITY:
		if (value > (1u << 24))
			return KAG_EINVAL;
		if (option == KAG_ROPT_DEDUP_CAPACITY)
			r->policy.dedup_capacity = value;
		else if (option == KAG_ROPT_PRINCIPAL_CAPACITY)
			r->policy.principal_capacity = value;
		else
			r->policy.pending_capacity = value;
		break;
	default:
		return kag__policy_set_option(&r->policy, option, value);
	}
	return KAG_OK;
}

int kag_registry_seal(kag_registry *r)
{
	if (!r)
		return KAG_EINVAL;
	if (!r->sealed)
		kag__policy_index(&r->policy);
	r->sealed = 1;
	return KAG_OK;
}

int kag_registry_is_sealed(const kag_registry *r)
{
	return r ? r->sealed : 0;
}

size_t kag_registry_count(const kag_registry *r)
{
	return r ? r->n_entries : 0;
}

const char *kag_registry_detector_id(const kag_registry *r, size_t i)
{
	return r && i < r->n_entries ? r->entries[i].def.id : NULL;
}

const char *kag_registry_detector_title(const kag_registry *r, size_t i)
{
	return r && i < r->n_entries ? r->entries[i].def.title : NULL;
}

const char *kag_registry_detector_doc(const kag_registry *r, size_t i)
{
	return r && i < r->n_entries ? r->entries[i].def.doc : NULL;
}

int kag_registry_detector_enabled(const kag_registry *r, size_t i)
{
	return r && i < r->n_entries ? r->entries[i].enabled : 0;
}

int kag_registry_find(size_t *index_out, const kag_registry *r, const char *id)
{
	int i;

	if (!index_out || !r || !id)
		return KAG_EINVAL;
	i = kag__registry_find_entry(r, id);
	if (i < 0)
		return KAG_ENOTFOUND;
	*index_out = (size_t)i;
	return KAG_OK;
}

/* ---- error detail on the registry ---- */

void kag__registry_error(kag_registry *r, const char *path, const char *fmt, ...)
{
	char reason[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	snprintf(r->err_path, sizeof(r->err_path), "%s", path ? path : "");
	r->err_message[0] = '\0';
	if (r->err_path[0]) {
		strcpy(r->err_message, r->err_path);   /* err_path is the shorter */
		strcat(r->err_message, ": ");
	}
	strncat(r->err_message, reason, sizeof(r->err_message) - strlen(r->err_message) - 1);
}

void kag__registry_clear_error(kag_registry *r)
{
	r->err_path[0] = '\0';
	r->err_message[0] = '\0';
}

const char *kag_registry_error_message(const kag_registry *r)
{
	return r ? r->err_message : "";
}

const char *kag_registry_error_path(const kag_registry *r)
{
	return r ? r->err_path : "";
}
