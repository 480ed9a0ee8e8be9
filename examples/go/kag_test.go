package kag

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"
)

// The four events of the review that started kag, as in
// tests/unit/check_detectors.c (golden_*), judged by the whole catalogue.
const (
	lease = `{"verb":"update","user":{"username":"system:kube-controller-manager"},` +
		`"userAgent":"kube-controller-manager/v1.30.0","objectRef":{"resource":"leases",` +
		`"namespace":"kube-system"},"responseStatus":{"code":200},"stage":"ResponseComplete"}`
	execEv = `{"verb":"create","objectRef":{"resource":"pods","subresource":"exec",` +
		`"namespace":"prod","name":"api-7f9"},"user":{"username":"alice@example.com"},` +
		`"sourceIPs":["203.0.113.10"],"responseStatus":{"code":101},"stage":"ResponseStarted"}`
	impersonatedSecret = `{"verb":"get","user":{"username":"bob@example.com"},"impersonatedUser":` +
		`{"username":"system:serviceaccount:prod:deploy-bot"},"objectRef":` +
		`{"resource":"secrets","namespace":"prod"},"responseStatus":{"code":200}}`
	deniedList = `{"verb":"list","objectRef":{"resource":"secrets","namespace":"prod"},` +
		`"responseStatus":{"code":403},"userAgent":"kubectl/v1.30.0"}`
)

func dataPath(t *testing.T, name string) string {
	dir := os.Getenv("KAG_TEST_DATA")
	if dir == "" {
		dir = filepath.Join("..", "..", "tests", "data")
	}
	return filepath.Join(dir, name)
}

