/* GKE: Cloud Audit Logs LogEntry (protoPayload AuditLog, serviceName
 * k8s.io) mapped onto the native event slots.
 *
 * What the entry carries is marked observed: the verb and subresource in
 * methodName, the object in resourceName, the principal, caller IP and user
 * agent, labels (the audit annotations), insertId, request and response.
 * What it does not carry is inferred or left absent: the stage (one entry
 * per request: ResponseComplete), the level (from which bodies are
 * present), the HTTP code (from the google.rpc code, or 403 when an
 * authorization check was not granted) and the event time. requestURI,
 * impersonation and the user's groups are absent. Entries of other
 * services (cluster and node-pool operations) are skipped. */
#include <stdio.h>
#include <string.h>

#include "format-private.h"

#define MAX_SEGS 12

static int wrong(kag_fmt_error *err, const char *path, const char *rel, const char *want,
		 const json_t *got)
{
	char full[200];

	snprintf(full, sizeof(full), "%s%s", path, rel);
	return kag__fmt_fail(err, KAG_ESCHEMA, full, "expected %s, got %s", want,
			     kag__json_type_name(got));
}

static int is(json_t *v, const char *lit)
{
	return json_is_string(v) && strcmp(json_string_value(v), lit) == 0;
}

/* Split s on sep into at most MAX_SEGS segments; empty segments dropped.
 * Returns the count, or MAX_SEGS + 1 when there are more. */
static size_t split(const char *s, size_t len, char sep, kag_str *out)
{
	size_t n = 0, i = 0;

	while (i < len) {
		size_t j = i;

		while (j < len && s[j] != sep)
			j++;
		if (j > i) {
			if (n == MAX_SEGS)
				return MAX_SEGS + 1;
			out[n].ptr = s + i;
			out[n].len = j - i;
			n++;
		}
		i = j + 1;
	}
	return n;
}

static int is_verb(kag_str s)
{
	static const char *const verbs[] = { "get", "list", "watch", "create", "update", "patch",
		"delete", "deletecollection", "proxy", "connect", "post", "put", "head", "options" };
	size_t i;

	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (kag__str_eq(s, verbs[i]))
			return 1;
	return 0;
}

/* v1, v2, v1beta1, v2alpha3 ... */
static int is_version(kag_str s)
{
	size_t i = 1;

	if (s.len < 2 || s.ptr[0] != 'v' || s.ptr[1] < '0' || s.ptr[1] > '9')
		return 0;
	while (i < s.len && s.ptr[i] >= '0' && s.ptr[i] <= '9')
		i++;
	if (i == s.len)
		return 1;
	if (s.len - i > 5 && memcmp(s.ptr + i, "alpha", 5) == 0)
		i += 5;
	else if (s.len - i > 4 && memcmp(s.ptr + i, "beta", 4) == 0)
		i += 4;
	else
		return 0;
	while (i < s.len && s.ptr[i] >= '0' && s.ptr[i] <= '9')
		i++;
	return i == s.len;
}

static void set(kag_event *ev, int field, kag_str s, int state)
{
	kag__event_set(ev, field, s.ptr, s.len, state);
}

static int64_t grpc_to_http(int64_t code)
{
	switch (code) {
	case 0: return 200;   /* OK */
	case 3: return 400;   /* INVALID_ARGUMENT */
	case 5: return 404;   /* NOT_FOUND */
	case 6: return 409;   /* ALREADY_EXISTS */
	case 7: return 403;   /* PERMISSION_DENIED */
	case 10: return 409;  /* ABORTED (conflict) */
	case 16: return 401;  /* UNAUTHENTICATED */
	default: return 500;
	}
}

/* objectRef from methodName and resourceName. methodName:
 * io.k8s.<group>.<version>.<resource>[.<subresource>].<verb>; resourceName:
 * <group>/<version>/[namespaces/<ns>/]<resource>[/<name>[/<subresource>]],
 * with "core" for the empty group. */
