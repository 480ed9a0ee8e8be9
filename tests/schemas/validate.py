"""Every verdict of the corpus, as an OCSF Detection Finding and as an ECS
document, validated against the JSON Schemas written from the official
definitions (ocsf-detection-finding.json, ecs-kag.json; their descriptions
cite the versions and files).

    /usr/bin/python3 tests/schemas/validate.py KAG_TRIAGE KAG_BENCH

The inputs are the golden tests' (tests/golden/golden.py): the sample, the
hostile stream, every file under tests/data and the benchmark's stream,
with and without caller rules, and with a cluster named by a policy. For
each input, kag-triage --all writes kag's records (--output=json), then
the same verdicts with --output=ocsf and --output=ecs: the test checks that
each rendering stands for the same verdict (the same id, in the same order)
and that each validates. It runs with Debian's python3-jsonschema and
exits 77 (skipped) without it. Run it from the source tree's root.
"""
import json
import os
import subprocess
import sys
import tempfile

try:
    import jsonschema
except ImportError:
    print('python3-jsonschema is not installed: skipped')
    sys.exit(77)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.join(ROOT, 'tests', 'schemas')

CLUSTER_POLICY = {'cluster': {'name': 'prod-eu-1',
                              'labels': {'env': 'prod', 'app.kubernetes.io/part-of': 'payments'}}}


def validator(name):
    with open(os.path.join(HERE, name)) as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def inputs(bench):
    """(name, kag-triage arguments, standard input bytes)."""
    data = os.path.join('tests', 'data')
    out = [('sample', ['examples/sample-audit.jsonl'], None),
           ('sample-rules', ['--policy=examples/policy.json', '--rules=examples/rules.json',
                             'examples/sample-audit.jsonl'], None),
           ('hostile', ['tests/golden/hostile.jsonl'], None)]
    for sub in sorted(os.listdir(os.path.join(ROOT, data))):
        d = os.path.join(ROOT, data, sub)
        if os.path.isdir(d):
            out.append(('data-' + sub, [os.path.join(data, sub, f) for f in sorted(os.listdir(d))
                                        if os.path.isfile(os.path.join(d, f))], None))
    stream = subprocess.run([bench, '--dump', '--events=1000'], check=True,
                            stdout=subprocess.PIPE).stdout
    out.append(('bench-stream', ['-'], stream))
    return out


def verdicts(triage, output, args, stdin):
    """The verdict records kag-triage --all writes."""
    p = subprocess.run([triage, '--all', '--error-limit=0', '--output=' + output] + args,
                       input=stdin or b'', stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    if p.returncode not in (0, 1):
        raise SystemExit('kag-triage %s exited %d: %s' % (' '.join(args), p.returncode,
                                                          p.stderr.decode()))
    recs = [json.loads(line) for line in p.stdout.decode('utf-8').splitlines()]
    # error records are one member, "error" or "error_summary" (an ECS
    # document may have an "error" field set of its own)
    return [r for r in recs if not (len(r) == 1 and ('error' in r or 'error_summary' in r))]


def main():
    triage, bench = sys.argv[1], sys.argv[2]
    ocsf, ecs = validator('ocsf-detection-finding.json'), validator('ecs-kag.json')
    seen = {'records': 0, 'attacks': 0, 'sub_technique': 0, 'correlation': 0, 'repeats': 0,
            'cluster': 0, 'inferred': 0, 'missing': 0, 'src_endpoint': 0, 'impersonated': 0}
    failures = []
    with tempfile.NamedTemporaryFile('w', suffix='.json', delete=False) as f:
        json.dump(CLUSTER_POLICY, f)
        policy = f.name
    try:
        runs = []
        for name, args, stdin in inputs(bench):
            runs.append((name, args, stdin))
            runs.append((name + '+cluster', ['--policy=' + policy] + args, stdin))
        for name, args, stdin in runs:
            kag = verdicts(triage, 'json', args, stdin)
            rendered = {'ocsf': verdicts(triage, 'ocsf', args, stdin),
                        'ecs': verdicts(triage, 'ecs', args, stdin)}
            for schema, recs in rendered.items():
                if len(recs) != len(kag):
                    failures.append('%s: %d %s records for %d verdicts' % (name, len(recs), schema,
                                                                           len(kag)))
                    continue
                check = ocsf if schema == 'ocsf' else ecs
                for i, (k, r) in enumerate(zip(kag, recs)):
                    rid = r['finding_info']['uid'] if schema == 'ocsf' else r['event']['id']
                    if rid != k['id']:
                        failures.append('%s: %s record %d has id %s, the verdict %s'
                                        % (name, schema, i, rid, k['id']))
                    for err in check.iter_errors(r):
                        failures.append('%s: %s record %d (%s): %s at /%s'
                                        % (name, schema, i, k['detector'], err.message,
                                           '/'.join(str(p) for p in err.absolute_path)))
                    if ('cluster' in k) != (r.get('unmapped', r).get('kag', {}).get('cluster') is not None
                                            if schema == 'ocsf' else 'cluster' in r.get('orchestrator', {})):
                        failures.append('%s: %s record %d does not carry the cluster as kag\'s does'
                                        % (name, schema, i))
            for k, o in zip(kag, rendered['ocsf']):
                seen['records'] += 1
                seen['attacks'] += bool(k['attack'])
                seen['sub_technique'] += any('sub_technique' in a
                                             for a in o['finding_info'].get('attacks', []))
                seen['correlation'] += 'correlation' in k
                seen['repeats'] += 'repeats' in k
                seen['cluster'] += 'cluster' in k
                seen['inferred'] += bool(k['inferred'])
                seen['missing'] += bool(k['missing'])
                seen['src_endpoint'] += 'src_endpoint' in o['evidences'][0]
                seen['impersonated'] += 'user' in o['evidences'][0]
    finally:
        os.unlink(policy)
    for line in failures[:50]:
        print(line)
    print('%d verdicts in each schema; with ATT&CK %d (sub-techniques %d), correlated %d, '
          'repeat aggregates %d, with a cluster %d, inferred fields %d, missing fields %d, '
          'a source endpoint %d, an impersonated user %d'
          % tuple(seen[k] for k in ('records', 'attacks', 'sub_technique', 'correlation', 'repeats',
                                    'cluster', 'inferred', 'missing', 'src_endpoint', 'impersonated')))
    # the corpus must exercise every part of the mapping, or the test proves little
    for key, n in seen.items():
        if n == 0:
            failures.append('no verdict of the corpus has %s' % key)
            print(failures[-1])
    if failures:
        print('%d failures' % len(failures))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
