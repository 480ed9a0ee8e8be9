#!/usr/bin/env python3
"""kag-triage --summary: records = judged + rejected + skipped, and the
verdict counts add up to the verdicts printed; on a Metadata-level stream,
the coverage section and an audit policy snippet that names the resources."""
import json
import re
import unittest

from clitest import SAMPLE, SAMPLE_STATUS, CliCase, json_lines, sample_lines, text, triage, verdicts

SUMMARY_KEYS = ('records', 'judged', 'rejected', 'skipped', 'verdicts', 'benign',
                'suspicious', 'malicious', 'needs_context', 'duplicates')


class Summary(CliCase):
    def summary(self, *args):
        proc = triage('--summary', *args)
        # 1 exactly when a record was rejected (the sample's line 23)
        self.assertExit(proc, SAMPLE_STATUS if SAMPLE in args else 0, 'kag-triage --summary')
        records = json_lines(proc, self)
        self.assertIn('summary', records[-1], 'the summary is the last line')
        self.assertEqual([r for r in records[:-1] if 'summary' in r], [])
        s = records[-1]['summary']
        for k in SUMMARY_KEYS:
            self.assertIsInstance(s.get(k), int, 'summary.%s' % k)
        return s, records[:-1]

    def check_sums(self, s, printed):
        self.assertEqual(s['records'], s['judged'] + s['rejected'] + s['skipped'])
        v = verdicts(printed)
        self.assertEqual(s['verdicts'], len(v))
        self.assertEqual(s['rejected'], len([r for r in printed if 'error' in r]))
        self.assertEqual(s['verdicts'], s['benign'] + s['suspicious'] + s['malicious'] +
                         s['needs_context'])
        for a in ('benign', 'suspicious', 'malicious', 'needs_context'):
            self.assertEqual(s[a], len([x for x in v if x['assessment'] == a]), a)

    def test_sample_counts(self):
        s, printed = self.summary(SAMPLE)
        self.check_sums(s, printed)
        n_records = len([l for l in sample_lines() if l.strip()])
        self.assertEqual(s['records'], n_records)
        self.assertEqual((s['rejected'], s['skipped']), (1, 0))
        self.assertEqual(s['judged'], n_records - 1)
        self.assertEqual(s['benign'], 0)
        self.assertEqual(s['duplicates'], 1)  # the exec's ResponseComplete stage

    def test_sample_counts_with_benign(self):
        s, printed = self.summary('--all', SAMPLE)
        self.check_sums(s, printed)
        self.assertGreaterEqual(s['benign'], 3)
        quiet, _ = self.summary(SAMPLE)
        extra = [v for v in verdicts(printed)
                 if v['assessment'] == 'benign' or v['severity'] == 'info']
        self.assertEqual(s['verdicts'], quiet['verdicts'] + len(extra))
        for k in ('records', 'judged', 'rejected', 'skipped', 'needs_context'):
            self.assertEqual(s[k], quiet[k], k)
        # info verdicts of suspicious requests (single denials) are --all's too
        info = sum(1 for v in extra if v['assessment'] == 'suspicious')
        self.assertEqual(s['suspicious'], quiet['suspicious'] + info)

    def test_counts_add_up_over_files(self):
        one, _ = self.summary(SAMPLE)
        s, printed = self.summary(SAMPLE, SAMPLE)
        self.check_sums(s, printed)
        for k in ('records', 'judged', 'rejected', 'skipped'):
            self.assertEqual(s[k], 2 * one[k], k)

    def test_text_summary(self):
        proc = triage('--summary', '--output=text', SAMPLE)
        self.assertExit(proc, SAMPLE_STATUS, 'kag-triage --summary --output=text')
        last = proc.stdout.decode('utf-8').rstrip('\n').splitlines()[-1]
        m = re.match(r'records (\d+) = judged (\d+) \+ rejected (\d+) \+ skipped (\d+); '
                     r'verdicts (\d+) ', last)
        self.assertIsNotNone(m, last)
        records, judged, rejected, skipped, _ = map(int, m.groups())
        self.assertEqual(records, judged + rejected + skipped)
        js, _ = self.summary(SAMPLE)
        self.assertEqual((records, judged, rejected, skipped),
                         (js['records'], js['judged'], js['rejected'], js['skipped']))

    def test_empty_input(self):
        s, printed = self.summary('-')  # stdin, empty
        self.assertEqual(printed, [])
        self.assertEqual((s['records'], s['judged'], s['rejected'], s['verdicts']), (0, 0, 0, 0))