static void map_object(kag_event *ev, json_t *method, json_t *resname)
{
	kag_str m[MAX_SEGS], r[MAX_SEGS], mres = { NULL, 0 }, msub = { NULL, 0 };
	kag_str mver = { NULL, 0 }, mgroup = { NULL, 0 };
	size_t nm, nr = 0, vi, i;

	nm = split(json_string_value(method) + 7, json_string_length(method) - 7, '.', m);
	if (nm > MAX_SEGS)
		nm = 0;
	if (nm && is_verb(m[nm - 1])) {
		set(ev, KAG_FIELD_VERB, m[nm - 1], KAG_STATE_OBSERVED);
		for (vi = 0; vi + 2 < nm && !is_version(m[vi]); vi++)
			;
		if (vi + 2 < nm) {
			mver = m[vi];
			if (vi == 1)
				mgroup = m[0];
			mres = m[vi + 1];
			if (vi + 3 < nm)
				msub = m[vi + 2];
		}
	}
	if (json_is_string(resname)) {
		const char *s = json_string_value(resname);

		nr = split(s, json_string_length(resname), '/', r);
		if (nr > MAX_SEGS || nr < 3 || !is_version(r[1]))
			nr = 0;
	}
	if (nr) {
		kag_str *rest = r + 2;
		size_t nrest = nr - 2;
		static const char empty[] = "";

		if (kag__str_eq(r[0], "core"))
			kag__event_set(ev, KAG_FIELD_OBJ_API_GROUP, empty, 0, KAG_STATE_OBSERVED);
		else
			set(ev, KAG_FIELD_OBJ_API_GROUP, r[0], KAG_STATE_OBSERVED);
		set(ev, KAG_FIELD_OBJ_API_VERSION, r[1], KAG_STATE_OBSERVED);
		if (nrest >= 3 && kag__str_eq(rest[0], "namespaces") &&
		    !(nrest == 3 && kag__str_eq(mres, "namespaces"))) {
			/* namespaces/<ns>/<resource>[/<name>[/<sub>]] */
			set(ev, KAG_FIELD_OBJ_NAMESPACE, rest[1], KAG_STATE_OBSERVED);
			rest += 2;
			nrest -= 2;
		}
		set(ev, KAG_FIELD_OBJ_RESOURCE, rest[0], KAG_STATE_OBSERVED);
		if (nrest >= 2)
			set(ev, KAG_FIELD_OBJ_NAME, rest[1], KAG_STATE_OBSERVED);
		if (nrest >= 3) {
			/* Deeper paths (a subresource with its own path) keep
			 * their remainder in the subresource. */
			kag_str sub = rest[2];

			for (i = 3; i < nrest; i++)
				sub.len = (size_t)(rest[i].ptr + rest[i].len - sub.ptr);
			set(ev, KAG_FIELD_OBJ_SUBRESOURCE, sub, KAG_STATE_OBSERVED);
		}
		return;
	}
	if (mres.ptr) {
		/* No resourceName: what methodName says, marked inferred. The
		 * group is spelled as a Google service path there, so only the
		 * core group is recognised. */
		static const char empty[] = "";

		set(ev, KAG_FIELD_OBJ_RESOURCE, mres, KAG_STATE_INFERRED);
		set(ev, KAG_FIELD_OBJ_API_VERSION, mver, KAG_STATE_INFERRED);
		if (msub.ptr)
			set(ev, KAG_FIELD_OBJ_SUBRESOURCE, msub, KAG_STATE_INFERRED);
		if (kag__str_eq(mgroup, "core"))
			kag__event_set(ev, KAG_FIELD_OBJ_API_GROUP, empty, 0, KAG_STATE_INFERRED);
	}
}

