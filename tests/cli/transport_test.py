#!/usr/bin/env python3
"""The `agents` CLI against what is not a healthy DynamoDB endpoint: another web server, a server
that accepts and never answers, an outage in the middle of a REPL, TLS endpoints with a private CA,
proxies; and the global options as the AWS CLI takes them. Real processes against DynamoDB Local
(AGENTS_TEST_DDBLOCAL_ENDPOINT); the stand-ins here are only for what no local server provides."""
import http.server
import json
import os
import pty
import random
import select
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import unittest

CLI = os.environ.get("AGENTS_CLI", "")
ENDPOINT = os.environ.get("AGENTS_TEST_DDBLOCAL_ENDPOINT", "")
FAKE_SECRET = "transportTestSecret/DO-NOT-PRINT+1234567890abcdef"
FAKE_TOKEN = "transportTestToken-DO-NOT-PRINT-0987654321"
OUTPUTS = []  # every stdout/stderr the tests saw, checked for secrets at the end


def base_env(**extra):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "OPENAI_")) and k.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")}
    env.update({
        "AWS_ACCESS_KEY_ID": "AKIDTRANSPORT",
        "AWS_SECRET_ACCESS_KEY": FAKE_SECRET,
        "AWS_SESSION_TOKEN": FAKE_TOKEN,
        "AWS_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": "/nonexistent/config",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials",
    })
    env.update(extra)
    return env


def run(*args, stdin=None, env=None, timeout=120):
    p = subprocess.run([CLI] + list(args), input=stdin, capture_output=True, text=True,
                       env=env or base_env(), timeout=timeout)
    OUTPUTS.append(p.stdout + p.stderr)
    return p


def new_name(prefix):
    return "%s-%d" % (prefix, random.randrange(10**9))


class ForeignWebServer:
    """Any web server that is not DynamoDB: answers every request with `status` and an HTML page."""

    def __init__(self, status):
        self.requests = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_any(self):
                outer.requests += 1
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                body = b"<html><title>%d</title><body>not here</body></html>" % status
                self.send_response(status)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_any

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class NotDynamoDbTest(unittest.TestCase):
    def test_another_web_server_is_named_and_not_retried(self):
        for status in (404, 501, 200):
            srv = ForeignWebServer(status)
            try:
                started = time.monotonic()
                p = run("--endpoint-url", srv.url, "state", "load", "t")
                self.assertEqual(p.returncode, 1, p.stderr)
                self.assertIn("does not speak DynamoDB", p.stderr)
                self.assertIn("HTTP %d" % status, p.stderr)
                self.assertEqual(srv.requests, 1, "retried: %d requests" % srv.requests)
                self.assertLess(time.monotonic() - started, 5)
                d = run("--endpoint-url", srv.url, "doctor")
                self.assertEqual(d.returncode, 1)
                self.assertRegex(d.stdout, r"(?m)^FAIL +endpoint: .*does not speak DynamoDB")
                self.assertNotRegex(d.stdout, r"(?m)^ok +endpoint")
            finally:
                srv.close()

    def test_doctor_says_ok_only_when_dynamodb_answered(self):
        env = base_env()
        for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            del env[k]
        # Nothing listens on port 1; without credentials no call is made at all.
        for endpoint in ("http://127.0.0.1:1", ENDPOINT):
            p = run("--endpoint-url", endpoint, "doctor", env=env)
            self.assertEqual(p.returncode, 1)
            self.assertRegex(p.stdout, r"(?m)^FAIL +credentials: ")
            self.assertRegex(p.stdout, r"(?m)^FAIL +endpoint: ")
            self.assertNotRegex(p.stdout, r"(?m)^ok +endpoint")
        p = run("--endpoint-url", ENDPOINT, "--table", new_name("absent"), "doctor")
        self.assertRegex(p.stdout, r"(?m)^ok +endpoint: .*speaks DynamoDB")


def tearDownModule():
    for out in OUTPUTS:
        assert FAKE_SECRET not in out and FAKE_TOKEN not in out, "a secret was printed: " + out


def setUpModule():
    if not CLI or not ENDPOINT:
        if os.environ.get("AGENTS_REQUIRE_SERVERS"):
            raise AssertionError("AGENTS_CLI or AGENTS_TEST_DDBLOCAL_ENDPOINT is not set")
        raise unittest.SkipTest("needs AGENTS_CLI and DynamoDB Local")


if __name__ == "__main__":
    runner = unittest.main(exit=False, verbosity=2)
    r = runner.result
    failed = len(r.failures) + len(r.errors)
    print("%d passed, %d failed" % (r.testsRun - failed - len(r.skipped), failed))
    sys.exit(1 if failed else 0)
