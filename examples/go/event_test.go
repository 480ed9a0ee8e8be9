package kag

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// The differential test: every JSON record of the corpus (tests/data, from
// $KAG_TEST_DATA, and examples/sample-audit.jsonl) is judged twice, by two
// engines: parsed from its bytes by a Reader (FormatNative), and decoded
// by encoding/json into an AuditEvent handed to JudgeEvent. The two verdict
// sequences, each ended by its flush, are equal (Event.Format and
// Event.Source apart), and so are the rejected records: the parser's
// rejections are, in the same order, either JudgeEvent errors with the
// same code, message and JSON pointer, or encoding/json type errors on the
// same field.

func corpusFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	root := dataPath(t, "")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && !strings.HasSuffix(p, ".md") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	return append(files, filepath.Join("..", "sample-audit.jsonl"))
}

// comparable is a verdict record without event.format and event.source.
func comparable(t *testing.T, v Verdict) map[string]interface{} {
	t.Helper()
	var m map[string]interface{}
	if err := json.Unmarshal(v.JSON, &m); err != nil {
		t.Fatal(err)
	}
	ev := m["event"].(map[string]interface{})
	delete(ev, "format")
	delete(ev, "source")
	// ObjectReference's members are omitempty: a member the record gives
	// as "" is absent when built
	if e, ok := m["evidence"].(map[string]interface{}); ok {
		if ref, ok := e["objectRef"].(map[string]interface{}); ok {
			for k, x := range ref {
				if x == "" {
					delete(ref, k)
				}
			}
		}
	}
	return m
}

func sameVerdicts(t *testing.T, where string, want, got []Verdict) {
	t.Helper()
	for i := 0; i < len(want) || i < len(got); i++ {
		if i >= len(want) || i >= len(got) {
			t.Fatalf("%s: %d verdicts parsed, %d built; first extra: %s", where, len(want),
				len(got), extraJSON(want, got, i))
		}
		w, g := comparable(t, want[i]), comparable(t, got[i])
		if !reflect.DeepEqual(w, g) {
			t.Fatalf("%s: verdict %d differs\nparsed: %s\nbuilt:  %s", where, i,
				want[i].JSON, got[i].JSON)
		}
	}
}

func extraJSON(want, got []Verdict, i int) string {
	if i < len(want) {
		return string(want[i].JSON)
	}
	return string(got[i].JSON)
}

var linePrefix = regexp.MustCompile(`^line \d+: `)

// corpusRecord is one JSON record as a collector would decode it; prefix is
// its JSON pointer inside the parsed document (items of a JSON array).
type corpusRecord struct {
	raw    []byte
	prefix string
}

// records splits a corpus file the way the parser frames it: one JSON
// document, or JSON lines (after a node-name prefix, as oc adm node-logs
// writes them). stream is what the parser reads: the kept lines.
func records(data []byte) (recs []corpusRecord, stream []byte) {
	if json.Valid(data) {
		trimmed := bytes.TrimSpace(data)
		if len(trimmed) > 0 && trimmed[0] == '[' {
			var items []json.RawMessage
			if err := json.Unmarshal(trimmed, &items); err == nil {
				for i, it := range items {
					recs = append(recs, corpusRecord{it, fmt.Sprintf("/%d", i)})
				}
				return recs, data
			}
		}
		return []corpusRecord{{raw: trimmed}}, data
	}
	var kept [][]byte
	for _, line := range bytes.Split(data, []byte("\n")) {
		line = bytes.TrimRight(line, "\r")
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		raw := line
		if !json.Valid(raw) {
			brace := bytes.IndexByte(line, '{')
			if brace <= 0 || !json.Valid(line[brace:]) {
				continue // not JSON: nothing a collector could decode
			}
			raw = line[brace:]
		}
		recs = append(recs, corpusRecord{raw: raw})
		kept = append(kept, line)
	}
	return recs, append(bytes.Join(kept, []byte("\n")), '\n')
}

type corpusTotals struct {
	files, records, verdicts, rejected, unmarshalErrors, bodies int
	detectors                                                   map[string]bool
}

