"""kag: Python bindings over ctypes for libkag (Kubernetes Audit Gates).

No compile step: the module loads the shared library at import time.

    import kag

    with kag.Engine(policy=open("policy.json", "rb").read()) as engine:
        for record in engine.judge_file("audit.log"):
            if "error" in record:
                print("rejected:", record["error"]["message"])
            else:
                print(record["detector"], record["assessment"])

The library is found through the KAG_LIBRARY environment variable (a path to
libkag.so), else by the dynamic loader (its SONAME libkag.so.0, then
ctypes.util.find_library("kag")), else in the libdir pkg-config gives for
kag (an install under a prefix the loader does not search); ImportError says
where it looked.

Collectors that already hold a decoded event (a Fluent Bit or Vector record, the
dict json.loads gives) hand it to Engine.judge_record(): the members the library
reads are written back as one compact JSON text and the library fills its event
from it in one call (kag_event_set_record(), which reads it exactly as the
parser reads that record as a line). The optional C accelerator _kagrecord
writes that text in one walk; without it (not built, or KAG_PYTHON_PURE=1 in
the environment) json.dumps() does, with the same results and errors.
ACCELERATED says which is in use.

Records are the library's verdict records (kag_verdict_json()), decoded with
json.loads(); a rejected input record is, by default, an error record of the
same stream: {"error": {"code": "KAG_EPARSE", "message": ..., "source": ...,
"line": ..., "offset": ..., "path": ...}}. With errors="raise" it is raised
as an exception instead (see Engine).

Errors of the library are raised as KagError subclasses named after the
error codes: KAG_EPARSE -> KagEParse, KAG_ESCHEMA -> KagESchema, and so on
(KagError itself stands for KAG_ERROR and for codes this module does not
know).

Handles: Registry and Engine own library handles. close() (or leaving a
with block) frees them at once; otherwise the garbage collector does, also
at interpreter exit. Any order is safe: an Engine keeps its Registry object
alive, and the library reference-counts registries, so closing a Registry
that an Engine still uses only drops the caller's reference.

Thread-safety: like the library's handles, one Engine is used by one thread
at a time. A sealed Registry may be shared by Engines in several threads;
ctypes releases the GIL during library calls.

SPDX-License-Identifier: MIT
"""

import collections.abc
import ctypes
import ctypes.util
import json
import os
import subprocess
import sys
import weakref

__all__ = ["Engine", "Registry", "KagError", "KagRecordTypeError", "KagRecordValueError",
           "error_class", "library_version", "load_library", "FORMATS", "ACCELERATED"]

#: Input shapes accepted by Engine(format=...), in the order of the
#: library's KAG_FORMAT_* values.
FORMATS = ("auto", "native", "eventlist", "gke", "eks", "aks", "openshift")

#: Oldest library this module works with, as kag_version_hex() reports it
#: (0.4.0: kag_event_set_record()).
_MIN_VERSION_HEX = 0x000400

_KAG_OK = 0
_KAG_EPARSE = -4
_KAG_ESCHEMA = -5
_KAG_ITEROVER = -31
_OPT_FORMAT = 5                 # KAG_OPT_FORMAT
_SOPT_EMIT_BENIGN = 1           # KAG_SOPT_EMIT_BENIGN
_SOPT_INCLUDE_BODIES = 2        # KAG_SOPT_INCLUDE_BODIES
_PARSER_STATS = (("records", 1), ("events", 2), ("errors", 3), ("skipped", 4),
                 ("bytes", 5))
_SESSION_STATS = (("evaluated", 1), ("duplicates", 2), ("verdicts", 3),
                  ("dedup_evictions", 4), ("principal_evictions", 5),
                  ("deferred", 6), ("suppressed", 7))


class _Registry(ctypes.Structure):
    pass


class _Session(ctypes.Structure):
    pass


class _Parser(ctypes.Structure):
    pass


class _Event(ctypes.Structure):
    pass


class _Result(ctypes.Structure):
    pass


class _Verdict(ctypes.Structure):
    pass


_P = ctypes.POINTER
_c_size, _c_u64, _c_char_p, _c_int = (ctypes.c_size_t, ctypes.c_uint64,
                                      ctypes.c_char_p, ctypes.c_int)

