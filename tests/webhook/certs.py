"""Certificates for the kag-webhook tests, made with openssl: a CA, a
server certificate for 127.0.0.1 and localhost (subjectAltName), a client
certificate from the same CA, and a client certificate from another CA
(which the server must refuse)."""
import os
import subprocess


def _run(*args):
    subprocess.run(['openssl'] + list(args), check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)


def _ca(d, name):
    key, crt = os.path.join(d, name + '.key'), os.path.join(d, name + '.crt')
    _run('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
         '-keyout', key, '-out', crt, '-days', '2', '-subj', '/CN=' + name,
         '-addext', 'basicConstraints=critical,CA:TRUE',
         '-addext', 'keyUsage=critical,keyCertSign,cRLSign')
    return key, crt


def _leaf(d, name, ca_key, ca_crt, ext):
    key, csr, crt = (os.path.join(d, name + s) for s in ('.key', '.csr', '.crt'))
    extfile = os.path.join(d, name + '.ext')
    with open(extfile, 'w') as f:
        f.write(ext)
    _run('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
         '-keyout', key, '-out', csr, '-subj', '/CN=' + name)
    _run('x509', '-req', '-in', csr, '-CA', ca_crt, '-CAkey', ca_key, '-CAcreateserial',
         '-out', crt, '-days', '2', '-extfile', extfile)
    return crt, key


def make(d):
    """Write the files under d; returns a dict of their paths."""
    ca_key, ca_crt = _ca(d, 'ca')
    other_key, other_crt = _ca(d, 'other-ca')
    server = _leaf(d, 'server', ca_key, ca_crt,
                   'subjectAltName=IP:127.0.0.1,DNS:localhost\n'
                   'extendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n')
    client = _leaf(d, 'kube-apiserver', ca_key, ca_crt,
                   'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n')
    stranger = _leaf(d, 'stranger', other_key, other_crt,
                     'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n')
    return {'ca': ca_crt, 'server': server, 'client': client, 'stranger': stranger}
