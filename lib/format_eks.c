/* EKS: the native event inside CloudWatch Logs records.
 *
 * Shapes: a log event {"message": "<event JSON>" | {event}, ...} (the
 * GetLogEvents/FilterLogEvents "events" list, Logs Insights "@message",
 * forwarders such as {timestamp, message:{...}}), the subscription payload
 * {"messageType", "logStream", "logEvents": [...]}, and that payload as
 * delivered to a subscriber: base64 of gzip, bare or as {"awslogs":{"data"}}.
 * Events of other log streams (authenticator, scheduler, ...) and control
 * messages are skipped. A message CloudWatch cut at its size limit ends in
 * "[Truncated...]" and is a KAG_ETRUNCATED error. */
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "codec-private.h"
#include "alloc-private.h"
#include "format-private.h"

static const char truncated_mark[] = "[Truncated...]";

static int audit_stream(json_t *stream)
{
	return !json_is_string(stream) ||
	       strncmp(json_string_value(stream), "kube-apiserver-audit", 20) == 0;
}

int kag__cw_fill(kag_event *ev, json_t *obj, const kag__read_ctx *c, const char *path,
		 kag_fmt_error *err)
{
	const char *key = "message", *s;
	json_t *msg, *stream, *doc;
	char sub[200];
	size_t len, i;
	int rc;

	if (!json_is_object(obj))
		return kag__fmt_fail(err, KAG_ESCHEMA, path,
				     "expected a CloudWatch log event object, got %s",
				     kag__json_type_name(obj));
	stream = json_object_get(obj, "logStreamName");
	if (!stream)
		stream = json_object_get(obj, "@logStream");
	if (!audit_stream(stream))
		return KAG__SKIPPED;
	msg = json_object_get(obj, key);
	if (!msg) {
		key = "@message";
		msg = json_object_get(obj, key);
	}
	snprintf(sub, sizeof(sub), "%s/%s", path, key);
	if (json_is_object(msg)) {
		if ((rc = kag__native_fill(ev, msg, sub, err)) < 0)
			return rc;
		ev->format = "eks-cloudwatch";
		return KAG_OK;
	}
	if (!json_is_string(msg))
		return kag__fmt_fail(err, KAG_ESCHEMA, sub,
				     "expected the audit event as a string or object, got %s",
				     msg ? kag__json_type_name(msg) : "nothing");
	s = json_string_value(msg);
	len = json_string_length(msg);
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\n' || s[len - 1] == '\r' ||
		       s[len - 1] == '\t'))
		len--;
	for (i = 0; i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'); i++)
		;
	if (len - i >= sizeof(truncated_mark) - 1 &&
	    memcmp(s + len - (sizeof(truncated_mark) - 1), truncated_mark,
		   sizeof(truncated_mark) - 1) == 0) {
		return kag__fmt_fail(err, KAG_ETRUNCATED, sub,
				     "CloudWatch cut this event at its size limit "
				     "([Truncated...], %zu bytes kept)", len);
	}
	if (i == len || s[i] != '{')
		return KAG__SKIPPED; /* a log line that is not an audit event */
	if ((rc = kag__nested_replace(&doc, obj, key, c->lim, sub, err)) < 0)
		return rc;
	rc = kag__native_fill(ev, doc, sub, err);
	if (rc < 0)
		return rc;
	ev->format = "eks-cloudwatch";
	return KAG_OK;
}

int kag__cw_payload_list(json_t *payload, const char *base, kag__list *list, kag_fmt_error *err)
{
	json_t *events = json_object_get(payload, "logEvents");
	char path[96];

	snprintf(path, sizeof(path), "%s/logEvents", base);
	if (json_is_string(json_object_get(payload, "messageType")) &&
	    strcmp(json_string_value(json_object_get(payload, "messageType")), "DATA_MESSAGE") != 0)
		return KAG__SHAPE_SKIP; /* CONTROL_MESSAGE: a subscription check */
	if (!json_is_array(events))
		return kag__fmt_fail(err, KAG_ESCHEMA, path, "expected array, got %s",
				     events ? kag__json_type_name(events) : "nothing");
	kag__list_set(list, events, path,
		      audit_stream(json_object_get(payload, "logStream")) ? KAG__ITEM_CW
									   : KAG__ITEM_SKIP,
		      "eks-cloudwatch");
	return KAG__SHAPE_LIST;
}

/* ---- base64 + gzip ---- */

/* Decode base64 (standard or URL alphabet, padding optional, whitespace
 * ignored) into a new buffer. Returns its length, or -1 on bad input. */
static long b64_decode(const char *s, size_t len, unsigned char **out)
{
	unsigned char *buf = kag__malloc(len / 4 * 3 + 3);
	uint32_t acc = 0;
	size_t i, n = 0;
	int bits = 0, pad = 0;

	*out = buf;
	if (!buf)
		return -2;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		int v;

		if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
			continue;
		if (c == '=') {
			pad = 1;
			continue;
		}
		v = kag__b64_value(c);
		if (v < 0 || pad)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[n++] = (unsigned char)(acc >> bits);
		}
	}
	return (long)n;
}

