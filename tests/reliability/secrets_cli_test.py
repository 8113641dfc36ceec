#!/usr/bin/env python3
"""No secret in any output: the CLI's success and error paths, the secrets unit test binary and the
whole unit suite run with a recognisable fake AWS secret key, session token and OpenAI key, and
every line they print (stdout, stderr, test logs) is searched for them.

Stand-ins on 127.0.0.1 answer like the real services when things go wrong, including the worst
case: an InvalidSignatureException that quotes the request back (session token included) and a
model server that quotes the API key it rejected.
Needs AGENTS_CLI; DynamoDB Local (AGENTS_TEST_DDBLOCAL_ENDPOINT) for the real-server paths;
AGENTS_TEST_BINARY_DIR to also run the unit suite."""
import http.server
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import unittest
import zlib

CLI = os.environ.get("AGENTS_CLI", "")
ENDPOINT = os.environ.get("AGENTS_TEST_DDBLOCAL_ENDPOINT", "")
BINARY_DIR = os.environ.get("AGENTS_TEST_BINARY_DIR", "")
SECRET = "FAKEsecretKEY/cli-leak-canary+wJalrXUtnFEMI/K7MDENG"
TOKEN = "FAKEsessionTOKEN-cli-leak-canary-IQoJb3JpZ2luX2VjEHIaCXVzLWVhc3QtMSJH"
OPENAI_KEY = "sk-FAKEopenaiKEY-cli-leak-canary-T3BlbkFJ0123456789"
CANARIES = (SECRET, TOKEN, OPENAI_KEY)
OUTPUTS = []  # (what, text): everything seen


def base_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "OPENAI_"))}
    env.update({
        "AWS_ACCESS_KEY_ID": "AKIDCLISECRETS",
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "AWS_SESSION_TOKEN": TOKEN,
        "OPENAI_API_KEY": OPENAI_KEY,
        "AWS_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": "/nonexistent/config",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials",
    })
    env.update(extra)
    return env


def run(args, stdin=None, env=None, timeout=120):
    p = subprocess.run(args, input=stdin, capture_output=True, text=True, errors="replace",
                       env=env or base_env(), timeout=timeout)
    OUTPUTS.append((" ".join(args[:6]), p.stdout + p.stderr))
    return p


def cli(*args, endpoint=None, stdin=None, env=None, table="secrets"):
    argv = [CLI, "--endpoint", endpoint or ENDPOINT, "--table", table, "--verbose"] + list(args)
    return run(argv, stdin=stdin, env=env)


