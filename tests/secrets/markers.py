"""Secret-marker streams: audit records with a unique marker string in every
place a credential can hide, in every input shape kag reads.

    python3 markers.py OUTDIR

writes into OUTDIR the streams (STREAMS below) and markers.json: every
marker with the place it was planted in, and, per stream, what the tests
expect of it (the records that must be judged, the error records). A
marker is KAGSECRET-<place>-7f3a (AWS access key ids, which must keep
their own form, are AKIAKAGSECRET<code>7F3A): wherever one turns up in
an output, it names the place it leaked from. test_markers.py and
examples/go/secrets_test.go read them.

Places: requestURI query values of parameters that are not known harmless
(many spellings), exec command= arguments (Bearer headers with a JWT, URL
queries, passwords as key=value and as flags, user:password, AWS access key
ids, PEM private keys), request and response bodies (Secret data and
stringData, TokenRequest tokens, service-account token Secrets, ConfigMaps,
pod env values and args, last-applied configurations, at depth 100), the
last-applied and webhook patch annotations, and malformed records of every
kind that carry a marker.
"""
import base64
import gzip
import json
import os
import sys
import urllib.parse

SUFFIX = '7f3a'
TIME = '2024-05-01T10:00:00.000000Z'
TIME_MS = 1714557600000
DEPTH = 100

# Stream files and the input shape of their records (base64 of gzip, in
# eks-gzip.txt and malformed.jsonl, hides its markers until decoded).
STREAMS = {
    'native.jsonl': 'native',
    'eventlist.jsonl': 'eventlist',
    'eks-cloudwatch.jsonl': 'eks',
    'eks-gzip.txt': 'eks',
    'aks.jsonl': 'aks',
    'gke.jsonl': 'gke',
    'malformed.jsonl': 'malformed',
    'deep.jsonl': 'deep',
    'overlong.jsonl': 'overlong',
}


class Markers:
    """The markers planted so far, each with its place."""

    def __init__(self):
        self.places = {}  # marker -> place
        self.aws = {}     # place -> AWS access key id

    def __call__(self, place):
        """The marker of a place (each place has one)."""
        m = 'KAGSECRET-%s-%s' % (place, SUFFIX)
        self.places[m] = place
        return m

    def aws_key(self, place):
        """The AWS access key id of a place: AKIA and 16 upper-case letters
        and digits, numbered in the order places ask for one."""
        if place not in self.aws:
            m = 'AKIAKAGSECRET%03d%s' % (len(self.aws) + 1, SUFFIX.upper())
            assert len(m) == 20 and m[4:].isalnum() and m[4:].upper() == m[4:]
            self.aws[place] = m
            self.places[m] = 'aws:' + place
        return self.aws[place]


M = Markers()


def jwt(signature, payload='eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6cHJvZDphcHAifQ'):
    """A JSON Web Token whose signature (or payload) is a marker: the
    marker's characters are all base64url."""
    return 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImthZyJ9.%s.%s' % (payload, signature)


def pem(body):
    return ('-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA%s\nqZ3Yx0w==\n'
            '-----END RSA PRIVATE KEY-----' % body)


# -- events ---------------------------------------------------------------

def event(aid, verb, resource, *, ns='prod', name=None, sub=None, uri=None, group='',
          user='mallory@example.com', groups=('system:authenticated',), code=200,
          stage='ResponseComplete', level='Metadata', req=None, resp=None, ann=None,
          objref=True):
    ref = {'resource': resource, 'namespace': ns, 'apiVersion': 'v1'}
    if ns is None:
        del ref['namespace']
    if name is not None:
        ref['name'] = name
    if sub is not None:
        ref['subresource'] = sub
    if group:
        ref['apiGroup'] = group
    if uri is None:
        base = '/apis/%s/v1' % group if group else '/api/v1'
        uri = base + ('/namespaces/%s' % ns if ns else '') + '/' + resource + (
            '/' + name if name else '') + ('/' + sub if sub else '')
    ev = {'kind': 'Event', 'apiVersion': 'audit.k8s.io/v1', 'level': level, 'auditID': aid,
          'stage': stage, 'requestURI': uri, 'verb': verb,
          'user': {'username': user, 'groups': list(groups)},
          'sourceIPs': ['203.0.113.10'], 'userAgent': 'kubectl/v1.30.0 (linux/amd64)',
          'objectRef': ref, 'responseStatus': {'metadata': {}, 'code': code},
          'requestReceivedTimestamp': TIME, 'stageTimestamp': TIME,
          'annotations': {'authorization.k8s.io/decision': 'allow',
                          'authorization.k8s.io/reason': ''}}
    if not objref:
        del ev['objectRef']
    if ann:
        ev['annotations'].update(ann)
    if req is not None:
        ev['requestObject'] = req
    if resp is not None:
        ev['responseObject'] = resp
    if req is not None or resp is not None:
        ev['level'] = 'RequestResponse'
    return ev


ANON = {'user': 'system:anonymous', 'groups': ('system:unauthenticated',)}


