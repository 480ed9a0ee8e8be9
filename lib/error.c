/* Error strings, enum names and version queries. */
#include "kag.h"

const char *kag_strerror(int code)
{
	switch (code) {
	case KAG_OK: return "success";
	case KAG_ERROR: return "error";
	case KAG_ENOMEM: return "out of memory";
	case KAG_EINVAL: return "invalid argument";
	case KAG_EPARSE: return "input is not valid JSON";
	case KAG_ESCHEMA: return "JSON does not have the shape of an audit record";
	case KAG_ENOTFOUND: return "not found";
	case KAG_ELIMIT: return "a size, depth or count limit was exceeded";
	case KAG_ESTATE: return "operation not allowed in the current state";
	case KAG_EUSER: return "a callback aborted the operation";
	case KAG_ETRUNCATED: return "record is truncated";
	case KAG_ITEROVER: return "no more items";
	default: return "unknown error code";
	}
}

const char *kag_error_name(int code)
{
	switch (code) {
	case KAG_OK: return "KAG_OK";
	case KAG_ERROR: return "KAG_ERROR";
	case KAG_ENOMEM: return "KAG_ENOMEM";
	case KAG_EINVAL: return "KAG_EINVAL";
	case KAG_EPARSE: return "KAG_EPARSE";
	case KAG_ESCHEMA: return "KAG_ESCHEMA";
	case KAG_ENOTFOUND: return "KAG_ENOTFOUND";
	case KAG_ELIMIT: return "KAG_ELIMIT";
	case KAG_ESTATE: return "KAG_ESTATE";
	case KAG_EUSER: return "KAG_EUSER";
	case KAG_ETRUNCATED: return "KAG_ETRUNCATED";
	case KAG_ITEROVER: return "KAG_ITEROVER";
	default: return "KAG_UNKNOWN";
	}
}

void kag_version(int *major, int *minor, int *patch)
{
	if (major)
		*major = KAG_VERSION_MAJOR;
	if (minor)
		*minor = KAG_VERSION_MINOR;
	if (patch)
		*patch = KAG_VERSION_PATCH;
}

const char *kag_version_string(void)
{
	return KAG_VERSION;
}

uint32_t kag_version_hex(void)
{
	return (uint32_t)KAG_VERSION_HEX;
}

uint32_t kag_features(void)
{
	return KAG_FEATURE_JANSSON | KAG_FEATURE_BUILDER
		| KAG_FEATURE_FAST_FRONTEND
		;
}

#define NAME_OF(table, v) \
	((v) >= 0 && (size_t)(v) < sizeof(table) / sizeof(table[0]) ? table[v] : "unknown")

const char *kag_assessment_name(int v)
{
	static const char *const t[] = { "benign", "suspicious", "malicious", "needs_context" };
	return NAME_OF(t, v);
}

const char *kag_outcome_name(int v)
{
	static const char *const t[] = { "allowed", "denied", "in_progress", "error", "unknown" };
	return NAME_OF(t, v);
}

const char *kag_severity_name(int v)
{
	static const char *const t[] = { "info", "low", "medium", "high", "critical" };
	return NAME_OF(t, v);
}

const char *kag_confidence_name(int v)
{
	static const char *const t[] = { "low", "medium", "high" };
	return NAME_OF(t, v);
}

const char *kag_level_name(int v)
{
	static const char *const t[] = { "unknown", "Metadata", "Request", "RequestResponse" };
	return NAME_OF(t, v);
}

const char *kag_stage_name(int v)
{
	static const char *const t[] = { "unknown", "RequestReceived", "ResponseStarted",
					 "ResponseComplete", "Panic" };
	return NAME_OF(t, v);
}
