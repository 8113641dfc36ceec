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

import cli_support
from cli_support import LoopbackServer, cli_env

CLI = os.environ.get("AGENTS_CLI", "")
ENDPOINT = os.environ.get("AGENTS_TEST_DDBLOCAL_ENDPOINT", "")
FAKE_SECRET = "transportTestSecret/DO-NOT-PRINT+1234567890abcdef"
FAKE_TOKEN = "transportTestToken-DO-NOT-PRINT-0987654321"
OUTPUTS = []  # every stdout/stderr the tests saw, checked for secrets at the end


def base_env(**extra):
    return cli_env("AKIDTRANSPORT", FAKE_SECRET, FAKE_TOKEN, **extra)


def run(*args, stdin=None, env=None, timeout=120):
    p = subprocess.run([CLI] + list(args), input=stdin, capture_output=True, text=True,
                       env=env or base_env(), timeout=timeout)
    OUTPUTS.append(p.stdout + p.stderr)
    return p


def new_name(prefix):
    return "%s-%d" % (prefix, random.randrange(10**9))


class ForeignWebServer(LoopbackServer):
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

        super().__init__(Handler)


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


class SilentServer:
    """Accepts connections, reads what comes, and never answers (a hung server)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = "http://127.0.0.1:%d" % self.sock.getsockname()[1]
        self.connections = []
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closed:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections.append(conn)

    def close(self):
        self.closed = True
        self.sock.close()
        for c in self.connections:
            c.close()


class HungServerTest(unittest.TestCase):
    def test_read_timeout_bounds_each_attempt_and_retries_are_reported(self):
        srv = SilentServer()
        try:
            started = time.monotonic()
            p = run("--endpoint-url", srv.url, "--read-timeout", "1", "--verbose", "state", "load", "t")
            elapsed = time.monotonic() - started
        finally:
            srv.close()
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("timed out", p.stderr)
        self.assertIn("gave up after 4 attempts", p.stderr)
        # Each of the three retries is announced, naming the call and what failed.
        retries = [l for l in p.stderr.splitlines() if "retrying in" in l]
        self.assertEqual(len(retries), 3, p.stderr)
        self.assertIn("DynamoDB GetItem", retries[0])
        self.assertIn("(attempt 2 of 4)", retries[0])
        self.assertEqual(len(srv.connections), 4)
        self.assertLess(elapsed, 4 * 2.5 + 3, p.stderr)  # 4 attempts of about 1-2 s, not 40 s

    def test_the_aws_cli_spellings_work_and_bad_values_are_usage_errors(self):
        srv = SilentServer()
        try:
            started = time.monotonic()
            p = run("--endpoint-url", srv.url, "--cli-read-timeout", "1", "--cli-connect-timeout", "1",
                    "state", "load", "t")
            self.assertEqual(p.returncode, 1, p.stderr)
            self.assertLess(time.monotonic() - started, 13)
        finally:
            srv.close()
        self.assertEqual(run("--read-timeout", "-1", "state", "load", "t").returncode, 2)
        self.assertEqual(run("--read-timeout", "soon", "state", "load", "t").returncode, 2)

    def test_retries_are_announced_on_a_terminal_without_verbose(self):
        srv = SilentServer()
        try:
            pid, fd = pty.fork()
            if pid == 0:
                os.execve(CLI, [CLI, "--endpoint-url", srv.url, "--read-timeout", "1", "state", "load", "t"],
                          base_env())
            out = read_until(fd, None, timeout=30)
            _, status = os.waitpid(pid, 0)
        finally:
            srv.close()
        self.assertEqual(os.waitstatus_to_exitcode(status), 1, out)
        self.assertIn("retrying in", out)
        self.assertIn("(attempt 4 of 4)", out)


class Forwarder:
    """A TCP forwarder to DynamoDB Local that can go down (connections refused) and come back up
    on the same port: an outage between the CLI and its endpoint."""

    def __init__(self, target):
        host, port = target.split("//")[1].split(":")
        self.target = (host, int(port))
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self.url = "http://127.0.0.1:%d" % self.port
        self.sock = None
        self.links = []

    def up(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", self.port))
        self.sock.listen(16)
        threading.Thread(target=self._accept, args=(self.sock,), daemon=True).start()

    def down(self):
        self.sock.shutdown(socket.SHUT_RDWR)  # wakes the accept() blocked on it; close() alone would not
        self.sock.close()
        for s in self.links:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
        self.links = []

    def _accept(self, sock):
        while True:
            try:
                client, _ = sock.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            self.links += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a, b):
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    break
                b.sendall(data)
        except OSError:
            pass
        try:
            b.shutdown(socket.SHUT_WR)
        except OSError:
            pass


class ReplOutageTest(unittest.TestCase):
    def test_the_repl_survives_an_outage_and_retries_the_typed_turn(self):
        table = new_name("repl")
        self.assertEqual(run("--endpoint-url", ENDPOINT, "--table", table, "table", "create").returncode, 0)
        fwd = Forwarder(ENDPOINT)
        fwd.up()
        thread = new_name("outage")
        pid, fd = pty.fork()
        if pid == 0:
            os.execve(CLI, [CLI, "chat", thread, "--endpoint-url", fwd.url, "--table", table], base_env())
        try:
            read_until(fd, "you> ")
            fwd.down()
            os.write(fd, b"Remember that the door code is 7781\n")
            out = read_until(fd, "retry> ")
            self.assertIn("connection refused", out)
            self.assertIn("your message is kept", out)
            os.write(fd, b"something else\n")  # a new message while the turn is unfinished: refused
            out = read_until(fd, "retry> ")
            self.assertIn("a turn is not finished", out)
            fwd.up()
            os.write(fd, b"\n")  # Enter retries the kept turn
            out = read_until(fd, "you> ")
            self.assertIn("agent> ", out)
            os.write(fd, b"/exit\n")
            read_until(fd, None)
        except BaseException:
            os.kill(pid, signal.SIGKILL)
            raise
        finally:
            _, status = os.waitpid(pid, 0)
            fwd.down()
        self.assertEqual(os.waitstatus_to_exitcode(status), 0)
        p = run("--endpoint-url", ENDPOINT, "--table", table, "state", "load", thread)
        self.assertEqual(p.returncode, 0, p.stderr)
        users = [m["content"] for m in json.loads(p.stdout)["messages"] if m["role"] == "user"]
        self.assertEqual(users, ["Remember that the door code is 7781"])  # once, not twice

    def test_a_model_outage_keeps_the_repl_and_exit_says_the_turn_was_not_saved(self):
        table = new_name("repl")
        self.assertEqual(run("--endpoint-url", ENDPOINT, "--table", table, "table", "create").returncode, 0)
        thread = new_name("model-down")
        env = base_env(OPENAI_BASE_URL="http://127.0.0.1:1/v1")  # nothing listens there
        pid, fd = pty.fork()
        if pid == 0:
            os.execve(CLI, [CLI, "--endpoint-url", ENDPOINT, "--table", table, "chat", thread], env)
        try:
            read_until(fd, "you> ")
            os.write(fd, b"hello?\n")
            out = read_until(fd, "retry> ", timeout=60)
            self.assertIn("not answered", out)
            os.write(fd, b"/exit\n")
            out = read_until(fd, None)
        except BaseException:
            os.kill(pid, signal.SIGKILL)
            raise
        finally:
            _, status = os.waitpid(pid, 0)
        self.assertEqual(os.waitstatus_to_exitcode(status), 1)
        self.assertIn("the last turn was not saved", out)


class GlobalOptionsTest(unittest.TestCase):
    def test_global_options_go_before_or_after_the_subcommand(self):
        table = new_name("globals")
        p = run("table", "create", "--table", table, "--endpoint-url", ENDPOINT, "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(json.loads(p.stdout)["table"], table)
        p = run("state", "save", "t1", "--endpoint-url", ENDPOINT, "--region", "us-east-1", "--table", table,
                stdin="{}")
        self.assertEqual(p.returncode, 0, p.stderr)
        before = run("--json", "--endpoint-url", ENDPOINT, "--table", table, "state", "load", "t1")
        after = run("state", "load", "t1", "--json", "--endpoint-url", ENDPOINT, "--table", table, "--verbose")
        self.assertEqual(before.returncode, 0, before.stderr)
        self.assertEqual(json.loads(before.stdout), json.loads(after.stdout))
        self.assertIn("dynamodb: GetItem table=" + table, after.stderr)
        self.assertEqual(run("--endpoint", ENDPOINT, "--table", table, "state", "load", "t1").returncode, 0)

    def test_each_subcommand_help_lists_the_global_options_and_agents_help_works(self):
        for cmd in (["state", "save", "--help"], ["table", "create", "--help"], ["doctor", "--help"],
                    ["chat", "--help"], ["help", "state", "load"]):
            p = run(*cmd)
            self.assertEqual(p.returncode, 0, cmd)
            for option in ("--endpoint-url", "--region", "--profile", "--table", "--json", "--verbose",
                           "--connect-timeout", "--read-timeout"):
                self.assertIn(option, p.stdout, cmd)
        p = run("help")
        self.assertEqual(p.returncode, 0)
        self.assertIn("Usage: agents", p.stdout)
        p = run("help", "state", "save")
        self.assertIn("Usage: agents state save", p.stdout)
        self.assertEqual(run("help", "nonsense").returncode, 2)

    def test_with_json_errors_are_json_on_stderr(self):
        p = run("state", "load", "--json")  # a usage error: no thread
        self.assertEqual(p.returncode, 2)
        err = json.loads(p.stderr)["error"]
        self.assertEqual((err["code"], err["exit_code"]), ("usage", 2))
        self.assertEqual(p.stdout, "")
        p = run("--json", "--endpoint-url", "http://127.0.0.1:1", "--read-timeout", "1", "state", "load", "t")
        self.assertEqual(p.returncode, 1)
        err = json.loads(p.stderr.strip().splitlines()[-1])["error"]
        self.assertEqual(err["code"], "connection_failed")
        self.assertEqual(err["exit_code"], 1)
        self.assertIn("127.0.0.1:1", err["message"])
        srv = ForeignWebServer(404)
        try:
            p = run("state", "load", "t", "--json", "--endpoint-url", srv.url)
        finally:
            srv.close()
        err = json.loads(p.stderr)["error"]
        self.assertEqual((err["code"], err["service_code"], err["http_status"]),
                         ("service_error", "NotDynamoDbEndpoint", 404))


class Pki:
    """A private CA and a certificate for localhost/127.0.0.1 signed by it, made with openssl."""

    def __init__(self, directory):
        self.dir = directory
        self.ca = os.path.join(directory, "ca.pem")
        ca_key = os.path.join(directory, "ca.key")
        key = os.path.join(directory, "server.key")
        csr = os.path.join(directory, "server.csr")
        cert = os.path.join(directory, "server.pem")
        ext = os.path.join(directory, "ext.cnf")
        with open(ext, "w") as f:
            f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n")
        quiet = dict(check=True, capture_output=True)
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out",
                        self.ca, "-days", "2", "-subj", "/CN=agents test CA"], **quiet)
        subprocess.run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj",
                        "/CN=localhost"], **quiet)
        subprocess.run(["openssl", "x509", "-req", "-in", csr, "-CA", self.ca, "-CAkey", ca_key, "-CAcreateserial",
                        "-out", cert, "-days", "2", "-extfile", ext], **quiet)
        self.bundle = os.path.join(directory, "stunnel.pem")  # stunnel wants key and certificate together
        with open(self.bundle, "w") as out, open(cert) as c, open(key) as k:
            out.write(c.read() + k.read())


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class TlsTerminator:
    """stunnel in front of DynamoDB Local: https://localhost:PORT with a certificate of a private CA."""

    def __init__(self, pki, target):
        self.port = free_port()
        conf = os.path.join(pki.dir, "stunnel.conf")
        with open(conf, "w") as f:
            f.write("foreground = yes\npid =\ndebug = 3\n[dynamodb]\naccept = 127.0.0.1:%d\nconnect = %s\ncert = %s\n"
                    % (self.port, target.split("//")[1], pki.bundle))
        self.proc = subprocess.Popen([shutil.which("stunnel4") or shutil.which("stunnel"), conf],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = "https://localhost:%d" % self.port
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("stunnel did not start")

    def close(self):
        self.proc.terminate()
        self.proc.wait()


class Proxy:
    """A small HTTP proxy: CONNECT tunnels (https) and absolute-form requests (http); records each."""

    def __init__(self):
        self.seen = []
        outer = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                head = b""
                while b"\r\n\r\n" not in head:
                    chunk = self.connection.recv(65536)
                    if not chunk:
                        return
                    head += chunk
                first = head.split(b"\r\n", 1)[0].decode()
                method, target, _ = first.split(" ", 2)
                outer.seen.append("%s %s" % (method, target))
                if method == "CONNECT":
                    host, port = target.rsplit(":", 1)
                    upstream = socket.create_connection((host, int(port)))
                    self.connection.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    rest = head.split(b"\r\n\r\n", 1)[1]
                    if rest:
                        upstream.sendall(rest)
                else:
                    hostport = target.split("//", 1)[1].split("/", 1)[0]
                    host, port = hostport.rsplit(":", 1)
                    upstream = socket.create_connection((host, int(port)))
                    path = "/" + target.split("//", 1)[1].split("/", 1)[1] if "/" in target.split("//", 1)[1] else "/"
                    upstream.sendall(head.replace(target.encode(), path.encode(), 1))
                t = threading.Thread(target=Forwarder._pipe, args=(upstream, self.connection), daemon=True)
                t.start()
                Forwarder._pipe(self.connection, upstream)
                t.join(5)
                upstream.close()

        class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class TlsAndProxyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not (shutil.which("stunnel4") or shutil.which("stunnel")) or not shutil.which("openssl"):
            raise unittest.SkipTest("needs stunnel4 and openssl (scripts/setup installs them)")
        cls.tmp = tempfile.TemporaryDirectory()
        cls.pki = Pki(cls.tmp.name)
        cls.tls = TlsTerminator(cls.pki, ENDPOINT)
        cls.table = new_name("tls")
        p = run("--endpoint-url", ENDPOINT, "--table", cls.table, "table", "create")
        assert p.returncode == 0, p.stderr

    @classmethod
    def tearDownClass(cls):
        cls.tls.close()
        cls.tmp.cleanup()

    def load(self, *extra, env=None, endpoint=None):
        return run("--endpoint-url", endpoint or self.tls.url, "--table", self.table, *extra, "state", "load", "none",
                   env=env)

    def test_a_private_ca_is_refused_until_named(self):
        p = self.load()
        self.assertEqual(p.returncode, 1)
        self.assertIn("TLS certificate", p.stderr)
        self.assertIn("AWS_CA_BUNDLE", p.stderr)
        self.assertNotIn("retrying", p.stderr)
        p = self.load(env=base_env(AWS_CA_BUNDLE=self.pki.ca))
        self.assertEqual(p.returncode, 3, p.stderr)  # thread not found: DynamoDB Local answered over TLS
        p = self.load("--ca-bundle", self.pki.ca)
        self.assertEqual(p.returncode, 3, p.stderr)

    def test_the_profile_ca_bundle_is_honoured(self):
        config = os.path.join(self.tmp.name, "config")
        with open(config, "w") as f:
            f.write("[profile corp]\nregion = us-east-1\naws_access_key_id = AKIDCORP\naws_secret_access_key = %s\n"
                    "ca_bundle = %s\n" % (FAKE_SECRET, self.pki.ca))
        env = base_env(AWS_CONFIG_FILE=config)
        p = self.load("--profile", "corp", env=env)
        self.assertEqual(p.returncode, 3, p.stderr)

    def test_no_verify_ssl_works_for_local_endpoints_only_and_warns(self):
        p = self.load("--no-verify-ssl")
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertIn("warning", p.stderr)
        p = run("--endpoint-url", "https://dynamodb.us-east-1.amazonaws.com", "--no-verify-ssl", "state", "load", "x")
        self.assertEqual(p.returncode, 2)
        self.assertIn("--no-verify-ssl", p.stderr)

    def test_https_proxy_tunnels_and_no_proxy_bypasses(self):
        proxy = Proxy()
        try:
            env = base_env(AWS_CA_BUNDLE=self.pki.ca, HTTPS_PROXY=proxy.url)
            p = self.load(env=env)
            self.assertEqual(p.returncode, 3, p.stderr)
            self.assertIn("CONNECT localhost:%d" % self.tls.port, proxy.seen)
            seen = len(proxy.seen)
            env["NO_PROXY"] = "localhost"
            self.assertEqual(self.load(env=env).returncode, 3)
            self.assertEqual(len(proxy.seen), seen)  # bypassed
            # Plain http through HTTP_PROXY, the spelling the AWS CLI reads (libcurl reads only http_proxy).
            env = base_env(HTTP_PROXY=proxy.url)
            p = self.load(env=env, endpoint=ENDPOINT)
            self.assertEqual(p.returncode, 3, p.stderr)
            self.assertTrue([s for s in proxy.seen[seen:] if s.startswith("POST " + ENDPOINT)], proxy.seen)
        finally:
            proxy.close()

def read_until(fd, marker, timeout=30.0):
    return cli_support.read_until(fd, marker, OUTPUTS, timeout)


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
