/*
 * kag: Kubernetes Audit Gates.
 *
 * Reads Kubernetes API-server audit events and returns structured verdicts:
 * benign reconciliation, suspicious activity, denied attempts, and
 * "needs context" when the evidence that would decide is missing.
 *
 * Conventions (see README.md):
 *  - Every fallible function returns int: KAG_OK (0) or a negative KAG_E* code.
 *  - Owned: a handle made by a constructor, kag_<type>_new() or
 *    kag_gate_evaluate(), comes back through a non-const `out` parameter
 *    (`kag_event **`); the caller releases it with its matching
 *    kag_<type>_free(). Every free accepts NULL.
 *  - Borrowed: a handle or string the library keeps comes back const,
 *    through a const `out` parameter (kag_parser_next(): `const kag_event **`;
 *    kag_session_evaluate() and kag_session_flush(): `const kag_result **`)
 *    or as the return value. The caller reads it and never frees it; each
 *    function says until when it stays valid (a parser's event until the
 *    next kag_parser_next/feed/finish/reset/free on the parser, a
 *    session's result until the next evaluate/flush/free on the session, a
 *    verdict and its strings as long as its result). kag_event_free()
 *    refuses a parser's event with KAG_EINVAL.
 *  - Functions that only read a handle take it const. kag_session_new()
 *    takes a reference on its registry, so that one is not const.
 *  - Input data (record bytes, JSON documents, field values and paths)
 *    comes as pointer and length and need not be NUL-terminated; names and
 *    ids (a source name, a detector id, a reason) are C strings. Whatever
 *    the library keeps is copied. Text returned with a length says whether
 *    it is NUL-terminated; a `const char *` returned without one is a
 *    NUL-terminated C string.
 *  - Counts are functions (kag_field_count(), kag_registry_count(), ...),
 *    never enum sentinels, so no count is compiled into callers.
 *  - Handles are not thread-safe: one thread at a time uses a handle. A sealed
 *    registry is immutable and may be shared by any number of threads, each
 *    evaluating with its own session.
 *  - There is no global state and no global initialisation.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef KAG_H
#define KAG_H

/* ---- preamble: export macro and C++ guards (not part of the cdef body) ---- */
#include <stddef.h>
#include <stdint.h>

#include "kag_version.h"

#if defined(_WIN32) && !defined(KAG_STATIC)
#  if defined(KAG_BUILDING)
#    define KAG_API __declspec(dllexport)
#  else
#    define KAG_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__) && __GNUC__ >= 4
#  define KAG_API __attribute__((visibility("default")))
#else
#  define KAG_API
#endif

