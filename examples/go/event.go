package kag

/*
#include <stdlib.h>
#include <kag.h>
*/
import "C"

import (
	"encoding/json"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"sync/atomic"
	"unsafe"
)

// AuditEvent is a native audit.k8s.io/v1 Event (k8s.io/apiserver's
// pkg/apis/audit/v1 Event) reduced to the fields kag reads, with the same
// JSON names, so that encoding/json fills it from an audit log line and a
// collector can fill it from its own structs. Engine.JudgeEvent judges it
// without parsing a whole record: each member goes to the library as its
// own JSON text.
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

// member is one top-level member of a native Event that the library reads,
// and the AuditEvent field with its JSON name.
type member struct {
	name  string
	field []int // reflect index in AuditEvent
}

// members are the library's native members (kag_native_member_name), in
// the order its parser takes them, that AuditEvent carries. The library
// holds the member table; this only pairs its names with the struct's.
var members = func() []member {
	t := reflect.TypeOf(AuditEvent{})
	byName := map[string][]int{}
	for i := 0; i < t.NumField(); i++ {
		byName[jsonName(t.Field(i))] = t.Field(i).Index
	}
	var out []member
	n := int(C.kag_native_member_count())
	for i := 0; i < n; i++ {
		name := C.GoString(C.kag_native_member_name(C.size_t(i)))
		if idx, ok := byName[name]; ok {
			out = append(out, member{name, idx})
		}
	}
	return out
}()

// jsonName is a struct field's JSON member name (its tag's first part).
func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	return name
}

var rawMessage = reflect.TypeOf(json.RawMessage(nil))

// memberJSON is the JSON text of a value, or nil when it is absent: Go's
// zero value for strings and numbers, nil for pointers, slices and maps (a
// non-nil empty slice or map is present and empty), and "null" or nothing
// for a json.RawMessage. The members of a struct follow the same rule.
func memberJSON(v reflect.Value) ([]byte, error) {
	switch v.Kind() {
	case reflect.String:
		if v.Len() == 0 {
			return nil, nil
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if v.Int() == 0 {
			return nil, nil
		}
	case reflect.Pointer:
		if v.IsNil() {
			return nil, nil
		}
		return memberJSON(v.Elem())
	case reflect.Struct:
		obj := map[string]json.RawMessage{}
		for i := 0; i < v.NumField(); i++ {
			text, err := memberJSON(v.Field(i))
			if err != nil {
				return nil, err
			}
			if text != nil {
				obj[jsonName(v.Type().Field(i))] = text
			}
		}
		return json.Marshal(obj)
	case reflect.Slice, reflect.Map:
		if v.IsNil() {
			return nil, nil
		}
		if v.Type() == rawMessage {
			if raw := v.Bytes(); len(raw) > 0 && string(raw) != "null" {
				return raw, nil
			}
			return nil, nil
		}
	}
	return json.Marshal(v.Interface())
}

// builder fills a library event member by member through
// kag_event_set_member, which applies the parser's own member table and
// rules; each member goes over as its JSON text (a pointer and length into
// Go memory, which the library copies from).
type builder struct {
	ev *C.kag_event
}

// cstr is the address and length of s's bytes, for the duration of a call.
func cstr(s string) (*C.char, C.size_t) {
	if len(s) == 0 {
		return nil, 0
	}
	return (*C.char)(*(*unsafe.Pointer)(unsafe.Pointer(&s))), C.size_t(len(s))
}

// eventError is the library's error about the event being built.
func (b builder) eventError(rc C.int) error {
	return newError(rc, C.GoString(C.kag_event_error_message(b.ev)),
		C.GoString(C.kag_event_error_path(b.ev)))
}

func (b builder) member(name string, text []byte) error {
	np, nn := cstr(name)
	rc := C.kag_event_set_member(b.ev, np, nn, (*C.char)(unsafe.Pointer(&text[0])),
		C.size_t(len(text)))
	runtime.KeepAlive(text)
	if rc == C.KAG_EPARSE {
		return newError(rc, fmt.Sprintf("/%s: not valid JSON", name), "/"+name)
	}
	if rc < 0 {
		return b.eventError(rc)
	}
	return nil
}

// fill sets the members of ev in the order of the library's native front
// end.
func (b builder) fill(ev *AuditEvent) error {
	if err := check(C.kag_event_clear(b.ev)); err != nil {
		return err
	}
	v := reflect.ValueOf(ev).Elem()
	for _, m := range members {
		text, err := memberJSON(v.FieldByIndex(m.field))
		if err != nil {
			return newError(C.KAG_ESCHEMA, fmt.Sprintf("/%s: %v", m.name, err), "/"+m.name)
		}
		if text == nil {
			continue
		}
		if err := b.member(m.name, text); err != nil {
			return err
		}
	}
	if rc := C.kag_event_check_native(b.ev); rc < 0 {
		return b.eventError(rc)
	}
	return nil
}

// JudgeEvent judges one event the caller already holds as a struct (decoded
// by encoding/json, or filled from a collector's own types), in the
// engine's session: the same verdicts, in the same order, as the event
// parsed from its JSON line by a Reader with FormatNative, apart from
// Event.Format ("builder") and Event.Source (""). The members the library
// reads (kag_native_member_name) are set on a reusable library event, each
// as its JSON text (encoding/json; bodies as they are), by
// kag_event_set_member, which applies the parser's member table and rules.
// Strings are handed over as JSON, so invalid UTF-8 in them arrives as
// U+FFFD, as encoding/json writes it.
//
// Errors: ErrInval for a nil event; a *Error with ErrSchema's code and the
// parser's message when the event names none of verb, auditID, stage,
// requestURI, objectRef and user, or has a value the parser refuses (a nil
// user.extra list: "/user/extra/k: expected array, got null"); ErrParse
// (Path "/requestObject" or "/responseObject") for a body that is not
// valid JSON; ErrLimit for a member beyond the parser's default limits;
// ErrClosed.
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
