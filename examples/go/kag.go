// Package kag is a cgo binding of libkag (Kubernetes Audit Gates): it reads
// Kubernetes API-server audit events and returns structured verdicts.
//
//	eng, err := kag.NewEngine(kag.Options{Policy: policyJSON})
//	if err != nil { ... }
//	defer eng.Close()
//	rd, err := eng.NewReader(file, "audit.log")
//	if err != nil { ... }
//	defer rd.Close()
//	for {
//		v, err := rd.Next()
//		if err == io.EOF {
//			break
//		}
//		var rerr *kag.RecordError
//		if errors.As(err, &rerr) {
//			log.Print(rerr) // one rejected record; the stream goes on
//			continue
//		}
//		if err != nil {
//			return err
//		}
//		fmt.Println(v.Detector, v.Assessment)
//	}
//
// A collector that already holds decoded events (Go structs) passes them to
// Engine.JudgeEvent as *AuditEvent values instead of JSON bytes.
//
// The library is found with pkg-config (package "kag"); point
// PKG_CONFIG_PATH at an installed prefix or at a meson build's
// meson-uninstalled directory.
//
// Handles: every type that owns library handles (Registry, Engine, Reader)
// has a Close method and a finalizer; whichever comes first frees the
// handles, exactly once. Objects may be closed in any order: an Engine keeps
// its Registry alive, and the library reference-counts registries.
//
// Concurrency: Registry and Engine methods lock a mutex, so they may be
// called from several goroutines; a Reader is used by one goroutine at a
// time. A sealed Registry may back many Engines evaluating in parallel.
// Error details are read from the handle that failed (the library keeps no
// thread-local error state), so a goroutine moving between OS threads
// between two cgo calls loses nothing.
//
// SPDX-License-Identifier: MIT
package kag

/*
#cgo pkg-config: kag
#include <stdlib.h>
#include <kag.h>

#if !defined(KAG_VERSION_HEX) || KAG_VERSION_HEX < 0x000100
#error "this package needs kag 0.1.0 or later"
#endif
*/
import "C"

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"
)

// HeaderVersion is the version of the kag.h this package was compiled
// against (KAG_VERSION).
const HeaderVersion = C.KAG_VERSION

// Version is the version of the library loaded at run time.
func Version() string {
	return C.GoString(C.kag_version_string())
}

// live counts the library handles this package holds; tests use it to check
// that Close and the finalizers free each handle once.
var live int64

// ---- errors ----

// Error is an error code of the library, with its symbolic name from
// kag_error_name() ("KAG_EPARSE") and, when the library gave one, a detail
// message and the JSON pointer of the offending field.
type Error struct {
	Code    int
	Name    string
	Message string
	Path    string
}

func newError(code C.int, message, path string) *Error {
	return &Error{Code: int(code), Name: C.GoString(C.kag_error_name(code)),
		Message: message, Path: path}
}

// Error reads "KAG_EPARSE: <message>", the library's own description of the
// code when there is no message.
func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = C.GoString(C.kag_strerror(C.int(e.Code)))
	}
	return e.Name + ": " + msg
}

// Is makes errors.Is(err, kag.ErrParse) true for every *Error of that code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// One sentinel per error code of kag.h, for errors.Is.
var (
	ErrGeneric   = newError(C.KAG_ERROR, "", "")
	ErrNoMem     = newError(C.KAG_ENOMEM, "", "")
	ErrInval     = newError(C.KAG_EINVAL, "", "")
	ErrParse     = newError(C.KAG_EPARSE, "", "")
	ErrSchema    = newError(C.KAG_ESCHEMA, "", "")
	ErrNotFound  = newError(C.KAG_ENOTFOUND, "", "")
	ErrLimit     = newError(C.KAG_ELIMIT, "", "")
	ErrState     = newError(C.KAG_ESTATE, "", "")
	ErrUser      = newError(C.KAG_EUSER, "", "")
	ErrTruncated = newError(C.KAG_ETRUNCATED, "", "")
)

// ErrClosed is returned by methods of a closed Registry, Engine or Reader.
var ErrClosed = errors.New("kag: use of a closed handle")

func check(rc C.int) error {
	if rc < 0 {
		return newError(rc, "", "")
	}
	return nil
}