class StandIn(http.server.BaseHTTPRequestHandler):
    """DynamoDB answering InvalidSignatureException with the canonical request (token included),
    and an OpenAI server answering 401 with the whole key quoted."""

    def log_message(self, *args):
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        self.rfile.read(length)
        if self.path.endswith("/chat/completions"):
            key = self.headers.get("Authorization", "")
            body = json.dumps({"error": {"message": "Incorrect API key provided: %s." % key,
                                         "type": "invalid_request_error", "code": "invalid_api_key"}}).encode()
            self.send_response(401)
            self.send_header("Content-Type", "application/json")
        else:
            canonical = "POST\n/\n\nhost:%s\nx-amz-date:%s\nx-amz-security-token:%s\n" % (
                self.headers.get("Host"), self.headers.get("X-Amz-Date"), self.headers.get("X-Amz-Security-Token"))
            body = json.dumps({"__type": "com.amazon.coral.service#InvalidSignatureException",
                               "message": "The request signature we calculated does not match the signature you "
                                          "provided.\n\nThe Canonical String for this request should have been\n'"
                                          + canonical + "'"}).encode()
            self.send_response(400)
            self.send_header("Content-Type", "application/x-amz-json-1.0")
            self.send_header("x-amz-crc32", str(zlib.crc32(body)))
            self.send_header("x-amzn-RequestId", "STANDIN")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class SecretsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not CLI:
            if os.environ.get("AGENTS_REQUIRE_SERVERS"):
                raise AssertionError("AGENTS_CLI is not set")
            raise unittest.SkipTest("needs AGENTS_CLI")
        cls.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
        cls.stand_in = "http://127.0.0.1:%d" % cls.server.server_address[1]
        threading.Thread(target=cls.server.serve_forever, daemon=True).start()
        cls.tmp = tempfile.TemporaryDirectory()

    @classmethod
    def tearDownClass(cls):
        cls.server.shutdown()
        cls.tmp.cleanup()

    def test_real_server_paths(self):
        if not ENDPOINT:
            if os.environ.get("AGENTS_REQUIRE_SERVERS"):
                self.fail("AGENTS_TEST_DDBLOCAL_ENDPOINT is not set")
            self.skipTest("needs DynamoDB Local")
        table = "secrets-%d" % os.getpid()
        self.assertEqual(cli("table", "create", table=table).returncode, 0)
        cli("--json", "table", "describe", table=table)
        self.assertEqual(cli("state", "save", "t", stdin='{"files":{"a":"1"}}', table=table).returncode, 0)
        self.assertEqual(cli("state", "load", "t", table=table).returncode, 0)
        cli("--json", "state", "list", table=table)
        cli("state", "save", "t", stdin="not json", table=table)
        cli("state", "load", "missing", table=table)
        cli("doctor", table=table)
        cli("--json", "doctor", table=table)
        # The offline model, then the real model protocol against a stand-in that rejects the key.
        cli("chat", "t", "--message", "hello", table=table, env=base_env(OPENAI_API_KEY=""))
        p = cli("chat", "t2", "--message", "hello", table=table,
                env=base_env(OPENAI_BASE_URL=self.stand_in + "/v1"))
        self.assertNotEqual(p.returncode, 0)
        self.assertEqual(cli("state", "delete", "t", table=table).returncode, 0)

    def test_error_paths(self):
        with socket.socket() as s:  # a port nobody listens on
            s.bind(("127.0.0.1", 0))
            closed = "http://127.0.0.1:%d" % s.getsockname()[1]
        for args in (["state", "load", "t"], ["state", "save", "t"], ["state", "list"], ["doctor"],
                     ["table", "describe"], ["table", "create"]):
            for endpoint in (closed, self.stand_in):
                p = cli(*args, endpoint=endpoint, stdin="{}")
                self.assertNotEqual(p.returncode, 0, args)
        # credential_process failures, each with the secret in the process's output.
        creds = '{"Version": 1, "AccessKeyId": "AKIDPROC", "SecretAccessKey": "%s", "SessionToken": "%s"' % (SECRET, TOKEN)
        scripts = {"truncated": "printf '%%s' '%s'\n" % creds,
                   "exit1": "printf '%%s}' '%s'\nexit 1\n" % creds,
                   "version2": "printf '%%s}' '%s'\n" % creds.replace('"Version": 1', '"Version": 2')}
        config = os.path.join(self.tmp.name, "config")
        with open(config, "w") as f:
            for name, body in scripts.items():
                path = os.path.join(self.tmp.name, name + ".sh")
                with open(path, "w") as s:
                    s.write(body)
                f.write("[profile %s]\ncredential_process = sh %s\nregion = us-east-1\n" % (name, path))
        for name in scripts:
            env = base_env(AWS_CONFIG_FILE=config)
            for args in (["state", "load", "t"], ["doctor"]):
                p = cli("--profile", name, *args, endpoint=closed, env=env)
                self.assertNotEqual(p.returncode, 0)
        # A credentials file with a malformed line holding the secret.
        bad = os.path.join(self.tmp.name, "credentials")
        with open(bad, "w") as f:
            f.write("[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key %s\n" % SECRET)
        env = base_env(AWS_SHARED_CREDENTIALS_FILE=bad)
        for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            env.pop(k)
        cli("state", "load", "t", endpoint=closed, env=env)
        cli("doctor", endpoint=closed, env=env)

    def test_secrets_unit_binary_and_unit_suite(self):
        if not BINARY_DIR:
            self.skipTest("needs AGENTS_TEST_BINARY_DIR")
        binary = os.path.join(BINARY_DIR, "tests", "reliability_secret_tests")
        p = run([binary])
        self.assertEqual(p.returncode, 0, p.stdout[-3000:])
        # The whole unit suite under the fake secrets: everything it prints is searched too
        # (pass or fail is the unit suite's own business; leaking is this test's).
        p = run(["ctest", "--test-dir", BINARY_DIR, "-L", "unit", "-E", "fuzz_corpus", "-j", "2",
                 "--output-on-failure", "-V"], timeout=600)
        self.assertIn("tests passed", p.stdout)

    @classmethod
    def check_outputs(cls):
        leaks = [(what, text) for what, text in OUTPUTS if any(c in text for c in CANARIES)]
        return leaks


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    leaks = SecretsTest.check_outputs()
    total = sum(len(t) for _, t in OUTPUTS)
    print("checked %d outputs (%d bytes) for the fake secret key, session token and OpenAI key" % (len(OUTPUTS), total))
    for what, text in leaks:
        for line in text.splitlines():
            if any(c in line for c in CANARIES):
                print("LEAK in %s: %s" % (what, line[:300]))
    ok = result.wasSuccessful() and not leaks and len(OUTPUTS) > 20
    print("no secret in any output" if ok else "FAILED: a secret leaked or a scenario did not run")
    sys.exit(0 if ok else 1)
