"""The C accelerator (_kagrecord) against the pure-Python path.

Every record of the test corpora (tests/data from $KAG_TEST_DATA, the
sample, the golden suite's hostile records, and the benchmark's stream when
$KAG_BENCH names kag-bench) and a set of hostile dicts go through both
paths: the accelerator writes the same bytes as the pure path or leaves the
record to it (None), and judge_record() gives the same verdicts and the same
errors (class, message, pointer) either way.

Under KAG_EXPECT_ACCELERATED=1 (the build made the accelerator) the module
must use it; under KAG_PYTHON_PURE=1 it must not.

SPDX-License-Identifier: MIT
"""

import collections
import enum
import json
import os
import subprocess
import sys
import unittest
from unittest import mock

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import kag  # noqa: E402
from test_records import DATA, EXEC, NO_REPEATS, comparable, corpus_files  # noqa: E402

GOLDEN_HOSTILE = os.path.join(HERE, "..", "..", "..", "tests", "golden", "hostile.jsonl")


def corpus_records():
    """(where, record) for every JSON document and line of the corpora."""
    files = corpus_files() + [GOLDEN_HOSTILE]
    for path in files:
        with open(path, "rb") as f:
            data = f.read()
        rel = os.path.relpath(path, DATA)
        try:
            doc = json.loads(data)
        except ValueError:
            doc = None
        if doc is not None:
            for i, item in enumerate(doc if isinstance(doc, list) else [doc]):
                yield "%s#%d" % (rel, i), item
            continue
        for n, line in enumerate(data.splitlines(), 1):
            try:
                yield "%s:%d" % (rel, n), json.loads(line)
            except ValueError:
                pass


def bench_records(events=3000):
    bench = os.environ.get("KAG_BENCH")
    if not bench:
        return []
    out = subprocess.run([bench, "--dump", "--events=%d" % events], stdout=subprocess.PIPE,
                         check=True).stdout
    return [json.loads(line) for line in out.splitlines()]


class Cyclic(dict):
    pass


class Color(enum.IntEnum):
    RED = 1


class Text(str):
    pass


class Number(float):
    pass


class Frozen(collections.abc.Mapping):
    """A Mapping that is not a dict."""

    def __init__(self, d):
        self._d = d

    def __getitem__(self, k):
        return self._d[k]

    def __iter__(self):
        return iter(self._d)

    def __len__(self):
        return len(self._d)


def nested(depth, leaf=1):
    v = leaf
    for _ in range(depth):
        v = [v]
    return v


def hostile():
    """Dicts that probe every check of both paths, and what JSON can carry
    at its edges."""
    loop = {"a": 1}
    loop["self"] = loop
    looped_list = []
    looped_list.append(looped_list)
    yield "not a mapping", [EXEC]
    yield "str", "{}"
    yield "None", None
    yield "frozen mapping", Frozen(dict(EXEC))
    yield "ordered", collections.OrderedDict(EXEC)
    yield "all None", {"verb": None, "user": None}
    yield "empty", {}
    for key in (1, None, (1, 2), 1.5, True):
        yield "key %r" % (key,), {"verb": "get", "annotations": {key: "a"}}
        yield "body key %r" % (key,), {"verb": "get", "requestObject": {"x": {key: 1}}}
    yield "surrogate", {"verb": "get", "user": {"username": "a\ud800"}}
    yield "surrogate key", {"verb": "get", "annotations": {"\udfff": "a"}}
    yield "surrogate in body", {"verb": "get", "requestObject": {"a": ["\ud83d"]}}
    yield "surrogate and NaN, NaN first", {"verb": "get", "requestObject": float("nan"),
                                            "user": {"username": "\ud800"}}
    yield "NaN and surrogate in one member", {"verb": "get",
                                              "requestObject": [float("nan"), "\ud800"]}
    for n in ((1 << 63) - 1, -(1 << 63), 1 << 63, -(1 << 63) - 1, 1 << 200):
        yield "int %d" % n, {"verb": "get", "responseStatus": {"code": n}}
        yield "body int %d" % n, {"verb": "get", "requestObject": {"n": n}}
    for x in (float("nan"), float("inf"), float("-inf"), 1e308, 5e-324, -0.0, 0.1, 1e16,
              1.0, 123456789.123456789):
        yield "float %r" % x, {"verb": "get", "requestObject": {"x": x}}
    yield "bool code", {"verb": "get", "responseStatus": {"code": True}}
    yield "set", {"verb": "get", "requestObject": {"s": {1, 2}}}
    yield "bytes", {"verb": b"get"}
    yield "object", {"verb": "get", "responseObject": object()}
    yield "cycle dict", {"verb": "get", "requestObject": loop}
    yield "cycle list", {"verb": "get", "requestObject": looped_list}
    for depth in (62, 63, 64, 65, 100, 3000):
        yield "depth %d" % depth, {"verb": "get", "requestObject": nested(depth)}
    yield "IntEnum", {"verb": "get", "responseStatus": {"code": Color.RED}}
    yield "str subclass", {"verb": Text("get")}
    yield "float subclass", {"verb": "get", "requestObject": {"x": Number(1.5)}}
    yield "dict subclass", {"verb": "get", "user": Cyclic(username="a")}
    yield "tuple", {"verb": "get", "sourceIPs": ("10.0.0.1", "10.0.0.2")}
    yield "escapes", {"verb": "g\"e\\t\n\r\t\b\f\x00\x01\x1f\x7f\u2028\u00e9\U0001f600",
                      "annotations": {"k\"\\\n": "\x00v"}}
    yield "wrong types", {"verb": 5, "annotations": {"a": 1}}
    yield "long string", {"verb": "get", "userAgent": "a" * ((1 << 20) + 1)}
    yield "unknown members", dict(EXEC, metadata={"s": {1}}, other=float("nan"))
    yield "EventList", {"kind": "EventList", "items": [EXEC]}