#ifdef __cplusplus
extern "C" {
#endif
/* ---- end of preamble ---- */

/** @defgroup errors Errors and versions
 * @{ */

/** Return codes. Never renumbered or reused; new codes are appended. */
enum kag_error_code {
	KAG_OK = 0,          /**< success */
	KAG_ERROR = -1,      /**< an error that has no better code */
	KAG_ENOMEM = -2,     /**< out of memory */
	KAG_EINVAL = -3,     /**< API misuse: NULL handle, unknown option or id */
	KAG_EPARSE = -4,     /**< bytes are not valid JSON (or not UTF-8) */
	KAG_ESCHEMA = -5,    /**< valid JSON of the wrong shape for an audit record */
	KAG_ENOTFOUND = -6,  /**< the field, detector or item does not exist */
	KAG_ELIMIT = -7,     /**< a size, depth, string-length or count limit was hit */
	KAG_ESTATE = -8,     /**< wrong lifecycle state (e.g. registry not sealed) */
	KAG_EUSER = -9,      /**< a caller callback returned an error */
	KAG_ETRUNCATED = -10,/**< the record ends before the JSON value is complete */
	KAG_ITEROVER = -31   /**< not an error: no further item is available now */
};

/** Static description of an error code; never NULL. */
KAG_API const char *kag_strerror(int code);

/** Symbolic name of an error code ("KAG_EPARSE"); never NULL ("KAG_UNKNOWN"). */
KAG_API const char *kag_error_name(int code);

/** Runtime library version. Any pointer may be NULL. */
KAG_API void kag_version(int *major, int *minor, int *patch);

/** Runtime version string, e.g. "0.1.0". Static; never NULL. */
KAG_API const char *kag_version_string(void);

/** Runtime version as (major << 16) | (minor << 8) | patch. */
KAG_API uint32_t kag_version_hex(void);

/** Feature bits of this build (KAG_FEATURE_*). */
enum kag_feature {
	KAG_FEATURE_JANSSON = 1u << 0, /**< the jansson front end */
	KAG_FEATURE_BUILDER = 1u << 1, /**< events can be built field by field */
	KAG_FEATURE_FAST_FRONTEND = 1u << 2 /**< the tokenizing front end
					      * (KAG_FRONTEND_FAST) (@since 0.1) */
};
KAG_API uint32_t kag_features(void);
/** @} */

/** @defgroup enums Verdict vocabulary
 * @{ */

/** What the verdict says about the activity. */
enum kag_assessment {
	KAG_ASSESSMENT_BENIGN = 0,
	KAG_ASSESSMENT_SUSPICIOUS = 1,
	KAG_ASSESSMENT_MALICIOUS = 2,
	KAG_ASSESSMENT_NEEDS_CONTEXT = 3
};

/** What the API server did with the request. */
enum kag_outcome {
	KAG_OUTCOME_ALLOWED = 0,
	KAG_OUTCOME_DENIED = 1,
	KAG_OUTCOME_IN_PROGRESS = 2,
	KAG_OUTCOME_ERROR = 3,
	KAG_OUTCOME_UNKNOWN = 4
};

enum kag_severity {
	KAG_SEVERITY_INFO = 0,
	KAG_SEVERITY_LOW = 1,
	KAG_SEVERITY_MEDIUM = 2,
	KAG_SEVERITY_HIGH = 3,
	KAG_SEVERITY_CRITICAL = 4
};

enum kag_confidence {
	KAG_CONFIDENCE_LOW = 0,
	KAG_CONFIDENCE_MEDIUM = 1,
	KAG_CONFIDENCE_HIGH = 2
};

/** Audit levels; KAG_LEVEL_UNKNOWN when the record does not say. */
enum kag_level {
	KAG_LEVEL_UNKNOWN = 0,
	KAG_LEVEL_METADATA = 1,
	KAG_LEVEL_REQUEST = 2,
	KAG_LEVEL_REQUEST_RESPONSE = 3
};

/** Request stages; KAG_STAGE_UNKNOWN when the record does not say. */
enum kag_stage {
	KAG_STAGE_UNKNOWN = 0,
	KAG_STAGE_REQUEST_RECEIVED = 1,
	KAG_STAGE_RESPONSE_STARTED = 2,
	KAG_STAGE_RESPONSE_COMPLETE = 3,
	KAG_STAGE_PANIC = 4
};

/** Lower-case names ("needs_context", "in_progress", "high", ...).
 * Static strings; "unknown" for values out of range. */
KAG_API const char *kag_assessment_name(int assessment);
KAG_API const char *kag_outcome_name(int outcome);
KAG_API const char *kag_severity_name(int severity);
KAG_API const char *kag_confidence_name(int confidence);
/** Native spellings: "Metadata", "ResponseStarted", ... */
KAG_API const char *kag_level_name(int level);
KAG_API const char *kag_stage_name(int stage);
/** @} */

/** @defgroup event Events
 * A provider-neutral audit event: one slot per field, each observed in the
 * record, inferred by a provider mapping, or absent.
 * @{ */

typedef struct kag_event kag_event;

/** Field ids. Numbers are stable; new ids are appended. */
enum kag_field {
	KAG_FIELD_AUDIT_ID = 0,            /* auditID */
	KAG_FIELD_STAGE = 1,               /* stage */
	KAG_FIELD_LEVEL = 2,               /* level */
	KAG_FIELD_VERB = 3,                /* verb */
	KAG_FIELD_REQUEST_URI = 4,         /* requestURI */
	KAG_FIELD_USER = 5,                /* user (the object) */
	KAG_FIELD_USER_USERNAME = 6,       /* user.username */
	KAG_FIELD_USER_UID = 7,            /* user.uid */
	KAG_FIELD_USER_GROUPS = 8,         /* user.groups (list) */
	KAG_FIELD_USER_EXTRA = 9,          /* user.extra (key/value pairs) */
	KAG_FIELD_IMP_USER = 10,           /* impersonatedUser (the object) */
	KAG_FIELD_IMP_USERNAME = 11,       /* impersonatedUser.username */
	KAG_FIELD_IMP_UID = 12,            /* impersonatedUser.uid */
	KAG_FIELD_IMP_GROUPS = 13,         /* impersonatedUser.groups (list) */
	KAG_FIELD_IMP_EXTRA = 14,          /* impersonatedUser.extra (pairs) */
	KAG_FIELD_SOURCE_IPS = 15,         /* sourceIPs (list) */
	KAG_FIELD_USER_AGENT = 16,         /* userAgent */
	KAG_FIELD_OBJECT_REF = 17,         /* objectRef (the object) */
	KAG_FIELD_OBJ_RESOURCE = 18,       /* objectRef.resource */
	KAG_FIELD_OBJ_SUBRESOURCE = 19,    /* objectRef.subresource */
	KAG_FIELD_OBJ_NAMESPACE = 20,      /* objectRef.namespace */
	KAG_FIELD_OBJ_NAME = 21,           /* objectRef.name */
	KAG_FIELD_OBJ_API_GROUP = 22,      /* objectRef.apiGroup */
	KAG_FIELD_OBJ_API_VERSION = 23,    /* objectRef.apiVersion */
	KAG_FIELD_RESPONSE_STATUS = 24,    /* responseStatus (the object) */
	KAG_FIELD_RESPONSE_CODE = 25,      /* responseStatus.code (integer) */
	KAG_FIELD_RESPONSE_REASON = 26,    /* responseStatus.reason */
	KAG_FIELD_RESPONSE_MESSAGE = 27,   /* responseStatus.message */
	KAG_FIELD_RESPONSE_STATUS_TEXT = 28,/* responseStatus.status */
	KAG_FIELD_ANNOTATIONS = 29,        /* annotations (pairs) */
	KAG_FIELD_REQUEST_RECEIVED_TS = 30,/* requestReceivedTimestamp */
	KAG_FIELD_STAGE_TS = 31,           /* stageTimestamp */
	KAG_FIELD_TIMESTAMP = 32,          /* timestamp (v1beta1) */
	KAG_FIELD_REQUEST_OBJECT = 33,     /* requestObject (raw JSON) */
	KAG_FIELD_RESPONSE_OBJECT = 34     /* responseObject (raw JSON) */
};

/** How a field came to be in the event. */
enum kag_field_state {
	KAG_STATE_ABSENT = 0,
	KAG_STATE_OBSERVED = 1,
	KAG_STATE_INFERRED = 2
};

/** Number of field ids: every id from 0 to kag_field_count() - 1 is a field.
 * Ask at run time, so a caller built against an older header still walks
 * every field of a newer library. @since 0.2 */
KAG_API size_t kag_field_count(void);

/** The dotted native path of a field ("objectRef.resource"); NULL if the id
 * is out of range. Static. */
KAG_API const char *kag_field_name(int field);

/** Look a field up by dotted path ("user.username", "responseStatus.code"),
 * len bytes that need not be NUL-terminated.
 * @return KAG_OK, KAG_ENOTFOUND for an unknown path, KAG_EINVAL for NULL. */
KAG_API int kag_field_from_path(int *field_out, const char *path, size_t len);

/** Create an empty event to fill with the builder functions below (for
 * callers that already hold parsed fields). */
KAG_API int kag_event_new(kag_event **out);

/** Free an event made by kag_event_new().
 * @return KAG_OK (also for NULL, a no-op), or KAG_EINVAL for an event
 *   borrowed from a parser (kag_parser_next()): it belongs to the parser,
 *   is left untouched, and stays valid as kag_parser_next() says. @since 0.2
 *   (before, void) */
KAG_API int kag_event_free(kag_event *ev);

/** Empty a built event so it can be filled again (keeps its memory). */
KAG_API int kag_event_clear(kag_event *ev);

/** Set a string field: len bytes, not NUL-terminated, copied. `state` is
 * KAG_STATE_OBSERVED or KAG_STATE_INFERRED. Stage and level strings are
 * decoded too.
 * requestObject and responseObject take the body's JSON text: it is checked
 * now and parsed only if a detector needs it.
 * @return KAG_OK, KAG_EINVAL (wrong field kind or state), KAG_EPARSE (a
 * body that is not one JSON value; the event is left unchanged),
 * KAG_ENOMEM. */
KAG_API int kag_event_set_string(kag_event *ev, int field, const char *value,
				 size_t len, int state);

/** Set responseStatus.code. */
KAG_API int kag_event_set_int(kag_event *ev, int field, int64_t value, int state);

/** Append one item to a list field (user.groups, sourceIPs, ...): len bytes,
 * not NUL-terminated, copied. */
KAG_API int kag_event_add_item(kag_event *ev, int field, const char *value,
			       size_t len, int state);

/** Append one key/value pair to a pair field (annotations, user.extra): each
 * given by pointer and length, not NUL-terminated, copied. */
KAG_API int kag_event_add_pair(kag_event *ev, int field, const char *key,
			       size_t key_len, const char *value, size_t value_len,
			       int state);

/** Mark a field present without giving it a value: an object field (user,
 * impersonatedUser, objectRef, responseStatus) whose object the record has,
 * or a list or pair field that is empty ("groups": []). Setting a sub-field
 * of an absent object marks the object with the sub-field's state; mark the
 * object first when the two differ (a GKE status object is observed, the
 * HTTP code mapped from it inferred).
 * @return KAG_OK, KAG_EINVAL (a string or integer field, a bad state).
 * @since 0.1 */
KAG_API int kag_event_set_present(kag_event *ev, int field, int state);

/** Native members: the number of top-level members of a native
 * audit.k8s.io Event (v1 or v1beta1) that the parser reads. With
 * kag_native_member_name(), the list a binding walks to fill an event from a
 * decoded record with kag_event_set_member(): member by member in this
 * order, which is the order the parser takes them in (and finds their
 * errors in).
 * @since 0.2 */
KAG_API size_t kag_native_member_count(void);

/** Name of native member i ("kind", "apiVersion", "auditID", ...): a static
 * NUL-terminated string, or NULL when i >= kag_native_member_count().
 * @since 0.2 */
KAG_API const char *kag_native_member_name(size_t i);

/** Set top-level member `name` (name_len bytes) of a native Event from its
 * value, given as JSON text (json_len bytes; "null" and blanks around the
 * value allowed), with the parser's rules: the same fields, the same type
 * checks and messages, bodies kept as the parser keeps them (so they are
 * redacted the same way in verdicts), strings copied. Each member is held to
 * the parser's default limits as if it were the only member of its record
 * (nesting, values, string length, size). A member the parser does not
 * read is ignored. Set each member at most once per event (clear it between
 * records), then call kag_event_check_native().
 * @return KAG_OK (also for null and for an ignored member), KAG_ESCHEMA (a
 * value of the wrong type), KAG_EPARSE (not JSON, or a repeated key),
 * KAG_ELIMIT (a limit broken), KAG_EINVAL (NULL arguments), KAG_ENOMEM. On
 * an error, kag_event_error_message() and kag_event_error_path() say what
 * and where, and the event may be partly filled: clear it.
 * @since 0.2 */
KAG_API int kag_event_set_member(kag_event *ev, const char *name, size_t name_len,
				 const char *json, size_t json_len);

/** Fill an event from the JSON text (len bytes) of one native
 * audit.k8s.io Event, exactly as a parser with KAG_FORMAT_NATIVE and its
 * default limits reads that text as a stream of its own: the same front
 * ends, fields, type checks, limits, errors and messages. The event is
 * cleared first. The text is copied: the event does not point into the
 * caller's buffer after the call. One call per record, in place of
 * kag_event_set_member() per member and kag_event_check_native(); the
 * event keeps its format ("builder") and has no source or position. The
 * text holds one JSON object (blanks around it allowed): an array, an
 * EventList, a second record or anything else after the first is an
 * error.
 * @return KAG_OK, KAG_EPARSE (not JSON, no record, more than one),
 * KAG_ESCHEMA (a value of the wrong type, not an audit event, not one
 * object), KAG_ELIMIT (a limit broken), KAG_EINVAL (NULL arguments),
 * KAG_ENOMEM. On an error the event is empty, and kag_event_error_message()
 * and kag_event_error_path() say what and where, as
 * kag_parser_error_message() and kag_parser_error_path() would.
 * @since 0.4 */
KAG_API int kag_event_set_record(kag_event *ev, const char *json, size_t len);

/** Is a built event an audit event as the parser sees one: does it name
 * at least one of verb, auditID, stage, requestURI, objectRef and user?
 * @return KAG_OK, KAG_ESCHEMA (with the parser's message in
 * kag_event_error_message()), KAG_EINVAL.
 * @since 0.2 */
KAG_API int kag_event_check_native(kag_event *ev);

/** Message of the last error of kag_event_set_record(),
 * kag_event_set_member() or kag_event_check_native() on this event, without
 * the JSON pointer ("" when there was none; the event owns it, until its
 * next such call).
 * @since 0.2 */
KAG_API const char *kag_event_error_message(const kag_event *ev);

/** JSON pointer of the value at fault in that error ("/user/groups/1"; ""
 * for the whole event). Borrowed as kag_event_error_message().
 * @since 0.2 */
KAG_API const char *kag_event_error_path(const kag_event *ev);

/** The state of a field (KAG_STATE_*); KAG_STATE_ABSENT for a bad id. */
KAG_API int kag_event_field_state(const kag_event *ev, int field);

/** Read a string field. The pointer is borrowed, valid while the event is
 * unchanged, and not NUL-terminated: use *len_out (not NULL).
 * @return KAG_OK, KAG_ENOTFOUND if absent, KAG_EINVAL for a non-string id. */
KAG_API int kag_event_get_string(const char **out, size_t *len_out,
				 const kag_event *ev, int field);

/** Read an integer field (responseStatus.code). */
KAG_API int kag_event_get_int(int64_t *out, const kag_event *ev, int field);

/** Number of items in a list or pair field (0 when absent). */
KAG_API size_t kag_event_item_count(const kag_event *ev, int field);

/** Read item i of a list field. Borrowed as for kag_event_get_string(), and
 * not NUL-terminated: use *len_out. */
KAG_API int kag_event_get_item(const char **out, size_t *len_out,
			       const kag_event *ev, int field, size_t i);

/** Read pair i of a pair field. Borrowed as for kag_event_get_string(); the
 * key and the value are not NUL-terminated: use their lengths. */
KAG_API int kag_event_get_pair(const char **key_out, size_t *key_len_out,
			       const char **value_out, size_t *value_len_out,
			       const kag_event *ev, int field, size_t i);

/** Read a field by dotted path (`path`, len bytes, need not be
 * NUL-terminated). Scalars and items come back as text (a response code as
 * decimal digits); "annotations.<key>" reads one annotation. The text is
 * borrowed, valid while the event is unchanged, and not NUL-terminated: use
 * *len_out.
 * @return KAG_OK, KAG_ENOTFOUND (unknown path or absent field). */
KAG_API int kag_event_get_path(const char **out, size_t *len_out,
			       const kag_event *ev, const char *path, size_t len);

/** The decoded stage and level (KAG_STAGE_*, KAG_LEVEL_*). */
KAG_API int kag_event_stage(const kag_event *ev);
KAG_API int kag_event_level(const kag_event *ev);

/** Event time in microseconds since the Unix epoch (stageTimestamp, else
 * requestReceivedTimestamp, else timestamp); 0 when none parses. */
KAG_API int64_t kag_event_time_us(const kag_event *ev);

/** Input shape the event came from ("native", "eventlist", "builder", ...).
 * Static string. */
KAG_API const char *kag_event_format(const kag_event *ev);

/** 1-based line of the input where the event's record starts (0 if unknown). */
KAG_API uint64_t kag_event_line(const kag_event *ev);

/** Byte offset of the event's record in the input stream. */
KAG_API uint64_t kag_event_offset(const kag_event *ev);
/** @} */

/** @defgroup parser Parser
 * Push bytes in any chunking (a line may be split across chunks); pull events.
 * Recognises one JSON document, JSON lines, pretty-printed documents, an
 * audit EventList and JSON arrays of events, a UTF-8 BOM, CRLF line ends
 * and a node-name prefix before a line's JSON (`oc adm node-logs`).
 * @{ */

typedef struct kag_parser kag_parser;

/** Parser options for kag_parser_set_option_u64(). */
enum kag_parser_option {
	KAG_OPT_MAX_RECORD_BYTES = 1, /**< largest record; default 16 MiB */
	KAG_OPT_MAX_DEPTH = 2,        /**< deepest JSON nesting; default 64 */
	KAG_OPT_MAX_STRING_BYTES = 3, /**< longest JSON string; default 1 MiB */
	KAG_OPT_MAX_ITEMS = 4,        /**< most events in one EventList/array;
				       * default 100000 */
	KAG_OPT_FORMAT = 5,           /**< input shape, a KAG_FORMAT_* value;
				       * default KAG_FORMAT_AUTO (0, accepted
				       * here) (@since 0.1) */
	KAG_OPT_FRONTEND = 6,         /**< which front end reads records, a
				       * KAG_FRONTEND_* value (@since 0.1) */
	KAG_OPT_LINE = 7,             /**< the 1-based line number of the next
				       * byte fed, to resume a file part way or
				       * to share one file among parsers (the
				       * pieces between kag_splitter cuts: a
				       * byte offset the caller can add itself,
				       * a line number it cannot know without
				       * counting). Line ends fed and not read
				       * yet come before it: the value must be
				       * greater than their count (@since 0.1) */
	KAG_OPT_MAX_VALUES = 8,       /**< most JSON values (objects, arrays,
				       * strings and keys, numbers, literals)
				       * in one record; the documents embedded
				       * in a record (AKS properties.log, a
				       * CloudWatch message, a gzip payload)
				       * share a second budget of the same
				       * size. Default 400000 (@since 0.1) */
	KAG_OPT_OFFSET = 9            /**< the stream offset of the next byte
				       * fed (0 accepted), for a parser fed part
				       * of a stream: error and event offsets
				       * are then the stream's (KAG_PSTAT_BYTES
				       * still counts the bytes this parser was
				       * fed;
				       * kag_parser_reset() clears it). Set
				       * before the first byte to a value other
				       * than 0, the parser looks for no byte
				       * order mark: one comes only first in a
				       * stream (@since 0.1) */
};

/** Front ends for KAG_OPT_FRONTEND. Both produce the same events and reject
 * the same records with the same errors; the fast one tokenizes native
 * events without building a JSON tree and hands any other shape to jansson.
 * KAG_FRONTEND_FAST is the default when kag_features() has
 * KAG_FEATURE_FAST_FRONTEND (otherwise asking for it gives KAG_EINVAL).
 * @since 0.1 */
enum kag_frontend {
	KAG_FRONTEND_FAST = 1,    /**< one checked scan to tokens; jansson for the rest */
	KAG_FRONTEND_JANSSON = 2  /**< jansson for every record (the reference) */
};

/** Input shapes for KAG_OPT_FORMAT. AUTO recognises each record; the others
 * accept only their family and reject other records with KAG_ESCHEMA.
 * Whatever the shape, events carry native field names; kag_event_format()
 * names the record's shape ("native", "eventlist", "array", "gke",
 * "eks-cloudwatch", "aks", "aks-table", "viaq", "otlp", "openshift-oauth").
 * Records of other services or categories (GKE cluster operations, AKS
 * klog categories, other CloudWatch log streams, non-audit ViaQ/OTLP logs)
 * are skipped and counted (KAG_PSTAT_SKIPPED), not errors.
 * @since 0.1 */
enum kag_input_format {
	KAG_FORMAT_AUTO = 0,      /**< every shape below, recognised per record */
	KAG_FORMAT_NATIVE = 1,    /**< audit.k8s.io Events (v1, v1beta1 fields),
				   * EventLists and JSON arrays of them */
	KAG_FORMAT_EVENTLIST = 2, /**< only EventLists and JSON arrays of events */
	KAG_FORMAT_GKE = 3,       /**< Cloud Audit Logs LogEntry (protoPayload);
				   * stage, level, HTTP code and time inferred */
	KAG_FORMAT_EKS = 4,       /**< native events, CloudWatch log events
				   * (message as string or object, events[]),
				   * subscription payloads (logEvents[]), also
				   * base64+gzip, bare or as {"awslogs":{"data"}} */
	KAG_FORMAT_AKS = 5,       /**< diagnostic records (properties.log as a
				   * string or object), {"records":[...]},
				   * AKSAudit/AKSAuditAdmin/AzureDiagnostics rows */
	KAG_FORMAT_OPENSHIFT = 6  /**< native events (oauth-server login events
				   * included), ViaQ and OTLP re-wrappings */
};

/** Parser counters for kag_parser_stat(). */
enum kag_parser_stat {
	KAG_PSTAT_RECORDS = 1,  /**< records read (events + errors + skips) */
	KAG_PSTAT_EVENTS = 2,   /**< events produced */
	KAG_PSTAT_ERRORS = 3,   /**< records rejected with an error */
	KAG_PSTAT_SKIPPED = 4,  /**< records recognised as not audit events */
	KAG_PSTAT_BYTES = 5     /**< bytes consumed */
};

KAG_API int kag_parser_new(kag_parser **out);
KAG_API void kag_parser_free(kag_parser *p);

/** Set a KAG_OPT_* limit (> 0), KAG_OPT_FORMAT (a KAG_FORMAT_* value) or
 * KAG_OPT_LINE (kag_parser_set_source() and kag_parser_reset() restart
 * numbering at 1). @return KAG_OK or KAG_EINVAL. */
KAG_API int kag_parser_set_option_u64(kag_parser *p, int option, uint64_t value);

/** Name the input ("audit.log"), used in verdict and error sources. Copied.
 * NULL clears it. Also restarts line numbering at 1. */
KAG_API int kag_parser_set_source(kag_parser *p, const char *name);

/** Hand the parser the next chunk of input: len bytes, not NUL-terminated
 * (a NUL byte is input like any other), copied as needed.
 * @return KAG_OK, KAG_ESTATE after kag_parser_finish(), KAG_ENOMEM. */
KAG_API int kag_parser_feed(kag_parser *p, const char *data, size_t len);

/** Hand the parser the next chunk of input without a copy: the parser
 * reads data[0, len) where it is, and the events read from them borrow
 * them, as they would borrow the parser's copy. The caller keeps those
 * bytes unchanged and valid until the parser is done with them: until the
 * next kag_parser_feed() or kag_parser_feed_nocopy() that succeeds (which
 * copies what the parser has not consumed of them yet; a feed of no bytes
 * does only that), kag_parser_reset(), kag_parser_free(), or
 * kag_parser_next() returning KAG_ITEROVER after kag_parser_finish(),
 * whichever comes first. Bytes are copied anyway when a record begun in
 * earlier input goes on in them, so feeding whole records (lines, a
 * message, a buffer cut just after a line end) is what saves the copy.
 * Otherwise as kag_parser_feed(). @since 0.5
 * @return KAG_OK, KAG_ESTATE after kag_parser_finish(), KAG_ENOMEM. */
KAG_API int kag_parser_feed_nocopy(kag_parser *p, const char *data, size_t len);

/** Declare end of input: a final record without a line end is parsed, and
 * an unfinished one becomes a KAG_ETRUNCATED error. */
KAG_API int kag_parser_finish(kag_parser *p);

/** Reset to a fresh stream (keeps options, source name and memory). */
KAG_API int kag_parser_reset(kag_parser *p);

/** Pull the next event.
 * @return KAG_OK with *out set to an event borrowed from the parser (const:
 *   read it, do not change or free it; valid until the next
 *   kag_parser_next/feed/finish/reset/free on p);
 *   KAG_ITEROVER when no complete record is buffered (feed more, or finish);
 *   KAG_EPARSE, KAG_ESCHEMA, KAG_ELIMIT (a budget of the record: its size,
 *   nesting, string length or value count) or KAG_ETRUNCATED for one
 *   rejected record, and KAG_ENOMEM for one record that could not be read
 *   for want of memory: details via kag_parser_error_*(), and the next call
 *   goes on with the following record. */
KAG_API int kag_parser_next(const kag_event **out, kag_parser *p);

/** Detail of the last rejected record: message (borrowed, valid until the
 * next call on p; never NULL), its 1-based line, byte offset, and a JSON
 * pointer of the offending field ("" when the whole record is at fault).
 * Messages never quote the record's bytes: they name the fault, the limit
 * and where (line, offset, pointer). */
KAG_API const char *kag_parser_error_message(const kag_parser *p);

/** The last rejected record as kag's error record, one line of JSON:
 * {"error":{"code":"KAG_EPARSE","message":…,"source":"name:LINE" or null,
 * "line":N,"offset":N,"path":"/json/pointer"}} ("path" only when a field is
 * at fault; "source" null when the parser has no source name). The message
 * quotes no input byte and carries neither the line nor the pointer, which
 * have fields of their own. NUL-terminated, borrowed, valid until the next
 * call on p; *len_out (when not NULL) receives its length without the NUL.
 * NULL before the first rejected record, or when memory runs out.
 * kag-triage, kag-filter and the bindings write this record. @since 0.2 */
KAG_API const char *kag_parser_error_json(const kag_parser *p, size_t *len_out);
KAG_API uint64_t kag_parser_error_line(const kag_parser *p);
KAG_API uint64_t kag_parser_error_offset(const kag_parser *p);
KAG_API const char *kag_parser_error_path(const kag_parser *p);

/** The source name set with kag_parser_set_source(), or "" (borrowed). */
KAG_API const char *kag_parser_source(const kag_parser *p);

/** A KAG_PSTAT_* counter; 0 for an unknown one. */
KAG_API uint64_t kag_parser_stat(const kag_parser *p, int stat);
/** @} */

/** @defgroup splitter Splitter
 * Where a stream may be cut so that its pieces can be parsed apart (by
 * several threads, say) with the result of one parser reading it whole.
 * Fed the stream's bytes in order, in any chunking, a splitter reports
 * each cut: a place just past a line end that a kag_parser reading the same
 * stream (same KAG_OPT_FORMAT and KAG_OPT_MAX_RECORD_BYTES) consumes
 * between records without looking at any byte after it. So a line end
 * closing a record, a blank line, a text line or a record cut short by a
 * string broken at the line end is followed by a cut; a line end inside a
 * record (a pretty-printed one, a JSON array with items at column 0) is
 * not, nor one followed by '{' that cuts an open record short (the parser
 * reads the '{' to tell). A piece holds more than blanks: blank lines
 * after a cut go with the next piece. A text line longer than the record
 * limit is dropped whole by the parser, and skipped unread by the splitter.
 *
 * What a cut guarantees: parse each piece (from the stream's start or a
 * cut to the next cut or the stream's end) with a parser of its own, set up
 * alike, told where the piece starts with KAG_OPT_LINE (its 1-based line
 * number: the caller counts the line ends before it) and KAG_OPT_OFFSET
 * (its stream offset) before its first byte, and finished
 * (kag_parser_finish()) after its last: the pieces' events and rejected
 * records (code, message, line, offset, pointer), in order, are those of
 * one parser reading the whole stream, and their KAG_PSTAT_RECORDS,
 * _EVENTS, _ERRORS and _SKIPPED summed are its counters. (One exception,
 * the parser's own: whether a line longer than the record limit that
 * starts a record after a node-name prefix is dropped as a text line
 * depends on how its bytes were fed, for one parser as for several.)
 *
 * No cut depends on the bytes after it, so the end of the stream needs no
 * call. A splitter is not thread-safe; it holds no input, only its state.
 * @since 0.2
 * @{ */

typedef struct kag_splitter kag_splitter;

/** A splitter for a stream of input shape `format` (a KAG_FORMAT_*), at
 * the stream's start (where a BOM may come), with the parser's default
 * record limit.
 * @return KAG_OK, KAG_EINVAL (NULL out, unknown format), KAG_ENOMEM. */
KAG_API int kag_splitter_new(kag_splitter **out, int format);

/** Free a splitter. NULL is a no-op. */
KAG_API void kag_splitter_free(kag_splitter *s);

/** Set KAG_OPT_FORMAT or KAG_OPT_MAX_RECORD_BYTES (> 0) as the parsers of
 * the pieces have them. @return KAG_OK or KAG_EINVAL (another option). */
KAG_API int kag_splitter_set_option_u64(kag_splitter *s, int option, uint64_t value);

/** Start again: at a stream's start (at_stream_start 1: a BOM may come),
 * or at a cut of a stream (0: between records, nothing read since).
 * Options are kept. @return KAG_OK or KAG_EINVAL. */
KAG_API int kag_splitter_reset(kag_splitter *s, int at_stream_start);

/** Read the next bytes of the stream, data[0, len), up to the first cut.
 * @param used_out  bytes read: up to the cut (at data + *used_out) for
 *   KAG_OK, else all len; call again with the rest
 * @return KAG_OK at a cut, KAG_ITEROVER when every byte was read without
 *   one, KAG_EINVAL (NULL s or used_out, NULL data with len > 0). */
KAG_API int kag_splitter_scan(kag_splitter *s, const char *data, size_t len,
			      size_t *used_out);
/** @} */

/** @defgroup registry Detector registry
 * The catalogue of detectors: the built-ins plus the caller's own. Configure
 * it, then seal it; a sealed registry is immutable and may be shared by
 * threads. Internally reference-counted: sessions keep it alive, so the
 * caller may free it before or after its sessions.
 * @{ */

typedef struct kag_registry kag_registry;
typedef struct kag_finding kag_finding;

/** Registry options for kag_registry_set_option_u64(). Windows in seconds. */
enum kag_registry_option {
	KAG_ROPT_PROBE_THRESHOLD = 1,  /**< denials per principal for a probing
					* verdict; default 10 */
	KAG_ROPT_PROBE_WINDOW = 2,     /**< probing window; default 1800 s */
	KAG_ROPT_LATE_ALLOWANCE = 3,   /**< accepted lateness; default 30 s */
	KAG_ROPT_DEDUP_CAPACITY = 4,   /**< auditIDs remembered; default 65536 */
	KAG_ROPT_PRINCIPAL_CAPACITY = 5, /**< principals tracked; default 4096 */
	KAG_ROPT_PENDING_CAPACITY = 6, /**< RequestReceived-only requests held
					* for a later stage; default 4096 */
	KAG_ROPT_SECRET_BURST_THRESHOLD = 7, /**< distinct secrets read by one
					* identity for a burst; default 5 (@since 0.1) */
	KAG_ROPT_SECRET_BURST_WINDOW = 8, /**< default 600 s (@since 0.1) */
	KAG_ROPT_SEQUENCE_WINDOW = 9,  /**< RBAC change then workload change by
					* one identity; default 300 s (@since 0.1) */
	KAG_ROPT_DISCOVERY_THRESHOLD = 10, /**< distinct namespaces listed by one
					* identity; default 5 (@since 0.1) */
	KAG_ROPT_DISCOVERY_WINDOW = 11, /**< default 600 s (@since 0.1) */
	KAG_ROPT_NEW_TERMS_CAPACITY = 12, /**< first-seen user agents remembered;
					* default 4096 (@since 0.1) */
	KAG_ROPT_REPEAT_WINDOW = 13,   /**< repeat suppression window; default
					* 600 s; 0 turns suppression off (the only
					* option that takes 0) (@since 0.2) */
	KAG_ROPT_REPEAT_CAPACITY = 14, /**< open repeat windows; default 4096
					* (@since 0.2) */
	KAG_ROPT_REPEAT_KEY = 15       /**< what makes two verdicts repeats: an OR
					* of KAG_REPEAT_* (non-zero); default
					* KAG_REPEAT_DEFAULT (@since 0.2) */
};

/** Parts of the repeat key (KAG_ROPT_REPEAT_KEY; a policy file's
 * "repeat_key" names them in lower case: "user", "verb", ...). The
 * detector, the assessment and the severity are always part of it.
 * @since 0.2 */
enum kag_repeat_key {
	KAG_REPEAT_USER = 1,        /**< user.username and impersonatedUser.username */
	KAG_REPEAT_VERB = 2,
	KAG_REPEAT_RESOURCE = 4,    /**< objectRef.apiGroup, resource, subresource */
	KAG_REPEAT_NAMESPACE = 8,
	KAG_REPEAT_NAME = 16,       /**< objectRef.name */
	KAG_REPEAT_OUTCOME = 32,
	KAG_REPEAT_REASON = 64,     /**< the verdict's reason */
	KAG_REPEAT_SOURCE = 128,    /**< the last sourceIPs entry */
	KAG_REPEAT_USER_AGENT = 256
};
/** The default repeat key: every part but the source and the user agent. */
#define KAG_REPEAT_DEFAULT 127

/** Callback of a caller-defined detector. Inspect `ev`; to report, call
 * kag_finding_report() (and the other kag_finding_* setters) on `f`.
 * `outcome` is the gate's KAG_OUTCOME_*. Runs synchronously inside
 * kag_session_evaluate(); it must not call back into the same session.
 * @return KAG_OK, or any other value to abort the evaluation (reported to
 *   the caller as KAG_EUSER). */
typedef int (*kag_detector_cb)(kag_finding *f, const kag_event *ev,
			       int outcome, void *user_data);

/** A registry holding every built-in detector, enabled. */
KAG_API int kag_registry_new(kag_registry **out);

/** Drop the caller's reference. NULL is a no-op. */
KAG_API void kag_registry_free(kag_registry *r);

/** Add a caller-defined detector.
 * @param id          stable id (copied); must not clash with another
 * @param title       one line (copied)
 * @param decisive    field ids that must be present for a judgement (copied;
 *                    may be NULL when n_decisive is 0)
 * @param min_level   KAG_LEVEL_* the detector needs to see
 * @return KAG_OK, KAG_EINVAL (bad id, duplicate id, bad field),
 *   KAG_ESTATE (sealed), KAG_ENOMEM. */
KAG_API int kag_registry_add_detector(kag_registry *r, const char *id,
				      const char *title, const int *decisive,
				      size_t n_decisive, int min_level,
				      kag_detector_cb cb, void *user_data);

/** Enable or disable a detector by id. @return KAG_OK, KAG_ENOTFOUND,
 * KAG_ESTATE (sealed). */
KAG_API int kag_registry_enable(kag_registry *r, const char *id);
KAG_API int kag_registry_disable(kag_registry *r, const char *id);

/** Set a KAG_ROPT_* option (> 0). KAG_ESTATE once sealed. */
KAG_API int kag_registry_set_option_u64(kag_registry *r, int option,
					uint64_t value);

/** Make the registry immutable. Sessions need a sealed registry. */
KAG_API int kag_registry_seal(kag_registry *r);
KAG_API int kag_registry_is_sealed(const kag_registry *r);

/** Detectors, by index (0 .. count-1), in registration order. Strings are
 * borrowed and valid while the registry lives. */
KAG_API size_t kag_registry_count(const kag_registry *r);
KAG_API const char *kag_registry_detector_id(const kag_registry *r, size_t i);
KAG_API const char *kag_registry_detector_title(const kag_registry *r, size_t i);
/** ATT&CK techniques, decisive fields, level needed, guidance (multi-line). */
KAG_API const char *kag_registry_detector_doc(const kag_registry *r, size_t i);
KAG_API int kag_registry_detector_enabled(const kag_registry *r, size_t i);
KAG_API int kag_registry_find(size_t *index_out, const kag_registry *r,
			      const char *id);

/** Report from a caller-defined detector: assessment, severity, confidence
 * (KAG_* values) and a one-sentence reason (copied). If the detector's gate
 * failed, the verdict becomes needs_context whatever is asked here. */
KAG_API int kag_finding_report(kag_finding *f, int assessment, int severity,
			       int confidence, const char *reason);
/** Add an ATT&CK technique id ("T1609"). Copied. */
KAG_API int kag_finding_add_attack(kag_finding *f, const char *technique);

/** Policy lists, for kag_registry_policy_add() and kag_registry_policy_clear();
 * a policy file names them the same way in lower case ("trusted_users").
 * @since 0.1 */
enum kag_policy_list {
	KAG_LIST_CONTROL_PLANE_USERS = 1,  /**< exact usernames of control-plane
					    * components */
	KAG_LIST_PROVIDER_PREFIXES = 2,    /**< username prefixes of cloud-provider
					    * components ("eks:") */
	KAG_LIST_OPERATOR_PREFIXES = 3,    /**< username prefixes of platform
					    * operators */
	KAG_LIST_TRUSTED_USERS = 4,        /**< extra exact usernames trusted as
					    * control plane (empty by default) */
	KAG_LIST_SENSITIVE_RESOURCES = 5,  /**< "resource[/subresource]" */
	KAG_LIST_SYSTEM_NAMESPACES = 6,    /**< kube-system, kube-public, ... */
	KAG_LIST_SENSITIVE_HOST_PATHS = 7, /**< hostPath prefixes ("/etc") */
	KAG_LIST_DANGEROUS_CAPABILITIES = 8, /**< "SYS_ADMIN", "ALL", ... */
	KAG_LIST_HEALTH_PATHS = 9,         /**< paths anonymous_access ignores */
	KAG_LIST_PRIVILEGED_ROLES = 10,    /**< roles whose binding is escalation
					    * ("cluster-admin") */
	KAG_LIST_SYSTEM_ROLE_PREFIXES = 11,/**< role names owned by the platform
					    * ("system:") */
	KAG_LIST_SYSTEM_ROLE_EXCEPTIONS = 12, /**< system roles admins may edit */
	KAG_LIST_TRUSTED_NETWORKS = 13,    /**< public CIDRs of the cluster's own
					    * nodes or NAT egress (public_source) */
	KAG_LIST_DEPLOYERS = 14,           /**< exact usernames that deploy with
					    * helm: their helm writes are release
					    * content (@since 0.2) */
	KAG_LIST_SUSPICIOUS_IMAGES = 15    /**< container images of crypto-miners
					    * and offensive tools: a repository
					    * name ("xmrig") or path
					    * ("aquasec/kube-hunter")
					    * (privileged_workload); @since 0.2 */
};

/** Load a JSON policy into an unsealed registry. Without one the built-in
 * defaults serve. Loading is all or nothing: on error the registry is
 * unchanged. Unknown keys are errors, so a misspelt key cannot leave a
 * weaker default in place. A policy that names caller rules in "detectors"
 * must be loaded after them. Schema (every key optional; examples/policy.json):
 *
 *   "version": 1
 *   "description": "free text"
 *   "thresholds": {"probe": N, "secret_burst": N, "discovery": N}
 *   "windows": {"probe": S, "late_allowance": S, "secret_burst": S,
 *               "sequence": S, "discovery": S}          (seconds, <= 30 days)
 *   "capacities": {"dedup": N, "principals": N, "pending": N, "new_terms": N}
 *   "LIST": ["...", ...]       replaces the list (an empty array clears it)
 *   "add_LIST": ["...", ...]   extends it (after any replacement)
 *   "detectors": {"enable": ["id", ...], "disable": ["id", ...]}
 *   "bad_sources": {"NAME": ["203.0.113.0/24", ...], ...}
 *                   address lists for known_bad_source, each replacing the
 *                   list of that name (format: kag_registry_load_addresses();
 *                   @since 0.2)
 *   "cluster": {"name": "prod-eu-1", "labels": {"env": "prod", ...}}
 *                   the cluster every record carries, replacing the name and
 *                   labels set so far (kag_registry_set_cluster(); "name" is
 *                   required: 1 to 253 bytes; at most 64 labels, keys of 1
 *                   to 317 bytes, values up to 1024; no control characters;
 *                   @since 0.3)
 *
 * LIST is one of control_plane_users, provider_prefixes, operator_prefixes,
 * trusted_users, sensitive_resources, system_namespaces, sensitive_host_paths,
 * dangerous_capabilities, health_paths, privileged_roles, system_role_prefixes,
 * system_role_exceptions, trusted_networks, deployers, suspicious_images
 * (see enum kag_policy_list;
 * sensitive_host_paths and health_paths start with '/', trusted_networks are
 * CIDRs such as "203.0.113.0/24"). Numbers are
 * integers from 1 (thresholds up to 1000000, capacities up to 16777216).
 * @param json  the document (need not be NUL-terminated), len bytes
 * @return KAG_OK; KAG_EPARSE (not JSON), KAG_ESCHEMA (a wrong key or value),
 *   KAG_ENOTFOUND (an unknown detector id), KAG_ELIMIT, KAG_ESTATE (sealed),
 *   KAG_ENOMEM. The detail is in kag_registry_error_message().
 * @since 0.1 */
KAG_API int kag_registry_load_policy(kag_registry *r, const char *json, size_t len);

/** Load caller rules (JSON, len bytes, need not be NUL-terminated) into an
 * unsealed registry, next to the built-ins.
 * All or nothing, like kag_registry_load_policy(). Schema (examples/rules.json):
 *
 *   {"version": 1, "rules": [RULE, ...]}
 *   RULE: {"id": "ns_deleted",          unique among all detectors
 *          "title": "...", "description": "..." (optional),
 *          "assessment": "benign" | "suspicious" | "malicious",
 *          "severity": "info" | "low" | "medium" | "high" | "critical",
 *          "confidence": "low" | "medium" | "high"   (optional, default high),
 *          "attack": ["T1485", ...]                  (optional),
 *          "decisive": ["verb", "objectRef.name", ...] (optional),
 *          "min_level": "Metadata" | "Request" | "RequestResponse" (optional),
 *          "match": NODE}
 *   NODE: {"all": [NODE, ...]} | {"any": [NODE, ...]} | {"not": NODE}
 *       | {"field": PATH, OP: VALUE}
 *       | {"outcome": NAME or [NAME, ...]}  allowed, denied, in_progress,
 *                                           error, unknown
 *       | {"identity": NAME or [NAME, ...]} control-plane, node,
 *                                  kube-system-sa, provider, operator, none
 *   OP: "equals": "s" | "in": ["s", ...] | "prefix": "s" | "suffix": "s"
 *     | "glob": "s" (* any run, ? any one byte, \ escapes; no [classes];
 *       at most 256 bytes after unescaping, and at most 1024 globs in one
 *       document, else KAG_ELIMIT; a glob reads each byte of a value
 *       at most once: time linear in the length of the value)
 *     | "exists": true/false
 *     | "eq" | "ne" | "lt" | "le" | "gt" | "ge": N   (responseStatus.code only;
 *       equals and in take integers there too)
 *
 * PATH is a dotted field path (kag_field_from_path()), or "annotations.<key>",
 * "user.extra.<key>", "impersonatedUser.extra.<key>". On list fields (user.groups,
 * sourceIPs) a test holds when any item passes. Empty and placeholder values
 * ("-", "<none>", "unknown", ...) count as absent; a test on an absent field
 * is false, except on a decisive field, where it is unknown; "all", "any"
 * and "not" combine unknowns (three-valued logic), and so does an outcome
 * test while the outcome is not known. A rule whose match is unknown, or
 * true while a decisive field is absent or the audit level is below
 * min_level, yields needs_context (severity medium for high and critical
 * rules, else low). A true match yields the rule's verdict under its id.
 * @return as kag_registry_load_policy(); a duplicate id is KAG_ESCHEMA.
 * @since 0.1 */
KAG_API int kag_registry_load_rules(kag_registry *r, const char *json, size_t len);

/** Why the last kag_registry_load_policy(), kag_registry_load_rules(),
 * kag_registry_policy_add() or kag_registry_policy_clear() on r failed:
 * "<JSON pointer>: <reason>", e.g. "/thresholds/probe: expected an integer
 * from 1 to 1000000, got a string"; "" after a success. Borrowed, valid until
 * the next such call on r; never NULL.
 * @since 0.1 */
KAG_API const char *kag_registry_error_message(const kag_registry *r);

/** The JSON pointer part of kag_registry_error_message() ("" when the whole
 * document is at fault). Borrowed like it.
 * @since 0.1 */
KAG_API const char *kag_registry_error_path(const kag_registry *r);

/** Add a value (copied) to a policy list (KAG_LIST_*). The built-in list is
 * extended, not replaced; a value already listed is kept once.
 * @return KAG_OK, KAG_EINVAL (unknown list, empty or malformed value),
 *   KAG_ESTATE (sealed), KAG_ELIMIT (4096 items), KAG_ENOMEM.
 * @since 0.1 */
KAG_API int kag_registry_policy_add(kag_registry *r, int list_id, const char *value);

/** Empty a policy list (KAG_LIST_*), e.g. before adding a replacement.
 * @return KAG_OK, KAG_EINVAL, KAG_ESTATE (sealed).
 * @since 0.1 */
KAG_API int kag_registry_policy_clear(kag_registry *r, int list_id);

/** Name the cluster the registry judges for: every record of every schema
 * then carries it (kag's own record as "cluster":{"name":…,"labels":{…}}
 * after "schema"; OCSF and ECS as README "OCSF and ECS" says), so that the
 * verdicts of many clusters read in one place can be told apart. Without
 * a name, records carry no cluster. A new name keeps the labels set so far;
 * NULL removes the name and the labels. A policy file's "cluster" member
 * sets the same ({"name": "prod-eu-1", "labels": {"env": "prod"}},
 * replacing the name and every label).
 * @param name  1 to 253 bytes (copied), no control characters; or NULL
 * @return KAG_OK, KAG_EINVAL (NULL r, a bad name), KAG_ESTATE (sealed),
 *   KAG_ENOMEM. The detail is in kag_registry_error_message().
 * @since 0.3 */
KAG_API int kag_registry_set_cluster(kag_registry *r, const char *name);

/** Set a label of the cluster named by kag_registry_set_cluster() (called
 * first); a key already set takes the new value. Labels keep the order
 * they were first set in.
 * @param key    1 to 317 bytes (a Kubernetes label key's size), copied
 * @param value  0 to 1024 bytes, copied; neither has control characters
 * @return KAG_OK, KAG_EINVAL (NULL arguments, no cluster name yet, a bad
 *   key or value), KAG_ELIMIT (64 labels), KAG_ESTATE (sealed),
 *   KAG_ENOMEM. The detail is in kag_registry_error_message().
 * @since 0.3 */
KAG_API int kag_registry_add_cluster_label(kag_registry *r, const char *key,
					   const char *value);

/** Load an address list for known_bad_source from memory into an unsealed
 * registry: Tor exit nodes, a threat-intelligence feed. kag ships no list
 * and reads no file. Format (text, len bytes, need not be NUL-terminated):
 * one IPv4 or IPv6 address or CIDR range per line ("192.0.2.7",
 * "198.51.100.0/24", "2001:db8::/32"); '#' starts a comment running to the
 * end of the line; blank lines and spaces, tabs and CRs around an entry are
 * ignored; host bits past the prefix are cleared; an IPv4-mapped IPv6
 * entry is its IPv4 range. No ports, zones or brackets. Limits: lines of
 * 256 bytes, 64 MiB and 1048576 entries per list, 4194304 entries and 64
 * lists per registry. A policy file's "bad_sources" member
 * ({"NAME": ["entry", ...], ...}) loads the same lists.
 *
 * All or nothing: on error the registry is unchanged. Loading a name again
 * replaces that list. Lookups are a binary search over every list's ranges,
 * sorted and merged at kag_registry_seal().
 * @param name  the list's name (1 to 64 printable bytes, no spaces), named
 *   in the verdict's evidence
 * @return KAG_OK; KAG_EPARSE (a line is not an address or range),
 *   KAG_ELIMIT, KAG_EINVAL (NULL, a bad name), KAG_ESTATE (sealed),
 *   KAG_ENOMEM. The detail, with the line number, is in
 *   kag_registry_error_message() ("tor-exits: line 12: not an address or
 *   CIDR range").
 * @since 0.2 */
KAG_API int kag_registry_load_addresses(kag_registry *r, const char *name, const char *text,
					size_t len);
/** @} */

/** @defgroup gate Evidence gate
 * Callable on its own: for an event and a detector, which decisive fields are
 * missing or placeholders ("", "-", "<none>", "unknown"), what the outcome is,
 * and whether the stage and audit level can support a judgement.
 * @{ */

typedef struct kag_gate kag_gate;

/** Evaluate the gate of detector `detector_id` (NULL: the generic gate:
 * outcome and stage only) for `ev`.
 * @return KAG_OK, KAG_ENOTFOUND (unknown detector), KAG_EINVAL, KAG_ENOMEM. */
KAG_API int kag_gate_evaluate(kag_gate **out, const kag_registry *r,
			      const char *detector_id, const kag_event *ev);
KAG_API void kag_gate_free(kag_gate *g);

/** 1 when the detector may judge the event, else 0. */
KAG_API int kag_gate_passed(const kag_gate *g);
/** KAG_OUTCOME_* of the event. */
KAG_API int kag_gate_outcome(const kag_gate *g);
/** 1 when the stage can support a final judgement. */
KAG_API int kag_gate_stage_ok(const kag_gate *g);
/** 1 when the audit level shows what the detector needs. */
KAG_API int kag_gate_level_ok(const kag_gate *g);
/** Decisive fields that are absent or placeholders. */
KAG_API size_t kag_gate_missing_count(const kag_gate *g);
KAG_API int kag_gate_missing_field(const kag_gate *g, size_t i);
/** Why the gate failed, or "" when it passed. Borrowed, valid until freed. */
KAG_API const char *kag_gate_reason(const kag_gate *g);
/** @} */

/** @defgroup baseline Learned baselines
 * What each identity (authenticated username) has been seen doing: the
 * (verb, resource, subresource, namespace, client) tuples of its allowed
 * requests, the client being the userAgent's product token ("kubectl" of
 * "kubectl/v1.30.1 (linux/amd64) kubernetes/abc"), so that upgrades make no
 * new behaviour. A session consults it (kag_session_set_baseline) and may
 * learn into it. It is bounded: at most KAG_BOPT_MAX_IDENTITIES
 * identities, KAG_BOPT_MAX_TUPLES tuples an identity and
 * KAG_BOPT_MAX_TOTAL tuples in all; the least recently used identity, or
 * an identity's least recently seen tuple, is evicted to make room
 * (counted: KAG_BSTAT_*_EVICTIONS). Saved and loaded as a versioned JSON
 * document, "kag-baseline/1" (README: "The baseline file").
 *
 * A handle is not thread-safe; see kag_session_set_baseline() for sharing.
 * @since 0.2
 * @{ */

typedef struct kag_baseline kag_baseline;

/** Baseline options for kag_baseline_set_option_u64(). The caps can be
 * changed only while the baseline is empty (KAG_ESTATE otherwise).
 * @since 0.2 */
enum kag_baseline_option {
	KAG_BOPT_MAX_IDENTITIES = 1, /**< identities kept (default 4096, 1 to 1048576) */
	KAG_BOPT_MAX_TUPLES = 2,     /**< tuples kept an identity (default 256,
				      * 1 to 65536) */
	KAG_BOPT_MAX_TOTAL = 3,      /**< tuples kept in all (default 65536, 1 to
				      * 16777216, at least KAG_BOPT_MAX_TUPLES) */
	KAG_BOPT_KNOWN_TUPLES = 4,   /**< an identity with at least this many
				      * tuples is known (default 5) */
	KAG_BOPT_KNOWN_SECONDS = 5,  /**< an identity seen over at least this
				      * many seconds of event time is known
				      * (default 3600) */
	KAG_BOPT_MAX_BYTES = 6       /**< largest file kag_baseline_load() reads
				      * (default 33554432, at most 1073741824) */
};

/** Baseline counters for kag_baseline_stat(). @since 0.2 */
enum kag_baseline_stat {
	KAG_BSTAT_IDENTITIES = 1,        /**< identities held */
	KAG_BSTAT_TUPLES = 2,            /**< tuples held */
	KAG_BSTAT_LEARNED = 3,           /**< tuples added by learning */
	KAG_BSTAT_IDENTITY_EVICTIONS = 4, /**< identities evicted (their tuples too) */
	KAG_BSTAT_TUPLE_EVICTIONS = 5    /**< single tuples evicted from an identity */
};

/** A new, empty baseline with the default caps.
 * @return KAG_OK, KAG_EINVAL, KAG_ENOMEM. @since 0.2 */
KAG_API int kag_baseline_new(kag_baseline **out);
/** Free b (NULL is fine). Detach it from every session first. @since 0.2 */
KAG_API void kag_baseline_free(kag_baseline *b);
/** Set a KAG_BOPT_* option.
 * @return KAG_OK, KAG_EINVAL (unknown option, value out of range),
 *   KAG_ESTATE (a cap while the baseline holds identities). @since 0.2 */
KAG_API int kag_baseline_set_option_u64(kag_baseline *b, int option, uint64_t value);
/** A KAG_BSTAT_* counter, 0 for an unknown one. @since 0.2 */
KAG_API uint64_t kag_baseline_stat(const kag_baseline *b, int stat);

/** Replace b's content with a "kag-baseline/1" document (len bytes, need
 * not be NUL-terminated). The document is untrusted input: it is checked
 * whole (size, nesting, value count, string lengths, the caps of b,
 * duplicate identities or tuples, times) before anything changes, so a
 * failed load leaves b as it was.
 * @return KAG_OK; KAG_EPARSE (not JSON, invalid UTF-8, a NUL), KAG_ESCHEMA
 *   (a wrong key, value or version, a duplicate), KAG_ELIMIT (a size,
 *   depth, length or count over its limit or b's caps), KAG_ENOMEM. The
 *   detail is in kag_baseline_error_message(). @since 0.2 */
KAG_API int kag_baseline_load(kag_baseline *b, const char *data, size_t len);

/** Write b as a "kag-baseline/1" document: identities sorted by name, each
 * one's tuples sorted, so the same content always gives the same bytes.
 * @param out set to a NUL-terminated copy the caller frees with
 *   kag_baseline_free_text(); *len_out (when not NULL) to its length.
 * @return KAG_OK, KAG_EINVAL, KAG_ENOMEM. @since 0.2 */
KAG_API int kag_baseline_save(const kag_baseline *b, char **out, size_t *len_out);
/** Free a document kag_baseline_save() wrote (NULL is fine). @since 0.2 */
KAG_API void kag_baseline_free_text(char *text);

/** Why the last kag_baseline_load() on b failed: "<JSON pointer>: <reason>"
 * (syntax errors name the line and column instead); "" after a success.
 * Borrowed, valid until the next load on b; never NULL. @since 0.2 */
KAG_API const char *kag_baseline_error_message(const kag_baseline *b);
/** The JSON pointer part of kag_baseline_error_message() ("" for the
 * whole document). @since 0.2 */
KAG_API const char *kag_baseline_error_path(const kag_baseline *b);
/** @} */

/** @defgroup session Sessions and verdicts
 * A session is one thread's evaluation context over a sealed registry: it
 * holds correlation state (stage de-duplication by auditID, probing windows,
 * repeat windows) in fixed-capacity tables with least-recently-used eviction.
 *
 * Repeats: a verdict with the same detector, assessment, severity and repeat
 * key (KAG_ROPT_REPEAT_KEY: by default identity, verb, object, outcome and
 * reason) as the one that opened a window (KAG_ROPT_REPEAT_WINDOW of event
 * time) is counted, not returned. When the window closes (event time passes
 * its end, its table entry is evicted, or kag_session_flush) and it counted
 * repeats, the last repeat is returned as the window's aggregate: its JSON
 * carries "repeats":{"count":N,"first":...,"last":...} and
 * kag_verdict_repeat_count() is N. Correlated verdicts (bursts) are never
 * counted as repeats; detectors see every event.
 * @{ */

typedef struct kag_session kag_session;
typedef struct kag_result kag_result;
typedef struct kag_verdict kag_verdict;

/** Session options for kag_session_set_option_u64(). */
enum kag_session_option {
	KAG_SOPT_EMIT_BENIGN = 1,     /**< 1 (default): also return benign and
				       * info verdicts; 0: leave them out */
	KAG_SOPT_INCLUDE_BODIES = 2   /**< 1: verdict JSON carries request and
				       * response objects with secret values
				       * replaced; 0 (default): never */
};

/** Session counters for kag_session_stat(). */
enum kag_session_stat {
	KAG_SSTAT_EVENTS = 1,        /**< events evaluated */
	KAG_SSTAT_DUPLICATES = 2,    /**< later stages of a request already judged */
	KAG_SSTAT_VERDICTS = 3,      /**< verdicts returned */
	KAG_SSTAT_DEDUP_EVICTIONS = 4,   /**< auditIDs evicted from the dedup table */
	KAG_SSTAT_PRINCIPAL_EVICTIONS = 5, /**< principals evicted from windows */
	KAG_SSTAT_DEFERRED = 6,      /**< RequestReceived events held for a later stage */
	KAG_SSTAT_SUPPRESSED = 7,    /**< benign verdicts left out (EMIT_BENIGN 0) */
	KAG_SSTAT_REPEATS = 8,       /**< verdicts left out as repeats of one in
				      * its window; their count reaches the caller
				      * in the window's aggregate (see
				      * kag_verdict_repeat_count) (@since 0.2) */
	KAG_SSTAT_REPEAT_EVICTIONS = 9, /**< repeat windows closed early because
				      * the table was full (@since 0.2) */
	KAG_SSTAT_LEVEL_UNJUDGED = 10, /**< events a detector could not judge only
				      * because the audit level shows no body, and
				      * that were no lead: counted, no verdict
				      * (kag_session_detector_stat) (@since 0.2) */
	KAG_SSTAT_BASELINE_SEEN = 16, /**< verdicts ranked one step lower because
				      * the attached baseline had seen the
				      * behaviour (@since 0.2) */
	KAG_SSTAT_BASELINE_NEW = 17, /**< verdicts whose reason says the behaviour
				      * is new for a known identity (@since 0.2) */
	KAG_SSTAT_BASELINE_LEARNED = 18, /**< tuples this session added to the
				      * attached baseline (@since 0.2) */
	KAG_SSTAT_BASELINE_EVICTIONS = 19, /**< identities and tuples the attached
				      * baseline evicted to stay within its caps
				      * (kag_baseline_stat) (@since 0.2) */
	/* The session's tables as they stand (gauges, @since 0.3): entries
	 * in use and capacity. */
	KAG_SSTAT_DEDUP_ENTRIES = 20,   /**< auditIDs remembered */
	KAG_SSTAT_DEDUP_CAPACITY = 21,  /**< KAG_ROPT_DEDUP_CAPACITY */
	KAG_SSTAT_PRINCIPAL_ENTRIES = 22, /**< principals held in correlation
				      * windows, summed over the detectors */
	KAG_SSTAT_PRINCIPAL_CAPACITY = 23, /**< their capacities, summed */
	KAG_SSTAT_PENDING_ENTRIES = 24, /**< RequestReceived events held */
	KAG_SSTAT_PENDING_CAPACITY = 25, /**< KAG_ROPT_PENDING_CAPACITY */
	KAG_SSTAT_REPEAT_ENTRIES = 26,  /**< open repeat windows */
	KAG_SSTAT_REPEAT_CAPACITY = 27  /**< KAG_ROPT_REPEAT_CAPACITY */
};

/** Per-detector session counters for kag_session_detector_stat().
 * @since 0.2 */
enum kag_detector_stat {
	KAG_DSTAT_LEVEL_UNJUDGED = 1, /**< as KAG_SSTAT_LEVEL_UNJUDGED, for one
				      * detector: the events that a more detailed
				      * audit level would let it judge */
	KAG_DSTAT_UNJUDGED = 2,      /**< every event it could not judge: the gate
				      * stopped it, or it said needs_context
				      * (kag_session_coverage_json) */
	KAG_DSTAT_UNJUDGED_VERDICTS = 3, /**< of those, the ones given a
				      * needs_context verdict (before repeats are
				      * counted); the others had none */
	KAG_DSTAT_WEAKENED = 4,      /**< events judged with less confidence
				      * because the level shows no body */
	KAG_DSTAT_REASON_LEVEL = 5,  /**< unjudged: the level shows no body */
	KAG_DSTAT_REASON_FIELD = 6,  /**< unjudged: a decisive field missing */
	KAG_DSTAT_REASON_OUTCOME = 7, /**< unjudged: the outcome not known */
	KAG_DSTAT_REASON_STAGE = 8,  /**< unjudged: the request was logged at
				      * stage RequestReceived only */
	KAG_DSTAT_REASON_OTHER = 9   /**< unjudged: the detector said
				      * needs_context for none of these */
};

/** Attach a learned baseline to the session (NULL detaches it).
 *
 * With a baseline, a suspicious verdict on behaviour the baseline has seen
 * (the same identity, verb, resource, subresource, namespace and client)
 * ranks one severity step lower and its reason begins "seen before in the
 * baseline"; a verdict on behaviour new for a known identity keeps its
 * severity and its reason begins "new for this identity: first ...". Never
 * lowered: critical verdicts, verdicts of interactive_access,
 * impersonation, anonymous_access, public_source and caller detectors,
 * denied requests, impersonated requests, anonymous callers and requests
 * from a public address. An event that the audit level leaves unjudged is
 * no lead when the baseline has seen its behaviour (see
 * KAG_SSTAT_LEVEL_UNJUDGED).
 *
 * With learn 1, the session also adds each allowed request of an
 * authenticated, not impersonated identity to the baseline after judging
 * it, unless one of its verdicts is malicious, high or critical.
 *
 * Ownership: the baseline stays the caller's and must outlive its
 * attachment (free the session, or attach NULL, before freeing it). A
 * learning session writes to it: it then belongs to that session's thread.
 * Sessions that do not learn only read it, and may share it while nothing
 * loads into it or learns.
 * @param learn 0 or 1
 * @return KAG_OK, KAG_EINVAL.
 * @since 0.2 */
KAG_API int kag_session_set_baseline(kag_session *s, kag_baseline *b, int learn);

/** New session over a sealed registry (KAG_ESTATE if not sealed). */
KAG_API int kag_session_new(kag_session **out, kag_registry *r);
KAG_API void kag_session_free(kag_session *s);
KAG_API int kag_session_set_option_u64(kag_session *s, int option, uint64_t value);
KAG_API uint64_t kag_session_stat(const kag_session *s, int stat);
/** A KAG_DSTAT_* counter of detector `detector` (its registry index); 0 for
 * an unknown counter or index. @since 0.2 */
KAG_API uint64_t kag_session_detector_stat(const kag_session *s, size_t detector,
					   int stat);

/** Coverage: per detector, the events it could not judge and why, by
 * resource, as one JSON object (NUL-terminated, borrowed from s, valid until
 * the next kag_session_coverage_* call on s or kag_session_free; *len_out,
 * when not NULL, receives its length). NULL only when memory runs out.
 * Counted since the session began, for every event (needs_context verdicts,
 * the events that were no lead and got none, and repeats alike):
 *
 *   {"unjudged":N,"weakened":N,"detectors":[
 *     {"detector":ID,"unjudged":N,"verdicts":N,"silent":N,"weakened":N,
 *      "reasons":{"level":N,"field":N,"outcome":N,"stage":N,"other":N},
 *      "fields":{FIELD:N,...},
 *      "resources":[{"group":G,"resource":R|null,"subresource":S|null,
 *                    "unjudged":N,"weakened":N,"level":LEVEL|null},...],
 *      "other":{"unjudged":N,"weakened":N}},...],
 *    "policy":TEXT|null}
 *
 * - "unjudged" = "verdicts" + "silent"; one event can have several
 *   reasons, so the reasons may add up to more. "level": the audit level
 *   shows no body the detector needs; "field": a decisive field is missing
 *   ("fields" counts each, by kag_field_name()); "outcome": the outcome is
 *   not known; "stage": the request was logged at stage RequestReceived
 *   only (counted when its verdict is released, not when a later stage
 *   judges it).
 * - "weakened": events judged, with less confidence, because the level
 *   shows no body.
 * - "resources": objectRef's apiGroup ("" for the core group), resource
 *   and subresource, most events first; at most 16 per detector, the rest
 *   counted in "other". "level": the audit level that would show what the
 *   detector needs, null when the level is not the reason.
 * - Only detectors with a count are listed, in registry order. A detector
 *   whose every verdict is benign counts nothing while the session leaves
 *   benign verdicts out (KAG_SOPT_EMIT_BENIGN 0): it is not run.
 * - "policy": kag_session_coverage_policy()'s text, null when empty.
 * @since 0.2 */
KAG_API const char *kag_session_coverage_json(kag_session *s, size_t *len_out);

/** The coverage advice as an audit.k8s.io/v1 Policy document (YAML text;
 * borrowed as for kag_session_coverage_json): a Metadata rule for Secrets,
 * ConfigMaps and TokenReviews (their bodies carry secrets: never logged
 * with bodies), then one rule per level (Request, RequestResponse for the
 * writes) naming the resources whose body a detector needed, each named
 * once at the most detailed level asked for, after a comment naming the
 * detectors and their counts. A ServiceAccount token request is advised
 * at Request at most (its response is the token). Names that are not
 * Kubernetes resource names are left out. "" when there is nothing to
 * advise; NULL only when memory runs out. @since 0.2 */
KAG_API const char *kag_session_coverage_policy(kag_session *s, size_t *len_out);

/** Judge one event.
 * @param out set to the verdicts of this call: borrowed from the session
 *   (const; there is no kag_result_free()), valid until the next
 *   evaluate/flush/free on s. They may include verdicts
 *   of earlier requests whose later stage never came (see kag_session_flush).
 * @return KAG_OK, KAG_EINVAL, KAG_ENOMEM, KAG_EUSER. */
KAG_API int kag_session_evaluate(const kag_result **out, kag_session *s,
				       const kag_event *ev);

/** End of stream: release verdicts still held for requests seen only at
 * RequestReceived, and close every repeat window (its aggregate, when it
 * counted repeats, is among the verdicts). Same ownership as
 * kag_session_evaluate(). */
KAG_API int kag_session_flush(const kag_result **out, kag_session *s);

KAG_API size_t kag_result_count(const kag_result *res);
/** Verdict i, borrowed like its result; NULL when out of range. */
KAG_API const kag_verdict *kag_result_verdict(const kag_result *res, size_t i);

/** Verdict fields. Strings are borrowed, valid as long as the verdict. */
/** The verdict's stable id: 32 lowercase hex digits, the record's "id"
 * member. It is made from the detector, the request (its auditID; for an
 * event without one, its stage, verb, requestURI, user, userAgent, object
 * and timestamps) and, for a correlated verdict,
 * what was correlated (count, first and last time, distinct names); a
 * repeat window's aggregate adds its repeats. The source name, the line
 * and the session's history take no part, so the same finding read again
 * (a replayed Kafka partition, a webhook batch sent twice) has the same id
 * on every host, and a consumer de-duplicates by it. Not a cryptographic
 * digest. @since 0.3 */
KAG_API const char *kag_verdict_id(const kag_verdict *v);
KAG_API const char *kag_verdict_detector(const kag_verdict *v);
KAG_API int kag_verdict_assessment(const kag_verdict *v);
KAG_API int kag_verdict_outcome(const kag_verdict *v);
KAG_API int kag_verdict_severity(const kag_verdict *v);
/** The verdict's confidence (KAG_CONFIDENCE_*), following the evidence. A
 * judged verdict starts from the detector's confidence, which already
 * holds the steps the detector took itself for what it lacked (a body, a
 * user), and goes one step down, to LOW at the least, for each other field
 * listed in kag_verdict_missing() and for each decisive or wanted field of
 * the detector that a provider mapping inferred (listed in
 * kag_verdict_inferred(); inferred fields the detector does not name,
 * such as a GKE stage or response code, cost nothing). A needs_context
 * verdict is always LOW: the detector could not judge. -1 for NULL. */
KAG_API int kag_verdict_confidence(const kag_verdict *v);
KAG_API const char *kag_verdict_reason(const kag_verdict *v);
KAG_API const char *kag_verdict_audit_id(const kag_verdict *v);
/** "file.jsonl:12", or "" when the event had no source. */
KAG_API const char *kag_verdict_source(const kag_verdict *v);
KAG_API size_t kag_verdict_attack_count(const kag_verdict *v);
KAG_API const char *kag_verdict_attack(const kag_verdict *v, size_t i);
/** Decisive or wanted fields that were absent (native dotted names). */
KAG_API size_t kag_verdict_missing_count(const kag_verdict *v);
KAG_API const char *kag_verdict_missing(const kag_verdict *v, size_t i);
/** Fields a provider mapping filled in. */
KAG_API size_t kag_verdict_inferred_count(const kag_verdict *v);
KAG_API const char *kag_verdict_inferred(const kag_verdict *v, size_t i);
/** Correlated verdicts: number of events counted, else 0. */
KAG_API uint64_t kag_verdict_correlation_count(const kag_verdict *v);
/** A repeat window's aggregate: the number of repeats left out after the
 * verdict that opened the window (its JSON has a "repeats" member), else 0.
 * The aggregate is the last repeat's verdict. @since 0.2 */
KAG_API uint64_t kag_verdict_repeat_count(const kag_verdict *v);
/** The evidence object as JSON text (native field names): a NUL-terminated
 * copy of its own, stored after the verdict record (not a pointer into
 * kag_verdict_json()'s text, so a C string reader stops at its end);
 * *len_out, when not NULL, receives its length without the NUL. Borrowed,
 * valid as long as the verdict. */
KAG_API const char *kag_verdict_evidence_json(const kag_verdict *v, size_t *len_out);
/** The whole verdict record as one line of JSON (NUL-terminated, no trailing
 * newline; *len_out, when not NULL, receives its length without the NUL).
 * Borrowed, valid as long as the verdict. */
KAG_API const char *kag_verdict_json(const kag_verdict *v, size_t *len_out);

/** Record schemas for kag_verdict_render(). @since 0.3 */
enum kag_record_schema {
	KAG_SCHEMA_KAG = 0,  /**< kag's own record: kag_verdict_json()'s text */
	KAG_SCHEMA_OCSF = 1, /**< an OCSF 1.3.0 Detection Finding (class_uid
			      * 2004, activity Create) carrying the audit call
			      * as API Activity evidence */
	KAG_SCHEMA_ECS = 2   /**< an ECS 8.11 document: event.*, rule.*,
			      * threat.*, kubernetes.audit.*, and kag's own
			      * members under kag.* */
};

/** The verdict as one line of JSON in a record schema (KAG_SCHEMA_*):
 * NUL-terminated, no trailing newline. The mapping of every field is the
 * table in README "OCSF and ECS". Each record carries the verdict's stable
 * id (OCSF finding_info.uid and metadata.uid, ECS event.id), its schema's
 * version (OCSF metadata.version "1.3.0", ECS ecs.version "8.11.0") and
 * the registry's cluster when one is named (kag_registry_set_cluster()).
 * Like kag's record, no schema shows a request or response body, whatever
 * KAG_SOPT_INCLUDE_BODIES says, and the evidence is redacted the same way.
 *
 * An OCSF or ECS text is made when first asked for and kept with the
 * verdict, one per schema: asking again returns the same text, and the
 * judging path and kag_verdict_json() never pay for it. That makes this a
 * write to the verdict: call it from the thread that uses the verdict's
 * session, as every other session call.
 * @param out      set to the text: borrowed, valid as long as the verdict;
 *                 NULL on error
 * @param len_out  when not NULL, set to its length without the NUL
 * @param schema   a KAG_SCHEMA_* value
 * @return KAG_OK, KAG_EINVAL (NULL out or v, an unknown schema),
 *   KAG_ENOMEM.
 * @since 0.3 */
KAG_API int kag_verdict_render(const char **out, size_t *len_out, const kag_verdict *v,
			       int schema);
/** @} */

#ifdef __cplusplus
}
#endif

#endif /* KAG_H */
