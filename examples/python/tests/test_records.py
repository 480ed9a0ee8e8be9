"""Engine.judge_record(): decoded records judged through kag_event_set_record().

The differential test judges every JSON record of the corpus (tests/data,
from $KAG_TEST_DATA, and examples/sample-audit.jsonl) twice, in two engines
side by side: parsed from its bytes (format="native") and built from the
dict json.loads() gives. After each record, and at the end of each file,
the two give the same verdict records (event.format and event.source
apart: a built event is "builder" and has no input position), and the
records the parser rejects are rejected by judge_record() with the same
code, message and JSON pointer.

SPDX-License-Identifier: MIT
"""

import copy
import json
import os
import re
import sys
import unittest
from unittest import mock

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import kag  # noqa: E402

DATA = os.environ.get("KAG_TEST_DATA") or os.path.join(HERE, "..", "..", "..", "tests", "data")
SAMPLE = os.path.join(HERE, "..", "..", "sample-audit.jsonl")

EXEC = {"kind": "Event", "apiVersion": "audit.k8s.io/v1", "auditID": "a-1",
        "stage": "ResponseStarted", "level": "Request", "verb": "create",
        "requestURI": "/api/v1/namespaces/prod/pods/api-7f9/exec?command=sh",
        "user": {"username": "alice@example.com", "groups": ["devs", "system:authenticated"],
                 "extra": {"scopes": ["a", "b"], "single": "c"}},
        "sourceIPs": ["203.0.113.10"],
        "objectRef": {"resource": "pods", "subresource": "exec", "namespace": "prod",
                      "name": "api-7f9", "apiVersion": "v1"},
        "responseStatus": {"code": 101},
        "annotations": {"authorization.k8s.io/decision": "allow"},
        "stageTimestamp": "2024-05-01T10:00:00.123456Z"}

# These tests read every record's verdicts: repeats are returned as they
# come (the default policy counts a repeat in its window instead).
NO_REPEATS = '{"version": 1, "windows": {"repeat": 0}}'


def corpus_files():
    files = []
    for root, dirs, names in os.walk(DATA):
        dirs.sort()
        files += [os.path.join(root, n) for n in sorted(names) if not n.endswith(".md")]
    return files + [SAMPLE]


def comparable(records):
    """Verdict records without event.format and event.source; error
    records as (code, message without the parser's "line N: ", path)."""
    out = []
    for r in records:
        if "error" in r:
            e = r["error"]
            out.append(("error", e["code"], e["message"], e.get("path", "")))
        else:
            r = copy.deepcopy(r)
            del r["event"]["format"], r["event"]["source"]
            out.append(r)
    return out


def full(e):
    """An error's pointer and message as one "<path>: <message>" text."""
    return "%s: %s" % (e.path, e.message) if e.path else e.message


def built(engine, record, prefix=""):
    """judge_record(); a KagError becomes the error tuple of comparable(),
    its pointer moved under `prefix` (an item of a JSON array)."""
    try:
        return comparable(engine.judge_record(record))
    except kag.KagError as e:
        message = prefix + e.message if e.path and e.message.startswith(e.path) else e.message
        return [("error", e.name, message, prefix + e.path)]


def engines():
    parsed = kag.Engine(policy=NO_REPEATS, format="native", include_bodies=True)
    made = kag.Engine(policy=NO_REPEATS, include_bodies=True)
    return parsed, made