func readData(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(dataPath(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newEngine(t *testing.T, opt Options) *Engine {
	t.Helper()
	e, err := NewEngine(opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func judge(t *testing.T, event string) []Verdict {
	t.Helper()
	e := newEngine(t, Options{})
	vs, rejected, err := e.Judge([]byte(event), "")
	if err != nil || len(rejected) != 0 {
		t.Fatalf("err %v, rejected %v", err, rejected)
	}
	return vs
}

func evidence(t *testing.T, v *Verdict) map[string]interface{} {
	t.Helper()
	m, err := v.EvidenceMap()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func get(m map[string]interface{}, path string) interface{} {
	var cur interface{} = m
	for _, k := range strings.Split(path, ".") {
		mm, ok := cur.(map[string]interface{})
		if !ok {
			return nil
		}
		cur = mm[k]
	}
	return cur
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func expect(t *testing.T, v *Verdict, detector, assessment, outcome, severity string) {
	t.Helper()
	if v.Detector != detector || v.Assessment != assessment || v.Outcome != outcome || v.Severity != severity {
		t.Fatalf("got %s/%s/%s/%s, want %s/%s/%s/%s\n%s", v.Detector, v.Assessment, v.Outcome,
			v.Severity, detector, assessment, outcome, severity, v.JSON)
	}
}

func TestReviewControllerLease(t *testing.T) {
	vs := judge(t, lease)
	if len(vs) != 1 {
		t.Fatalf("%d verdicts", len(vs))
	}
	expect(t, &vs[0], "controller_baseline", "benign", "allowed", "info")
	if got := get(evidence(t, &vs[0]), "identityClass"); got != "control-plane component" {
		t.Errorf("identityClass %v", got)
	}
	if len(vs[0].Attack) != 0 || !strings.Contains(vs[0].Reason, "control-plane component") {
		t.Errorf("attack %v reason %q", vs[0].Attack, vs[0].Reason)
	}
}

func TestSuppressBenign(t *testing.T) {
	e := newEngine(t, Options{SuppressBenign: true})
	if vs, _, err := e.Judge([]byte(lease), ""); err != nil || len(vs) != 0 {
		t.Fatalf("%d verdicts, %v", len(vs), err)
	}
	if st := e.Stats(); st.Suppressed != 1 || st.Evaluated != 1 || st.Verdicts != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestReviewExec(t *testing.T) {
	vs := judge(t, execEv)
	if len(vs) != 1 {
		t.Fatalf("%d verdicts", len(vs))
	}
	v := &vs[0]
	expect(t, v, "interactive_access", "suspicious", "in_progress", "high")
	ev := evidence(t, v)
	for path, want := range map[string]interface{}{
		"objectRef.subresource": "exec",
		"objectRef.name":        "api-7f9",
		"user.username":         "alice@example.com",
		"responseStatus.code":   float64(101),
	} {
		if got := get(ev, path); got != want {
			t.Errorf("%s: got %v, want %v", path, got, want)
		}
	}
	if ua, ok := ev["userAgent"]; !ok || ua != nil {
		t.Errorf("userAgent %v (present %v), want null", ua, ok)
	}
	if !reflect.DeepEqual(ev["sourceIPs"], []interface{}{"203.0.113.10"}) {
		t.Errorf("sourceIPs %v", ev["sourceIPs"])
	}
	if !contains(v.Missing, "userAgent") || contains(v.Missing, "sourceIPs") {
		t.Errorf("missing %v", v.Missing)
	}
	if !contains(v.Attack, "T1609") || v.Event.Stage != "ResponseStarted" {
		t.Errorf("attack %v stage %s", v.Attack, v.Event.Stage)
	}
}

func TestReviewImpersonatedSecretRead(t *testing.T) {
	vs := judge(t, impersonatedSecret)
	if len(vs) != 2 {
		t.Fatalf("%d verdicts", len(vs))
	}
	byID := map[string]*Verdict{}
	for i := range vs {
		byID[vs[i].Detector] = &vs[i]
	}
	imp, sec := byID["impersonation"], byID["secrets_access"]
	if imp == nil || sec == nil {
		t.Fatalf("detectors %v", byID)
	}
	expect(t, imp, "impersonation", "suspicious", "allowed", "medium")
	expect(t, sec, "secrets_access", "suspicious", "allowed", "medium")
	for _, v := range []*Verdict{imp, sec} {
		if got := get(evidence(t, v), "impersonatedUser.username"); got != "system:serviceaccount:prod:deploy-bot" {
			t.Errorf("%s impersonatedUser %v", v.Detector, got)
		}
	}
	if get(evidence(t, imp), "user.username") != "bob@example.com" {
		t.Errorf("user %s", imp.Evidence)
	}
	if !contains(imp.Attack, "T1134") || !contains(sec.Attack, "T1552.007") {
		t.Errorf("attack %v %v", imp.Attack, sec.Attack)
	}
}

func TestReviewDeniedAnonymousList(t *testing.T) {
	vs := judge(t, deniedList)
	if len(vs) != 1 {
		t.Fatalf("%d verdicts", len(vs))
	}
	expect(t, &vs[0], "rbac_probing", "suspicious", "denied", "low")
	// a step for the user, a step for the sourceIPs
	if vs[0].Confidence != "low" || !contains(vs[0].Missing, "user") ||
		!contains(vs[0].Missing, "sourceIPs") {
		t.Errorf("confidence %s missing %v", vs[0].Confidence, vs[0].Missing)
	}
}

func TestCorpusExecPod(t *testing.T) {
	e := newEngine(t, Options{})
	f, err := os.Open(dataPath(t, "falco-k8s-audit/exec_pod.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd, err := e.NewReader(f, "exec_pod.json")
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	v, err := rd.Next()
	if err != nil {
		t.Fatal(err)
	}
	expect(t, v, "interactive_access", "suspicious", "in_progress", "high")
	ev := evidence(t, v)
	if !reflect.DeepEqual(ev["command"], []interface{}{"bash"}) ||
		!reflect.DeepEqual(ev["commandFindings"], []interface{}{"shell"}) {
		t.Errorf("command %v findings %v", ev["command"], ev["commandFindings"])
	}
	if v.Event.AuditID != "ca1ed9f4-7bf4-4c85-81a8-1b11253d1ba6" || v.Event.Source != "exec_pod.json:1" ||
		v.Event.Time != "2018-10-26T13:38:34.902914Z" || !reflect.DeepEqual(v.Missing, []string{"userAgent"}) {
		t.Errorf("event %+v missing %v", v.Event, v.Missing)
	}
	if _, err := rd.Next(); err != io.EOF {
		t.Fatalf("after the last verdict: %v, want io.EOF", err)
	}
	if _, err := rd.Next(); err != io.EOF {
		t.Fatalf("EOF is not sticky: %v", err)
	}
}

func TestCorpusMalformedRecord(t *testing.T) {
	e := newEngine(t, Options{})
	bad := bytes.TrimSpace(readData(t, "falco-k8s-audit/fal_01_003.json"))
	in := execEv + "\n" + string(bad) + "\n" + deniedList + "\n"
	rd, err := e.NewReader(strings.NewReader(in), "mixed.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	var got []string
	for {
		v, err := rd.Next()
		if err == io.EOF {
			break
		}
		var rerr *RecordError
		if errors.As(err, &rerr) {
			if !errors.Is(err, ErrSchema) || errors.Is(err, ErrParse) {
				t.Errorf("errors.Is mismatch for %v", err)
			}
			if rerr.Err.Code != -5 || rerr.Err.Name != "KAG_ESCHEMA" || rerr.Err.Path != "/kind" || rerr.Line != 2 ||
				rerr.Source != "mixed.jsonl:2" || rerr.Err.Message != "expected string, got integer" ||
				string(rerr.Record) != `{"error":{"code":"KAG_ESCHEMA","message":"expected string, got integer","source":"mixed.jsonl:2","line":2,"offset":`+
					strconv.Itoa(int(rerr.Offset))+`,"path":"/kind"}}` {
				t.Errorf("record error %+v %+v", rerr, rerr.Err)
			}
			if rerr.Error() != "mixed.jsonl:2: KAG_ESCHEMA: /kind: expected string, got integer" {
				t.Errorf("Error() = %q", rerr.Error())
			}
			got = append(got, "error")
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, v.Detector)
	}
	if want := []string{"interactive_access", "error", "rbac_probing"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestParseAndTruncatedErrors(t *testing.T) {
	e := newEngine(t, Options{})
	vs, rejected, err := e.Judge([]byte("{not json}\n"+execEv[:40]), "")
	if err != nil || len(vs) != 0 || len(rejected) != 2 {
		t.Fatalf("verdicts %d rejected %v err %v", len(vs), rejected, err)
	}
	if !errors.Is(rejected[0], ErrParse) || !errors.Is(rejected[1], ErrTruncated) {
		t.Fatalf("rejected %v", rejected)
	}
	if rejected[0].Source != "" {
		t.Errorf("source %q for an unnamed input", rejected[0].Source)
	}
}

func collect(t *testing.T, e *Engine, in io.Reader) []string {
	t.Helper()
	rd, err := e.NewReader(in, "stream")
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	var out []string
	for {
		v, err := rd.Next()
		if err == io.EOF {
			return out
		}
		var rerr *RecordError
		if errors.As(err, &rerr) {
			out = append(out, rerr.Error())
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(v.JSON))
	}
}

func TestChunkingDoesNotChangeVerdicts(t *testing.T) {
	data := readData(t, "panther-analysis/eks_audit_native_events.jsonl")
	whole := collect(t, newEngine(t, Options{}), bytes.NewReader(data))
	if len(whole) < 50 {
		t.Fatalf("only %d records", len(whole))
	}
	for name, in := range map[string]io.Reader{
		"one byte":  iotest.OneByteReader(bytes.NewReader(data)),
		"half":      iotest.HalfReader(bytes.NewReader(data)),
		"data+EOF":  iotest.DataErrReader(bytes.NewReader(data)),
		"sliceRead": &sliceReader{data},
	} {
		if got := collect(t, newEngine(t, Options{}), in); !reflect.DeepEqual(got, whole) {
			t.Errorf("%s: %d records, want %d", name, len(got), len(whole))
		}
	}
}

func TestReadErrorStopsTheStream(t *testing.T) {
	e := newEngine(t, Options{})
	boom := errors.New("boom")
	in := io.MultiReader(strings.NewReader(execEv+"\n"), iotest.ErrReader(boom))
	rd, err := e.NewReader(in, "")
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	if v, err := rd.Next(); err != nil || v.Detector != "interactive_access" {
		t.Fatalf("%v %v", v, err)
	}
	for i := 0; i < 2; i++ {
		if _, err := rd.Next(); err != boom {
			t.Fatalf("got %v, want the read error", err)
		}
	}
}

func TestFormatOption(t *testing.T) {
	data := readData(t, "khi-gke/gke_k8s_audit_logentries.jsonl")
	vs, rejected, err := newEngine(t, Options{Format: FormatGKE}).Judge(data, "")
	if err != nil || len(rejected) != 0 || len(vs) != 3 {
		t.Fatalf("%d verdicts, rejected %v, err %v", len(vs), rejected, err)
	}
	for _, v := range vs {
		if v.Event.Format != "gke" {
			t.Errorf("format %s", v.Event.Format)
		}
	}
	vs, rejected, err = newEngine(t, Options{Format: FormatNative}).Judge(data, "")
	if err != nil || len(vs) != 0 || len(rejected) != 3 || !errors.Is(rejected[0], ErrSchema) {
		t.Fatalf("native: %d verdicts, rejected %v, err %v", len(vs), rejected, err)
	}
	if _, err := newEngine(t, Options{Format: Format(99)}).NewReader(strings.NewReader(""), ""); !errors.Is(err, ErrInval) {
		t.Fatalf("bad format: %v", err)
	}
}

func TestPolicyAndRules(t *testing.T) {
	e := newEngine(t, Options{Policy: []byte(`{"version":1,"detectors":{"disable":["interactive_access"]}}`)})
	if vs, _, _ := e.Judge([]byte(execEv), ""); len(vs) != 0 {
		t.Errorf("disabled detector gave %d verdicts", len(vs))
	}
	if vs, _, _ := e.Judge([]byte(deniedList), ""); len(vs) != 1 {
		t.Errorf("%d verdicts for the denied list", len(vs))
	}

	_, err := NewEngine(Options{Policy: []byte(`{"thresholds":{"probe":"ten"}}`)})
	var kerr *Error
	if !errors.As(err, &kerr) || !errors.Is(err, ErrSchema) || kerr.Path != "/thresholds/probe" ||
		!strings.HasPrefix(kerr.Message, "/thresholds/probe: ") {
		t.Fatalf("bad policy: %#v", err)
	}
	if _, err := NewEngine(Options{Policy: []byte(`{`)}); !errors.Is(err, ErrParse) {
		t.Fatalf("policy not JSON: %v", err)
	}
	if _, err := NewEngine(Options{Policy: []byte{}}); !errors.Is(err, ErrParse) {
		t.Fatalf("empty policy: %v", err)
	}

	rules := `{"version":1,"rules":[{"id":"lease_touch","title":"lease update",
		"assessment":"suspicious","severity":"low",
		"match":{"field":"objectRef.resource","equals":"leases"}}]}`
	vs, _, err := newEngine(t, Options{Rules: []byte(rules)}).Judge([]byte(lease), "")
	// the rule finds something: the baseline stands down (one story)
	if err != nil || len(vs) != 1 || vs[0].Detector != "lease_touch" {
		t.Fatalf("rules: %v %v", vs, err)
	}
}

func TestRegistry(t *testing.T) {
	reg, err := NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	ds := reg.Detectors()
	found := false
	for _, d := range ds {
		if d.ID == "interactive_access" {
			found = d.Enabled && d.Title != ""
		}
	}
	if !found {
		t.Fatalf("interactive_access missing or disabled in %v", ds)
	}
	if err := reg.Disable("no_such_detector"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown detector: %v", err)
	}
	if err := reg.Disable("interactive_access"); err != nil {
		t.Fatal(err)
	}
	if _, err := NewEngine(Options{Registry: reg, Policy: []byte(`{}`)}); err == nil {
		t.Fatal("registry and policy together accepted")
	}
	e := newEngine(t, Options{Registry: reg}) // seals it
	if err := reg.Enable("interactive_access"); !errors.Is(err, ErrState) {
		t.Fatalf("enable after seal: %v", err)
	}
	if vs, _, _ := e.Judge([]byte(execEv), ""); len(vs) != 0 {
		t.Fatalf("disabled detector gave %d verdicts", len(vs))
	}
}

func TestErrorNames(t *testing.T) {
	for _, c := range []struct {
		err  *Error
		name string
	}{{ErrGeneric, "KAG_ERROR"}, {ErrNoMem, "KAG_ENOMEM"}, {ErrInval, "KAG_EINVAL"},
		{ErrParse, "KAG_EPARSE"}, {ErrSchema, "KAG_ESCHEMA"}, {ErrNotFound, "KAG_ENOTFOUND"},
		{ErrLimit, "KAG_ELIMIT"}, {ErrState, "KAG_ESTATE"}, {ErrUser, "KAG_EUSER"},
		{ErrTruncated, "KAG_ETRUNCATED"}} {
		if c.err.Name != c.name || !strings.HasPrefix(c.err.Error(), c.name+": ") {
			t.Errorf("code %d: name %q, Error() %q, want %s", c.err.Code, c.err.Name, c.err.Error(), c.name)
		}
	}
	if got := newError(-999, "", "").Error(); got != "KAG_UNKNOWN: unknown error code" {
		t.Errorf("unknown code: %q", got)
	}
	if Version() != HeaderVersion {
		t.Errorf("library %s, header %s", Version(), HeaderVersion)
	}
}

func TestCloseAnyOrderAndTwice(t *testing.T) {
	base := settled()
	for _, order := range []string{"reg-engine-reader", "reader-engine-reg", "engine-reg-reader"} {
		reg, err := NewRegistry()
		if err != nil {
			t.Fatal(err)
		}
		e, err := NewEngine(Options{Registry: reg})
		if err != nil {
			t.Fatal(err)
		}
		rd, err := e.NewReader(strings.NewReader(execEv+"\n"+deniedList), "")
		if err != nil {
			t.Fatal(err)
		}
		if v, err := rd.Next(); err != nil || v.Detector != "interactive_access" {
			t.Fatalf("%v %v", v, err)
		}
		closers := map[byte]func() error{'r': reg.Close, 'e': e.Close}
		for _, part := range strings.Split(order, "-") {
			switch part {
			case "reg":
				closers['r']()
			case "engine":
				closers['e']()
			case "reader":
				rd.Close()
			}
		}
		reg.Close()
		e.Close()
		rd.Close()
		if _, err := rd.Next(); err != ErrClosed {
			t.Errorf("%s: Next after Close: %v", order, err)
		}
		if _, _, err := e.Judge([]byte(execEv), ""); err != ErrClosed {
			t.Errorf("%s: Judge after Close: %v", order, err)
		}
		if err := reg.Seal(); err != ErrClosed {
			t.Errorf("%s: Seal after Close: %v", order, err)
		}
	}
	if n := atomic.LoadInt64(&live); n != base {
		t.Fatalf("%d handles left, want %d", n, base)
	}
}

func TestEngineOutlivesClosedRegistry(t *testing.T) {
	reg, err := NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	e := newEngine(t, Options{Registry: reg})
	reg.Close()
	if vs, _, err := e.Judge([]byte(execEv), ""); err != nil || len(vs) != 1 {
		t.Fatalf("%d verdicts, %v", len(vs), err)
	}
}

// waitFreed runs the garbage collector until the finalizers have freed the
// handles down to want.
func waitFreed(t *testing.T, want int64) {
	t.Helper()
	for i := 0; i < 100; i++ {
		runtime.GC()
		if atomic.LoadInt64(&live) == want {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%d handles still live, want %d", atomic.LoadInt64(&live), want)
}

// settled returns the handle count once garbage from earlier tests is gone.
func settled() int64 {
	n := atomic.LoadInt64(&live)
	for i := 0; i < 5; i++ {
		runtime.GC()
		time.Sleep(5 * time.Millisecond)
		n = atomic.LoadInt64(&live)
	}
	return n
}

func TestFinalizersFreeEachHandleOnce(t *testing.T) {
	base := settled()
	func() {
		shared, _ := NewRegistry()
		for i := 0; i < 32; i++ {
			reg := shared
			if i >= 16 {
				reg, _ = NewRegistry()
			}
			e, err := NewEngine(Options{Registry: reg})
			if err != nil {
				t.Fatal(err)
			}
			rd, err := e.NewReader(strings.NewReader(execEv+"\n"+deniedList+"\n"), "")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := rd.Next(); err != nil {
				t.Fatal(err)
			}
			// Close some explicitly, in every combination, and leave
			// the rest to the finalizers.
			if i&1 != 0 {
				e.Close()
			}
			if i&2 != 0 {
				rd.Close()
			}
			if i&4 != 0 && i >= 16 {
				reg.Close()
			}
		}
	}()
	if atomic.LoadInt64(&live) == base {
		t.Fatal("every handle already freed: the finalizers are not exercised")
	}
	waitFreed(t, base)
}

func TestSharedRegistryConcurrentEngines(t *testing.T) {
	data := readData(t, "panther-analysis/eks_audit_native_events.jsonl")
	reg, err := NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	want := collect(t, newEngine(t, Options{Registry: reg}), bytes.NewReader(data))
	var wg sync.WaitGroup
	results := make([][]string, 4)
	for i := range results {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			e, err := NewEngine(Options{Registry: reg})
			if err != nil {
				t.Error(err)
				return
			}
			defer e.Close()
			results[i] = collect(t, e, iotest.HalfReader(bytes.NewReader(data)))
		}(i)
	}
	wg.Wait()
	for i, got := range results {
		if !reflect.DeepEqual(got, want) {
			t.Errorf("goroutine %d: %d records, want %d", i, len(got), len(want))
		}
	}
}

func TestOneEngineFromManyGoroutines(t *testing.T) {
	e := newEngine(t, Options{})
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				if _, _, err := e.Judge([]byte(deniedList), ""); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if st := e.Stats(); st.Evaluated != 160 {
		t.Fatalf("evaluated %d, want 160", st.Evaluated)
	}
}
