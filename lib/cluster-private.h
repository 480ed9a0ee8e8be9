/* The cluster a registry's verdicts come from: a caller-set name and
 * labels (kag_registry_set_cluster(), a policy's "cluster"), carried by
 * every record of every schema. */
#ifndef KAG_CLUSTER_PRIVATE_H
#define KAG_CLUSTER_PRIVATE_H

#include <stddef.h>

#define KAG__CLUSTER_NAME_MAX 253     /* bytes */
#define KAG__CLUSTER_LABELS_MAX 64
#define KAG__CLUSTER_KEY_MAX 317      /* a Kubernetes label key: 253 + '/' + 63 */
#define KAG__CLUSTER_VALUE_MAX 1024

typedef struct kag__cluster {
	char *name;
	size_t n_labels;
	char *keys[KAG__CLUSTER_LABELS_MAX];   /* in the order they were set */
	char *values[KAG__CLUSTER_LABELS_MAX];
	/* ,"cluster":{"name":…,"labels":{…}} as kag's record writes it after
	 * its "schema" member; rebuilt on each change */
	char *json;
	size_t json_len;
} kag__cluster;

/* Why a name, a label key or a label value (KAG__CLUSTER_NAME, _KEY,
 * _VALUE; len bytes) is refused, as a sentence, or NULL. */
enum { KAG__CLUSTER_NAME, KAG__CLUSTER_KEY, KAG__CLUSTER_VALUE };
const char *kag__cluster_bad(int what, const char *s, size_t len);

/* A new cluster named name[0, len) (checked by the caller), or NULL. */
kag__cluster *kag__cluster_new(const char *name, size_t len);
/* Set a label (a key already set gets the new value): KAG_OK, KAG_ELIMIT
 * (KAG__CLUSTER_LABELS_MAX), KAG_ENOMEM. The record text is not rebuilt:
 * call kag__cluster_finish() after the last change. */
int kag__cluster_set_label(kag__cluster *c, const char *key, size_t klen, const char *value,
			   size_t vlen);
/* Write the record text: KAG_OK or KAG_ENOMEM. */
int kag__cluster_finish(kag__cluster *c);
void kag__cluster_free(kag__cluster *c);

#endif
