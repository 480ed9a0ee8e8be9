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

/* Control bytes would make the name unreadable in a table and in logs;
 * anything else (UTF-8 included) is the caller's choice. */
static const char *bad_text(const char *s, size_t len, size_t min, size_t max)
{
	size_t i;

	if (len < min)
		return "is empty";
	if (len > max)
		return "is too long";
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return "has a control character";
	return NULL;
}

const char *kag__cluster_bad_name(const char *s, size_t len)
{
	return bad_text(s, len, 1, KAG__CLUSTER_NAME_MAX);
}

const char *kag__cluster_bad_key(const char *s, size_t len)
{
	return bad_text(s, len, 1, KAG__CLUSTER_KEY_MAX);
}

const char *kag__cluster_bad_value(const char *s, size_t len)
{
	return bad_text(s, len, 0, KAG__CLUSTER_VALUE_MAX);
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

int kag_registry_set_cluster(kag_registry *r, const char *name)
{
	kag__cluster *c;
	const char *why;
	size_t i;

	if (!r)
		return KAG_EINVAL;
	kag__registry_clear_error(r);
	if (r->sealed) {
		kag__registry_error(r, "", "the registry is sealed");
		return KAG_ESTATE;
	}
	if (!name) {
		kag__cluster_free(r->policy.cluster);
		r->policy.cluster = NULL;
		return KAG_OK;
	}
	why = kag__cluster_bad_name(name, strlen(name));
	if (why) {
		kag__registry_error(r, "", "the cluster name %s (1 to %d bytes, no control "
				    "characters)", why, KAG__CLUSTER_NAME_MAX);
		return KAG_EINVAL;
	}
	c = kag__cluster_new(name, strlen(name));
	/* a new name keeps the labels set so far */
	for (i = 0; c && r->policy.cluster && i < r->policy.cluster->n_labels; i++) {
		const kag__cluster *o = r->policy.cluster;

		if (kag__cluster_set_label(c, o->keys[i], strlen(o->keys[i]), o->values[i],
					   strlen(o->values[i])) < 0) {
			kag__cluster_free(c);
			c = NULL;
		}
	}
	if (!c || kag__cluster_finish(c) < 0) {
		kag__cluster_free(c);
		kag__registry_error(r, "", "out of memory");
		return KAG_ENOMEM;
	}
	kag__cluster_free(r->policy.cluster);
	r->policy.cluster = c;
	return KAG_OK;
}

int kag_registry_add_cluster_label(kag_registry *r, const char *key, const char *value)
{
	kag__cluster *c;
	const char *why;
	int rc;

	if (!r)
		return KAG_EINVAL;
	kag__registry_clear_error(r);
	if (!key || !value) {
		kag__registry_error(r, "", "a cluster label needs a key and a value");
		return KAG_EINVAL;
	}
	if (r->sealed) {
		kag__registry_error(r, "", "the registry is sealed");
		return KAG_ESTATE;
	}
	c = r->policy.cluster;
	if (!c) {
		kag__registry_error(r, "", "set the cluster's name before its labels");
		return KAG_EINVAL;
	}
	if ((why = kag__cluster_bad_key(key, strlen(key))) != NULL) {
		kag__registry_error(r, "", "the cluster label key %s (1 to %d bytes, no control "
				    "characters)", why, KAG__CLUSTER_KEY_MAX);
		return KAG_EINVAL;
	}
	if ((why = kag__cluster_bad_value(value, strlen(value))) != NULL) {
		kag__registry_error(r, "", "the value of cluster label \"%s\" %s (at most %d "
				    "bytes, no control characters)", key, why,
				    KAG__CLUSTER_VALUE_MAX);
		return KAG_EINVAL;
	}
	rc = kag__cluster_set_label(c, key, strlen(key), value, strlen(value));
	if (rc == KAG_ELIMIT) {
		kag__registry_error(r, "", "a cluster has at most %d labels",
				    KAG__CLUSTER_LABELS_MAX);
		return rc;
	}
	if (rc == KAG_OK)
		rc = kag__cluster_finish(c);
	if (rc < 0)
		kag__registry_error(r, "", "out of memory");
	return rc;
}