func TestJudgeEventCorpus(t *testing.T) {
	tot := corpusTotals{detectors: map[string]bool{}}
	for _, path := range corpusFiles(t) {
		rel, _ := filepath.Rel(dataPath(t, ""), path)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		recs, stream := records(data)
		compareFile(t, rel, recs, stream, &tot)
		tot.files++
		tot.records += len(recs)
	}
	t.Logf("corpus through JudgeEvent: %d files, %d records, %d verdicts, %d rejected "+
		"(%d by encoding/json), %d with bodies, %d detectors", tot.files, tot.records,
		tot.verdicts, tot.rejected, tot.unmarshalErrors, tot.bodies, len(tot.detectors))
	// The corpus was found and every path was taken.
	if tot.files < 55 || tot.records < 650 || tot.verdicts < 200 || tot.rejected < 300 ||
		tot.unmarshalErrors < 1 || tot.bodies < 100 || len(tot.detectors) < 12 {
		t.Fatalf("corpus too small: %+v", tot)
	}
}

func compareFile(t *testing.T, rel string, recs []corpusRecord, stream []byte, tot *corpusTotals) {
	t.Helper()
	parsed := newEngine(t, Options{Format: FormatNative, IncludeBodies: true})
	made := newEngine(t, Options{IncludeBodies: true})
	defer parsed.Close()
	defer made.Close()

	want, rejected, err := parsed.Judge(stream, "")
	if err != nil {
		t.Fatal(err)
	}
	var got []Verdict
	var errs []error
	var prefixes []string
	for _, r := range recs {
		var ev AuditEvent
		if err := json.Unmarshal(r.raw, &ev); err != nil {
			errs, prefixes = append(errs, err), append(prefixes, r.prefix)
			continue
		}
		if ev.RequestObject != nil || ev.ResponseObject != nil {
			tot.bodies++
		}
		vs, err := made.JudgeEvent(&ev)
		if err != nil {
			errs, prefixes = append(errs, err), append(prefixes, r.prefix)
			continue
		}
		got = append(got, vs...)
	}
	rest, err := made.Flush()
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, rest...)
	sameVerdicts(t, rel, want, got)
	for _, v := range got {
		tot.detectors[v.Detector] = true
	}
	tot.verdicts += len(got)

	if len(rejected) != len(errs) {
		t.Fatalf("%s: the parser rejected %d records, the built path %d (%v)", rel,
			len(rejected), len(errs), errs)
	}
	for i, rerr := range rejected {
		msg := linePrefix.ReplaceAllString(rerr.Err.Message, "")
		var kerr *Error
		var terr *json.UnmarshalTypeError
		switch {
		case errors.As(errs[i], &kerr):
			wantMsg := kerr.Message
			if kerr.Path != "" && strings.HasPrefix(wantMsg, kerr.Path) {
				wantMsg = prefixes[i] + wantMsg
			}
			if kerr.Code != rerr.Err.Code || kerr.Path != strings.TrimPrefix(rerr.Err.Path, prefixes[i]) ||
				wantMsg != msg {
				t.Fatalf("%s: rejection %d: parser %s (path %q), built %s (path %q)", rel, i,
					rerr.Err, rerr.Err.Path, kerr, kerr.Path)
			}
		case errors.As(errs[i], &terr):
			// encoding/json names the field by its dotted path; the parser
			// by a JSON pointer to it or into it.
			ptr := prefixes[i] + "/" + strings.ReplaceAll(terr.Field, ".", "/")
			if rerr.Err.Code != ErrSchema.Code || !strings.HasPrefix(rerr.Err.Path, ptr) {
				t.Fatalf("%s: rejection %d: parser %s (path %q), encoding/json %v", rel, i,
					rerr.Err, rerr.Err.Path, terr)
			}
			tot.unmarshalErrors++
		default:
			t.Fatalf("%s: rejection %d: unexpected error %v", rel, i, errs[i])
		}
	}
	tot.rejected += len(rejected)

	a, b := parsed.Stats(), made.Stats()
	if a.Evaluated != b.Evaluated || a.Verdicts != b.Verdicts || a.Duplicates != b.Duplicates ||
		a.Deferred != b.Deferred {
		t.Fatalf("%s: session counters differ: parsed %+v, built %+v", rel, a, b)
	}
}

// ---- JudgeEvent on its own ----

func execEvent() *AuditEvent {
	return &AuditEvent{
		Kind: "Event", APIVersion: "audit.k8s.io/v1", AuditID: "a-1",
		Stage: "ResponseStarted", Level: "Request", Verb: "create",
		RequestURI: "/api/v1/namespaces/prod/pods/api-7f9/exec?command=sh",
		User: &UserInfo{Username: "alice@example.com", Groups: []string{"devs"},
			Extra: map[string]ExtraValue{"scopes": {"a", "b"}, "id": {"c"}}},
		SourceIPs: []string{"203.0.113.10"},
		ObjectRef: &ObjectReference{Resource: "pods", Subresource: "exec",
			Namespace: "prod", Name: "api-7f9", APIVersion: "v1"},
		ResponseStatus: &ResponseStatus{Code: 101},
		Annotations:    map[string]string{"authorization.k8s.io/decision": "allow", "b": "c"},
		StageTimestamp: "2024-05-01T10:00:00.123456Z",
	}
}