static int map_status(kag_event *ev, json_t *pp, const char *path, kag_fmt_error *err)
{
	json_t *st = json_object_get(pp, "status"), *authz = json_object_get(pp, "authorizationInfo");
	json_t *code, *msg, *a;
	int denied = 0;
	size_t i;

	if (st && !json_is_null(st)) {
		if (!json_is_object(st))
			return wrong(err, path, "/protoPayload/status", "object", st);
		code = json_object_get(st, "code");
		if (code && !json_is_null(code) && !json_is_integer(code))
			return wrong(err, path, "/protoPayload/status/code", "integer", code);
		/* proto3 JSON leaves out a zero code: {} is OK. */
		ev->code = grpc_to_http(code && !json_is_null(code) ? json_integer_value(code) : 0);
		ev->state[KAG_FIELD_RESPONSE_STATUS] = KAG_STATE_OBSERVED;
		ev->state[KAG_FIELD_RESPONSE_CODE] = KAG_STATE_INFERRED;
		msg = json_object_get(st, "message");
		if (msg && !json_is_null(msg)) {
			if (!json_is_string(msg))
				return wrong(err, path, "/protoPayload/status/message", "string", msg);
			kag__event_set(ev, KAG_FIELD_RESPONSE_MESSAGE, json_string_value(msg),
				       json_string_length(msg), KAG_STATE_OBSERVED);
		}
	}
	if (authz && !json_is_null(authz)) {
		if (!json_is_array(authz))
			return wrong(err, path, "/protoPayload/authorizationInfo", "array", authz);
		json_array_foreach(authz, i, a) {
			if (json_is_object(a) && json_is_false(json_object_get(a, "granted")))
				denied = 1;
		}
	}
	if (denied && !(kag__has(ev, KAG_FIELD_RESPONSE_CODE) && (ev->code == 401 || ev->code == 403))) {
		/* An authorization check that was not granted: the request
		 * was forbidden, whatever else the entry says. */
		ev->code = 403;
		ev->state[KAG_FIELD_RESPONSE_CODE] = KAG_STATE_INFERRED;
		if (!kag__has(ev, KAG_FIELD_RESPONSE_STATUS))
			ev->state[KAG_FIELD_RESPONSE_STATUS] = KAG_STATE_INFERRED;
	}
	return KAG_OK;
}

static int take_str(kag_event *ev, json_t *obj, const char *key, int field, int state,
		    const char *path, const char *rel, kag_fmt_error *err)
{
	json_t *v = json_object_get(obj, key);

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return wrong(err, path, rel, "string", v);
	kag__event_set(ev, field, json_string_value(v), json_string_length(v), state);
	return 1;
}