// RecordError is one input record the parser rejected. The stream goes on:
// the next Reader.Next returns what follows it. It unwraps to Err, so
// errors.Is(err, kag.ErrSchema) works.
type RecordError struct {
	Err    *Error // code, name, message (what went wrong) and JSON pointer
	Source string // "file.jsonl:13", or "" when the input has no name
	Line   uint64 // 1-based line of the record
	Offset uint64 // byte offset of the record
	Record []byte // the library's error record, one line of JSON
}

// Error reads "file.jsonl:13: KAG_ESCHEMA: /kind: expected string, got
// integer": where, the code, the field at fault and what went wrong.
func (e *RecordError) Error() string {
	s := e.Err.Name + ": "
	if e.Err.Path != "" {
		s += e.Err.Path + ": "
	}
	s += e.Err.Message
	if e.Source != "" {
		return e.Source + ": " + s
	}
	return s
}

// Unwrap gives the *Error, so that errors.Is and errors.As see its code.
func (e *RecordError) Unwrap() error { return e.Err }

// ---- registry ----

// Registry is the detector catalogue: every built-in detector, plus an
// optional policy and caller rules. Configure it, then Seal it; a sealed
// registry is immutable and may back any number of Engines.
type Registry struct {
	mu sync.Mutex
	r  *C.kag_registry
}

// NewRegistry returns a registry of every built-in detector, enabled.
func NewRegistry() (*Registry, error) {
	var r *C.kag_registry
	if err := check(C.kag_registry_new(&r)); err != nil {
		return nil, err
	}
	atomic.AddInt64(&live, 1)
	reg := &Registry{r: r}
	runtime.SetFinalizer(reg, (*Registry).Close)
	return reg, nil
}

// Close drops the caller's reference; Engines using the registry keep it
// alive in the library. Safe to call more than once.
func (reg *Registry) Close() error {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	if reg.r != nil {
		C.kag_registry_free(reg.r)
		reg.r = nil
		atomic.AddInt64(&live, -1)
	}
	runtime.SetFinalizer(reg, nil)
	return nil
}

type loader func(*C.kag_registry, *C.char, C.size_t) C.int

func (reg *Registry) load(fn loader, doc []byte) error {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	if reg.r == nil {
		return ErrClosed
	}
	cdoc := C.CBytes(doc) // never NULL, even for an empty document
	defer C.free(cdoc)
	rc := fn(reg.r, (*C.char)(cdoc), C.size_t(len(doc)))
	if rc < 0 {
		return newError(rc, C.GoString(C.kag_registry_error_message(reg.r)),
			C.GoString(C.kag_registry_error_path(reg.r)))
	}
	runtime.KeepAlive(reg)
	return nil
}

func loadPolicy(r *C.kag_registry, s *C.char, n C.size_t) C.int {
	return C.kag_registry_load_policy(r, s, n)
}

func loadRules(r *C.kag_registry, s *C.char, n C.size_t) C.int {
	return C.kag_registry_load_rules(r, s, n)
}

// LoadPolicy loads a JSON policy (all or nothing). The error's Message is
// "<JSON pointer>: <reason>" and Path the pointer.
func (reg *Registry) LoadPolicy(doc []byte) error { return reg.load(loadPolicy, doc) }

// LoadRules loads caller rules (JSON, all or nothing).
func (reg *Registry) LoadRules(doc []byte) error { return reg.load(loadRules, doc) }

func (reg *Registry) byID(id string, fn func(*C.kag_registry, *C.char) C.int) error {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	if reg.r == nil {
		return ErrClosed
	}
	cid := C.CString(id)
	defer C.free(unsafe.Pointer(cid))
	err := check(fn(reg.r, cid))
	runtime.KeepAlive(reg)
	return err
}

// Enable turns a detector on (ErrNotFound, ErrState once sealed).
func (reg *Registry) Enable(id string) error {
	return reg.byID(id, func(r *C.kag_registry, s *C.char) C.int { return C.kag_registry_enable(r, s) })
}

// Disable turns a detector off (ErrNotFound, ErrState once sealed).
func (reg *Registry) Disable(id string) error {
	return reg.byID(id, func(r *C.kag_registry, s *C.char) C.int { return C.kag_registry_disable(r, s) })
}

// Seal makes the registry immutable. NewEngine seals it if needed.
func (reg *Registry) Seal() error {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	if reg.r == nil {
		return ErrClosed
	}
	err := check(C.kag_registry_seal(reg.r))
	runtime.KeepAlive(reg)
	return err
}

// Detector describes one entry of the catalogue.
type Detector struct {
	ID      string
	Title   string
	Enabled bool
}

