package kag

// The secret-marker suite (tests/secrets) through the Go binding: the
// streams tests/secrets/markers.py writes plant a unique marker in every
// place a credential can hide; no verdict, error or error message may hold
// one, with bodies opted in or not. meson points KAG_SECRET_STREAMS at the
// streams (tests/consumers/meson.build); without it the test is skipped.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// Every record must be judged and shown: repeats are returned as they come
// (the default policy counts a repeat in its window instead).
var noRepeats = []byte(`{"version": 1, "windows": {"repeat": 0}}`)

type markerStream struct {
	Shape       string   `json:"shape"`
	Records     int      `json:"records"`
	Events      []string `json:"events"`
	URI         []string `json:"uri"`
	Exec        []string `json:"exec"`
	Bodies      []string `json:"bodies"`
	Annotations []string `json:"annotations"`
	Probing     bool     `json:"probing"`
	Errors      int      `json:"errors"`
}

type markerMeta struct {
	Suffix  string `json:"suffix"`
	Markers []struct {
		Marker string `json:"marker"`
		Place  string `json:"place"`
	} `json:"markers"`
	Streams map[string]markerStream `json:"streams"`
}

type markerSuite struct {
	dir    string
	meta   markerMeta
	places map[string]string
	re     *regexp.Regexp
}

func loadMarkers(t *testing.T) *markerSuite {
	dir := os.Getenv("KAG_SECRET_STREAMS")
	if dir == "" {
		t.Skip("KAG_SECRET_STREAMS is not set (the streams of tests/secrets/markers.py)")
	}
	b, err := os.ReadFile(filepath.Join(dir, "markers.json"))
	if err != nil {
		t.Fatal(err)
	}
	s := &markerSuite{dir: dir, places: map[string]string{}}
	if err := json.Unmarshal(b, &s.meta); err != nil {
		t.Fatal(err)
	}
	for _, m := range s.meta.Markers {
		s.places[m.Marker] = m.Place
	}
	if len(s.places) < 100 || len(s.meta.Streams) < 9 {
		t.Fatalf("too few markers (%d) or streams (%d)", len(s.places), len(s.meta.Streams))
	}
	s.re = regexp.MustCompile(`KAGSECRET-[A-Za-z0-9_-]+-` + s.meta.Suffix +
		`|AKIAKAGSECRET[0-9]{3}` + strings.ToUpper(s.meta.Suffix))
	return s
}

// noMarker fails when out holds a marker, or a piece of one, naming the
// places they were planted in.
func (s *markerSuite) noMarker(t *testing.T, what string, out []byte) {
	t.Helper()
	i := bytes.Index(out, []byte("KAGSECRET"))
	if i < 0 {
		return
	}
	found := map[string]bool{}
	for _, m := range s.re.FindAll(out, -1) {
		found[s.places[string(m)]] = true
	}
	var places []string
	for p := range found {
		places = append(places, p)
	}
	sort.Strings(places)
	lo, hi := i-120, i+60
	if lo < 0 {
		lo = 0
	}
	if hi > len(out) {
		hi = len(out)
	}
	t.Errorf("%s leaks markers of %v, e.g. ...%q...", what, places, out[lo:hi])
}