def uri_events():
    """Requests whose requestURI carries a marker in a query value that is
    not known harmless, or in a fragment: anonymous reads (always judged),
    kubelet API calls through nodes/proxy, denials (judged as a burst)."""
    q = urllib.parse.quote
    cases = [
        ('token', 'token=%s'),
        ('Token', 'Token=%s'),
        ('TOKEN', 'TOKEN=%s'),
        ('api_key', 'api_key=%s'),
        ('apikey', 'apikey=%s'),
        ('pct-token', '%%74oken=%s'),
        ('pct-name', 'limit=10&%%74%%6F%%6B%%65%%6E=%s'),
        ('refresh_token', 'refresh_token=%s'),
        ('code', 'code=%s'),
        ('auth', 'auth=%s'),
        ('bearer', 'bearer=%s'),
        ('access-token', 'access-token=%s'),
        ('x-amz-security-token', 'X-Amz-Security-Token=%s'),
        ('sig', 'sig=%s'),
        ('semicolon', 'limit=10;token=%s'),
        ('plus', 'limit=10&+token=%s'),
        ('authorization-pct', 'authorization=Bearer%%20%s'),
        ('authorization-plus', 'authorization=Bearer+%s'),
        ('authorization-space', 'authorization=Bearer %s'),
        ('pct-equals', 'limit=5&token%%3D%s'),
        ('pct-amp', 'watch=1&%%26token=%s'),
        ('unknown-param', 'watch=true&foo=%s'),
        ('continue', 'limit=500&continue=%s'),
        ('second-equals', 'password==%s'),
        ('empty-name', 'limit=5&=%s'),
        ('fragment', 'limit=10#access_token=%s'),
        ('fragment-bare', 'watch=true#%s'),
    ]
    out = []
    for i, (place, query) in enumerate(cases):
        m = M('uri-' + place)
        out.append(event('uri-%02d' % i, 'get', 'configmaps', name='cm-%02d' % i,
                         uri='/api/v1/namespaces/prod/configmaps/cm-%02d?%s' % (i, query % m),
                         **ANON))
    # a parameter without "=" whose name is the marker
    m = M('uri-noeq')
    out.append(event('uri-noeq', 'get', 'configmaps', name='cm-noeq',
                     uri='/api/v1/namespaces/prod/configmaps/cm-noeq?limit=5&' + m, **ANON))
    m = M('uri-noeq-first')
    out.append(event('uri-noeq-first', 'list', 'configmaps',
                     uri='/api/v1/namespaces/prod/configmaps?' + m + '&watch=1', **ANON))
    # nodes/proxy: the kubelet's own parameters, a command with a header
    m = M('uri-nodeproxy-cmd')
    cmd = q('curl -H "Authorization: Bearer %s" http://127.0.0.1:8080/' % m, safe='')
    out.append(event('uri-nodeproxy-cmd', 'create', 'nodes', ns=None, name='node-1',
                     sub='proxy', uri='/api/v1/nodes/node-1/proxy/run/prod/api-0/app?cmd=' + cmd))
    m = M('uri-nodeproxy-command')
    out.append(event('uri-nodeproxy-command', 'create', 'nodes', ns=None, name='node-1',
                     sub='proxy', uri='/api/v1/nodes/node-1/proxy/exec/prod/api-0/app?'
                     'command=sh&command=-c&command=' +
                     q('wget --header="Authorization: Bearer %s" x' % m, safe='') +
                     '&output=1'))
    m = M('uri-nodeproxy-token')
    out.append(event('uri-nodeproxy-token', 'get', 'nodes', ns=None, name='node-2',
                     sub='proxy', uri='/api/v1/nodes/node-2/proxy/stats/summary?token=' + m))
    # a fragment ('#' is not a separator of the request line: the API server
    # keeps it), after the path or the query
    m = M('uri-path-fragment')
    out.append(event('uri-path-fragment', 'get', 'configmaps', name='cm-pf',
                     uri='/api/v1/namespaces/prod/configmaps/cm-pf#access_token=' + m, **ANON))
    m = M('uri-nonresource-fragment')
    out.append(event('uri-nonresource-fragment', 'get', 'none', objref=False,
                     uri='/apis#access_token=' + m, **ANON))
    m = M('uri-denied-fragment')
    out.append(event('uri-denied-fragment', 'get', 'none', objref=False, code=403,
                     uri='/metrics#token=' + m))
    m = M('uri-denied-query')
    out.append(event('uri-denied-query', 'get', 'none', objref=False, code=403,
                     uri='/metrics?token=' + m))
    # a burst of denials: the paths are listed in the correlation
    for i in range(12):
        m = M('uri-denied-burst-fragment' if i % 2 else 'uri-denied-burst-query')
        out.append(event('uri-denied-burst-%02d' % i, 'get', 'none', objref=False, code=403,
                         user='prober@example.com',
                         uri='/probe/%02d%stoken=%s' % (i, '#' if i % 2 else '?', m)))
    m = M('uri-nodeproxy-fragment')
    out.append(event('uri-nodeproxy-fragment', 'get', 'nodes', ns=None, name='node-3',
                     sub='proxy', uri='/api/v1/nodes/node-3/proxy/logs/#token=' + m))
    return out


