#!/usr/bin/env python3
"""A bearer-token server for docker-registry's auth.token, for tests only.

  token_server.py PORTFILE KEY.pem CERT.pem ISSUER USER:PASS LOG

Listens on 127.0.0.1 (a free port, written to PORTFILE). GET /token with
service= and scope= answers {"token": JWT}, the JWT signed RS256 with KEY
(by `openssl dgst -sha256 -sign`) and carrying CERT in its x5c header, which
the registry checks against its rootcertbundle. Anonymous clients get pull
access; USER with the right password gets everything asked for; a wrong
password gets 401. Each request is appended to LOG as one line:
"user=<name|-> scope=<scopes>".
"""
import base64
import json
import os
import subprocess
import sys
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORTFILE, KEY, CERT, ISSUER, CREDS, LOG = sys.argv[1:7]
USER, PASSWORD = CREDS.split(":", 1)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def cert_der_b64():
    pem = open(CERT).read()
    body = pem.split("-----BEGIN CERTIFICATE-----")[1].split("-----END CERTIFICATE-----")[0]
    return "".join(body.split())


def sign(payload):
    header = {"typ": "JWT", "alg": "RS256", "x5c": [cert_der_b64()]}
    signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(payload).encode())
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", KEY],
                         input=signing_input.encode(), capture_output=True, check=True).stdout
    return signing_input + "." + b64url(sig)


def access_for(scopes, authenticated):
    access = []
    for scope in scopes:
        parts = scope.split(":")
        if len(parts) < 3 or parts[0] != "repository":
            continue
        name, actions = ":".join(parts[1:-1]), parts[-1].split(",")
        granted = actions if authenticated else [a for a in actions if a == "pull"]
        access.append({"type": "repository", "name": name, "actions": granted})
    return access


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def deny(self):
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"details":"invalid credentials"}')

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        if url.path != "/token":
            self.send_error(404)
            return
        query = urllib.parse.parse_qs(url.query)
        user = None
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            given = base64.b64decode(auth[6:]).decode(errors="replace")
            if given != CREDS:
                self.deny()
                return
            user = USER
        scopes = query.get("scope", [])
        with open(LOG, "a") as log:
            log.write("user=%s scope=%s\n" % (user or "-", " ".join(scopes)))
        now = int(time.time())
        token = sign({
            "iss": ISSUER, "sub": user or "", "aud": query.get("service", [""])[0],
            "exp": now + 300, "nbf": now - 10, "iat": now, "jti": "%d-%f" % (now, time.time()),
            "access": access_for(scopes, user is not None),
        })
        body = json.dumps({"token": token, "expires_in": 300}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
# Written then renamed, so a reader never sees half a number.
with open(PORTFILE + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(PORTFILE + ".tmp", PORTFILE)
server.serve_forever()