static voidpf z_alloc(voidpf opaque, uInt items, uInt size)
{
	(void)opaque;
	return kag__calloc(items, size);
}

static void z_free(voidpf opaque, voidpf p)
{
	(void)opaque;
	kag__free(p);
}

int kag__b64gzip_json(json_t **out, const char *s, size_t len, const kag__limits *lim,
		      const char *path, kag_fmt_error *err)
{
	unsigned char *raw = NULL;
	char *text = NULL;
	size_t cap = 0, n = 0;
	long rawlen;
	z_stream zs;
	int zrc, rc;

	*out = NULL;
	rawlen = b64_decode(s, len, &raw);
	if (rawlen == -2)
		return kag__fmt_fail(err, KAG_ENOMEM, path, "out of memory");
	if (rawlen < 2 || raw[0] != 0x1f || raw[1] != 0x8b) {
		kag__free(raw);
		return kag__fmt_fail(err, KAG_EPARSE, path,
				     "expected base64 of gzip data (a CloudWatch Logs "
				     "subscription payload)");
	}
	memset(&zs, 0, sizeof(zs));
	zs.zalloc = z_alloc;
	zs.zfree = z_free;
	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
		kag__free(raw);
		return kag__fmt_fail(err, KAG_ENOMEM, path, "out of memory");
	}
	zs.next_in = raw;
	zs.avail_in = (uInt)rawlen;
	do {
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16384;
			char *t;

			if (cap >= lim->max_record) {
				rc = kag__fmt_fail(err, KAG_ELIMIT, path,
						   "decompressed payload larger than %llu bytes",
						   (unsigned long long)lim->max_record);
				goto fail;
			}
			if (ncap > lim->max_record + 1)
				ncap = lim->max_record + 1;
			t = kag__realloc(text, ncap);
			if (!t) {
				rc = kag__fmt_fail(err, KAG_ENOMEM, path, "out of memory");
				goto fail;
			}
			text = t;
			cap = ncap;
		}
		zs.next_out = (unsigned char *)text + n;
		zs.avail_out = (uInt)(cap - n);
		zrc = inflate(&zs, Z_NO_FLUSH);
		n = cap - zs.avail_out;
		if (zrc == Z_MEM_ERROR) {
			rc = kag__fmt_fail(err, KAG_ENOMEM, path, "out of memory");
			goto fail;
		}
		if (zrc == Z_BUF_ERROR && zs.avail_in == 0) {
			rc = kag__fmt_fail(err, KAG_ETRUNCATED, path,
					   "gzip data ends early (truncated payload)");
			goto fail;
		}
		if (zrc != Z_OK && zrc != Z_STREAM_END && zrc != Z_BUF_ERROR) {
			rc = kag__fmt_fail(err, KAG_EPARSE, path, "bad gzip data: %s",
					   zs.msg ? zs.msg : "inflate failed");
			goto fail;
		}
	} while (zrc != Z_STREAM_END);
	if (n > lim->max_record) {
		rc = kag__fmt_fail(err, KAG_ELIMIT, path,
				   "decompressed payload larger than %llu bytes",
				   (unsigned long long)lim->max_record);
		goto fail;
	}
	rc = kag__nested_json(out, text, n, lim, path, err);
fail:
	inflateEnd(&zs);
	kag__free(raw);
	kag__free(text);
	return rc;
}

int kag__cw_awslogs_list(json_t *root, const kag__read_ctx *c, kag__list *list,
			 kag_fmt_error *err)
{
	json_t *aw = json_object_get(root, "awslogs"), *data = json_object_get(aw, "data"), *doc;
	int rc;

	if (!json_is_string(data))
		return kag__fmt_fail(err, KAG_ESCHEMA, "/awslogs/data",
				     "expected string, got %s",
				     data ? kag__json_type_name(data) : "nothing");
	rc = kag__b64gzip_json(&doc, json_string_value(data), json_string_length(data), c->lim,
			       "/awslogs/data", err);
	if (rc < 0)
		return rc;
	if (json_object_set_new(aw, "data", doc) < 0)
		return kag__fmt_fail(err, KAG_ENOMEM, "", "out of memory");
	if (!json_is_object(doc))
		return kag__fmt_fail(err, KAG_ESCHEMA, "/awslogs/data",
				     "expected a subscription payload object, got %s",
				     kag__json_type_name(doc));
	return kag__cw_payload_list(doc, "/awslogs/data", list, err);
}

int kag__eks_encoded_line(int format, const char *s, size_t n)
{
	static const char magic[4] = "H4sI"; /* base64 of gzip's 1f 8b 08 */

	if (format != KAG_FORMAT_AUTO && format != KAG_FORMAT_EKS)
		return 0;
	if (memcmp(s, magic, n < 4 ? n : 4) != 0)
		return 0;
	return n >= 4 ? 1 : -1;
}