# name: (restype, argtypes). ctypes has no const: the event of
# kag_parser_next() and the result of kag_session_evaluate()/flush() are
# borrowed (const in kag.h) and never handed to a free function; only
# kag_event_new()'s event is (kag_event_free() refuses a parser's event
# with KAG_EINVAL).
_PROTOTYPES = {
    "kag_error_name": (_c_char_p, [_c_int]),
    "kag_strerror": (_c_char_p, [_c_int]),
    "kag_version_string": (_c_char_p, []),
    "kag_version_hex": (ctypes.c_uint32, []),
    "kag_registry_new": (_c_int, [_P(_P(_Registry))]),
    "kag_registry_free": (None, [_P(_Registry)]),
    "kag_registry_load_policy": (_c_int, [_P(_Registry), _c_char_p, _c_size]),
    "kag_registry_load_rules": (_c_int, [_P(_Registry), _c_char_p, _c_size]),
    "kag_registry_error_message": (_c_char_p, [_P(_Registry)]),
    "kag_registry_error_path": (_c_char_p, [_P(_Registry)]),
    "kag_registry_enable": (_c_int, [_P(_Registry), _c_char_p]),
    "kag_registry_disable": (_c_int, [_P(_Registry), _c_char_p]),
    "kag_registry_seal": (_c_int, [_P(_Registry)]),
    "kag_registry_is_sealed": (_c_int, [_P(_Registry)]),
    "kag_registry_count": (_c_size, [_P(_Registry)]),
    "kag_registry_detector_id": (_c_char_p, [_P(_Registry), _c_size]),
    "kag_registry_detector_title": (_c_char_p, [_P(_Registry), _c_size]),
    "kag_registry_detector_enabled": (_c_int, [_P(_Registry), _c_size]),
    "kag_session_new": (_c_int, [_P(_P(_Session)), _P(_Registry)]),
    "kag_session_free": (None, [_P(_Session)]),
    "kag_session_set_option_u64": (_c_int, [_P(_Session), _c_int, _c_u64]),
    "kag_session_stat": (_c_u64, [_P(_Session), _c_int]),
    "kag_session_evaluate": (_c_int, [_P(_P(_Result)), _P(_Session), _P(_Event)]),
    "kag_session_flush": (_c_int, [_P(_P(_Result)), _P(_Session)]),
    "kag_result_count": (_c_size, [_P(_Result)]),
    "kag_result_verdict": (_P(_Verdict), [_P(_Result), _c_size]),
    "kag_verdict_json": (ctypes.c_void_p, [_P(_Verdict), _P(_c_size)]),
    "kag_parser_new": (_c_int, [_P(_P(_Parser))]),
    "kag_parser_free": (None, [_P(_Parser)]),
    "kag_parser_set_option_u64": (_c_int, [_P(_Parser), _c_int, _c_u64]),
    "kag_parser_set_source": (_c_int, [_P(_Parser), _c_char_p]),
    "kag_parser_feed": (_c_int, [_P(_Parser), ctypes.c_char_p, _c_size]),
    "kag_parser_finish": (_c_int, [_P(_Parser)]),
    "kag_parser_reset": (_c_int, [_P(_Parser)]),
    "kag_parser_next": (_c_int, [_P(_P(_Event)), _P(_Parser)]),
    "kag_parser_error_message": (_c_char_p, [_P(_Parser)]),
    "kag_parser_error_json": (ctypes.c_void_p, [_P(_Parser), _P(_c_size)]),
    "kag_parser_error_line": (_c_u64, [_P(_Parser)]),
    "kag_parser_error_offset": (_c_u64, [_P(_Parser)]),
    "kag_parser_error_path": (_c_char_p, [_P(_Parser)]),
    "kag_parser_source": (_c_char_p, [_P(_Parser)]),
    "kag_parser_stat": (_c_u64, [_P(_Parser), _c_int]),
    "kag_event_new": (_c_int, [_P(_P(_Event))]),
    "kag_event_free": (_c_int, [_P(_Event)]),
    "kag_event_clear": (_c_int, [_P(_Event)]),
    "kag_native_member_count": (_c_size, []),
    "kag_native_member_name": (_c_char_p, [_c_size]),
    "kag_event_set_record": (_c_int, [_P(_Event), _c_char_p, _c_size]),
    "kag_event_error_message": (_c_char_p, [_P(_Event)]),
    "kag_event_error_path": (_c_char_p, [_P(_Event)]),
}


