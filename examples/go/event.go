package kag

/*
#include <stdlib.h>
#include <kag.h>
*/
import "C"

import (
	"encoding/json"
	"fmt"
	"runtime"
	"sort"
	"sync/atomic"
	"unsafe"
)

// AuditEvent is a native audit.k8s.io/v1 Event (k8s.io/apiserver's
// pkg/apis/audit/v1 Event) reduced to the fields kag reads, with the same
// JSON names, so that encoding/json fills it from an audit log line and a
// collector can fill it from its own structs. Engine.JudgeEvent judges it
// without going through JSON again.
//
// Presence follows Go's zero values, as in the Kubernetes types (whose
// fields are omitempty): an empty string and a zero Code are absent
// fields; a nil pointer, slice or map is an absent object or list; a
// non-nil empty slice or map is present and empty ("groups": []). Unlike
// the Kubernetes type, User is a pointer, so that an event without a user
// object can be told from one with an empty one. The v1beta1 "timestamp"
// field is read too. Note that encoding/json matches keys
// case-insensitively ("Verb" fills Verb), where the parser reads exact
// names only.
type AuditEvent struct {
	Kind       string `json:"kind,omitempty"`       // not judged; checked to be a string
	APIVersion string `json:"apiVersion,omitempty"` // not judged; checked to be a string
	Level      string `json:"level,omitempty"`
	AuditID    string `json:"auditID,omitempty"`
	Stage      string `json:"stage,omitempty"`
	RequestURI string `json:"requestURI,omitempty"`
	Verb       string `json:"verb,omitempty"`

	User             *UserInfo `json:"user,omitempty"`
	ImpersonatedUser *UserInfo `json:"impersonatedUser,omitempty"`
	SourceIPs        []string  `json:"sourceIPs,omitempty"`
	UserAgent        string    `json:"userAgent,omitempty"`

	ObjectRef      *ObjectReference `json:"objectRef,omitempty"`
	ResponseStatus *ResponseStatus  `json:"responseStatus,omitempty"`

	// Bodies stay JSON text; "null" counts as absent.
	RequestObject  json.RawMessage `json:"requestObject,omitempty"`
	ResponseObject json.RawMessage `json:"responseObject,omitempty"`

	RequestReceivedTimestamp string `json:"requestReceivedTimestamp,omitempty"`
	StageTimestamp           string `json:"stageTimestamp,omitempty"`
	Timestamp                string `json:"timestamp,omitempty"` // v1beta1

	Annotations map[string]string `json:"annotations,omitempty"`
}

// UserInfo is authentication.k8s.io/v1 UserInfo.
type UserInfo struct {
	Username string                `json:"username,omitempty"`
	UID      string                `json:"uid,omitempty"`
	Groups   []string              `json:"groups,omitempty"`
	Extra    map[string]ExtraValue `json:"extra,omitempty"`
}

// ExtraValue is one user.extra entry: a list of strings. Decoding also
// accepts a single string, as the library's parser does.
type ExtraValue []string

// UnmarshalJSON decodes a list of strings, or one string as a list of one.
func (v *ExtraValue) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*v = ExtraValue{s}
		return nil
	}
	var l []string
	if err := json.Unmarshal(b, &l); err != nil {
		return err
	}
	*v = l
	return nil
}

// ObjectReference is the audit event's objectRef.
type ObjectReference struct {
	Resource    string `json:"resource,omitempty"`
	Subresource string `json:"subresource,omitempty"`
	Namespace   string `json:"namespace,omitempty"`
	Name        string `json:"name,omitempty"`
	APIGroup    string `json:"apiGroup,omitempty"`
	APIVersion  string `json:"apiVersion,omitempty"`
}

// ResponseStatus is the part of the event's responseStatus (a
// meta/v1 Status) that kag reads.
type ResponseStatus struct {
	Code    int32  `json:"code,omitempty"`
	Status  string `json:"status,omitempty"`
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
}

// notAnEvent is the parser's message for a record naming none of the
// fields that identify an audit event.
const notAnEvent = "not an audit event: none of verb, auditID, stage, requestURI, " +
	"objectRef, user is present"

// builder fills a library event through the builder API. Strings are
// handed over as pointer and length into Go memory (the library copies
// them), so no C string is allocated per field.
type builder struct {
	ev *C.kag_event
}

const observed = C.int(C.KAG_STATE_OBSERVED)