class Differential(unittest.TestCase):
    def compare(self, want, got, where):
        self.detectors.update(r["detector"] for r in got if isinstance(r, dict))
        if want != got:
            self.fail("%s: parsed and built differ\nparsed: %s\nbuilt:  %s"
                      % (where, json.dumps(want, sort_keys=True), json.dumps(got, sort_keys=True)))

    def test_corpus(self):
        self.detectors = set()
        totals = dict.fromkeys(("files", "records", "verdicts", "errors", "bodies",
                                "array_items"), 0)
        for path in corpus_files():
            rel = os.path.relpath(path, DATA)
            with open(path, "rb") as f:
                data = f.read()
            parsed, made = engines()
            with parsed, made:
                try:
                    doc = json.loads(data)
                except ValueError:
                    doc = None
                if doc is not None:
                    # one document (a pretty-printed event, or an array of them)
                    want = comparable(parsed.feed(data) + parsed.finish())
                    got = []
                    if isinstance(doc, list):
                        for i, item in enumerate(doc):
                            got += built(made, item, "/%d" % i)
                        totals["array_items"] += len(doc)
                    else:
                        got = built(made, doc)
                    got += comparable(made.finish())
                    self.compare(want, got, rel)
                    records = [doc] if not isinstance(doc, list) else doc
                else:
                    records = []
                    for n, line in enumerate(data.splitlines(), 1):
                        if not line.strip():
                            continue
                        try:
                            record = json.loads(line)
                        except ValueError:
                            # a node-name prefix (oc adm node-logs) before the JSON
                            brace = line.find(b"{")
                            try:
                                record = json.loads(line[brace:]) if brace > 0 else None
                            except ValueError:
                                record = None
                            if record is None:
                                continue  # not JSON: nothing a collector could decode
                        want = comparable(parsed.feed(line + b"\n"))
                        got = built(made, record)
                        self.compare(want, got, "%s:%d" % (rel, n))
                        records.append(record)
                    self.compare(comparable(parsed.finish()), comparable(made.finish()),
                                 rel + " (finish)")
                st_parsed, st_made = parsed.stats(), made.stats()
            for name in ("evaluated", "verdicts", "duplicates", "deferred"):
                self.assertEqual(st_parsed[name], st_made[name], "%s: %s" % (rel, name))
            totals["files"] += 1
            totals["records"] += len(records)
            totals["verdicts"] += st_made["verdicts"]
            totals["errors"] += st_parsed["errors"]
            totals["bodies"] += sum(1 for r in records if isinstance(r, dict) and
                                    ("requestObject" in r or "responseObject" in r))
        # The corpus was found and exercised every path.
        print("\ncorpus through judge_record():", totals, file=sys.stderr)
        self.assertGreaterEqual(totals["files"], 55, totals)
        self.assertGreaterEqual(totals["records"], 650, totals)
        self.assertGreaterEqual(totals["verdicts"], 200, totals)
        self.assertGreaterEqual(totals["errors"], 300, totals)
        self.assertGreater(totals["bodies"], 100, totals)
        self.assertGreater(totals["array_items"], 200, totals)
        self.assertGreaterEqual(len(self.detectors), 12, sorted(self.detectors))