def exec_events():
    """pods/exec with credentials in command= arguments: each is judged
    interactive_access with commandFindings "credential"."""
    cases = [
        ('jwt', ['curl', '-H', 'Authorization: Bearer ' + jwt(M('exec-jwt-sig'),
                                                              'eyJ' + M('exec-jwt-payload')),
                 'https://10.0.0.1/api']),
        ('bearer-sh', ['sh', '-c', 'curl -s -H "Authorization: Bearer %s" https://kubernetes'
                       % M('exec-bearer-sh')]),
        ('url-token', ['curl', 'https://example.com/hook?id=1&token=' + M('exec-url-token')]),
        ('password-eq', ['mysql', 'password=' + M('exec-password-eq'), '-h', 'db']),
        ('password-opt', ['mysql', '--password=' + M('exec-password-opt')]),
        ('password-flag', ['psql', '--password', M('exec-password-flag'), '-U', 'app']),
        ('u-userpass', ['curl', '-u', 'admin:' + M('exec-u-userpass'), 'https://x.example']),
        ('url-userinfo', ['git', 'clone', 'https://bot:%s@git.example.com/r.git'
                          % M('exec-url-userinfo')]),
        ('aws-bare', ['sh', '-c', 'echo %s > /tmp/k' % M.aws_key('exec-bare')]),
        ('aws-flag', ['aws-helper', '--key', M.aws_key('exec-flag'), '--region', 'eu-west-1']),
        ('aws-env', ['env', 'AWS_ACCESS_KEY_ID=' + M.aws_key('exec-env'), 'aws', 's3', 'ls']),
        ('pem-one', ['sh', '-c', "printf '%s' > /root/.ssh/id_rsa" % pem(M('exec-pem-one'))]),
        ('pem-args', ['tee', '/k', '-----BEGIN PRIVATE KEY-----', M('exec-pem-args'),
                      '-----END PRIVATE KEY-----']),
        ('env-token', ['env', 'TOKEN=' + M('exec-env-token'), 'app']),
        ('header-apikey', ['curl', '-H', 'X-API-Key: ' + M('exec-header-apikey'), 'http://x']),
        ('semicolon', ['sh', '-c', 'echo;token=' + M('exec-semicolon')]),
    ]
    out = []
    for i, (place, argv) in enumerate(cases):
        query = '&'.join('command=' + urllib.parse.quote(a, safe='') for a in argv)
        uri = '/api/v1/namespaces/prod/pods/api-%02d/exec?%s&container=app&stdin=true&tty=true' % (
            i, query)
        out.append(event('exec-%02d' % i, 'create', 'pods', name='api-%02d' % i, sub='exec',
                         uri=uri, code=101, stage='ResponseStarted'))
    # "Command" as a parameter name (case folded): masked in the URI
    m = M('exec-command-case')
    out.append(event('exec-case', 'get', 'pods', name='api-case', sub='exec', code=101,
                     stage='ResponseStarted',
                     uri='/api/v1/namespaces/prod/pods/api-case/exec?Command=curl&Command=-H'
                     '&Command=Authorization%3A+Bearer+' + m + '&container=app'))
    # a fragment after the arguments: not an argument
    m = M('exec-fragment')
    out.append(event('exec-frag', 'create', 'pods', name='api-frag', sub='exec', code=101,
                     stage='ResponseStarted',
                     uri='/api/v1/namespaces/prod/pods/api-frag/exec?container=app&command=ls#'
                     + m))
    return out