// cstr is the address and length of s's bytes, for the duration of a call.
func cstr(s string) (*C.char, C.size_t) {
	if len(s) == 0 {
		return nil, 0
	}
	return (*C.char)(*(*unsafe.Pointer)(unsafe.Pointer(&s))), C.size_t(len(s))
}

func (b builder) str(field C.int, s string) error {
	if s == "" {
		return nil
	}
	p, n := cstr(s)
	return check(C.kag_event_set_string(b.ev, field, p, n, observed))
}

func (b builder) present(field C.int) error {
	return check(C.kag_event_set_present(b.ev, field, observed))
}

func (b builder) list(field C.int, items []string) error {
	if items == nil {
		return nil
	}
	if len(items) == 0 {
		return b.present(field)
	}
	for _, it := range items {
		p, n := cstr(it)
		if err := check(C.kag_event_add_item(b.ev, field, p, n, observed)); err != nil {
			return err
		}
	}
	return nil
}

func (b builder) pair(field C.int, k, v string) error {
	kp, kn := cstr(k)
	vp, vn := cstr(v)
	return check(C.kag_event_add_pair(b.ev, field, kp, kn, vp, vn, observed))
}

// sortedKeys gives map entries a fixed order (the parser keeps the
// record's order, which a Go map does not have).
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// strField is a string field and its value, for strs.
type strField struct {
	field C.int
	s     string
}

// strs sets each string field in turn (an empty value is left absent).
func (b builder) strs(fs ...strField) error {
	for _, f := range fs {
		if err := b.str(f.field, f.s); err != nil {
			return err
		}
	}
	return nil
}

func (b builder) user(u *UserInfo, base C.int) error {
	if u == nil {
		return nil
	}
	// base is KAG_FIELD_USER or KAG_FIELD_IMP_USER; username, uid, groups
	// and extra follow it in that order for both.
	if err := b.present(base); err != nil {
		return err
	}
	if err := b.strs(strField{base + 1, u.Username}, strField{base + 2, u.UID}); err != nil {
		return err
	}
	if err := b.list(base+3, u.Groups); err != nil {
		return err
	}
	if u.Extra == nil {
		return nil
	}
	if err := b.present(base + 4); err != nil {
		return err
	}
	for _, k := range sortedKeys(u.Extra) {
		for _, v := range u.Extra[k] {
			if err := b.pair(base+4, k, v); err != nil {
				return err
			}
		}
	}
	return nil
}

func (b builder) body(field C.int, name string, raw json.RawMessage) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	rc := C.kag_event_set_string(b.ev, field, (*C.char)(unsafe.Pointer(&raw[0])),
		C.size_t(len(raw)), observed)
	if rc == C.KAG_EPARSE {
		return newError(rc, fmt.Sprintf("/%s: not valid JSON", name), "/"+name)
	}
	return check(rc)
}