class WrongTypes(unittest.TestCase):
    """A value of the wrong type raises KagRecordTypeError with the message
    and JSON pointer the parser gives for the same record as JSON."""

    CASES = [
        ({"verb": 5}, "/verb: expected string, got integer"),
        ({"verb": "get", "kind": 0}, "/kind: expected string, got integer"),
        ({"verb": "get", "apiVersion": ["v1"]}, "/apiVersion: expected string, got array"),
        ({"verb": "get", "stage": True}, "/stage: expected string, got boolean"),
        ({"verb": "get", "sourceIPs": "203.0.113.10"}, "/sourceIPs: expected array, got string"),
        ({"verb": "get", "sourceIPs": ["203.0.113.10", 7]},
         "/sourceIPs/1: expected string, got integer"),
        ({"verb": "get", "user": "alice"}, "/user: expected object, got string"),
        ({"verb": "get", "user": {"username": 1.5}}, "/user/username: expected string, got number"),
        ({"verb": "get", "user": {"groups": {"a": 1}}}, "/user/groups: expected array, got object"),
        ({"verb": "get", "user": {"extra": ["a"]}}, "/user/extra: expected object, got array"),
        ({"verb": "get", "user": {"extra": {"scopes": 5}}},
         "/user/extra/scopes: expected array, got integer"),
        ({"verb": "get", "user": {"extra": {"scopes": None}}},
         "/user/extra/scopes: expected array, got null"),
        ({"verb": "get", "user": {"extra": {"scopes": ["a", None]}}},
         "/user/extra/scopes/1: expected string, got null"),
        ({"verb": "get", "impersonatedUser": {"uid": 0}},
         "/impersonatedUser/uid: expected string, got integer"),
        ({"verb": "get", "objectRef": []}, "/objectRef: expected object, got array"),
        ({"verb": "get", "objectRef": {"namespace": False}},
         "/objectRef/namespace: expected string, got boolean"),
        ({"verb": "get", "responseStatus": 200}, "/responseStatus: expected object, got integer"),
        ({"verb": "get", "responseStatus": {"code": "200"}},
         "/responseStatus/code: expected integer, got string"),
        ({"verb": "get", "responseStatus": {"code": 200.0}},
         "/responseStatus/code: expected integer, got number"),
        ({"verb": "get", "responseStatus": {"code": True}},
         "/responseStatus/code: expected integer, got boolean"),
        ({"verb": "get", "responseStatus": {"code": 403, "reason": 1}},
         "/responseStatus/reason: expected string, got integer"),
        ({"verb": "get", "annotations": ["a"]}, "/annotations: expected object, got array"),
        ({"verb": "get", "annotations": {"a": "b", "c": None}},
         "/annotations/c: expected string, got null"),
        # the first wrong value in the parser's order is the one reported
        ({"annotations": {"a": 1}, "verb": 2}, "/verb: expected string, got integer"),
        # pointers and messages are cut where the parser's buffers cut them
        ({"verb": "get", "annotations": {"k" * 300: 1}},
         ("/annotations/" + "k" * 300)[:127] + ": expected string, got integer"),
        ({"verb": "get", "user": {"extra": {"\u00e9" * 70: 5}}},
         "/user/extra/" + "\u00e9" * 57 + "\ufffd: expected array, got integer"),
    ]

    def test_wrong_types(self):
        with kag.Engine(policy=NO_REPEATS) as made, kag.Engine(policy=NO_REPEATS, format="native") as parsed:
            for n, (record, message) in enumerate(self.CASES):
                with self.subTest(record=str(record)[:80]):
                    with self.assertRaises(kag.KagRecordTypeError) as cm:
                        made.judge_record(record)
                    e = cm.exception
                    self.assertIsInstance(e, kag.KagESchema)
                    self.assertIsInstance(e, TypeError)
                    self.assertEqual(e.code, -5)
                    # the pointer is .path, the message what went wrong
                    path = message[:message.rindex(": expected")]
                    text = message[len(path) + 2:]
                    self.assertEqual(e.message, text)
                    self.assertEqual(str(e), "KAG_ESCHEMA: " + text)
                    self.assertEqual(e.path, path)
                    # the parser says the same of the same record
                    rec = parsed.judge(json.dumps(record, ensure_ascii=False))
                    self.assertEqual(comparable(rec), [("error", "KAG_ESCHEMA", text, e.path)])
                    # and the engine goes on
                    recs = made.judge_record(dict(EXEC, auditID="w-%d" % n))
                    self.assertEqual([r["detector"] for r in recs], ["interactive_access"])

    def test_not_a_mapping(self):
        with kag.Engine(policy=NO_REPEATS) as made:
            for value, name in (([EXEC], "array"), ("{}", "string"), (None, "null"),
                                (b"{}", "bytes"), (3, "integer")):
                with self.assertRaises(kag.KagRecordTypeError) as cm:
                    made.judge_record(value)
                self.assertEqual(cm.exception.message,
                                 "expected an audit event object, got " + name)
                self.assertEqual(cm.exception.path, "")

    def test_not_an_audit_event(self):
        msg = ("not an audit event: none of verb, auditID, stage, requestURI, objectRef, "
               "user is present")
        with kag.Engine(policy=NO_REPEATS) as made, kag.Engine(policy=NO_REPEATS, format="native") as parsed:
            for record in ({}, {"kind": "EventList", "items": [EXEC]}, {"verb": None},
                           {"userAgent": "kubectl", "sourceIPs": ["10.0.0.1"]}):
                with self.assertRaises(kag.KagESchema) as cm:
                    made.judge_record(record)
                self.assertNotIsInstance(cm.exception, TypeError)
                self.assertEqual(cm.exception.message, msg)
                if "items" not in record:  # the parser unwraps EventLists
                    self.assertEqual(comparable(parsed.judge(json.dumps(record))),
                                     [("error", "KAG_ESCHEMA", msg, "")])
            # an empty object is enough, as it is for the parser
            self.assertEqual(made.judge_record({"user": {}}), [])

    def test_non_string_keys(self):
        with kag.Engine(policy=NO_REPEATS) as made:
            with self.assertRaises(kag.KagRecordTypeError) as cm:
                made.judge_record({"verb": "get", "annotations": {1: "a"}})
            self.assertEqual(full(cm.exception),
                             "/annotations: expected string keys, got integer")
            with self.assertRaises(kag.KagRecordTypeError) as cm:
                made.judge_record({"verb": "get", "user": {"extra": {None: ["a"]}}})
            self.assertEqual(full(cm.exception), "/user/extra: expected string keys, got null")

    def test_values_json_cannot_carry(self):
        with kag.Engine(policy=NO_REPEATS) as made:
            cases = [
                ({"verb": "get", "responseStatus": {"code": 1 << 63}},
                 "/responseStatus/code: integer out of the 64-bit range"),
                ({"verb": "get", "user": {"username": "a\ud800"}},
                 "/user/username: string is not valid Unicode (a lone surrogate)"),
                ({"verb": "get", "sourceIPs": ["ok", "\udfff"]},
                 "/sourceIPs/1: string is not valid Unicode (a lone surrogate)"),
                ({"verb": "get", "requestObject": {"n": float("nan")}},
                 "/requestObject: Out of range float values are not JSON compliant"),
                ({"verb": "get", "responseObject": {"n": 1 << 64}},
                 "/responseObject/n: integer out of the 64-bit range"),
            ]
            for record, message in cases:
                with self.assertRaises(kag.KagRecordValueError) as cm:
                    made.judge_record(record)
                self.assertIsInstance(cm.exception, ValueError)
                self.assertIsInstance(cm.exception, kag.KagESchema)
                self.assertEqual(full(cm.exception), message)
            with self.assertRaises(kag.KagRecordTypeError) as cm:
                made.judge_record({"verb": "get", "requestObject": {"s": {1, 2}}})
            self.assertEqual(full(cm.exception),
                             "/requestObject: Object of type set is not JSON serializable")
            self.assertEqual(cm.exception.path, "/requestObject")
            # the highest code JSON can carry is accepted
            made.judge_record({"verb": "get", "responseStatus": {"code": (1 << 63) - 1}})


