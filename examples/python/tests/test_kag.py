"""Tests of the kag ctypes module: python3 -m unittest discover -s tests.

The library comes from $KAG_LIBRARY (meson test points it at the build);
test data from $KAG_TEST_DATA, else the tree's tests/data.

SPDX-License-Identifier: MIT
"""

import gc
import io
import os
import subprocess
import sys
import tempfile
import textwrap
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import kag  # noqa: E402

DATA = os.environ.get("KAG_TEST_DATA") or os.path.join(HERE, "..", "..", "..", "tests", "data")


def data_path(name):
    return os.path.join(DATA, name)


# The four events of the review that started kag, as in
# tests/unit/check_detectors.c (golden_*), judged by the whole catalogue.
LEASE = (b'{"verb":"update","user":{"username":"system:kube-controller-manager"},'
         b'"userAgent":"kube-controller-manager/v1.30.0","objectRef":{"resource":"leases",'
         b'"namespace":"kube-system"},"responseStatus":{"code":200},"stage":"ResponseComplete"}')
EXEC = (b'{"verb":"create","objectRef":{"resource":"pods","subresource":"exec",'
        b'"namespace":"prod","name":"api-7f9"},"user":{"username":"alice@example.com"},'
        b'"sourceIPs":["203.0.113.10"],"responseStatus":{"code":101},"stage":"ResponseStarted"}')
IMPERSONATED_SECRET = (b'{"verb":"get","user":{"username":"bob@example.com"},"impersonatedUser":'
                       b'{"username":"system:serviceaccount:prod:deploy-bot"},"objectRef":'
                       b'{"resource":"secrets","namespace":"prod"},"responseStatus":{"code":200}}')
DENIED_LIST = (b'{"verb":"list","objectRef":{"resource":"secrets","namespace":"prod"},'
               b'"responseStatus":{"code":403},"userAgent":"kubectl/v1.30.0"}')


def by_detector(records):
    out = {}
    for r in records:
        out.setdefault(r["detector"], []).append(r)
    return out


class ReviewEvents(unittest.TestCase):
    def judge(self, event):
        with kag.Engine() as engine:
            recs = engine.judge(event)
        self.assertFalse([r for r in recs if "error" in r])
        return recs

    def test_controller_lease_is_benign(self):
        recs = self.judge(LEASE)
        self.assertEqual(len(recs), 1)
        v = recs[0]
        self.assertEqual(v["detector"], "controller_baseline")
        self.assertEqual((v["assessment"], v["outcome"], v["severity"]),
                         ("benign", "allowed", "info"))
        self.assertEqual(v["evidence"]["identityClass"], "control-plane component")
        self.assertIn("control-plane component", v["reason"])
        self.assertEqual(v["attack"], [])

    def test_exec(self):
        recs = self.judge(EXEC)
        self.assertEqual(len(recs), 1)
        v = recs[0]
        self.assertEqual(v["detector"], "interactive_access")
        self.assertEqual((v["assessment"], v["outcome"], v["severity"]),
                         ("suspicious", "in_progress", "high"))
        ev = v["evidence"]
        self.assertEqual(ev["objectRef"]["subresource"], "exec")
        self.assertEqual(ev["objectRef"]["name"], "api-7f9")
        self.assertEqual(ev["user"]["username"], "alice@example.com")
        self.assertEqual(ev["sourceIPs"], ["203.0.113.10"])
        self.assertEqual(ev["responseStatus"], {"code": 101})
        self.assertIsNone(ev["userAgent"])
        self.assertIn("userAgent", v["missing"])
        self.assertNotIn("sourceIPs", v["missing"])
        self.assertIn("T1609", v["attack"])
        self.assertEqual(v["event"]["stage"], "ResponseStarted")

    def test_impersonated_secret_read(self):
        recs = self.judge(IMPERSONATED_SECRET)
        self.assertEqual(len(recs), 2)
        d = by_detector(recs)
        self.assertEqual(sorted(d), ["impersonation", "secrets_access"])
        imp, sec = d["impersonation"][0], d["secrets_access"][0]
        for v in (imp, sec):
            self.assertEqual((v["assessment"], v["outcome"], v["severity"]),
                             ("suspicious", "allowed", "medium"))
            self.assertEqual(v["evidence"]["impersonatedUser"]["username"],
                             "system:serviceaccount:prod:deploy-bot")
        self.assertEqual(imp["evidence"]["user"]["username"], "bob@example.com")
        self.assertIn("T1134", imp["attack"])
        self.assertIn("T1552.007", sec["attack"])

    def test_denied_anonymous_list(self):
        recs = self.judge(DENIED_LIST)
        self.assertEqual(len(recs), 1)
        v = recs[0]
        self.assertEqual(v["detector"], "rbac_probing")
        self.assertEqual((v["assessment"], v["outcome"], v["severity"], v["confidence"]),
                         ("suspicious", "denied", "low", "low"))
        # a step for the user, a step for the sourceIPs
        self.assertEqual(v["missing"], ["user", "sourceIPs"])

    def test_four_as_one_stream(self):
        stream = b"\n".join([LEASE, EXEC, IMPERSONATED_SECRET, DENIED_LIST]) + b"\n"
        with kag.Engine() as engine:
            recs = engine.judge(stream, source="review.jsonl")
            stats = engine.stats()
        self.assertEqual([r["detector"] for r in recs],
                         ["controller_baseline", "interactive_access", "impersonation",
                          "secrets_access", "rbac_probing"])
        self.assertEqual([r["event"]["source"] for r in recs],
                         ["review.jsonl:1", "review.jsonl:2", "review.jsonl:3",
                          "review.jsonl:3", "review.jsonl:4"])
        self.assertEqual((stats["records"], stats["events"], stats["errors"],
                          stats["verdicts"]), (4, 4, 0, 5))

    def test_emit_benign_off(self):
        with kag.Engine(emit_benign=False) as engine:
            self.assertEqual(engine.judge(LEASE), [])
            self.assertEqual(engine.stats()["suppressed"], 1)