// Detectors lists the catalogue in registration order.
func (reg *Registry) Detectors() []Detector {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	if reg.r == nil {
		return nil
	}
	n := C.kag_registry_count(reg.r)
	out := make([]Detector, 0, int(n))
	for i := C.size_t(0); i < n; i++ {
		out = append(out, Detector{
			ID:      C.GoString(C.kag_registry_detector_id(reg.r, i)),
			Title:   C.GoString(C.kag_registry_detector_title(reg.r, i)),
			Enabled: C.kag_registry_detector_enabled(reg.r, i) != 0,
		})
	}
	runtime.KeepAlive(reg)
	return out
}

// ---- engine ----

// Format is an input shape (KAG_FORMAT_*).
type Format int

// Input shapes; FormatAuto recognises each record.
const (
	FormatAuto      Format = C.KAG_FORMAT_AUTO
	FormatNative    Format = C.KAG_FORMAT_NATIVE
	FormatEventList Format = C.KAG_FORMAT_EVENTLIST
	FormatGKE       Format = C.KAG_FORMAT_GKE
	FormatEKS       Format = C.KAG_FORMAT_EKS
	FormatAKS       Format = C.KAG_FORMAT_AKS
	FormatOpenShift Format = C.KAG_FORMAT_OPENSHIFT
)

// Options configure NewEngine. The zero value is the library's defaults.
type Options struct {
	// Registry to evaluate with (sealed by NewEngine if needed). When nil,
	// NewEngine makes one from Rules and Policy; giving both is an error.
	Registry *Registry
	Policy   []byte // JSON policy (kag_registry_load_policy)
	Rules    []byte // JSON caller rules (kag_registry_load_rules)
	// SuppressBenign leaves benign and info verdicts out.
	SuppressBenign bool
	// IncludeBodies puts request/response objects, secret values replaced,
	// in the verdicts' evidence.
	IncludeBodies bool
	Format        Format // input shape of Readers made by the engine
}

// Engine is one evaluation context: a sealed registry and a session holding
// correlation state (stage de-duplication, probing windows). Readers made
// from it share that state.
type Engine struct {
	mu     sync.Mutex
	reg    *Registry // keeps the Go object alive as long as the engine
	ownReg bool      // reg was made by NewEngine: Close closes it too
	s      *C.kag_session
	ev     *C.kag_event // JudgeEvent's reusable event, made on first use
	format Format
}

// NewEngine makes an engine; see Options.
func NewEngine(opt Options) (*Engine, error) {
	reg, ownReg := opt.Registry, opt.Registry == nil
	if reg != nil && (opt.Policy != nil || opt.Rules != nil) {
		return nil, fmt.Errorf("kag: give either Options.Registry or Policy/Rules, not both")
	}
	if reg == nil {
		var err error
		if reg, err = NewRegistry(); err != nil {
			return nil, err
		}
		// Rules first: a policy may enable or disable rule ids.
		if opt.Rules != nil {
			if err = reg.LoadRules(opt.Rules); err != nil {
				reg.Close()
				return nil, err
			}
		}
		if opt.Policy != nil {
			if err = reg.LoadPolicy(opt.Policy); err != nil {
				reg.Close()
				return nil, err
			}
		}
	}

	s, err := reg.newSession()
	if err != nil {
		if ownReg {
			reg.Close()
		}
		return nil, err
	}
	atomic.AddInt64(&live, 1)
	e := &Engine{reg: reg, ownReg: ownReg, s: s, format: opt.Format}
	runtime.SetFinalizer(e, (*Engine).Close)
	benign := C.uint64_t(1)
	if opt.SuppressBenign {
		benign = 0
	}
	bodies := C.uint64_t(0)
	if opt.IncludeBodies {
		bodies = 1
	}
	if err := check(C.kag_session_set_option_u64(s, C.KAG_SOPT_EMIT_BENIGN, benign)); err != nil {
		e.Close()
		return nil, err
	}
	if err := check(C.kag_session_set_option_u64(s, C.KAG_SOPT_INCLUDE_BODIES, bodies)); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

// newSession seals the registry if needed and makes a session over it.
func (reg *Registry) newSession() (*C.kag_session, error) {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	if reg.r == nil {
		return nil, ErrClosed
	}
	if C.kag_registry_is_sealed(reg.r) == 0 {
		if err := check(C.kag_registry_seal(reg.r)); err != nil {
			return nil, err
		}
	}
	var s *C.kag_session
	if err := check(C.kag_session_new(&s, reg.r)); err != nil {
		return nil, err
	}
	runtime.KeepAlive(reg)
	return s, nil
}

// Registry returns the engine's registry.
func (e *Engine) Registry() *Registry { return e.reg }

// Close frees the session (and JudgeEvent's event), and the registry if
// NewEngine made it. Readers still open fail with ErrClosed. Safe to call
// more than once.
func (e *Engine) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.ev != nil {
		C.kag_event_free(e.ev)
		e.ev = nil
		atomic.AddInt64(&live, -1)
	}
	if e.s != nil {
		C.kag_session_free(e.s)
		e.s = nil
		atomic.AddInt64(&live, -1)
		if e.ownReg {
			e.reg.Close()
		}
	}
	runtime.SetFinalizer(e, nil)
	return nil
}