// readAll judges a stream with a Reader: its verdicts, and its verdicts
// and error texts as one text.
func readAll(t *testing.T, e *Engine, in io.Reader,
	source string) ([]*Verdict, []*RecordError, []byte) {
	t.Helper()
	rd, err := e.NewReader(in, source)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	var out bytes.Buffer
	var vs []*Verdict
	var rejected []*RecordError
	for {
		v, err := rd.Next()
		if err == io.EOF {
			break
		}
		var rerr *RecordError
		if errors.As(err, &rerr) {
			rejected = append(rejected, rerr)
			fmt.Fprintf(&out, "%v|%s|%s|%s\n", rerr, rerr.Err.Message, rerr.Err.Path, rerr.Source)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
		out.Write(v.JSON)
		out.WriteByte('\n')
	}
	return vs, rejected, out.Bytes()
}

// checkVerdicts: what must have been judged was, as it must have been.
func checkVerdicts(t *testing.T, what string, st markerStream, vs []*Verdict, bodies bool) {
	t.Helper()
	byID := map[string][]*Verdict{}
	for _, v := range vs {
		byID[v.Event.AuditID] = append(byID[v.Event.AuditID], v)
	}
	for _, id := range st.Exec {
		found := false
		for _, v := range byID[id] {
			if v.Detector == "interactive_access" {
				found = strings.Contains(string(v.Evidence), `"credential"`) &&
					strings.Contains(string(v.Evidence), `<redacted>`)
			}
		}
		if !found {
			t.Errorf("%s: %s: no interactive_access verdict with a credential masked", what, id)
		}
	}
	for _, id := range st.URI {
		if len(byID[id]) == 0 {
			t.Errorf("%s: %s not judged", what, id)
		}
		for _, v := range byID[id] {
			var ev struct {
				RequestURI string `json:"requestURI"`
			}
			err := json.Unmarshal(v.Evidence, &ev)
			if err != nil || !strings.Contains(ev.RequestURI, "<redacted>") {
				t.Errorf("%s: %s: requestURI %q", what, id, ev.RequestURI)
			}
		}
	}
	for _, id := range append(append([]string{}, st.Bodies...), st.Annotations...) {
		if len(byID[id]) == 0 {
			t.Errorf("%s: %s not judged", what, id)
		}
	}
	for _, id := range st.Bodies {
		for _, v := range byID[id] {
			var ev map[string]json.RawMessage
			if err := json.Unmarshal(v.Evidence, &ev); err != nil {
				t.Fatal(err)
			}
			body := append(append([]byte{}, ev["requestObject"]...), ev["responseObject"]...)
			if !bodies && len(body) != 0 {
				t.Errorf("%s: %s: a body without opting in", what, id)
			}
			if bodies && !bytes.Contains(body, []byte("<redacted>")) {
				t.Errorf("%s: %s: no redacted body: %s", what, id, v.Evidence)
			}
		}
	}
}

func TestSecretMarkers(t *testing.T) {
	s := loadMarkers(t)
	var names []string
	for name := range s.meta.Streams {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, bodies := range []bool{false, true} {
		for _, name := range names {
			st := s.meta.Streams[name]
			what := fmt.Sprintf("Reader(%s, IncludeBodies=%v)", name, bodies)
			f, err := os.Open(filepath.Join(s.dir, name))
			if err != nil {
				t.Fatal(err)
			}
			e := newEngine(t, Options{IncludeBodies: bodies, Policy: noRepeats})
			vs, rejected, out := readAll(t, e, f, name)
			f.Close()
			e.Close()
			s.noMarker(t, what, out)
			if len(rejected) != st.Errors {
				t.Errorf("%s: %d records rejected, want %d", what, len(rejected), st.Errors)
			}
			checkVerdicts(t, what, st, vs, bodies)
		}
	}
}

// TestSecretMarkersJudge: the whole stream at once (Engine.Judge), and the
// native events decoded by encoding/json (Engine.JudgeEvent), bodies opted
// in.
func TestSecretMarkersJudge(t *testing.T) {
	s := loadMarkers(t)
	for name := range s.meta.Streams {
		data, err := os.ReadFile(filepath.Join(s.dir, name))
		if err != nil {
			t.Fatal(err)
		}
		e := newEngine(t, Options{IncludeBodies: true, SuppressBenign: true, Policy: noRepeats})
		vs, rejected, err := e.Judge(data, name)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		for _, v := range vs {
			out.Write(v.JSON)
		}
		for _, r := range rejected {
			fmt.Fprintf(&out, "%v|%s\n", r, r.Err.Path)
		}
		s.noMarker(t, "Judge("+name+")", out.Bytes())
		e.Close()
	}

	e := newEngine(t, Options{IncludeBodies: true, Policy: noRepeats})
	data, err := os.ReadFile(filepath.Join(s.dir, "native.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	var all []*Verdict
	events := 0
	for _, line := range bytes.Split(data, []byte("\n")) {
		if !bytes.HasPrefix(line, []byte("{")) {
			continue // node-name prefixed lines are the parser's
		}
		var ev AuditEvent
		if err := json.Unmarshal(line, &ev); err != nil {
			t.Fatal(err)
		}
		vs, err := e.JudgeEvent(&ev)
		if err != nil {
			t.Fatalf("JudgeEvent(%s): %v", ev.AuditID, err)
		}
		events++
		for i := range vs {
			out.Write(vs[i].JSON)
			all = append(all, &vs[i])
		}
	}
	rest, err := e.Flush()
	if err != nil {
		t.Fatal(err)
	}
	for i := range rest {
		out.Write(rest[i].JSON)
		all = append(all, &rest[i])
	}
	s.noMarker(t, "JudgeEvent(native.jsonl)", out.Bytes())
	st := s.meta.Streams["native.jsonl"]
	direct := func(ids []string) []string {
		var keep []string
		for _, id := range ids {
			if !strings.Contains(id, ".") {
				keep = append(keep, id)
			}
		}
		return keep
	}
	checkVerdicts(t, "JudgeEvent(native.jsonl)", markerStream{
		URI: direct(st.URI), Exec: direct(st.Exec), Bodies: direct(st.Bodies),
		Annotations: direct(st.Annotations)}, all, true)
	if events < 50 {
		t.Fatalf("%d events judged", events)
	}
}