int kag__gke_fill(kag_event *ev, json_t *entry, const char *path, kag_fmt_error *err)
{
	json_t *pp = json_object_get(entry, "protoPayload");
	json_t *svc, *method, *rtype, *v, *meta, *labels, *req, *resp;
	const char *key;
	int rc;

	if (!json_is_object(pp))
		return wrong(err, path, "/protoPayload", "object", pp);
	svc = json_object_get(pp, "serviceName");
	if (!svc)
		svc = json_object_get(entry, "serviceName");
	method = json_object_get(pp, "methodName");
	rtype = json_object_get(json_object_get(entry, "resource"), "type");
	if (svc && !json_is_null(svc)) {
		if (!json_is_string(svc))
			return wrong(err, path, "/protoPayload/serviceName", "string", svc);
		if (!is(svc, "k8s.io"))
			return KAG__SKIPPED;
	} else if (!json_is_string(method) ||
		   strncmp(json_string_value(method), "io.k8s.", 7) != 0) {
		return KAG__SKIPPED;
	}
	if (is(rtype, "gke_cluster") || is(rtype, "gke_nodepool"))
		return KAG__SKIPPED;
	if (!json_is_string(method))
		return wrong(err, path, "/protoPayload/methodName", "string", method);
	if (strncmp(json_string_value(method), "io.k8s.", 7) != 0) {
		char full[128];

		snprintf(full, sizeof(full), "%s/protoPayload/methodName", path);
		return kag__fmt_fail(err, KAG_ESCHEMA, full,
				     "not a Kubernetes method (no \"io.k8s.\" prefix)");
	}
	ev->format = "gke";

	map_object(ev, method, json_object_get(pp, "resourceName"));
	if ((rc = take_str(ev, entry, "insertId", KAG_FIELD_AUDIT_ID, KAG_STATE_OBSERVED, path,
			   "/insertId", err)) < 0)
		return rc;
	if (rc == 0 && json_is_object(json_object_get(entry, "operation")) &&
	    (rc = take_str(ev, json_object_get(entry, "operation"), "id", KAG_FIELD_AUDIT_ID,
			   KAG_STATE_OBSERVED, path, "/operation/id", err)) < 0)
		return rc;
	v = json_object_get(pp, "authenticationInfo");
	if (json_is_object(v) &&
	    (rc = take_str(ev, v, "principalEmail", KAG_FIELD_USER_USERNAME, KAG_STATE_OBSERVED,
			   path, "/protoPayload/authenticationInfo/principalEmail", err)) < 0)
		return rc;
	meta = json_object_get(pp, "requestMetadata");
	if (json_is_object(meta)) {
		const char *ipkey = json_object_get(meta, "callerIp") ? "callerIp" : "callerIP";

		v = json_object_get(meta, ipkey);
		if (v && !json_is_null(v)) {
			if (!json_is_string(v))
				return wrong(err, path, "/protoPayload/requestMetadata/callerIp",
					     "string", v);
			if (kag__event_push(ev, KAG_FIELD_SOURCE_IPS, NULL, 0, json_string_value(v),
					    json_string_length(v), KAG_STATE_OBSERVED) < 0)
				return kag__fmt_fail(err, KAG_ENOMEM, "", "out of memory");
		}
		if ((rc = take_str(ev, meta, "callerSuppliedUserAgent", KAG_FIELD_USER_AGENT,
				   KAG_STATE_OBSERVED, path,
				   "/protoPayload/requestMetadata/callerSuppliedUserAgent", err)) < 0)
			return rc;
	}
	if ((rc = map_status(ev, pp, path, err)) < 0)
		return rc;
	labels = json_object_get(entry, "labels");
	if (labels && !json_is_null(labels)) {
		if (!json_is_object(labels))
			return wrong(err, path, "/labels", "object", labels);
		ev->state[KAG_FIELD_ANNOTATIONS] = KAG_STATE_OBSERVED;
		json_object_foreach(labels, key, v) {
			if (!json_is_string(v)) {
				char rel[160];

				snprintf(rel, sizeof(rel), "/labels/%s", key);
				return wrong(err, path, rel, "string", v);
			}
			if (kag__event_push(ev, KAG_FIELD_ANNOTATIONS, key, strlen(key),
					    json_string_value(v), json_string_length(v),
					    KAG_STATE_OBSERVED) < 0)
				return kag__fmt_fail(err, KAG_ENOMEM, "", "out of memory");
		}
	}
	req = json_object_get(pp, "request");
	resp = json_object_get(pp, "response");
	if (req && !json_is_null(req)) {
		ev->body[0] = json_incref(req);
		ev->state[KAG_FIELD_REQUEST_OBJECT] = KAG_STATE_OBSERVED;
	}
	if (resp && !json_is_null(resp)) {
		ev->body[1] = json_incref(resp);
		ev->state[KAG_FIELD_RESPONSE_OBJECT] = KAG_STATE_OBSERVED;
	}
	/* Not carried by the entry: inferred. */
	if (ev->body[1])
		kag__event_set(ev, KAG_FIELD_LEVEL, "RequestResponse", 15, KAG_STATE_INFERRED);
	else if (ev->body[0])
		kag__event_set(ev, KAG_FIELD_LEVEL, "Request", 7, KAG_STATE_INFERRED);
	else
		kag__event_set(ev, KAG_FIELD_LEVEL, "Metadata", 8, KAG_STATE_INFERRED);
	kag__event_set(ev, KAG_FIELD_STAGE, "ResponseComplete", 16, KAG_STATE_INFERRED);
	if ((rc = take_str(ev, entry, "timestamp", KAG_FIELD_STAGE_TS, KAG_STATE_INFERRED, path,
			   "/timestamp", err)) < 0)
		return rc;
	kag__event_finish(ev);
	return KAG_OK;
}