// Stats are the session's counters (kag_session_stat).
type Stats struct {
	Evaluated, Duplicates, Verdicts, Deferred, Suppressed uint64
}

// Stats returns the session's counters.
func (e *Engine) Stats() Stats {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.s == nil {
		return Stats{}
	}
	st := func(id C.int) uint64 { return uint64(C.kag_session_stat(e.s, id)) }
	out := Stats{
		Evaluated:  st(C.KAG_SSTAT_EVENTS),
		Duplicates: st(C.KAG_SSTAT_DUPLICATES),
		Verdicts:   st(C.KAG_SSTAT_VERDICTS),
		Deferred:   st(C.KAG_SSTAT_DEFERRED),
		Suppressed: st(C.KAG_SSTAT_SUPPRESSED),
	}
	runtime.KeepAlive(e)
	return out
}

// appendResult decodes the verdicts of a result; the result is borrowed
// from the session, so this runs under e.mu before the next evaluation.
func appendResult(items []item, res *C.kag_result) ([]item, error) {
	n := C.kag_result_count(res)
	for i := C.size_t(0); i < n; i++ {
		var length C.size_t
		p := C.kag_verdict_json(C.kag_result_verdict(res, i), &length)
		raw := C.GoBytes(unsafe.Pointer(p), C.int(length))
		v := &Verdict{}
		if err := json.Unmarshal(raw, v); err != nil {
			return items, fmt.Errorf("kag: decoding a verdict: %w", err)
		}
		v.JSON = raw
		items = append(items, item{v: v})
	}
	return items, nil
}

// evaluate judges every complete record buffered in p.
func (e *Engine) evaluate(items []item, p *C.kag_parser) ([]item, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.s == nil {
		return items, ErrClosed
	}
	for {
		var ev *C.kag_event
		rc := C.kag_parser_next(&ev, p)
		if rc == C.KAG_ITEROVER {
			break
		}
		if rc < 0 {
			// The detail lives in the parser handle, not in thread state.
			var n C.size_t
			rerr := &RecordError{
				Err:    newError(rc, C.GoString(C.kag_parser_error_message(p)), C.GoString(C.kag_parser_error_path(p))),
				Line:   uint64(C.kag_parser_error_line(p)),
				Offset: uint64(C.kag_parser_error_offset(p)),
			}
			if js := C.kag_parser_error_json(p, &n); js != nil {
				rerr.Record = C.GoBytes(unsafe.Pointer(js), C.int(n))
			}
			if src := C.GoString(C.kag_parser_source(p)); src != "" {
				rerr.Source = fmt.Sprintf("%s:%d", src, rerr.Line)
			}
			items = append(items, item{err: rerr})
			continue
		}
		var res *C.kag_result
		if err := check(C.kag_session_evaluate(&res, e.s, ev)); err != nil {
			return items, err
		}
		var err error
		if items, err = appendResult(items, res); err != nil {
			return items, err
		}
	}
	runtime.KeepAlive(e)
	return items, nil
}

func (e *Engine) flush(items []item) ([]item, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.s == nil {
		return items, ErrClosed
	}
	var res *C.kag_result
	if err := check(C.kag_session_flush(&res, e.s)); err != nil {
		return items, err
	}
	items, err := appendResult(items, res)
	runtime.KeepAlive(e)
	return items, err
}

