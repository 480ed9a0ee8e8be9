/* The cluster a registry judges for: a name and labels the caller sets
 * (kag_registry_set_cluster(), kag_registry_add_cluster_label(), or a
 * policy's "cluster" member), so that an analyst reading the verdicts of
 * many clusters in one place can tell them apart. kag's own record carries
 * it as "cluster" when a name is set; the OCSF and ECS renderings
 * (render.c) map it to their own attributes. */
#include <string.h>

#include "alloc-private.h"
#include "buf-private.h"
#include "cluster-private.h"
#include "detector-private.h"

#define STR_(x) #x
#define STR(x) STR_(x)

/* What a name, a label key and a label value may be: control bytes would
 * make them unreadable in a table and in logs; anything else (UTF-8
 * included) is the caller's choice. */
static const struct {
	size_t min, max;
	const char *empty, *long_, *control;
} rules[] = {
	[KAG__CLUSTER_NAME] = { 1, KAG__CLUSTER_NAME_MAX, "the cluster name is empty",
		"the cluster name is longer than " STR(KAG__CLUSTER_NAME_MAX) " bytes",
		"the cluster name has a control character" },
	[KAG__CLUSTER_KEY] = { 1, KAG__CLUSTER_KEY_MAX, "a cluster label key is empty",
		"a cluster label key is longer than " STR(KAG__CLUSTER_KEY_MAX) " bytes",
		"a cluster label key has a control character" },
	[KAG__CLUSTER_VALUE] = { 0, KAG__CLUSTER_VALUE_MAX, NULL,
		"a cluster label value is longer than " STR(KAG__CLUSTER_VALUE_MAX) " bytes",
		"a cluster label value has a control character" },
};

const char *kag__cluster_bad(int what, const char *s, size_t len)
{
	size_t i;

	if (len < rules[what].min)
		return rules[what].empty;
	if (len > rules[what].max)
		return rules[what].long_;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return rules[what].control;
	return NULL;
}

kag__cluster *kag__cluster_new(const char *name, size_t len)
{
	kag__cluster *c = kag__calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->name = kag__strndup(name, len);
	if (!c->name || kag__cluster_finish(c) < 0) {
		kag__cluster_free(c);
		return NULL;
	}
	return c;
}

int kag__cluster_set_label(kag__cluster *c, const char *key, size_t klen, const char *value,
			   size_t vlen)
{
	char *k, *v = kag__strndup(value, vlen);
	size_t i;

	if (!v)
		return KAG_ENOMEM;
	for (i = 0; i < c->n_labels; i++) {
		if (strlen(c->keys[i]) == klen && memcmp(c->keys[i], key, klen) == 0) {
			kag__free(c->values[i]);
			c->values[i] = v;
			return KAG_OK;
		}
	}
	if (c->n_labels == KAG__CLUSTER_LABELS_MAX) {
		kag__free(v);
		return KAG_ELIMIT;
	}
	k = kag__strndup(key, klen);
	if (!k) {
		kag__free(v);
		return KAG_ENOMEM;
	}
	c->keys[c->n_labels] = k;
	c->values[c->n_labels++] = v;
	return KAG_OK;
}

int kag__cluster_finish(kag__cluster *c)
{
	kag_buf b;
	size_t i;

	kag__buf_init(&b);
	KAG__BUF_LIT(&b, ",\"cluster\":{\"name\":");
	kag__buf_put_json_str(&b, c->name, strlen(c->name));
	KAG__BUF_LIT(&b, ",\"labels\":{");
	for (i = 0; i < c->n_labels; i++) {
		if (i)
			kag__buf_putc(&b, ',');
		kag__buf_put_json_str(&b, c->keys[i], strlen(c->keys[i]));
		kag__buf_putc(&b, ':');
		kag__buf_put_json_str(&b, c->values[i], strlen(c->values[i]));
	}
	KAG__BUF_LIT(&b, "}}");
	if (b.oom || kag__buf_terminate(&b) < 0) {
		kag__buf_dispose(&b);
		return KAG_ENOMEM;
	}
	kag__free(c->json);
	c->json = b.data;
	c->json_len = b.len;
	return KAG_OK;
}

void kag__cluster_free(kag__cluster *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->n_labels; i++) {
		kag__free(c->keys[i]);
		kag__free(c->values[i]);
	}
	kag__free(c->name);
	kag__free(c->json);
	kag__free(c);
}

/* ---- the setters ---- */

/* What every setter checks first: a registry, not sealed. */
static int writable(kag_registry *r)
{
	if (!r)
		return KAG_EINVAL;
	kag__registry_clear_error(r);
	if (r->sealed) {
		kag__registry_error(r, "", "the registry is sealed");
		return KAG_ESTATE;
	}
	return KAG_OK;
}

int kag_registry_set_cluster(kag_registry *r, const char *name)
{
	kag__cluster *c, *o;
	const char *why;
	size_t i;
	int rc = writable(r);

	if (rc < 0)
		return rc;
	if (!name) {
		kag__cluster_free(r->policy.cluster);
		r->policy.cluster = NULL;
		return KAG_OK;
	}
	if ((why = kag__cluster_bad(KAG__CLUSTER_NAME, name, strlen(name))) != NULL) {
		kag__registry_error(r, "", "%s", why);
		return KAG_EINVAL;
	}
	/* a new name keeps the labels set so far */
	c = kag__cluster_new(name, strlen(name));
	o = r->policy.cluster;
	for (i = 0; c && o && i < o->n_labels && rc == KAG_OK; i++)
		rc = kag__cluster_set_label(c, o->keys[i], strlen(o->keys[i]), o->values[i],
					    strlen(o->values[i]));
	if (!c || rc < 0 || kag__cluster_finish(c) < 0) {
		kag__cluster_free(c);
		kag__registry_error(r, "", "out of memory");
		return KAG_ENOMEM;
	}
	kag__cluster_free(o);
	r->policy.cluster = c;
	return KAG_OK;
}

int kag_registry_add_cluster_label(kag_registry *r, const char *key, const char *value)
{
	const char *why;
	int rc = writable(r);

	if (rc < 0)
		return rc;
	if (!key || !value)
		why = "a cluster label needs a key and a value";
	else if (!r->policy.cluster)
		why = "set the cluster's name before its labels";
	else if (!(why = kag__cluster_bad(KAG__CLUSTER_KEY, key, strlen(key))))
		why = kag__cluster_bad(KAG__CLUSTER_VALUE, value, strlen(value));
	if (why) {
		kag__registry_error(r, "", "%s", why);
		return KAG_EINVAL;
	}
	rc = kag__cluster_set_label(r->policy.cluster, key, strlen(key), value, strlen(value));
	if (rc == KAG_OK)
		rc = kag__cluster_finish(r->policy.cluster);
	if (rc == KAG_ELIMIT)
		kag__registry_error(r, "", "a cluster has at most %d labels",
				    KAG__CLUSTER_LABELS_MAX);
	else if (rc < 0)
		kag__registry_error(r, "", "out of memory");
	return rc;
}