// parseOne judges a JSON line with a Reader (FormatNative) in a new engine.
func parseOne(t *testing.T, opt Options, line []byte) ([]Verdict, []*RecordError) {
	t.Helper()
	opt.Format = FormatNative
	e := newEngine(t, opt)
	vs, rejected, err := e.Judge(line, "")
	if err != nil {
		t.Fatal(err)
	}
	return vs, rejected
}

func judgeOne(t *testing.T, opt Options, ev *AuditEvent) []Verdict {
	t.Helper()
	e := newEngine(t, opt)
	vs, err := e.JudgeEvent(ev)
	if err != nil {
		t.Fatal(err)
	}
	rest, err := e.Flush()
	if err != nil {
		t.Fatal(err)
	}
	return append(vs, rest...)
}

func TestJudgeEventSameAsParsing(t *testing.T) {
	ev := execEvent()
	line, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	want, rejected := parseOne(t, Options{}, line)
	if len(rejected) != 0 {
		t.Fatal(rejected)
	}
	got := judgeOne(t, Options{}, ev)
	sameVerdicts(t, "exec", want, got)
	if len(got) != 1 || got[0].Detector != "interactive_access" ||
		got[0].Assessment != "suspicious" || got[0].Outcome != "in_progress" {
		t.Fatalf("got %+v", got)
	}
	if got[0].Event.Format != "builder" || got[0].Event.Source != "" {
		t.Fatalf("event %+v", got[0].Event)
	}
	m := evidence(t, &got[0])
	extra := m["user"].(map[string]interface{})["extra"]
	if !reflect.DeepEqual(extra, map[string]interface{}{"id": []interface{}{"c"},
		"scopes": []interface{}{"a", "b"}}) {
		t.Fatalf("extra %v", extra)
	}
}

// Empty strings and zero codes are absent, as in the Kubernetes types; nil
// lists and maps are absent, empty ones present.
func TestJudgeEventPresence(t *testing.T) {
	fields := []string{"user", "user.extra", "impersonatedUser", "objectRef",
		"responseStatus", "responseStatus.code", "annotations", "requestObject", "verb",
		"userAgent"}
	var rules struct {
		Version int                      `json:"version"`
		Rules   []map[string]interface{} `json:"rules"`
	}
	rules.Version = 1
	for _, f := range fields {
		rules.Rules = append(rules.Rules, map[string]interface{}{
			"id": "has_" + strings.ReplaceAll(f, ".", "_"), "title": "has " + f,
			"assessment": "suspicious", "severity": "low",
			"match": map[string]interface{}{"field": f, "exists": true}})
	}
	doc, _ := json.Marshal(rules)
	opt := Options{Rules: doc, IncludeBodies: true}
	ids := func(vs []Verdict) []string {
		var out []string
		for _, v := range vs {
			out = append(out, v.Detector)
		}
		sort.Strings(out)
		return out
	}
	cases := []struct {
		ev   AuditEvent
		line string
		want []string
	}{
		{AuditEvent{AuditID: "p-1", UserAgent: "", ResponseStatus: &ResponseStatus{}},
			`{"auditID":"p-1","responseStatus":{}}`, []string{"has_responseStatus"}},
		{AuditEvent{Verb: "get", User: &UserInfo{Extra: map[string]ExtraValue{}},
			ImpersonatedUser: &UserInfo{}, ObjectRef: &ObjectReference{},
			Annotations: map[string]string{}, SourceIPs: []string{},
			RequestObject: json.RawMessage(`{}`)},
			`{"verb":"get","user":{"extra":{}},"impersonatedUser":{},"objectRef":{},` +
				`"annotations":{},"sourceIPs":[],"requestObject":{}}`,
			[]string{"has_annotations", "has_impersonatedUser", "has_objectRef",
				"has_requestObject", "has_user", "has_user_extra", "has_verb", "impersonation"}},
		{AuditEvent{Verb: "get", ResponseStatus: &ResponseStatus{Code: 403},
			RequestObject: json.RawMessage("null")},
			`{"verb":"get","responseStatus":{"code":403},"requestObject":null}`,
			[]string{"has_responseStatus", "has_responseStatus_code", "has_verb",
				"rbac_probing"}},
	}
	for i, c := range cases {
		want, rejected := parseOne(t, opt, []byte(c.line))
		if len(rejected) != 0 {
			t.Fatal(rejected)
		}
		got := judgeOne(t, opt, &c.ev)
		sameVerdicts(t, fmt.Sprint("case ", i), want, got)
		if !reflect.DeepEqual(ids(got), c.want) {
			t.Fatalf("case %d: %v, want %v", i, ids(got), c.want)
		}
		// empty lists stay lists in the evidence
		if c.ev.SourceIPs != nil {
			if ips := evidence(t, &got[0])["sourceIPs"]; !reflect.DeepEqual(ips, []interface{}{}) {
				t.Fatalf("sourceIPs %v", ips)
			}
		}
	}
}