def metadata_write(n, verb, group, resource, ns='shop'):
    """A person's write at Metadata level (no body)."""
    ref = {'resource': resource, 'namespace': ns, 'name': 'obj-%d' % n}
    if group:
        ref['apiGroup'] = group
    return json.dumps({
        'kind': 'Event', 'apiVersion': 'audit.k8s.io/v1', 'auditID': 'cov-%d' % n,
        'stage': 'ResponseComplete', 'level': 'Metadata', 'verb': verb,
        'user': {'username': 'dev@example.com', 'groups': ['system:authenticated']},
        'sourceIPs': ['10.0.0.3'], 'userAgent': 'kubectl/v1.29.2', 'objectRef': ref,
        'responseStatus': {'code': 201},
        'stageTimestamp': '2024-05-01T10:00:%02d.000000Z' % n})


METADATA_STREAM = '\n'.join([
    metadata_write(0, 'create', '', 'pods'),
    metadata_write(1, 'create', 'apps', 'deployments'),
    metadata_write(2, 'create', 'apps', 'statefulsets'),
    metadata_write(3, 'create', '', 'services'),
    metadata_write(4, 'create', 'rbac.authorization.k8s.io', 'rolebindings'),
    metadata_write(5, 'create', '', 'secrets'),
]) + '\n'


def policy_rules(case, text):
    """The audit Policy kag writes, read line by line: every line is a
    comment or one of the shapes below; [(level, verbs, {group: [res]})]."""
    rules = []
    head = ['apiVersion: audit.k8s.io/v1', 'kind: Policy', 'rules:']
    body = [l for l in text.splitlines() if not l.lstrip().startswith('#')]
    case.assertEqual(body[:3], head)
    group = None
    for l in body[3:]:
        m = re.fullmatch(r'  - level: (Metadata|Request|RequestResponse)', l)
        if m:
            rules.append((m.group(1), None, {}))
            continue
        case.assertTrue(rules, l)
        if l == '    resources:':
            continue
        m = re.fullmatch(r'    verbs: (\[.*\])', l)
        if m:
            rules[-1] = (rules[-1][0], json.loads(m.group(1)), rules[-1][2])
            continue
        m = re.fullmatch(r'      - group: "([a-z0-9.-]*)"', l)
        if m:
            group = m.group(1)
            continue
        m = re.fullmatch(r'        resources: (\[.*\])', l)
        case.assertIsNotNone(m, 'unexpected policy line %r' % l)
        rules[-1][2][group] = json.loads(m.group(1))
    return rules


class Coverage(CliCase):
    def test_metadata_stream(self):
        proc = triage('--summary', '-', stdin=METADATA_STREAM)
        self.assertExit(proc, 0, 'kag-triage --summary on a Metadata stream')
        cov = json_lines(proc, self)[-1]['summary']['coverage']
        by_id = {d['detector']: d for d in cov['detectors']}
        self.assertEqual(by_id['privileged_workload']['reasons']['level'], 3)
        self.assertEqual(sorted((r['group'], r['resource'], r['level'])
                                for r in by_id['privileged_workload']['resources']),
                         [('', 'pods', 'Request'), ('apps', 'deployments', 'Request'),
                          ('apps', 'statefulsets', 'Request')])
        self.assertEqual(by_id['exposed_service']['unjudged'], 1)
        self.assertEqual(by_id['rbac_escalation']['reasons']['level'], 1)
        self.assertEqual(cov['unjudged'], sum(d['unjudged'] for d in cov['detectors']))
        rules = policy_rules(self, cov['policy'])
        self.assertEqual(rules, [
            ('Metadata', None, {'': ['secrets', 'configmaps'],
                                'authentication.k8s.io': ['tokenreviews']}),
            ('Request', None, {'': ['pods', 'services'],
                               'apps': ['deployments', 'statefulsets'],
                               'rbac.authorization.k8s.io': ['rolebindings']}),
        ])
        self.assertIn('  # for privileged_workload (3 events), rbac_escalation (1 event), '
                      'exposed_service (1 event)', cov['policy'].splitlines())

    def test_text(self):
        proc = triage('--summary', '--output=text', '-', stdin=METADATA_STREAM)
        self.assertExit(proc, 0, 'kag-triage --summary --output=text')
        out = text(proc)
        js = json_lines(triage('--summary', '-', stdin=METADATA_STREAM), self)
        self.assertIn('\ncoverage: events the detectors could not judge, and why\n', out)
        self.assertRegex(out, r'\n  privileged_workload +3 not judged \(level 3, ')
        self.assertIn('\n' + js[-1]['summary']['coverage']['policy'], out)

    def test_nothing_to_advise(self):
        proc = triage('--summary', '-', stdin=metadata_write(0, 'get', '', 'pods') + '\n')
        cov = json_lines(proc, self)[-1]['summary']['coverage']
        self.assertEqual((cov['unjudged'], cov['detectors'], cov['policy']), (0, [], None))
        out = text(triage('--summary', '--output=text', '-',
                          stdin=metadata_write(0, 'get', '', 'pods') + '\n'))
        self.assertNotIn('coverage:', out)
        self.assertNotIn('apiVersion', out)


if __name__ == '__main__':
    unittest.main()