def body_events():
    """Request and response bodies with secrets; each record is judged, so
    an opted-in body is shown (redacted)."""
    out = []
    last_applied = json.dumps({'apiVersion': 'v1', 'kind': 'Secret', 'metadata': {
        'name': 'db', 'namespace': 'prod'}, 'stringData': {'password': M('ann-last-applied-body')}})
    out.append(event('body-secret-create', 'create', 'secrets', name='db', **ANON, req={
        'apiVersion': 'v1', 'kind': 'Secret', 'type': 'Opaque',
        'metadata': {'name': 'db', 'namespace': 'prod', 'annotations': {
            'kubectl.kubernetes.io/last-applied-configuration': last_applied}},
        'data': {'password': M('body-secret-data'), 'username': M('body-secret-data-user')},
        'stringData': {'config.yaml': 'user: app\nhost: db\n' + M('body-secret-stringdata')}}))
    out.append(event('body-secret-get', 'get', 'secrets', name='db', resp={
        'apiVersion': 'v1', 'kind': 'Secret', 'metadata': {'name': 'db', 'namespace': 'prod'},
        'type': 'Opaque', 'data': {'tls.key': M('body-secret-get')}}))
    out.append(event('body-secret-list', 'list', 'secrets', resp={
        'apiVersion': 'v1', 'kind': 'SecretList', 'metadata': {'resourceVersion': '7'},
        'items': [{'metadata': {'name': 'a'}, 'data': {'key': M('body-secretlist-item')}},
                  {'metadata': {'name': 'b'}, 'stringData': {'k': M('body-secretlist-string')}}]}))
    out.append(event('body-secret-patch', 'patch', 'secrets', name='db', **ANON, req={
        'data': {'password': M('body-secret-merge-patch')}}))
    out.append(event('body-secret-jsonpatch', 'patch', 'secrets', name='db2', **ANON, req=[
        {'op': 'add', 'path': '/data/anything', 'value': M('body-secret-json-patch')},
        {'op': 'replace', 'path': '/stringData', 'value': {'x': M('body-secret-json-patch-obj')}}]))
    out.append(event('body-sa-token-secret', 'create', 'secrets', name='app-token', **ANON, req={
        'apiVersion': 'v1', 'kind': 'Secret', 'type': 'kubernetes.io/service-account-token',
        'metadata': {'name': 'app-token', 'annotations': {
            'kubernetes.io/service-account.name': 'app'}},
        'data': {'token': jwt(M('body-sa-token')), 'ca.crt': 'LS0tLS1CRUdJTg=='}}))
    out.append(event('body-tokenrequest', 'create', 'serviceaccounts', name='app', sub='token',
                     req={'apiVersion': 'authentication.k8s.io/v1', 'kind': 'TokenRequest',
                          'spec': {'audiences': ['https://kubernetes.default.svc']}},
                     resp={'apiVersion': 'authentication.k8s.io/v1', 'kind': 'TokenRequest',
                           'spec': {'audiences': ['https://kubernetes.default.svc'],
                                    'expirationSeconds': 3600},
                           'status': {'token': jwt(M('body-tokenrequest')),
                                      'expirationTimestamp': TIME}}))
    out.append(event('body-configmap', 'create', 'configmaps', name='app-config', **ANON, req={
        'apiVersion': 'v1', 'kind': 'ConfigMap', 'metadata': {'name': 'app-config'},
        'data': {'app.properties': 'db.host=db\ndb.password=%s\n' % M('body-configmap-password'),
                 'kubeconfig': 'users:\n- name: ci\n  user:\n    token: %s\n'
                 % M('body-configmap-kubeconfig'),
                 'url': 'postgres://app:%s@db:5432/app' % M('body-configmap-url'),
                 'aws': 'key id %s' % M.aws_key('body-configmap'),
                 # configmap_credentials names this key in its evidence, never its value
                 'DB_PASSWORD': M('body-configmap-named-key')}}))
    out.append(event('body-configmap-sa', 'update', 'configmaps', name='bootstrap', **ANON, req={
        'apiVersion': 'v1', 'kind': 'ConfigMap', 'metadata': {'name': 'bootstrap'},
        'data': {'note': 'use ' + jwt(M('body-configmap-jwt'))}}))
    container = {
        'name': 'app', 'image': 'registry.example.com/app:1',
        'command': ['sh', '-c', "curl -H 'Authorization: Bearer %s' https://x"
                    % M('body-pod-command')],
        'args': ['--token=' + M('body-pod-args-token'), '--password', M('body-pod-args-flag')],
        'env': [{'name': 'token', 'value': M('body-pod-env-token')},
                {'name': 'DB_PASSWORD', 'value': M('body-pod-env-password')},
                {'name': 'APP_SETTINGS', 'value': jwt(M('body-pod-env-jwt'))},
                {'name': 'SECRET_NAME', 'valueFrom': {'secretKeyRef': {
                    'name': 'db', 'key': 'password'}}}],
        'securityContext': {'privileged': True}}
    pod = {'apiVersion': 'v1', 'kind': 'Pod', 'metadata': {'name': 'api-0', 'namespace': 'prod'},
           'spec': {'containers': [container]}}
    out.append(event('body-pod', 'create', 'pods', name='api-0', req=pod, resp=pod))
    deploy_applied = json.dumps({'kind': 'Deployment', 'spec': {'template': {'spec': {
        'containers': [{'name': 'app', 'env': [
            {'name': 'API_TOKEN', 'value': M('ann-last-applied-deploy')}]}]}}}})
    out.append(event('body-deployment', 'patch', 'deployments', name='api', group='apps',
                     req={'metadata': {'annotations': {
                         'kubectl.kubernetes.io/last-applied-configuration': deploy_applied}},
                          'spec': {'template': {'spec': {'hostPID': True, 'containers': [{
                              'name': 'app', 'env': [{'name': 'API_TOKEN',
                                                      'value': M('body-deploy-env')}]}]}}}}))
    out.append(event('body-generic', 'create', 'widgets', name='w', group='example.com', **ANON,
                     req={'apiVersion': 'example.com/v1', 'kind': 'Widget',
                          'spec': {'clientSecret': M('body-generic-clientsecret'),
                                   'endpoint': 'https://u:%s@h.example/' % M('body-generic-url'),
                                   'headers': [{'name': 'Authorization',
                                                'value': 'Bearer ' + M('body-generic-header')}],
                                   'nested': {'apiKey': {'value': M('body-generic-apikey')}},
                                   'pem': pem(M('body-generic-pem'))}}))
    patch = json.dumps({'configuration': 'inject', 'webhook': 'inject.example.com',
                        'patch': [{'op': 'add', 'path': '/spec/containers/0/env/-', 'value': {
                            'name': 'DB_PASSWORD', 'value': M('ann-webhook-patch')}}],
                        'patchType': 'JSONPatch'})
    out.append(event('ann-webhook', 'create', 'pods', name='api-1', **ANON, ann={
        'patch.webhook.admission.k8s.io/round_0_index_0': patch,
        'kubectl.kubernetes.io/last-applied-configuration': json.dumps(
            {'kind': 'Secret', 'data': {'k': M('ann-last-applied-audit')}})}))
    return out