// notAnEvent is the parser's message for a record naming none of the
// fields that identify an audit event.
const notAnEvent = "not an audit event: none of verb, auditID, stage, requestURI, " +
	"objectRef, user is present"

func TestJudgeEventErrors(t *testing.T) {
	e := newEngine(t, Options{})
	if _, err := e.JudgeEvent(nil); !errors.Is(err, ErrInval) ||
		err.Error() != "KAG_EINVAL: JudgeEvent: nil event" {
		t.Fatalf("nil event: %v", err)
	}

	// Not an audit event: the parser's error, word for word.
	_, rejected := parseOne(t, Options{}, []byte(`{"kind":"Event","userAgent":"kubectl"}`))
	_, err := e.JudgeEvent(&AuditEvent{Kind: "Event", UserAgent: "kubectl",
		SourceIPs: []string{"10.0.0.1"}, Annotations: map[string]string{}})
	var kerr *Error
	if !errors.As(err, &kerr) || !errors.Is(err, ErrSchema) || kerr.Path != "" ||
		kerr.Message != notAnEvent || len(rejected) != 1 ||
		rejected[0].Err.Message != notAnEvent {
		t.Fatalf("not an event: %v; parser %v", err, rejected)
	}
	if err.Error() != "KAG_ESCHEMA: not an audit event: none of verb, auditID, stage, "+
		"requestURI, objectRef, user is present" {
		t.Fatalf("message %q", err)
	}

	// A body that is not JSON.
	for _, c := range []struct {
		ev   AuditEvent
		want string
		path string
	}{
		{AuditEvent{Verb: "get", RequestObject: json.RawMessage(`{"a":`)},
			"KAG_EPARSE: /requestObject: not valid JSON", "/requestObject"},
		{AuditEvent{Verb: "get", ResponseObject: json.RawMessage(`nul`)},
			"KAG_EPARSE: /responseObject: not valid JSON", "/responseObject"},
	} {
		_, err := e.JudgeEvent(&c.ev)
		if !errors.As(err, &kerr) || !errors.Is(err, ErrParse) || err.Error() != c.want ||
			kerr.Path != c.path {
			t.Fatalf("bad body: %v (path %q), want %s", err, kerr.Path, c.want)
		}
	}

	// The engine goes on after an error.
	vs, err := e.JudgeEvent(execEvent())
	if err != nil || len(vs) != 1 || vs[0].Detector != "interactive_access" {
		t.Fatalf("after errors: %v %v", vs, err)
	}

	// Wrong JSON types fail in encoding/json, naming the field, before any
	// judging; the parser rejects the same lines.
	for _, c := range []struct{ line, want, path string }{
		{`{"verb":5}`, "json: cannot unmarshal number into Go struct field AuditEvent.verb of type string", "/verb"},
		{`{"kind":0}`, "json: cannot unmarshal number into Go struct field AuditEvent.kind of type string", "/kind"},
		{`{"verb":"get","sourceIPs":"10.0.0.1"}`, "json: cannot unmarshal string into Go struct field AuditEvent.sourceIPs of type []string", "/sourceIPs"},
		{`{"verb":"get","user":{"username":["a"]}}`, "json: cannot unmarshal array into Go struct field UserInfo.user.username of type string", "/user/username"},
		{`{"verb":"get","user":{"extra":{"k":5}}}`, "json: cannot unmarshal number into Go struct field UserInfo.user.extra of type []string", "/user/extra/k"},
		{`{"verb":"get","responseStatus":{"code":"403"}}`, "json: cannot unmarshal string into Go struct field ResponseStatus.responseStatus.code of type int32", "/responseStatus/code"},
		{`{"verb":"get","annotations":{"a":1}}`, "json: cannot unmarshal number into Go struct field AuditEvent.annotations of type string", "/annotations/a"},
	} {
		var ev AuditEvent
		err := json.Unmarshal([]byte(c.line), &ev)
		if err == nil || err.Error() != c.want {
			t.Fatalf("%s: %v, want %s", c.line, err, c.want)
		}
		_, rejected := parseOne(t, Options{}, []byte(c.line))
		if len(rejected) != 1 || rejected[0].Err.Path != c.path || !errors.Is(rejected[0], ErrSchema) {
			t.Fatalf("%s: parser %v", c.line, rejected)
		}
	}

	e.Close()
	if _, err := e.JudgeEvent(execEvent()); err != ErrClosed {
		t.Fatalf("closed: %v", err)
	}
	if _, err := e.Flush(); err != ErrClosed {
		t.Fatalf("closed flush: %v", err)
	}
}