_SONAME = "libkag.so.0"


def _pkg_config_libdir():
    """The libdir pkg-config gives for kag, or None (no pkg-config, no
    kag.pc on its path)."""
    try:
        out = subprocess.run(["pkg-config", "--variable=libdir", "kag"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    libdir = out.stdout.decode("utf-8", "replace").strip()
    return libdir if out.returncode == 0 and libdir else None


def _open_library(path):
    """ctypes.CDLL of libkag: path, or else the places named in the module
    documentation, in order. ImportError names every place tried."""
    if path is not None:
        candidates = [("the path given", path)]
    elif os.environ.get("KAG_LIBRARY"):
        candidates = [("$KAG_LIBRARY", os.environ["KAG_LIBRARY"])]
    else:
        candidates = [("the dynamic loader", _SONAME)]
        found = ctypes.util.find_library("kag")
        if found:
            candidates.append(("ctypes.util.find_library", found))
        libdir = _pkg_config_libdir()
        if libdir:
            candidates.append(("pkg-config's libdir", os.path.join(libdir, _SONAME)))
    tried = []
    for how, name in candidates:
        try:
            return ctypes.CDLL(name), name
        except OSError as e:
            tried.append("%s (%s): %s" % (name, how, e))
    raise ImportError(
        "kag: cannot load libkag; tried " + "; ".join(tried) +
        ". Set KAG_LIBRARY to the path of libkag.so (a build tree's build/lib/libkag.so), "
        "or install libkag (meson install, then ldconfig) where the loader finds it.")


def load_library(path=None):
    """Load libkag and declare the prototypes this module uses.

    path defaults to $KAG_LIBRARY; without it, the dynamic loader (the
    SONAME libkag.so.0, then ctypes.util.find_library("kag")), then the
    libdir of `pkg-config --variable=libdir kag`. ImportError names every
    place tried."""
    lib, path = _open_library(path)
    for name, (restype, argtypes) in _PROTOTYPES.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes
    hexv = lib.kag_version_hex()
    if hexv < _MIN_VERSION_HEX:
        raise ImportError("libkag %s at %s is older than this module needs (0.4.0)"
                          % (lib.kag_version_string().decode(), path))
    return lib


_lib = load_library()


def _hot(name, restype, argtypes):
    """A second entry point to a library function, for the calls made on
    each record: its pointers are plain addresses (c_void_p), which ctypes
    converts in half the time it takes to check a typed pointer."""
    fn = _lib._FuncPtr((name, _lib))
    fn.restype = restype
    fn.argtypes = argtypes
    return fn


_set_record = _hot("kag_event_set_record", _c_int, (ctypes.c_void_p, _c_char_p, _c_size))
_evaluate = _hot("kag_session_evaluate", _c_int, (ctypes.c_void_p,) * 3)
_result_count = _hot("kag_result_count", _c_size, (ctypes.c_void_p,))


def library_version():
    """The loaded library's version string ("0.1.0")."""
    return _lib.kag_version_string().decode()


# ---- errors ----

class KagError(Exception):
    """An error reported by libkag.

    code: the negative KAG_E* value; name: its symbolic name ("KAG_EPARSE");
    message: the detail the library gave (its kag_strerror() text when there
    is none). Errors about a rejected input record also carry source, line,
    offset and path (a JSON pointer, "" when the whole record is at fault);
    partial holds the records returned before the error in that call."""

    def __init__(self, code, message=None, **detail):
        self.code = code
        self.name = _lib.kag_error_name(code).decode()
        if not message:
            message = _lib.kag_strerror(code).decode()
        self.message = message
        self.source = detail.get("source")
        self.line = detail.get("line")
        self.offset = detail.get("offset")
        self.path = detail.get("path")
        self.partial = detail.get("partial", [])
        super().__init__("%s: %s" % (self.name, message))


def _class_name(error_name):
    """KAG_EPARSE -> KagEParse: the generic rule for every KAG_E* name."""
    rest = error_name[len("KAG_E"):]
    return "KagE" + rest[:1].upper() + rest[1:].lower()


_error_classes = {}


def _build_error_classes():
    """One KagError subclass per error code the loaded library names. The
    codes are scanned, not listed here, so new codes get classes too."""
    module = sys.modules[__name__]
    for code in range(-1, -65, -1):
        name = _lib.kag_error_name(code).decode()
        if not name.startswith("KAG_E") or name == "KAG_ERROR":
            continue
        cls_name = _class_name(name)
        cls = type(cls_name, (KagError,), {
            "__doc__": "%s: %s" % (name, _lib.kag_strerror(code).decode()),
            "__module__": __name__,
        })
        _error_classes[code] = cls
        setattr(module, cls_name, cls)
        __all__.append(cls_name)


_build_error_classes()


def error_class(code):
    """The exception class for a KAG_E* code (KagError if it has none)."""
    return _error_classes.get(code, KagError)


def _raise(code, message=None, **detail):
    raise error_class(code)(code, message, **detail)


def _check(code, message=None):
    if code < 0:
        _raise(code, message)
    return code


def _as_bytes(data, what):
    if data is None:
        return None
    if isinstance(data, str):
        return data.encode("utf-8")
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    raise TypeError("%s must be bytes or str, not %s" % (what, type(data).__name__))


# ---- events built from decoded records ----

class KagRecordTypeError(error_class(_KAG_ESCHEMA), TypeError):
    """A value of a decoded record has a type its field cannot have. It is the
    KAG_ESCHEMA error the parser reports for the same record as JSON, with
    the same message ("expected string, got integer") and .path (the JSON
    pointer of the value, "/verb"); also a TypeError."""


class KagRecordValueError(error_class(_KAG_ESCHEMA), ValueError):
    """A value of a decoded record that JSON text could not carry to the
    library: an integer beyond 64 bits, a string with a lone surrogate, a body
    that json.dumps() or the library refuses (NaN, a cycle, a huge integer).
    KAG_ESCHEMA with .path; also a ValueError."""


# The members of a native Event the library reads, in the order its parser
# takes them: (name, name as bytes, JSON pointer).
_MEMBERS = tuple((name, name.encode(), b"/" + name.encode()) for name in (
    _lib.kag_native_member_name(i).decode() for i in range(_lib.kag_native_member_count())))
# The parser's fixed buffers: a JSON pointer keeps 127 bytes, a message 255.
_PATH_MAX, _MESSAGE_MAX = 127, 255
_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1


def _json_type(value):
    """The JSON type name the parser uses in its messages; a Python type
    name for values JSON has no type for."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, collections.abc.Mapping):
        return "object"
    if isinstance(value, (list, tuple)):
        return "array"
    return type(value).__name__


def _record_error(cls, path, text):
    """cls with the parser's message and path, each cut where the parser's
    buffers cut it (path and text are bytes)."""
    return cls(_KAG_ESCHEMA, text[:_MESSAGE_MAX].decode("utf-8", "replace"),
               path=path[:_PATH_MAX].decode("utf-8", "replace"))


def _path_key(key):
    return key.encode("utf-8", "surrogatepass")


def _carried(value, path):
    """Raise for the first part of a member's value that JSON text cannot carry
    to the library as it is, depth first: a key that is not a string (json.dumps
    would turn it into one), a string with a lone surrogate, an integer beyond
    64 bits. Everything else is the library's to judge."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise _record_error(KagRecordValueError, path,
                                b"string is not valid Unicode (a lone surrogate)") from None
    elif isinstance(value, bool) or value is None or isinstance(value, float):
        return
    elif isinstance(value, int):
        if not _INT64_MIN <= value <= _INT64_MAX:
            raise _record_error(KagRecordValueError, path, b"integer out of the 64-bit range")
    elif isinstance(value, collections.abc.Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise _record_error(KagRecordTypeError, path, b"expected string keys, got %s"
                                    % _json_type(key).encode())
            _carried(key, path)
            _carried(item, path + b"/" + _path_key(key))
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _carried(item, b"%s/%d" % (path, i))


def _member_text(value, path):
    """One member's value as JSON text (bytes), or the error the record gets
    for it: first what JSON text cannot carry (_carried), then what
    json.dumps() refuses, at the member's pointer."""
    try:
        _carried(value, path)
    except RecursionError as e:
        raise _record_error(KagRecordValueError, path, str(e).encode()) from None
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"),
                          allow_nan=False).encode("utf-8")
    except TypeError as e:
        raise _record_error(KagRecordTypeError, path, str(e).encode()) from None
    except (ValueError, RecursionError) as e:
        raise _record_error(KagRecordValueError, path, str(e).encode()) from None


def _members(record):
    """The members of record the library reads, in its order, without the
    missing and None ones: [(name, raw name, JSON pointer, value)]."""
    if not isinstance(record, collections.abc.Mapping):
        raise KagRecordTypeError(_KAG_ESCHEMA, "expected an audit event object, got %s"
                                 % _json_type(record), path="")
    out = []
    for name, raw, path in _MEMBERS:
        value = record.get(name)
        if value is not None:
            out.append((name, raw, path, value))
    return out


def _record_text_member_by_member(members):
    """The reference: each member checked and written in the library's
    order, so that the first member at fault is the one reported."""
    return b"{" + b",".join(b'"%s":%s' % (raw, _member_text(value, path))
                            for _, raw, path, value in members) + b"}"


def _record_text_pure(record):
    """The record's members as one JSON object (bytes), in pure Python: all
    of them checked (_carried) and written by one json.dumps(); when that
    finds anything wrong, member by member for the exact error."""
    members = _members(record)
    try:
        for _, _, path, value in members:
            _carried(value, path)
        return json.dumps({name: value for name, _, _, value in members}, ensure_ascii=False,
                          separators=(",", ":"), allow_nan=False).encode("utf-8")
    except (KagError, TypeError, ValueError, RecursionError):
        pass
    return _record_text_member_by_member(members)


_MEMBER_NAMES = tuple(name for name, _, _ in _MEMBERS)

try:
    if os.environ.get("KAG_PYTHON_PURE"):
        raise ImportError("KAG_PYTHON_PURE is set")
    from _kagrecord import record_text as _record_text_c
except ImportError:
    _record_text_c = None

#: True when judge_record() writes records with the C accelerator
#: (_kagrecord), False on the pure-Python path (json.dumps()). Both give
#: the same results and errors; the accelerator is faster.
ACCELERATED = _record_text_c is not None


if ACCELERATED:
    def _record_text(record, _c=_record_text_c, _names=_MEMBER_NAMES):
        """The record's members as one JSON object (bytes). The accelerator
        leaves what it does not write as the pure-Python path would (None)
        to that path."""
        return _c(record, _names) or _record_text_pure(record)
else:
    _record_text = _record_text_pure


def _record_failed(ev, rc):
    """Raise the library's error for a record kag_event_set_record()
    refused."""
    message = _lib.kag_event_error_message(ev)
    path = _lib.kag_event_error_path(ev).decode("utf-8", "replace")
    if rc == _KAG_ESCHEMA and path:
        cls = KagRecordTypeError
    elif rc == _KAG_EPARSE:
        message = b"not JSON the library accepts (%s)" % message
        cls = KagRecordValueError
    else:
        cls = error_class(rc)
    raise cls(rc, message.decode("utf-8", "replace"), path=path)


# ---- handles ----

class _Owned:
    """A library handle freed exactly once: by close(), or by the garbage
    collector, or at interpreter exit (weakref.finalize runs its callbacks
    from an atexit hook, while the library and ctypes are still loaded). The
    finalizer keeps its own reference to the free function and the pointer,
    so module teardown cannot pull them away."""

    __slots__ = ("ptr", "_finalizer", "__weakref__")

    def __init__(self, ptr, free):
        self.ptr = ptr
        self._finalizer = weakref.finalize(self, free, ptr)

    @property
    def alive(self):
        return self._finalizer.alive

    def close(self):
        self._finalizer()  # runs at most once
        self.ptr = None


class Registry:
    """The detector catalogue: every built-in detector, plus an optional
    policy (JSON bytes or str, kag_registry_load_policy()) and optional
    caller rules (kag_registry_load_rules()). Configure it, then seal() it;
    Engine seals it when it is not yet sealed. A sealed registry may be
    shared by several Engines."""

    def __init__(self, policy=None, rules=None):
        out = _P(_Registry)()
        _check(_lib.kag_registry_new(ctypes.byref(out)))
        self._h = _Owned(out, _lib.kag_registry_free)
        # Rules first: a policy may enable or disable rule ids.
        if rules is not None:
            self.load_rules(rules)
        if policy is not None:
            self.load_policy(policy)

    def _ptr(self):
        if self._h.ptr is None:
            raise ValueError("registry is closed")
        return self._h.ptr

    def _load(self, fn, doc, what):
        data = _as_bytes(doc, what)
        reg = self._ptr()
        rc = fn(reg, data, len(data))
        if rc < 0:
            _raise(rc, _lib.kag_registry_error_message(reg).decode(),
                   path=_lib.kag_registry_error_path(reg).decode())

    def load_policy(self, policy):
        """Load a JSON policy (bytes or str); all or nothing."""
        self._load(_lib.kag_registry_load_policy, policy, "policy")

    def load_rules(self, rules):
        """Load caller rules (JSON bytes or str); all or nothing."""
        self._load(_lib.kag_registry_load_rules, rules, "rules")

    def enable(self, detector_id):
        _check(_lib.kag_registry_enable(self._ptr(), detector_id.encode()))

    def disable(self, detector_id):
        _check(_lib.kag_registry_disable(self._ptr(), detector_id.encode()))

    def seal(self):
        """Make the registry immutable (needed before Engines use it)."""
        _check(_lib.kag_registry_seal(self._ptr()))

    @property
    def sealed(self):
        return bool(_lib.kag_registry_is_sealed(self._ptr()))

    def detectors(self):
        """[{"id", "title", "enabled"}] in registration order."""
        reg = self._ptr()
        return [{"id": _lib.kag_registry_detector_id(reg, i).decode(),
                 "title": _lib.kag_registry_detector_title(reg, i).decode(),
                 "enabled": bool(_lib.kag_registry_detector_enabled(reg, i))}
                for i in range(_lib.kag_registry_count(reg))]

    def close(self):
        """Drop this object's reference. Engines built on the registry keep
        working: the library holds its own reference for them."""
        self._h.close()

    @property
    def closed(self):
        return not self._h.alive

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Engine:
    """One evaluation stream: a sealed registry, a session (correlation
    state) and a parser.

    Engine(policy=None, rules=None, registry=None, *, emit_benign=True,
           include_bodies=False, format="auto", errors="record")

    registry: a Registry to use (sealed here if needed); when None, one is
      made from policy and rules. Giving both registry and policy/rules is a
      TypeError.
    emit_benign: also return benign and info verdicts (the library default).
    format: one of FORMATS.
    errors: what a rejected input record becomes: "record" (default) an
      error record {"error": {...}} among the verdicts, in stream order;
      "raise" an exception (KagEParse, KagESchema, KagELimit, KagETruncated)
      with the record's source/line/offset/path, and .partial holding the
      records returned before it in that call. The stream goes on: the next
      feed()/finish() call continues with the record after the bad one.

    feed() returns the verdicts of the complete records in a chunk, finish()
    those of the rest of the stream (and of requests seen only at
    RequestReceived), then readies the engine for another stream; the
    session's correlation state carries over. judge() and judge_file() do
    both for one document or file. judge_record() judges an event the
    caller has already decoded, in the same session."""

    def __init__(self, policy=None, rules=None, registry=None, *, emit_benign=True,
                 include_bodies=False, format="auto", errors="record"):
        if errors not in ("record", "raise"):
            raise ValueError("errors must be 'record' or 'raise'")
        if format not in FORMATS:
            raise ValueError("format must be one of %s" % ", ".join(FORMATS))
        if registry is not None and (policy is not None or rules is not None):
            raise TypeError("give either a registry or policy/rules, not both")
        self._errors = errors
        # Parser counters of finished streams (kag_parser_reset() zeroes them).
        self._done_stats = dict.fromkeys((name for name, _ in _PARSER_STATS), 0)
        self._session = self._parser = self._event = None
        self._record_state = None
        if registry is None:
            registry = Registry(policy=policy, rules=rules)
        if not registry.sealed:
            registry.seal()
        # A Python reference as well as the library's: the registry object
        # is then never collected before the engine.
        self.registry = registry

        out = _P(_Session)()
        _check(_lib.kag_session_new(ctypes.byref(out), registry._ptr()))
        self._session = _Owned(out, _lib.kag_session_free)
        _check(_lib.kag_session_set_option_u64(out, _SOPT_EMIT_BENIGN, 1 if emit_benign else 0))
        _check(_lib.kag_session_set_option_u64(out, _SOPT_INCLUDE_BODIES,
                                               1 if include_bodies else 0))
        pout = _P(_Parser)()
        _check(_lib.kag_parser_new(ctypes.byref(pout)))
        self._parser = _Owned(pout, _lib.kag_parser_free)
        _check(_lib.kag_parser_set_option_u64(pout, _OPT_FORMAT, FORMATS.index(format)))

    # -- internals --

    def _ptrs(self):
        if self._parser is None or self._parser.ptr is None:
            raise ValueError("engine is closed")
        return self._session.ptr, self._parser.ptr

    @staticmethod
    def _records(res, out):
        n = _lib.kag_result_count(res)
        length = _c_size()
        for i in range(n):
            v = _lib.kag_result_verdict(res, i)
            ptr = _lib.kag_verdict_json(v, ctypes.byref(length))
            out.append(json.loads(ctypes.string_at(ptr, length.value)))

    def _error_record(self, parser, code):
        """The library's error record of the record the parser rejected:
        {"error": {"code", "message", "source", "line", "offset"[, "path"]}}
        ("path" only when a field is at fault)."""
        length = _c_size()
        ptr = _lib.kag_parser_error_json(parser, ctypes.byref(length))
        if not ptr:
            raise MemoryError("kag: out of memory rendering an error record")
        return json.loads(ctypes.string_at(ptr, length.value))

    def _drain(self, out):
        session, parser = self._ptrs()
        ev = _P(_Event)()
        res = _P(_Result)()
        while True:
            rc = _lib.kag_parser_next(ctypes.byref(ev), parser)
            if rc == _KAG_ITEROVER:
                return out
            if rc < 0:
                rec = self._error_record(parser, rc)
                if self._errors == "raise":
                    e = rec["error"]
                    _raise(rc, e["message"], source=e["source"], line=e["line"],
                           offset=e["offset"], path=e.get("path", ""), partial=out)
                out.append(rec)
                continue
            _check(_lib.kag_session_evaluate(ctypes.byref(res), session, ev))
            self._records(res, out)

    # -- decoded records --

    def judge_record(self, record, source=None):
        """Judge one native audit.k8s.io Event that is already decoded: the
        mapping json.loads() gives for it, as Fluent Bit or Vector hand
        records over. Returns its verdict records, as feed() would for the
        same event as a JSON line with format="native" (event.format is
        "builder", and event.source is null or `source`).

        The members the library reads are written as one compact JSON
        object (by the C accelerator, or json.dumps(); see ACCELERATED)
        and read by the library in one call, kag_event_set_record(), exactly
        as the parser reads that object as a line: unknown keys are ignored,
        None is an absent field, and a value of the wrong type raises
        KagRecordTypeError (a KagESchema and a TypeError) with the parser's
        message and JSON pointer, e.g. "expected array, got string"; a
        record beyond the parser's default limits raises KagELimit with the
        parser's message. What JSON text cannot carry (a key that is not a
        str, a lone surrogate, an integer beyond 64 bits, NaN, a value
        json.dumps() refuses) raises KagRecordValueError or
        KagRecordTypeError at its pointer, for the first member at fault in
        the library's order. A mapping that names none of verb, auditID,
        stage, requestURI, objectRef and user is not an audit event
        (KagESchema). One record is one Event: pass the items of an
        EventList one at a time.

        source: an optional label for the record ("fluent-bit:tail.0"),
        written as event.source into the returned verdicts about it (those
        with its auditID). Verdicts of earlier requests seen only at
        RequestReceived, released by this call, keep theirs (null).
        finish() releases the rest of them at the end of the stream."""
        ev, session, res, res_at, res_value = self._record_state or self._record_setup()
        text = _record_text(record)
        rc = _set_record(ev, text, len(text))
        if rc < 0:
            _record_failed(self._event.ptr, rc)
        rc = _evaluate(res_at, session, ev)
        if rc < 0:
            _raise(rc)
        out = []
        if _result_count(res_value):
            self._records(res, out)
            if source is not None:
                audit_id = record.get("auditID")
                for rec in out:
                    if rec["event"]["auditID"] == audit_id:
                        rec["event"]["source"] = source
        return out

    def _record_setup(self):
        """judge_record()'s handles, made on its first call, as addresses
        for the _hot() calls: the library event it fills and the session;
        and the result pointer kag_session_evaluate() fills, its address,
        and a view of its value."""
        session, _ = self._ptrs()
        if self._event is None:
            out = _P(_Event)()
            _check(_lib.kag_event_new(ctypes.byref(out)))
            self._event = _Owned(out, _lib.kag_event_free)
        res = _P(_Result)()
        self._record_state = (ctypes.cast(self._event.ptr, ctypes.c_void_p).value,
                              ctypes.cast(session, ctypes.c_void_p).value, res,
                              ctypes.addressof(res), ctypes.c_void_p.from_buffer(res))
        return self._record_state

    # -- streaming --

    def set_source(self, name):
        """Name the input ("audit.log") for the "source" of verdicts and
        errors; None clears it. Line numbers restart at 1."""
        _, parser = self._ptrs()
        _check(_lib.kag_parser_set_source(parser, None if name is None else os.fsencode(name)))

    def feed(self, data):
        """Push a chunk (any split, even inside a line); return the records
        of the input records it completed."""
        data = _as_bytes(data, "data")
        _, parser = self._ptrs()
        _check(_lib.kag_parser_feed(parser, data, len(data)))
        return self._drain([])

    def finish(self):
        """End of stream: judge a final unterminated record, report an
        unfinished one (KAG_ETRUNCATED), release verdicts still held for
        requests seen only at RequestReceived, and get ready for the next
        stream."""
        session, parser = self._ptrs()
        _check(_lib.kag_parser_finish(parser))
        out = self._drain([])
        res = _P(_Result)()
        _check(_lib.kag_session_flush(ctypes.byref(res), session))
        self._records(res, out)
        for name, sid in _PARSER_STATS:
            self._done_stats[name] += _lib.kag_parser_stat(parser, sid)
        _check(_lib.kag_parser_reset(parser))
        return out

    def judge(self, data, source=None):
        """Judge one complete input (bytes or str): feed() plus finish().
        source names this input in its records; without it they have none
        (a name given to an earlier call does not carry over)."""
        self.set_source(source)
        out = self.feed(data)
        try:
            out.extend(self.finish())
        except KagError as e:
            e.partial = out + e.partial
            raise
        return out

    def stream(self, chunks):
        """Yield the records of an iterable of byte chunks, then finish()."""
        for chunk in chunks:
            yield from self.feed(chunk)
        yield from self.finish()

    def judge_file(self, file, source=None, chunk_size=1 << 16):
        """Yield the records of a file: a path or a binary file object. The
        source defaults to the path, or to the file object's name (none for
        an unnamed stream such as io.BytesIO)."""
        if isinstance(file, (str, bytes, os.PathLike)):
            self.set_source(os.fsdecode(file) if source is None else source)
            with open(file, "rb") as f:
                yield from self.stream(iter(lambda: f.read(chunk_size), b""))
        else:
            if source is None:
                name = getattr(file, "name", None)
                source = name if isinstance(name, str) else None
            self.set_source(source)
            yield from self.stream(iter(lambda: file.read(chunk_size), b""))

    def stats(self):
        """Counters since the engine was made, over all its streams: the
        parser's (records, events, errors, skipped, bytes) and the session's
        (evaluated, duplicates, verdicts, ...). records = events + errors +
        skipped."""
        session, parser = self._ptrs()
        st = {name: self._done_stats[name] + _lib.kag_parser_stat(parser, sid)
              for name, sid in _PARSER_STATS}
        st.update({name: _lib.kag_session_stat(session, sid) for name, sid in _SESSION_STATS})
        return st

    # -- lifetime --

    def close(self):
        """Free the parser, event and session now (idempotent). The registry
        object stays usable by others."""
        self._record_state = None
        for h in (self._parser, self._event, self._session):
            if h is not None:
                h.close()

    @property
    def closed(self):
        return self._parser is None or not self._parser.alive

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