def deep(inner, depth=DEPTH):
    v = inner
    for i in range(depth - 2):
        v = {'a': v} if i % 2 else {'b': [v]}
    return v


def deep_events():
    """Bodies whose secrets sit at depth 100 (more than the default limit
    of 64: rejected unless the caller raises KAG_OPT_MAX_DEPTH)."""
    return [
        event('deep-secret', 'create', 'widgets', name='d1', group='example.com', **ANON,
              req=deep({'kind': 'Secret', 'data': {'k': M('deep-secret-data')}})),
        event('deep-keys', 'create', 'widgets', name='d2', group='example.com', **ANON,
              req=deep({'password': M('deep-password'), 'env': [
                  {'name': 'TOKEN', 'value': M('deep-env-token')}],
                  'note': 'Authorization: Bearer ' + M('deep-bearer')})),
        event('deep-secretlist', 'list', 'secrets',
              resp=deep({'kind': 'SecretList', 'items': [
                  {'metadata': {'name': 'a'}, 'data': {'k': M('deep-secretlist-item')}}]})),
    ]


# -- input shapes -----------------------------------------------------------

def copy_id(ev, suffix):
    ev = json.loads(json.dumps(ev))
    ev['auditID'] = '%s.%s' % (ev['auditID'], suffix)
    return ev


def line(obj):
    return json.dumps(obj, separators=(',', ':'))


def native(events):
    lines = [line(e) for e in events]
    # node-name prefixed lines (oc adm node-logs)
    lines += ['master-0.example.internal ' + line(copy_id(e, 'node')) for e in events[:3]]
    return lines, [e['auditID'] for e in events] + ['%s.node' % e['auditID'] for e in events[:3]]


def eventlist(events):
    lines, ids = [], []
    for i in range(0, len(events), 8):
        items = []
        for e in events[i:i + 8]:
            e = copy_id(e, 'list')
            del e['kind'], e['apiVersion']
            items.append(e)
            ids.append(e['auditID'])
        lines.append(line({'kind': 'EventList', 'apiVersion': 'audit.k8s.io/v1',
                           'metadata': {}, 'items': items}))
    # a bare JSON array of events
    arr = [copy_id(e, 'array') for e in events[:4]]
    lines.append(line(arr))
    ids += [e['auditID'] for e in arr]
    return lines, ids


def cw_event(e, i):
    return {'id': '3%020d' % i, 'timestamp': TIME_MS, 'message': line(e)}


def payload(events, start):
    return {'messageType': 'DATA_MESSAGE', 'owner': '111122223333',
            'logGroup': '/aws/eks/prod/cluster', 'logStream': 'kube-apiserver-audit-0a1b2c',
            'subscriptionFilters': ['kag'],
            'logEvents': [cw_event(e, start + i) for i, e in enumerate(events)]}


def eks_cloudwatch(events):
    lines, ids = [], []
    for i, e in enumerate(events):
        lines.append(line({'timestamp': TIME_MS, 'logStreamName': 'kube-apiserver-audit-0a1b2c',
                           'message': line(e), 'ingestionTime': TIME_MS, 'eventId': str(i)}))
        ids.append(e['auditID'])
    evs = [copy_id(e, 'events') for e in events[:6]]
    lines.append(line({'events': [dict(cw_event(e, i), logStreamName='kube-apiserver-audit-0a')
                                  for i, e in enumerate(evs)]}))
    ids += [e['auditID'] for e in evs]
    pl = [copy_id(e, 'payload') for e in events[:6]]
    lines.append(line(payload(pl, 100)))
    ids += [e['auditID'] for e in pl]
    return lines, ids


def gz64(doc):
    return base64.b64encode(gzip.compress(doc.encode(), mtime=0)).decode()


def eks_gzip(events):
    """Subscription payloads as delivered: base64 of gzip, bare (H4sI...)
    and as {"awslogs":{"data":...}}."""
    lines, ids = [], []
    for i in range(0, len(events), 6):
        group = [copy_id(e, 'gz') for e in events[i:i + 6]]
        doc = line(payload(group, i))
        lines.append(gz64(doc))
        ids += [e['auditID'] for e in group]
    for i in range(0, len(events), 6):
        group = [copy_id(e, 'awslogs') for e in events[i:i + 6]]
        doc = line(payload(group, 1000 + i))
        lines.append(line({'awslogs': {'data': gz64(doc)}}))
        ids += [e['auditID'] for e in group]
    return lines, ids


