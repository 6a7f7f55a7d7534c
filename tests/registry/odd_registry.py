#!/usr/bin/env python3
"""A registry with odd but possible answers, for tests only: a proxy in front
of a real registry that changes what the modes say.

  odd_registry.py PORTFILE UPSTREAM MODE[,MODE...]

Listens on 127.0.0.1 (a free port, written to PORTFILE) and forwards every
request to UPSTREAM (host:port, plain http), except:
  created        POST /v2/<name>/blobs/uploads/ (not a mount) is answered
                 201 Created with the blob's Location, as a registry does for
                 a complete blob, without asking the upstream;
  created-noloc  the same 201 without a Location;
  hide-once      the first HEAD of each blob is answered 404.
"""
import http.client
import os
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORTFILE, UPSTREAM, MODES = sys.argv[1], sys.argv[2], set(sys.argv[3].split(","))
hidden = set()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, headers=(), body=b""):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def odd(self):
        """The answer of the modes to this request, or None to forward it."""
        url = urllib.parse.urlparse(self.path)
        query = urllib.parse.parse_qs(url.query)
        if self.command == "POST" and url.path.endswith("/blobs/uploads/") and "mount" not in query:
            if "created-noloc" in MODES:
                return 201, []
            if "created" in MODES:
                return 201, [("Location", url.path[: -len("uploads/")] + "sha256:" + "0" * 64)]
        if self.command == "HEAD" and "/blobs/sha256:" in url.path and "hide-once" in MODES:
            if url.path not in hidden:
                hidden.add(url.path)
                return 404, []
        return None

    def forward(self):
        odd = self.odd()
        if odd:
            self.answer(*odd)
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        conn = http.client.HTTPConnection(UPSTREAM)
        conn.request(self.command, self.path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        out = []
        for k, v in resp.getheaders():
            if k.lower() in ("content-length", "connection", "transfer-encoding"):
                continue
            if k.lower() == "location":
                v = v.replace(UPSTREAM, self.server.address)
            out.append((k, v))
        if self.command == "HEAD":
            out.append(("Content-Length", resp.getheader("Content-Length", "0")))
            self.send_response(resp.status)
            for k, v in out:
                self.send_header(k, v)
            self.end_headers()
        else:
            self.answer(resp.status, out, data)
        conn.close()

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = forward


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.address = "127.0.0.1:%d" % server.server_address[1]
with open(PORTFILE + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(PORTFILE + ".tmp", PORTFILE)
server.serve_forever()