class Limits(unittest.TestCase):
    def test_limits_as_feed_reports_them(self):
        """A record over a default limit raises KagELimit with the error
        feed() gives for the same record as a line."""
        deep = 1
        for _ in range(64):
            deep = [deep]
        cases = [({"verb": "get", "requestObject": deep}, "nesting deeper than 64 levels"),
                 ({"verb": "get", "userAgent": "a" * ((1 << 20) + 1)},
                  "a string is longer than 1048576 bytes")]
        with kag.Engine(policy=NO_REPEATS) as made, \
                kag.Engine(policy=NO_REPEATS, format="native") as parsed:
            for record, message in cases:
                with self.assertRaises(kag.KagELimit) as cm:
                    made.judge_record(record)
                self.assertEqual((cm.exception.message, cm.exception.path), (message, ""))
                self.assertEqual(comparable(parsed.feed(json.dumps(record) + "\n")),
                                 [("error", "KAG_ELIMIT", message, "")])
            # one level less is read
            self.assertEqual(made.judge_record({"verb": "get", "requestObject": deep[0]}), [])


class Records(unittest.TestCase):
    def test_same_as_parsing(self):
        with kag.Engine(policy=NO_REPEATS, include_bodies=True) as made, \
                kag.Engine(format="native", include_bodies=True) as parsed:
            got = made.judge_record(EXEC)
            want = parsed.judge(json.dumps(EXEC))
            self.assertEqual(comparable(got), comparable(want))
            self.assertEqual(len(got), 1)
            v = got[0]
            self.assertEqual((v["detector"], v["assessment"], v["outcome"], v["severity"]),
                             ("interactive_access", "suspicious", "in_progress", "high"))
            self.assertEqual(v["event"]["format"], "builder")
            self.assertIsNone(v["event"]["source"])
            self.assertEqual(v["evidence"]["user"]["extra"], {"scopes": ["a", "b"],
                                                              "single": ["c"]})

    def test_unknown_keys_are_ignored(self):
        noisy = dict(EXEC, p_log_type="Amazon.EKS.Audit", metadata={"x": [1, None]},
                     objectRef=dict(EXEC["objectRef"], uid=5, resourceVersion=None),
                     user=dict(EXEC["user"], fingerprint=3.5))
        with kag.Engine() as a, kag.Engine() as b:
            self.assertEqual(comparable(a.judge_record(noisy)), comparable(b.judge_record(EXEC)))

    def test_null_is_absent_and_empty_is_present(self):
        with kag.Engine(policy=NO_REPEATS) as made, kag.Engine(policy=NO_REPEATS, format="native") as parsed:
            for record in (dict(EXEC, userAgent=None, sourceIPs=None, annotations=None),
                           dict(EXEC, sourceIPs=[], annotations={},
                                user={"username": "alice", "groups": [], "extra": {}}),
                           dict(EXEC, verb="", userAgent="", objectRef={})):
                self.assertEqual(comparable(made.judge_record(record)),
                                 comparable(parsed.judge(json.dumps(record))))
            recs = made.judge_record(dict(EXEC, auditID="a-2", sourceIPs=[],
                                          user={"username": "alice", "groups": []}))
            self.assertEqual(recs[0]["evidence"]["sourceIPs"], [])
            self.assertEqual(recs[0]["evidence"]["user"]["groups"], [])

    def test_empty_objects_are_present(self):
        """Caller rules testing "exists" see an empty object in a built
        event as they see it in a parsed one."""
        fields = ["user", "user.groups", "user.extra", "impersonatedUser",
                  "impersonatedUser.extra", "sourceIPs", "objectRef", "responseStatus",
                  "annotations", "requestObject"]
        rules = {"version": 1, "rules": [
            {"id": "has_" + f.replace(".", "_"), "title": "has " + f,
             "assessment": "suspicious", "severity": "low",
             "match": {"field": f, "exists": True}} for f in fields]}
        record = {"verb": "get", "user": {"groups": [], "extra": {}}, "impersonatedUser": {},
                  "sourceIPs": [], "objectRef": {}, "responseStatus": {}, "annotations": {},
                  "requestObject": {}}
        with kag.Engine(rules=json.dumps(rules)) as made, \
                kag.Engine(rules=json.dumps(rules), format="native") as parsed:
            got = made.judge_record(record)
            self.assertEqual(comparable(got), comparable(parsed.judge(json.dumps(record))))
            self.assertEqual(sorted(r["detector"] for r in got),
                             ["has_annotations", "has_impersonatedUser", "has_objectRef",
                              "has_requestObject", "has_responseStatus", "has_user",
                              "has_user_extra", "impersonation"])
            self.assertEqual(made.judge_record({"verb": "get", "requestObject": None}), [])

    def test_each_identifying_field_is_enough(self):
        with kag.Engine(policy=NO_REPEATS) as made, kag.Engine(policy=NO_REPEATS, format="native") as parsed:
            for record in ({"verb": "get"}, {"auditID": "i-1"}, {"stage": "ResponseComplete"},
                           {"requestURI": "/healthz"}, {"objectRef": {}}, {"user": {}},
                           {"verb": ""}):
                got = made.judge_record(record)
                self.assertEqual(comparable(got), comparable(parsed.judge(json.dumps(record))))

    def test_members_read_are_written_once(self):
        pod = {"kind": "Pod", "spec": {"containers": [
            {"name": "c", "image": "nginx", "securityContext": {"privileged": True}}]}}
        record = {"kind": "Event", "auditID": "b-1", "stage": "ResponseComplete",
                  "level": "RequestResponse", "verb": "create",
                  "user": {"username": "mallory@example.com"},
                  "objectRef": {"resource": "pods", "namespace": "prod", "name": "p"},
                  "responseStatus": {"code": 201}, "requestObject": pod,
                  "responseObject": pod, "notRead": {"big": list(range(1000))},
                  "userAgent": None}
        calls = []
        real_dumps = json.dumps

        def counting_dumps(value, **kw):
            calls.append(value)
            return real_dumps(value, **kw)

        with kag.Engine(policy=NO_REPEATS) as made, kag.Engine(policy=NO_REPEATS, format="native") as parsed:
            with mock.patch.object(kag.json, "dumps", counting_dumps):
                recs = made.judge_record(record)
            if kag.ACCELERATED:
                # the accelerator writes the text
                self.assertEqual(calls, [])
            else:
                # one json.dumps() of the members the library reads, in
                # its order; neither unknown members nor nulls
                self.assertEqual(len(calls), 1)
                self.assertEqual(list(calls[0].items()), [
                    ("kind", "Event"), ("auditID", "b-1"), ("stage", "ResponseComplete"),
                    ("level", "RequestResponse"), ("verb", "create"), ("user", record["user"]),
                    ("objectRef", record["objectRef"]),
                    ("responseStatus", record["responseStatus"]), ("requestObject", pod),
                    ("responseObject", pod)])
            self.assertIn("privileged_workload", [r["detector"] for r in recs])
            self.assertEqual(comparable(recs), comparable(parsed.judge(json.dumps(record))))

    def test_source_labels_the_record_verdicts(self):
        with kag.Engine(policy=NO_REPEATS) as made:
            recs = made.judge_record(EXEC, source="fluent-bit:tail.0")
            self.assertEqual([r["event"]["source"] for r in recs], ["fluent-bit:tail.0"])

    def test_held_request_released_at_finish(self):
        """A request seen only at RequestReceived is held for its later
        stage, as in a parsed stream; finish() releases it."""
        received = dict(EXEC, auditID="h-1", stage="RequestReceived")
        received.pop("responseStatus")
        complete = dict(EXEC, auditID="h-2")
        with kag.Engine(policy=NO_REPEATS) as made, kag.Engine(policy=NO_REPEATS, format="native") as parsed:
            got = made.judge_record(received) + made.judge_record(complete)
            want = (parsed.feed(json.dumps(received) + "\n") +
                    parsed.feed(json.dumps(complete) + "\n"))
            self.assertEqual(comparable(got), comparable(want))
            self.assertEqual([r["event"]["auditID"] for r in got], ["h-2"])
            self.assertEqual(made.stats()["deferred"], 1)
            got, want = made.finish(), parsed.finish()
            self.assertEqual([r["event"]["auditID"] for r in got], ["h-1"])
            self.assertEqual(comparable(got), comparable(want))

    def test_stage_dedup_spans_records(self):
        started = dict(EXEC, auditID="d-1")
        complete = dict(EXEC, auditID="d-1", stage="ResponseComplete")
        with kag.Engine(policy=NO_REPEATS) as made:
            self.assertEqual(len(made.judge_record(started)), 1)
            self.assertEqual(made.judge_record(complete), [])
            self.assertEqual(made.stats()["duplicates"], 1)

    def test_closed_engine(self):
        made = kag.Engine()
        made.judge_record(EXEC)
        made.close()
        made.close()
        with self.assertRaises(ValueError):
            made.judge_record(EXEC)


if __name__ == "__main__":
    unittest.main()