def aks_record(e):
    return {'time': TIME, 'resourceId': '/SUBSCRIPTIONS/0000/RESOURCEGROUPS/RG/PROVIDERS/'
            'MICROSOFT.CONTAINERSERVICE/MANAGEDCLUSTERS/PROD',
            'category': 'kube-audit',
            'operationName': 'Microsoft.ContainerService/managedClusters/diagnosticLogs/Read',
            'properties': {'log': line(e) + '\n', 'stream': 'stdout',
                           'pod': 'kube-apiserver-5d8c9b7f6-x2x4z'}}


def aks_row(e):
    row = {'Type': 'AKSAudit', 'TimeGenerated': TIME, 'Level': e['level'],
           'AuditId': e['auditID'], 'Stage': e['stage'], 'RequestUri': e['requestURI'],
           'Verb': e['verb'], 'User': e['user'], 'SourceIps': e['sourceIPs'],
           'UserAgent': e['userAgent'], 'ObjectRef': e.get('objectRef'),
           'ResponseStatus': e['responseStatus'], 'Annotations': e['annotations'],
           'RequestReceivedTime': TIME, 'StageReceivedTime': TIME,
           'PodName': 'kube-apiserver-5d8c9b7f6-x2x4z'}
    # dynamic columns as text, as the query API returns them
    if 'requestObject' in e:
        row['RequestObject'] = line(e['requestObject'])
    if 'responseObject' in e:
        row['ResponseObject'] = line(e['responseObject'])
    return row


def aks(events):
    lines, ids = [], []
    for e in events:
        lines.append(line(aks_record(e)))
        ids.append(e['auditID'])
    batch = [copy_id(e, 'records') for e in events[:6]]
    lines.append(line({'records': [aks_record(e) for e in batch]}))
    ids += [e['auditID'] for e in batch]
    for e in events:
        r = copy_id(e, 'row')
        lines.append(line(aks_row(r)))
        ids.append(r['auditID'])
    for e in events[:4]:
        r = copy_id(e, 'diag')
        lines.append(line({'Type': 'AzureDiagnostics', 'Category': 'kube-audit',
                           'log_s': line(r), 'TimeGenerated': TIME}))
        ids.append(r['auditID'])
    return lines, ids


def gke_entry(e):
    ref = e['objectRef']
    group = ref.get('apiGroup') or 'core'
    parts = [group, 'v1']
    if ref.get('namespace'):
        parts += ['namespaces', ref['namespace']]
    parts.append(ref['resource'])
    if ref.get('name'):
        parts.append(ref['name'])
    if ref.get('subresource'):
        parts.append(ref['subresource'])
    method_group = 'core' if group == 'core' else group
    method = 'io.k8s.%s.v1.%s%s.%s' % (method_group, ref['resource'],
                                       '.' + ref['subresource'] if ref.get('subresource') else '',
                                       e['verb'])
    pp = {'@type': 'type.googleapis.com/google.cloud.audit.AuditLog',
          'serviceName': 'k8s.io', 'methodName': method, 'resourceName': '/'.join(parts),
          'authenticationInfo': {'principalEmail': e['user']['username']},
          'authorizationInfo': [{'granted': True, 'permission': method,
                                 'resource': '/'.join(parts)}],
          'requestMetadata': {'callerIp': e['sourceIPs'][0],
                              'callerSuppliedUserAgent': e['userAgent']},
          'status': {'code': 0}}
    if 'requestObject' in e:
        pp['request'] = e['requestObject']
        if isinstance(pp['request'], dict):
            pp['request'] = dict(pp['request'], **{'@type': 'k8s.io/Object'})
    if 'responseObject' in e:
        pp['response'] = dict(e['responseObject'], **{'@type': 'k8s.io/Object'})
    return {'insertId': e['auditID'], 'logName':
            'projects/p/logs/cloudaudit.googleapis.com%2Factivity',
            'operation': {'first': True, 'id': e['auditID'], 'last': True, 'producer': 'k8s.io'},
            'resource': {'type': 'k8s_cluster', 'labels': {
                'project_id': 'p', 'location': 'europe-west1', 'cluster_name': 'prod'}},
            'timestamp': TIME, 'receiveTimestamp': TIME, 'labels': e['annotations'],
            'protoPayload': pp}


def gke(events):
    lines, ids = [], []
    for e in events:
        if 'objectRef' not in e:
            continue  # a GKE entry always names a resource
        lines.append(line(gke_entry(e)))
        ids.append(e['auditID'])
    return lines, ids


# -- malformed records ------------------------------------------------------