def outcome(engine, record):
    """judge_record()'s verdicts, or its error as (class, message, path)."""
    try:
        return comparable(engine.judge_record(record))
    except (kag.KagError, TypeError, ValueError) as e:
        return (type(e).__name__, getattr(e, "message", str(e)), getattr(e, "path", None))


@unittest.skipUnless(kag.ACCELERATED, "the accelerator is not in use")
class SamePaths(unittest.TestCase):
    def check(self, records, min_written):
        """Both paths over records, each in an engine of its own; the
        accelerator must write at least min_written of them itself."""
        written = 0
        with kag.Engine(policy=NO_REPEATS, include_bodies=True) as fast, \
                kag.Engine(policy=NO_REPEATS, include_bodies=True) as pure:
            for where, record in records:
                with self.subTest(where=where):
                    text = kag._record_text_c(record, kag._MEMBER_NAMES)
                    try:
                        want = kag._record_text_pure(record)
                    except (kag.KagError, TypeError, ValueError):
                        want = None
                    if text is not None:
                        written += 1
                        self.assertEqual(text, want)
                    got = outcome(fast, record)
                    with mock.patch.object(kag, "_record_text", kag._record_text_pure):
                        self.assertEqual(got, outcome(pure, record))
            self.assertEqual(comparable(fast.finish()), comparable(pure.finish()))
        self.assertGreaterEqual(written, min_written)
        return written

    def test_corpus(self):
        records = list(corpus_records())
        self.assertGreater(len(records), 650)
        # the accelerator writes nearly all of them itself
        self.check(records, len(records) - 5)

    def test_bench_stream(self):
        records = bench_records()
        if not records:
            self.skipTest("KAG_BENCH is not set")
        self.check([("bench:%d" % i, r) for i, r in enumerate(records, 1)], len(records))

    def test_hostile(self):
        cases = list(hostile())
        self.check(cases, 20)

    def test_text_is_what_json_dumps_writes(self):
        record = {"verb": "g\"\\\n\x00\x7f\u00e9\U0001f600", "responseStatus": {"code": -5},
                  "requestObject": {"f": [1.5, -0.0, 1e100, True, False, None, ()]},
                  "notRead": 1, "userAgent": None}
        self.assertEqual(kag._record_text_c(record, kag._MEMBER_NAMES),
                         json.dumps({"verb": record["verb"],
                                     "responseStatus": record["responseStatus"],
                                     "requestObject": record["requestObject"]},
                                    ensure_ascii=False, separators=(",", ":")).encode())

    def test_deferred(self):
        for what, record in (("surrogate", {"verb": "\ud800"}),
                             ("big int", {"verb": "get", "requestObject": 1 << 64}),
                             ("NaN", {"verb": "get", "requestObject": float("nan")}),
                             ("int key", {"verb": "get", "annotations": {1: "a"}}),
                             ("subclass", {"verb": Text("get")}),
                             ("deep", {"verb": "get", "requestObject": nested(64)}),
                             ("mapping", Frozen({"verb": "get"}))):
            with self.subTest(what=what):
                self.assertIsNone(kag._record_text_c(record, kag._MEMBER_NAMES))
        self.assertEqual(kag._record_text_c({"verb": "get", "requestObject": nested(63)},
                                            kag._MEMBER_NAMES),
                         b'{"verb":"get","requestObject":' + b"[" * 63 + b"1" + b"]" * 63 + b"}")


class InUse(unittest.TestCase):
    def test_accelerated_as_built(self):
        if os.environ.get("KAG_PYTHON_PURE"):
            self.assertFalse(kag.ACCELERATED)
        elif os.environ.get("KAG_EXPECT_ACCELERATED") == "1":
            self.assertTrue(kag.ACCELERATED)
        else:
            self.skipTest("neither KAG_PYTHON_PURE nor KAG_EXPECT_ACCELERATED is set")

    def test_one_library_call_per_record(self):
        """judge_record() fills the event with one kag_event_set_record()
        call of the record's JSON text; no member-wise call is left."""
        calls = []
        real = kag._set_record

        def counting(ev, text, n):
            calls.append(text)
            return real(ev, text, n)

        record = dict(EXEC, notRead={"big": list(range(100))}, userAgent=None)
        with kag.Engine(policy=NO_REPEATS) as made:
            with mock.patch.object(kag, "_set_record", counting):
                recs = made.judge_record(record)
        self.assertEqual([r["detector"] for r in recs], ["interactive_access"])
        self.assertEqual(len(calls), 1)
        sent = json.loads(calls[0])
        self.assertEqual(list(sent), [k for k in kag._MEMBER_NAMES if k in EXEC])
        self.assertFalse(hasattr(kag._lib, "kag_event_set_member") and
                         "kag_event_set_member" in kag._PROTOTYPES)


if __name__ == "__main__":
    unittest.main()