// Judge reads one complete input and returns its verdicts and the records
// it rejected. err is set only for a failure that stops the stream.
func (e *Engine) Judge(data []byte, source string) (verdicts []Verdict, rejected []*RecordError, err error) {
	rd, err := e.NewReader(&sliceReader{data}, source)
	if err != nil {
		return nil, nil, err
	}
	defer rd.Close()
	for {
		v, err := rd.Next()
		if err == io.EOF {
			return verdicts, rejected, nil
		}
		var rerr *RecordError
		if errors.As(err, &rerr) {
			rejected = append(rejected, rerr)
			continue
		}
		if err != nil {
			return verdicts, rejected, err
		}
		verdicts = append(verdicts, *v)
	}
}

type sliceReader struct{ b []byte }

func (r *sliceReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

// ---- reader ----

type item struct {
	v   *Verdict
	err error
}

// Reader judges one input stream with an engine: each Next returns one
// verdict, or a *RecordError for a rejected record, in stream order; io.EOF
// after the last. At the end of the input it also returns the verdicts of
// requests seen only at RequestReceived (kag_session_flush). Readers of one
// engine share its correlation state; read them one after another.
type Reader struct {
	e       *Engine
	in      io.Reader
	p       *C.kag_parser
	buf     []byte
	queue   []item
	atEOF   bool
	done    bool
	closed  bool
	failure error // sticky: an I/O or evaluation error
}

// ChunkSize is how much a Reader reads from its input at a time.
const ChunkSize = 64 << 10

// NewReader makes a reader of in. source names the input in verdicts and
// errors ("audit.log" gives "audit.log:12"); "" for none.
func (e *Engine) NewReader(in io.Reader, source string) (*Reader, error) {
	var p *C.kag_parser
	if err := check(C.kag_parser_new(&p)); err != nil {
		return nil, err
	}
	atomic.AddInt64(&live, 1)
	rd := &Reader{e: e, in: in, p: p}
	runtime.SetFinalizer(rd, (*Reader).Close)
	if err := check(C.kag_parser_set_option_u64(p, C.KAG_OPT_FORMAT, C.uint64_t(e.format))); err != nil {
		rd.Close()
		return nil, err
	}
	if source != "" {
		cs := C.CString(source)
		defer C.free(unsafe.Pointer(cs))
		if err := check(C.kag_parser_set_source(p, cs)); err != nil {
			rd.Close()
			return nil, err
		}
	}
	return rd, nil
}

// Close frees the reader's parser and drops what it had not returned yet.
// Safe to call more than once.
func (rd *Reader) Close() error {
	rd.closed = true
	rd.queue = nil
	rd.freeParser()
	return nil
}

func (rd *Reader) freeParser() {
	if rd.p != nil {
		C.kag_parser_free(rd.p)
		rd.p = nil
		atomic.AddInt64(&live, -1)
	}
	runtime.SetFinalizer(rd, nil)
}

// Next returns the next verdict; see Reader.
func (rd *Reader) Next() (*Verdict, error) {
	if rd.closed {
		return nil, ErrClosed
	}
	for len(rd.queue) == 0 {
		if rd.failure != nil {
			return nil, rd.failure
		}
		if rd.done {
			return nil, io.EOF
		}
		rd.failure = rd.fill()
	}
	it := rd.queue[0]
	rd.queue[0] = item{}
	rd.queue = rd.queue[1:]
	if it.err != nil {
		return nil, it.err
	}
	return it.v, nil
}

// fill reads one chunk (or ends the stream) and queues what it yields.
func (rd *Reader) fill() error {
	var err error
	if rd.atEOF {
		if err = check(C.kag_parser_finish(rd.p)); err != nil {
			return err
		}
		if rd.queue, err = rd.e.evaluate(rd.queue, rd.p); err != nil {
			return err
		}
		if rd.queue, err = rd.e.flush(rd.queue); err != nil {
			return err
		}
		rd.done = true
		rd.freeParser() // no longer needed
		return nil
	}
	if rd.buf == nil {
		rd.buf = make([]byte, ChunkSize)
	}
	n, rerr := rd.in.Read(rd.buf)
	if n > 0 {
		// The parser copies what it keeps; buf is reused.
		if err = check(C.kag_parser_feed(rd.p, (*C.char)(unsafe.Pointer(&rd.buf[0])), C.size_t(n))); err != nil {
			return err
		}
		if rd.queue, err = rd.e.evaluate(rd.queue, rd.p); err != nil {
			return err
		}
	}
	runtime.KeepAlive(rd)
	if rerr == io.EOF {
		rd.atEOF = true
	} else if rerr != nil {
		return rerr
	}
	return nil
}