// Each identifying field alone makes an event, as for the parser.
func TestJudgeEventIdentifyingFields(t *testing.T) {
	cases := []struct {
		ev   AuditEvent
		line string
	}{
		{AuditEvent{Verb: "get"}, `{"verb":"get"}`},
		{AuditEvent{AuditID: "i-1"}, `{"auditID":"i-1"}`},
		{AuditEvent{Stage: "ResponseComplete"}, `{"stage":"ResponseComplete"}`},
		{AuditEvent{RequestURI: "/healthz"}, `{"requestURI":"/healthz"}`},
		{AuditEvent{ObjectRef: &ObjectReference{}}, `{"objectRef":{}}`},
		{AuditEvent{User: &UserInfo{}}, `{"user":{}}`},
	}
	e := newEngine(t, Options{})
	for _, c := range cases {
		if _, rejected := parseOne(t, Options{}, []byte(c.line)); len(rejected) != 0 {
			t.Fatalf("%s: parser %v", c.line, rejected)
		}
		if _, err := e.JudgeEvent(&c.ev); err != nil {
			t.Fatalf("%s: %v", c.line, err)
		}
	}
}

// An extra value given as one string decodes as a list of one, as the
// parser reads it.
func TestExtraValueSingleString(t *testing.T) {
	line := []byte(`{"verb":"get","user":{"username":"u","extra":{"a":"x","b":["y","z"],"c":[]}},` +
		`"objectRef":{"resource":"secrets","namespace":"prod"},"responseStatus":{"code":200}}`)
	var ev AuditEvent
	if err := json.Unmarshal(line, &ev); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ev.User.Extra, map[string]ExtraValue{"a": {"x"}, "b": {"y", "z"}, "c": {}}) {
		t.Fatalf("extra %#v", ev.User.Extra)
	}
	want, _ := parseOne(t, Options{}, line)
	got := judgeOne(t, Options{}, &ev)
	if len(want) == 0 {
		t.Fatal("no verdicts to compare")
	}
	sameVerdicts(t, "extra", want, got)
}

// A request seen only at RequestReceived is held, as in a parsed stream,
// and Flush releases it; later stages of a judged request are duplicates.
func TestJudgeEventStream(t *testing.T) {
	e := newEngine(t, Options{})
	received := execEvent()
	received.AuditID, received.Stage, received.ResponseStatus = "h-1", "RequestReceived", nil
	vs, err := e.JudgeEvent(received)
	if err != nil || len(vs) != 0 {
		t.Fatalf("held: %v %v", vs, err)
	}
	started := execEvent()
	started.AuditID = "h-2"
	if vs, err = e.JudgeEvent(started); err != nil || len(vs) != 1 || vs[0].Event.AuditID != "h-2" {
		t.Fatalf("h-2: %v %v", vs, err)
	}
	complete := execEvent()
	complete.AuditID, complete.Stage = "h-2", "ResponseComplete"
	if vs, err = e.JudgeEvent(complete); err != nil || len(vs) != 0 {
		t.Fatalf("duplicate: %v %v", vs, err)
	}
	if vs, err = e.Flush(); err != nil || len(vs) != 1 || vs[0].Event.AuditID != "h-1" {
		t.Fatalf("flush: %v %v", vs, err)
	}
	st := e.Stats()
	if st.Deferred != 1 || st.Duplicates != 1 || st.Evaluated != 3 {
		t.Fatalf("stats %+v", st)
	}
}