def malformed():
    """One rejected record per line, each carrying a marker."""
    ev = line(event('bad', 'get', 'secrets', name='x', uri='/api/v1/secrets?token=TOKEN'))

    def inner(place):
        return ev.replace('TOKEN', M(place))

    def cut_after(text, place):
        m = M(place)
        return text[:text.index(m) + len(m) + 2]

    recs = [
        # invalid JSON just after and just before the marker
        inner('bad-json-after')[:-1] + ' "x"}',
        '{"verb":"get","requestURI":"/?token=%s",,"user":{}}' % M('bad-json-comma'),
        '{"verb":"get","auditID":"%s" "stage":"ResponseComplete"}' % M('bad-json-missing-comma'),
        '{"verb":"get","auditID":"x",%s}' % M('bad-json-bare-word'),
        # duplicate keys named with the marker
        '{"verb":"get","%s":1,"%s":2}' % (M('dup-key-top'), M('dup-key-top')),
        '{"verb":"get","user":{"username":"u","%s":"a","%s":"b"}}' % (
            M('dup-key-nested'), M('dup-key-nested')),
        # a text line that starts with the marker
        M('text-line') + ' GET /api/v1/secrets 200',
        # cut short: at a line end inside a string, and with an object open
        '{"verb":"get","requestURI":"/api/v1/secrets?token=%s' % M('truncated-string'),
        '{"verb":"get","auditID":"x","annotations":{"k":"%s"' % M('truncated-object'),
        # invalid UTF-8 right after the marker (added as bytes below)
        None,
        # a scalar
        '"%s"' % M('scalar-string'),
        '[%s]' % line(M('array-of-string')),
        # AKS: properties.log with bad JSON
        line({'category': 'kube-audit', 'properties': {
            'log': '{"verb":"get","requestURI":"/?token=%s" bad}' % M('aks-log-bad')}}),
        line({'category': 'kube-audit', 'properties': {'log': '%s' % M('aks-log-text')}}),
        line({'records': [{'category': 'kube-audit', 'properties': {
            'log': inner('aks-records-bad')[:-2]}}]}),
        # GKE: a methodName that is the marker
        line({'insertId': 'gke-bad', 'protoPayload': {
            '@type': 'type.googleapis.com/google.cloud.audit.AuditLog', 'serviceName': 'k8s.io',
            'methodName': M('gke-method'), 'resourceName': 'core/v1/namespaces/p/pods/x',
            'authenticationInfo': {'principalEmail': 'a@example.com'}, 'status': {'code': 0}}}),
        line({'insertId': 'gke-bad2', 'protoPayload': {
            '@type': 'type.googleapis.com/google.cloud.audit.AuditLog', 'serviceName': 'k8s.io',
            'methodName': 'io.k8s.core.v1.pods.get', 'resourceName': M('gke-resource') + '/x/y/z',
            'authenticationInfo': {'principalEmail': 'a@example.com'},
            'status': {'code': M('gke-status-code')}}}),
        # EKS: a message cut by CloudWatch, auditID = marker
        line({'timestamp': TIME_MS, 'message': '{"kind":"Event","auditID":"%s","verb":"get",'
              '"requestURI":"/api/v1/secrets?token=%s","user":{"username":"u"},"requestObj'
              '[Truncated...]' % (M('eks-truncated-auditid'), M('eks-truncated-uri'))}),
        line({'timestamp': TIME_MS, 'message': '{"verb":"get","requestURI":"/?token=%s" x}'
              % M('eks-message-bad')}),
        line({'logEvents': [{'id': '1', 'timestamp': TIME_MS, 'message': cut_after(
            inner('eks-logevents-bad'), 'eks-logevents-bad')}]}),
        # gzip payloads that decode to bad JSON with a marker
        gz64('{"logEvents":[{"message":"{\\"verb\\":\\"get\\",\\"requestURI\\":\\"/?token=%s\\" '
             'bad"}]}' % M('gzip-inner-bad')),
        gz64('%s is not JSON' % M('gzip-text')),
        gz64('{"messageType":"DATA_MESSAGE","logEvents":[{"message":%s}' % line(
            inner('gzip-cut'))),
        line({'awslogs': {'data': gz64('{"logEvents":[' + M('gzip-awslogs-bad') + ']}')}}),
        # over-deep nesting around a marker
        '{"verb":"get","requestObject":%s}' % (
            '{"a":' * DEPTH + line(M('deep-nesting')) + '}' * DEPTH),
        '%s%s%s' % ('[' * DEPTH, line(M('deep-array')), ']' * DEPTH),
        # wrong types holding markers
        '{"verb":"get","sourceIPs":"%s"}' % M('wrong-type-sourceips'),
        '{"verb":["%s"],"requestURI":7}' % M('wrong-type-verb'),
        '{"verb":"get","user":{"username":{"token":"%s"}}}' % M('wrong-type-username'),
        '{"verb":"get","responseStatus":{"code":"%s"}}' % M('wrong-type-code'),
        '{"verb":"get","annotations":{"k":["%s"]}}' % M('wrong-type-annotation'),
    ]
    raw = []
    for r in recs:
        if r is None:
            raw.append(('{"verb":"get","userAgent":"%s' % M('invalid-utf8')).encode()
                       + b'\xff\xfe\xc3(' + b'"}')
        else:
            raw.append(r.encode())
    return raw