// fill sets the fields of ev in the order of the library's native front
// end.
func (b builder) fill(ev *AuditEvent) error {
	if err := check(C.kag_event_clear(b.ev)); err != nil {
		return err
	}
	if err := b.strs(
		strField{C.KAG_FIELD_AUDIT_ID, ev.AuditID},
		strField{C.KAG_FIELD_STAGE, ev.Stage},
		strField{C.KAG_FIELD_LEVEL, ev.Level},
		strField{C.KAG_FIELD_VERB, ev.Verb},
		strField{C.KAG_FIELD_REQUEST_URI, ev.RequestURI},
		strField{C.KAG_FIELD_USER_AGENT, ev.UserAgent},
		strField{C.KAG_FIELD_REQUEST_RECEIVED_TS, ev.RequestReceivedTimestamp},
		strField{C.KAG_FIELD_STAGE_TS, ev.StageTimestamp},
		strField{C.KAG_FIELD_TIMESTAMP, ev.Timestamp},
	); err != nil {
		return err
	}
	if err := b.user(ev.User, C.KAG_FIELD_USER); err != nil {
		return err
	}
	if err := b.user(ev.ImpersonatedUser, C.KAG_FIELD_IMP_USER); err != nil {
		return err
	}
	if err := b.list(C.KAG_FIELD_SOURCE_IPS, ev.SourceIPs); err != nil {
		return err
	}
	if o := ev.ObjectRef; o != nil {
		if err := b.present(C.KAG_FIELD_OBJECT_REF); err != nil {
			return err
		}
		if err := b.strs(
			strField{C.KAG_FIELD_OBJ_RESOURCE, o.Resource},
			strField{C.KAG_FIELD_OBJ_SUBRESOURCE, o.Subresource},
			strField{C.KAG_FIELD_OBJ_NAMESPACE, o.Namespace},
			strField{C.KAG_FIELD_OBJ_NAME, o.Name},
			strField{C.KAG_FIELD_OBJ_API_GROUP, o.APIGroup},
			strField{C.KAG_FIELD_OBJ_API_VERSION, o.APIVersion},
		); err != nil {
			return err
		}
	}
	if st := ev.ResponseStatus; st != nil {
		if err := b.present(C.KAG_FIELD_RESPONSE_STATUS); err != nil {
			return err
		}
		if st.Code != 0 {
			if err := check(C.kag_event_set_int(b.ev, C.KAG_FIELD_RESPONSE_CODE,
				C.int64_t(st.Code), observed)); err != nil {
				return err
			}
		}
		if err := b.strs(
			strField{C.KAG_FIELD_RESPONSE_REASON, st.Reason},
			strField{C.KAG_FIELD_RESPONSE_MESSAGE, st.Message},
			strField{C.KAG_FIELD_RESPONSE_STATUS_TEXT, st.Status},
		); err != nil {
			return err
		}
	}
	if ev.Annotations != nil {
		if err := b.present(C.KAG_FIELD_ANNOTATIONS); err != nil {
			return err
		}
		for _, k := range sortedKeys(ev.Annotations) {
			if err := b.pair(C.KAG_FIELD_ANNOTATIONS, k, ev.Annotations[k]); err != nil {
				return err
			}
		}
	}
	if err := b.body(C.KAG_FIELD_REQUEST_OBJECT, "requestObject", ev.RequestObject); err != nil {
		return err
	}
	if err := b.body(C.KAG_FIELD_RESPONSE_OBJECT, "responseObject", ev.ResponseObject); err != nil {
		return err
	}
	if ev.Verb == "" && ev.AuditID == "" && ev.Stage == "" && ev.RequestURI == "" &&
		ev.ObjectRef == nil && ev.User == nil {
		return newError(C.KAG_ESCHEMA, notAnEvent, "")
	}
	return nil
}

// JudgeEvent judges one event the caller already holds as a struct (decoded
// by encoding/json, or filled from a collector's own types), in the
// engine's session: the same verdicts, in the same order, as the event
// parsed from its JSON line by a Reader with FormatNative, apart from
// Event.Format ("builder") and Event.Source (""). The fields are set on a
// reusable library event through the builder API; bodies are handed over
// as their JSON text.
//
// Errors: ErrInval for a nil event; a *Error with ErrSchema's code and the
// parser's message when the event names none of verb, auditID, stage,
// requestURI, objectRef and user; ErrParse (Path "/requestObject" or
// "/responseObject") for a body that is not valid JSON; ErrClosed.
//
// The verdicts may include some of earlier requests seen only at
// RequestReceived; Flush returns the rest of them at the end of a stream.
func (e *Engine) JudgeEvent(ev *AuditEvent) ([]Verdict, error) {
	if ev == nil {
		return nil, newError(C.KAG_EINVAL, "JudgeEvent: nil event", "")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.s == nil {
		return nil, ErrClosed
	}
	if e.ev == nil {
		if err := check(C.kag_event_new(&e.ev)); err != nil {
			return nil, err
		}
		atomic.AddInt64(&live, 1)
	}
	if err := (builder{e.ev}).fill(ev); err != nil {
		return nil, err
	}
	var res *C.kag_result
	if err := check(C.kag_session_evaluate(&res, e.s, e.ev)); err != nil {
		return nil, err
	}
	items, err := appendResult(nil, res)
	runtime.KeepAlive(e)
	return verdictsOf(items), err
}

// Flush ends a stream of JudgeEvent calls: it returns the verdicts still
// held for requests seen only at RequestReceived (kag_session_flush). A
// Reader does this itself at the end of its input.
func (e *Engine) Flush() ([]Verdict, error) {
	items, err := e.flush(nil)
	return verdictsOf(items), err
}

func verdictsOf(items []item) []Verdict {
	out := make([]Verdict, 0, len(items))
	for _, it := range items {
		out = append(out, *it.v)
	}
	return out
}
