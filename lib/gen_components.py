#!/usr/bin/env python3
"""Write kag's default components (lib/components.json) as C data.

usage: gen_components.py components.json out.c

The document has the schema of a policy's "components" list (README,
"Known components"); this script checks the shape it relies on and writes
static tables of lib/component-private.h types, so that the defaults cost
no parsing and cannot fail at run time. The policy loader checks the same
document in the unit tests (check_components).
"""
import json
import sys

VERBS = {"get", "list", "watch", "create", "update", "patch", "delete",
         "deletecollection", "impersonate", "bind", "escalate", "approve", "sign", "*"}


def c_str(s):
    return json.dumps(s, ensure_ascii=True)


def strs(name, items, out):
    out.append("static const char *const %s[] = { %s };" % (
        name, ", ".join([c_str(x) for x in items] + ["NULL"])))
    return name


def fail(msg):
    sys.stderr.write("gen_components.py: %s\n" % msg)
    sys.exit(1)


def main(src, dst):
    with open(src) as f:
        doc = json.load(f)
    out = ["/* Generated from lib/components.json by lib/gen_components.py: do not edit. */",
           "#include <stddef.h>", "", '#include "component-private.h"', ""]
    entries = []
    for i, c in enumerate(doc["components"]):
        where = "/components/%d" % i
        for key in ("name", "about", "match", "rules"):
            if key not in c:
                fail("%s: no \"%s\"" % (where, key))
        m = c["match"]
        if not (m.get("service_accounts") or m.get("users")):
            fail("%s/match: names no service account or user" % where)
        acc = strs("c%d_accounts" % i, m.get("service_accounts", []), out)
        usr = strs("c%d_users" % i, m.get("users", []), out)
        grp = strs("c%d_groups" % i, m.get("groups", []), out)
        rules = []
        for j, r in enumerate(c["rules"]):
            bad = set(r["verbs"]) - VERBS
            if bad:
                fail("%s/rules/%d: unknown verbs %s" % (where, j, sorted(bad)))
            v = strs("c%d_r%d_verbs" % (i, j), r["verbs"], out)
            g = strs("c%d_r%d_groups" % (i, j), r["apiGroups"], out)
            res = strs("c%d_r%d_resources" % (i, j), r["resources"], out)
            ns = r["namespaces"]
            if ns == "all":
                rules.append("{ %s, %s, %s, KAG__NS_ALL, NULL }" % (v, g, res))
            elif ns == "own":
                rules.append("{ %s, %s, %s, KAG__NS_OWN, NULL }" % (v, g, res))
            else:
                n = strs("c%d_r%d_ns" % (i, j), ns, out)
                rules.append("{ %s, %s, %s, KAG__NS_LIST, %s }" % (v, g, res, n))
        out.append("static const kag__component_rule c%d_rules[] = {\n\t%s\n};" % (
            i, ",\n\t".join(rules)))
        entries.append("{ %s, %s, %s, %s, %s, c%d_rules, %d }" % (
            c_str(c["name"]), c_str(c["about"]), acc, usr, grp, i, len(rules)))
    out.append("")
    out.append("const kag__component kag__default_components[] = {\n\t%s\n};" %
               ",\n\t".join(entries))
    out.append("const size_t kag__n_default_components = %d;" % len(entries))
    with open(dst, "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        fail("usage: gen_components.py components.json out.c")
    main(sys.argv[1], sys.argv[2])