def odd_events():
    """Records of odd shape that are still events (judged, not errors)."""
    body = event('odd-body-string', 'create', 'configmaps', name='odd-2', **ANON,
                 req='Authorization: Bearer ' + M('odd-body-string'))
    sentinel = event('odd-body-array', 'create', 'configmaps', name='odd-3', **ANON,
                     req=['token=' + M('odd-body-array'), {'password': M('odd-body-array-obj')}])
    return [body, sentinel]


def overlong():
    """Records over the limits: a string longer than 1 MiB, and a line
    longer than 16 MiB (the record limit and kag-filter's --max-line)."""
    head = M('overlong-string-head')
    tail = M('overlong-string-tail')
    s = head + 'x' * ((1 << 20) + 16) + tail
    rec1 = '{"verb":"get","auditID":"long-1","userAgent":"%s"}' % s
    pad = 'y' * ((16 << 20) + 64)
    rec2 = '{"verb":"get","auditID":"long-2","requestURI":"/?token=%s","pad":"%s","x":"%s"}' % (
        M('overlong-line-head'), pad, M('overlong-line-tail'))
    return [rec1.encode(), rec2.encode()]


# -- output -----------------------------------------------------------------

def build():
    """Every stream's lines, its decoded text (for the planting check) and
    its expectations."""
    uri, execs, bodies = uri_events(), exec_events(), body_events()
    events = uri + execs + bodies
    streams = {}

    def add(name, lines, ids, **expect):
        raw = [x if isinstance(x, bytes) else x.encode() for x in lines]
        expect.setdefault('deep', [])
        streams[name] = {'lines': raw, 'ids': ids, **expect}

    def uri_ids(ids):
        # denials are judged as a burst (one verdict for ten)
        return [i for i in ids if i.split('.')[0].startswith('uri-')
                and not i.startswith('uri-denied-')]

    def exec_ids(ids):
        # exec-case names its arguments "Command": masked in the URI only
        return [i for i in ids if i.split('.')[0].startswith('exec-')
                and i.split('.')[0] not in ('exec-case', 'exec-frag')]

    def body_ids(ids):
        return [i for i in ids if i.split('.')[0].startswith('body-')]

    def ann_ids(ids):
        return [i for i in ids if i.split('.')[0].startswith('ann-')]

    for name, (lines, ids) in (('native.jsonl', native(events)),
                               ('eventlist.jsonl', eventlist(events)),
                               ('eks-cloudwatch.jsonl', eks_cloudwatch(events)),
                               ('aks.jsonl', aks(events))):
        add(name, lines, ids, uri=uri_ids(ids), exec=exec_ids(ids), bodies=body_ids(ids),
            annotations=ann_ids(ids), probing=True, errors=0)
    lines, ids = eks_gzip(events)
    add('eks-gzip.txt', lines, ids, uri=uri_ids(ids),
        exec=exec_ids(ids), bodies=body_ids(ids), annotations=ann_ids(ids), probing=True,
        errors=0)
    lines, ids = gke(events)
    # GKE entries carry no requestURI: bodies and annotations only
    add('gke.jsonl', lines, ids, uri=[], exec=[], bodies=body_ids(ids),
        annotations=ann_ids(ids), probing=False, errors=0)
    bad, odd = malformed(), odd_events()
    add('malformed.jsonl', bad + [line(e) for e in odd], [e['auditID'] for e in odd], uri=[],
        exec=[], bodies=[e['auditID'] for e in odd], annotations=[], probing=False,
        errors=len(bad))
    d = deep_events()
    # judged only under a raised depth limit: then the "deep" ones must be
    add('deep.jsonl', [line(e) for e in d], [e['auditID'] for e in d], uri=[], exec=[],
        bodies=[], deep=[e['auditID'] for e in d], annotations=[], probing=False,
        errors=len(d))
    long = overlong()
    add('overlong.jsonl', long, [], uri=[], exec=[], bodies=[], annotations=[], probing=False,
        errors=len(long))
    assert set(streams) == set(STREAMS)
    return streams


def write(outdir):
    os.makedirs(outdir, exist_ok=True)
    streams = build()
    meta = {'suffix': SUFFIX, 'markers': [{'marker': m, 'place': p}
                                          for m, p in sorted(M.places.items())],
            'streams': {}}
    for name, s in streams.items():
        with open(os.path.join(outdir, name), 'wb') as f:
            f.write(b'\n'.join(s['lines']) + b'\n')
        meta['streams'][name] = {
            'shape': STREAMS[name],
            'records': len(s['lines']), 'events': s['ids'], 'uri': s['uri'],
            'exec': s['exec'], 'bodies': s['bodies'], 'annotations': s['annotations'],
            'probing': s['probing'], 'deep': s['deep'], 'errors': s['errors']}
    with open(os.path.join(outdir, 'markers.json'), 'w') as f:
        json.dump(meta, f, indent=1, sort_keys=True)
        f.write('\n')


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.exit('usage: markers.py OUTDIR')
    write(sys.argv[1])
