"""Audit records for the collector tests, one JSON line each.

Every record has its own auditID and, unless a test wants correlation, its
own user, so that each record's verdicts depend on that record alone.
"""
import json

KINDS = ('exec', 'secret', 'impersonate', 'controller', 'denied')


def audit_id(i):
    return 'c0ffee00-0000-4000-8000-%012d' % i


def record(i, kind=None, user=None, agent='kubectl/v1.30.1', stage=None):
    """Record number i (its auditID is audit_id(i)) as one line, no line end."""
    kind = kind or KINDS[i % len(KINDS)]
    t = '2024-05-01T10:%02d:%02d.000000Z' % ((i // 60) % 60, i % 60)
    user = user or 'dev-%d@example.com' % i
    ev = {'kind': 'Event', 'apiVersion': 'audit.k8s.io/v1', 'level': 'Metadata',
          'auditID': audit_id(i), 'stage': 'ResponseComplete',
          'requestReceivedTimestamp': t, 'stageTimestamp': t,
          'user': {'username': user, 'groups': ['system:authenticated']},
          'sourceIPs': ['203.0.113.%d' % (i % 250 + 1)], 'userAgent': agent}
    if kind == 'exec':
        ev.update(stage='ResponseStarted', verb='create',
                  requestURI='/api/v1/namespaces/prod/pods/web-%d/exec?command=sh' % i,
                  objectRef={'resource': 'pods', 'subresource': 'exec', 'namespace': 'prod',
                             'name': 'web-%d' % i, 'apiVersion': 'v1'},
                  responseStatus={'code': 101})
    elif kind == 'secret':
        ev.update(verb='get', requestURI='/api/v1/namespaces/prod/secrets/db-%d' % i,
                  objectRef={'resource': 'secrets', 'namespace': 'prod', 'name': 'db-%d' % i,
                             'apiVersion': 'v1'},
                  responseStatus={'code': 200})
    elif kind == 'impersonate':
        ev.update(verb='get', requestURI='/api/v1/namespaces/prod/configmaps/cfg-%d' % i,
                  impersonatedUser={'username': 'system:serviceaccount:prod:deploy-bot'},
                  objectRef={'resource': 'configmaps', 'namespace': 'prod',
                             'name': 'cfg-%d' % i, 'apiVersion': 'v1'},
                  responseStatus={'code': 200})
    elif kind == 'controller':
        ev.update(verb='update', userAgent='kube-controller-manager/v1.30.0',
                  sourceIPs=['10.0.0.%d' % (i % 250 + 1)],
                  user={'username': 'system:kube-controller-manager'},
                  requestURI='/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/l-%d' % i,
                  objectRef={'resource': 'leases', 'namespace': 'kube-system',
                             'name': 'l-%d' % i, 'apiGroup': 'coordination.k8s.io',
                             'apiVersion': 'v1'},
                  responseStatus={'code': 200})
    elif kind == 'denied':
        ev.update(verb='list', requestURI='/api/v1/namespaces/prod/secrets',
                  objectRef={'resource': 'secrets', 'namespace': 'prod', 'apiVersion': 'v1'},
                  responseStatus={'code': 403},
                  annotations={'authorization.k8s.io/decision': 'forbid'})
    else:
        raise ValueError(kind)
    if stage:
        ev['stage'] = stage
        if stage == 'RequestReceived':
            ev.pop('responseStatus', None)
            ev.pop('annotations', None)
    return json.dumps(ev, separators=(',', ':'))


def verdict_key(v):
    """A verdict record as a comparable value, without event.source (a
    filter's messages have none, a file's records have file:line)."""
    v = json.loads(json.dumps(v))
    v.get('event', {}).pop('source', None)
    return json.dumps(v, sort_keys=True)