class Corpus(unittest.TestCase):
    def test_falco_exec_pod(self):
        path = data_path("falco-k8s-audit/exec_pod.json")
        with kag.Engine() as engine:
            recs = list(engine.judge_file(path, source="exec_pod.json"))
        self.assertEqual(len(recs), 1)
        v = recs[0]
        self.assertEqual(v["detector"], "interactive_access")
        self.assertEqual((v["assessment"], v["outcome"], v["severity"]),
                         ("suspicious", "in_progress", "high"))
        self.assertEqual(v["evidence"]["command"], ["bash"])
        self.assertEqual(v["evidence"]["commandFindings"], ["shell"])
        self.assertEqual(v["evidence"]["user"]["username"], "minikube-user")
        self.assertEqual(v["missing"], ["userAgent"])
        self.assertEqual(v["event"]["auditID"], "ca1ed9f4-7bf4-4c85-81a8-1b11253d1ba6")
        self.assertEqual(v["event"]["time"], "2018-10-26T13:38:34.902914Z")
        self.assertEqual(v["event"]["source"], "exec_pod.json:1")

    def test_source_defaults_to_path(self):
        path = data_path("falco-k8s-audit/exec_pod.json")
        # Two engines: one session would count the second reading of the
        # same auditID as a duplicate stage.
        with kag.Engine() as engine, open(path, "rb") as f:
            from_obj = list(engine.judge_file(f))
        with kag.Engine() as engine:
            from_path = list(engine.judge_file(path))
            self.assertEqual(list(engine.judge_file(path)), [])
            self.assertEqual(engine.stats()["duplicates"], 1)
        self.assertEqual(from_path[0]["event"]["source"], path + ":1")
        self.assertEqual(from_obj[0]["event"]["source"], path + ":1")
        with kag.Engine() as engine, open(path, "rb") as f:
            unnamed = list(engine.judge_file(io.BytesIO(f.read())))
        self.assertIsNone(unnamed[0]["event"]["source"])

    def test_source_is_per_call(self):
        """A source named for one call does not label the next one's."""
        with kag.Engine() as engine:
            self.assertRaises(FileNotFoundError, list, engine.judge_file("/nonexistent"))
            recs = engine.judge(b"garbage\n")
            self.assertEqual(recs[0]["error"]["source"], None)
            recs = engine.judge(b"more garbage\n", source="second.jsonl")
            self.assertEqual(recs[0]["error"]["source"], "second.jsonl:1")
            recs = engine.judge(b"{}\n")
            self.assertEqual(recs[0]["error"]["source"], None)

    def test_library_not_found_says_where_it_looked(self):
        """A missing library is an ImportError that names KAG_LIBRARY and
        each place tried, not a bare ctypes OSError."""
        # (LD_PRELOAD stays: a sanitizer build's runtime must come first
        # when the library does load)
        env = dict(os.environ, KAG_LIBRARY="/nonexistent/libkag.so",
                   PYTHONPATH=os.path.dirname(HERE))
        got = subprocess.run([sys.executable, "-c", "import kag"], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        self.assertNotEqual(got.returncode, 0)
        err = got.stderr.decode()
        self.assertIn("ImportError: kag: cannot load libkag; tried /nonexistent/libkag.so "
                      "($KAG_LIBRARY)", err)
        self.assertIn("Set KAG_LIBRARY to the path of libkag.so", err)
        # without KAG_LIBRARY and with nothing installed: the loader, then
        # pkg-config (an empty path: kag.pc not found)
        env.pop("KAG_LIBRARY")
        env.update(LD_LIBRARY_PATH="", PKG_CONFIG_PATH="", PKG_CONFIG_LIBDIR="/nonexistent")
        got = subprocess.run([sys.executable, "-c", "import kag"], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        if got.returncode == 0:
            self.skipTest("libkag is installed where the loader finds it")
        self.assertIn("libkag.so.0 (the dynamic loader)", got.stderr.decode())
        # with kag.pc naming the build's libdir, the library is found there
        with tempfile.TemporaryDirectory() as pc:
            libdir = os.path.dirname(os.path.realpath(os.environ["KAG_LIBRARY"]))
            with open(os.path.join(pc, "kag.pc"), "w") as f:
                f.write("libdir=%s\nName: kag\nDescription: test\nVersion: %s\n"
                        "Libs: -L${libdir} -lkag\n" % (libdir, kag.library_version()))
            env["PKG_CONFIG_LIBDIR"] = pc
            got = subprocess.run([sys.executable, "-c", "import kag; print(kag.library_version())"],
                                 env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 timeout=60)
            self.assertEqual(got.returncode, 0, got.stderr.decode())
            self.assertEqual(got.stdout.decode().strip(), kag.library_version())

    def test_malformed_record_is_an_error_record(self):
        path = data_path("falco-k8s-audit/fal_01_003.json")
        with kag.Engine() as engine:
            recs = list(engine.judge_file(path, source="fal_01_003.json"))
        self.assertEqual(recs, [{"error": {
            "code": "KAG_ESCHEMA",
            "message": "expected string, got integer",
            "source": "fal_01_003.json:1", "line": 1, "offset": 0, "path": "/kind"}}])

    def test_malformed_record_raises(self):
        with open(data_path("falco-k8s-audit/fal_01_003.json"), "rb") as f:
            bad = f.read()
        with kag.Engine(errors="raise") as engine:
            with self.assertRaises(kag.KagESchema) as cm:
                engine.judge(EXEC + b"\n" + bad.strip() + b"\n" + DENIED_LIST + b"\n",
                             source="mixed.jsonl")
            e = cm.exception
            self.assertIsInstance(e, kag.KagError)
            self.assertEqual((e.code, e.name, e.path, e.line, e.source),
                             (-5, "KAG_ESCHEMA", "/kind", 2, "mixed.jsonl:2"))
            self.assertEqual([r["detector"] for r in e.partial], ["interactive_access"])
            # The stream goes on after the rejected record.
            self.assertEqual([r["detector"] for r in engine.finish()], ["rbac_probing"])

    def test_bad_json_raises_eparse(self):
        with kag.Engine(errors="raise") as engine:
            with self.assertRaises(kag.KagEParse) as cm:
                engine.judge(b"{not json}\n")
        self.assertEqual(cm.exception.code, -4)

    def test_truncated_record_at_finish(self):
        with kag.Engine() as engine:
            self.assertEqual(engine.feed(EXEC[:40]), [])
            recs = engine.finish()
        self.assertEqual(len(recs), 1)
        self.assertEqual(recs[0]["error"]["code"], "KAG_ETRUNCATED")

    def test_chunking_does_not_change_verdicts(self):
        path = data_path("panther-analysis/eks_audit_native_events.jsonl")
        with open(path, "rb") as f:
            data = f.read()
        with kag.Engine() as engine:
            whole = engine.judge(data)
            stats = engine.stats()
        self.assertGreater(len(whole), 50)
        self.assertEqual(stats["verdicts"], len(whole))
        self.assertEqual(stats["records"], stats["events"] + stats["errors"] + stats["skipped"])
        for size in (1, 7, 4096):
            with kag.Engine() as engine:
                chunks = (data[i:i + size] for i in range(0, len(data), size))
                self.assertEqual(list(engine.stream(chunks)), whole, "chunk size %d" % size)
        with kag.Engine() as engine:
            self.assertEqual(list(engine.judge_file(io.BytesIO(data), chunk_size=333)), whole)

    def test_audit2rbac_demo(self):
        with kag.Engine() as engine:
            recs = list(engine.judge_file(data_path("audit2rbac-demo/demo.log")))
            stats = engine.stats()
        self.assertEqual((stats["records"], stats["events"], stats["errors"]), (37, 37, 0))
        self.assertEqual(len(recs), stats["verdicts"])
        self.assertIn("impersonation", by_detector(recs))
        # Verdicts come in stream order, each naming its line (repeat
        # aggregates come when their window closes, here at the end).
        lines = [int(r["event"]["source"].rsplit(":", 1)[1]) for r in recs
                 if "repeats" not in r]
        self.assertEqual(lines, sorted(lines))
        self.assertTrue(1 <= lines[0] and lines[-1] <= 37, lines)
        prefix = data_path("audit2rbac-demo/demo.log") + ":"
        self.assertTrue(all(r["event"]["source"].startswith(prefix) for r in recs))

    def test_gke_format_option(self):
        path = data_path("khi-gke/gke_k8s_audit_logentries.jsonl")
        with kag.Engine(format="gke") as engine:
            recs = list(engine.judge_file(path))
        self.assertEqual(len(recs), 3)
        self.assertTrue(all(r["event"]["format"] == "gke" for r in recs))
        with kag.Engine(format="native") as engine:
            recs = list(engine.judge_file(path))
        self.assertEqual({r["error"]["code"] for r in recs}, {"KAG_ESCHEMA"})
        with self.assertRaises(ValueError):
            kag.Engine(format="syslog")


class Policy(unittest.TestCase):
    def test_policy_disables_a_detector(self):
        policy = b'{"version":1,"detectors":{"disable":["interactive_access"]}}'
        with kag.Engine(policy=policy) as engine:
            self.assertEqual(engine.judge(EXEC), [])
            self.assertEqual(len(engine.judge(DENIED_LIST)), 1)
        with kag.Engine(policy=policy.decode()) as engine:
            self.assertEqual(engine.judge(EXEC), [])

    def test_bad_policy_raises_eschema_with_path(self):
        with self.assertRaises(kag.KagESchema) as cm:
            kag.Engine(policy=b'{"thresholds":{"probe":"ten"}}')
        e = cm.exception
        self.assertEqual(e.path, "/thresholds/probe")
        self.assertTrue(e.message.startswith("/thresholds/probe: "), e.message)

    def test_policy_not_json_raises_eparse(self):
        with self.assertRaises(kag.KagEParse):
            kag.Registry(policy=b"{")

    def test_unknown_detector_raises_enotfound(self):
        with self.assertRaises(kag.KagENotfound):
            kag.Registry(policy=b'{"detectors":{"disable":["no_such_detector"]}}')
        with kag.Registry() as reg:
            with self.assertRaises(kag.KagENotfound):
                reg.disable("no_such_detector")

    def test_rules(self):
        rules = b'''{"version":1,"rules":[{"id":"lease_touch","title":"lease update",
            "assessment":"suspicious","severity":"low",
            "match":{"field":"objectRef.resource","equals":"leases"}}]}'''
        with kag.Engine(rules=rules) as engine:
            recs = engine.judge(LEASE)
        # the rule finds something: the baseline stands down (one story)
        self.assertEqual(sorted(r["detector"] for r in recs), ["lease_touch"])

    def test_sealed_registry_rejects_changes(self):
        reg = kag.Registry()
        reg.seal()
        self.assertTrue(reg.sealed)
        with self.assertRaises(kag.KagEState):
            reg.disable("interactive_access")
        with self.assertRaises(kag.KagEState):
            reg.load_policy(b"{}")
        reg.close()

    def test_registry_and_policy_together_is_a_type_error(self):
        with kag.Registry() as reg:
            with self.assertRaises(TypeError):
                kag.Engine(policy=b"{}", registry=reg)


class Errors(unittest.TestCase):
    def test_classes_follow_error_names(self):
        expected = {"KAG_ENOMEM": "KagENomem", "KAG_EINVAL": "KagEInval",
                    "KAG_EPARSE": "KagEParse", "KAG_ESCHEMA": "KagESchema",
                    "KAG_ENOTFOUND": "KagENotfound", "KAG_ELIMIT": "KagELimit",
                    "KAG_ESTATE": "KagEState", "KAG_EUSER": "KagEUser",
                    "KAG_ETRUNCATED": "KagETruncated"}
        for code in range(-2, -11, -1):
            cls = kag.error_class(code)
            e = cls(code)
            self.assertEqual(cls.__name__, expected[e.name])
            self.assertIs(getattr(kag, cls.__name__), cls)
            self.assertTrue(issubclass(cls, kag.KagError))
            self.assertEqual(e.code, code)
        self.assertIs(kag.error_class(-1), kag.KagError)
        self.assertIs(kag.error_class(-31), kag.KagError)  # KAG_ITEROVER is no error
        self.assertIs(kag.error_class(-999), kag.KagError)
        self.assertEqual(str(kag.KagError(-999)), "KAG_UNKNOWN: unknown error code")

    def test_version(self):
        self.assertRegex(kag.library_version(), r"^\d+\.\d+\.\d+$")
        expected = os.environ.get("KAG_PROJECT_VERSION")
        if expected:
            self.assertEqual(kag.library_version(), expected)


class Lifetime(unittest.TestCase):
    def test_close_is_idempotent_and_use_after_close_raises(self):
        engine = kag.Engine()
        engine.close()
        engine.close()
        self.assertTrue(engine.closed)
        with self.assertRaises(ValueError):
            engine.feed(EXEC)
        reg = kag.Registry()
        reg.close()
        reg.close()
        with self.assertRaises(ValueError):
            reg.seal()

    def test_registry_closed_before_engine(self):
        reg = kag.Registry()
        engine = kag.Engine(registry=reg)
        reg.close()
        self.assertEqual(len(engine.judge(EXEC)), 1)
        engine.close()

    def test_shared_registry_any_order(self):
        for order in ("reg-first", "engines-first", "interleaved"):
            reg = kag.Registry()
            a, b = kag.Engine(registry=reg), kag.Engine(registry=reg)
            self.assertEqual(a.judge(EXEC), b.judge(EXEC))
            if order == "reg-first":
                seq = (reg, a, b)
            elif order == "engines-first":
                seq = (a, b, reg)
            else:
                seq = (a, reg, b)
            for h in seq:
                if h is not reg:
                    h.judge(DENIED_LIST)
                h.close()

    def test_garbage_collected_in_any_order(self):
        reg = kag.Registry()
        engines = [kag.Engine(registry=reg) for _ in range(3)]
        # Finalizer objects do not keep their handles alive: they report
        # whether the handle has been freed.
        freed = [reg._h._finalizer] + [h._finalizer for e in engines
                                        for h in (e._parser, e._session)]
        del reg
        engines[1].judge(EXEC)
        # A reference cycle: collected by the cycle collector, in its order.
        cyc = kag.Engine()
        cyc.me = cyc
        freed += [cyc._parser._finalizer, cyc._session._finalizer, cyc.registry._h._finalizer]
        self.assertTrue(all(f.alive for f in freed))
        del engines, cyc
        gc.collect()
        self.assertFalse(any(f.alive for f in freed))

    def test_freed_by_gc_at_interpreter_exit(self):
        # Handles still referenced from module globals, from a cycle and
        # from a half-consumed generator when the interpreter exits.
        script = textwrap.dedent("""
            import kag
            reg = kag.Registry()
            engine = kag.Engine(registry=reg)
            engine.feed(%r)
            other = kag.Engine()
            other.me = other
            gen = other.stream([%r, %r])
            next(gen)
            class Holder:
                pass
            h = Holder()
            h.engine = kag.Engine(registry=reg)
            h.me = h
            print("ok")
        """) % (EXEC[:30], EXEC + b"\n", DENIED_LIST)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.path.dirname(HERE) + os.pathsep + env.get("PYTHONPATH", "")
        proc = subprocess.run([sys.executable, "-c", script], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        self.assertEqual(proc.stdout, b"ok\n")
        self.assertEqual(proc.stderr, b"")


if __name__ == "__main__":
    unittest.main()
