#!/usr/bin/env python3
"""The `agents` CLI as a user runs it: real processes, exit codes, stdout/stderr, a REPL in a
pseudo-terminal, against a real local server (DynamoDB Local or dynalite, chosen by argument)."""
import json
import os
import pty
import random
import select
import subprocess
import sys
import tempfile
import time
import unittest

CLI = os.environ.get("AGENTS_CLI", "")
SERVER = os.environ.get("AGENTS_CLI_TEST_SERVER", "ddblocal")
ENDPOINT = os.environ.get("AGENTS_TEST_DDBLOCAL_ENDPOINT" if SERVER == "ddblocal" else "AGENTS_TEST_DYNALITE_ENDPOINT", "")
FAKE_SECRET = "cliTestSecretKey/DO-NOT-PRINT+1234567890abcdef"
FAKE_TOKEN = "cliTestSessionToken-DO-NOT-PRINT-0987654321"
OUTPUTS = []  # every stdout/stderr the tests saw, checked for secrets at the end


def base_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "OPENAI_"))}
    env.update({
        "AWS_ACCESS_KEY_ID": "AKIDCLITEST",
        "AWS_SECRET_ACCESS_KEY": FAKE_SECRET,
        "AWS_SESSION_TOKEN": FAKE_TOKEN,
        "AWS_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": "/nonexistent/config",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials",
    })
    return env


def run(*args, stdin=None, env=None, table=None, endpoint=None):
    argv = [CLI, "--endpoint", endpoint or ENDPOINT]
    if table:
        argv += ["--table", table]
    argv += list(args)
    p = subprocess.run(argv, input=stdin, capture_output=True, text=True, env=env or base_env(), timeout=120)
    OUTPUTS.append(p.stdout + p.stderr)
    return p


def new_table(prefix="cli"):
    return "%s-%d" % (prefix, random.randrange(10**9))


class CliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not CLI or not ENDPOINT:
            if os.environ.get("AGENTS_REQUIRE_SERVERS"):
                raise AssertionError("AGENTS_CLI or the server endpoint is not set")
            raise unittest.SkipTest("needs AGENTS_CLI and a local server endpoint")
        cls.table = new_table()
        p = run("table", "create", table=cls.table)
        assert p.returncode == 0, p.stderr

    def test_version_and_help(self):
        p = run("--version")
        self.assertEqual(p.returncode, 0)
        self.assertRegex(p.stdout, r"agents \d+\.\d+\.\d+")
        for cmd in (["--help"], ["table", "--help"], ["table", "create", "--help"], ["state", "save", "--help"],
                    ["state", "list", "--help"], ["chat", "--help"], ["doctor", "--help"]):
            p = run(*cmd)
            self.assertEqual(p.returncode, 0, cmd)
            self.assertIn("Usage", p.stdout + p.stderr)

    def test_usage_errors_exit_2(self):
        self.assertEqual(run("state", "load").returncode, 2)            # missing thread
        self.assertEqual(run("--no-such-flag", "doctor").returncode, 2)
        self.assertEqual(run("nonsense").returncode, 2)
        p = run("--ttl", "soon", "state", "save", "t", stdin="{}", table=self.table)
        self.assertEqual(p.returncode, 2)
        self.assertIn("--ttl", p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1)  # one line on stderr

    def test_table_create_reports_ttl_and_describe_shows_the_table(self):
        table = new_table()
        p = run("--json", "table", "create", table=table)
        self.assertEqual(p.returncode, 0, p.stderr)
        out = json.loads(p.stdout)
        self.assertEqual(out["table"], table)
        if SERVER == "dynalite":
            self.assertEqual(out["ttl"], "unsupported")
            self.assertIn("no TTL support", p.stderr)
        else:
            self.assertEqual(out["ttl"], "ENABLED")
        p = run("table", "create", table=table)  # again: idempotent
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("already exists", p.stderr)
        p = run("--json", "table", "describe", table=table)
        self.assertEqual(p.returncode, 0, p.stderr)
        d = json.loads(p.stdout)
        self.assertEqual(d["key_schema"], [{"attribute": "thread_id", "key_type": "HASH"}])
        self.assertEqual(d["billing_mode"], "PAY_PER_REQUEST")

    def test_global_regions_explain_that_local_endpoints_do_not_replicate(self):
        if SERVER != "ddblocal":
            self.skipTest("checked on DynamoDB Local")
        p = run("table", "create", "--global-regions", "us-west-2,eu-west-1", table=new_table())
        self.assertEqual(p.returncode, 1)
        self.assertIn("replicas", p.stderr)
        self.assertIn("global tables", p.stderr)

    def test_state_save_load_delete_and_exit_codes(self):
        state = {"todos": [{"content": "Write the report", "status": "pending"}], "files": {"a.md": "# A"},
                 "scratchpad": {"k": [1, 2]}}
        p = run("state", "save", "thread-1", stdin=json.dumps(state), table=self.table)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("version 1", p.stdout)
        p = run("state", "load", "thread-1", table=self.table)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(json.loads(p.stdout), state)
        p = run("--json", "state", "load", "thread-1", table=self.table)
        self.assertEqual(json.loads(p.stdout)["version"], 1)
        self.assertEqual(run("state", "load", "missing", table=self.table).returncode, 3)
        self.assertEqual(run("state", "delete", "thread-1", table=self.table).returncode, 0)
        p = run("state", "delete", "thread-1", table=self.table)
        self.assertEqual(p.returncode, 3)
        self.assertIn("not found", p.stderr)

    def test_incremental_threads_load_list_and_delete_like_plain_ones(self):
        thread = "inc-%d" % random.randrange(10**9)
        state = {"todos": [], "files": {}, "scratchpad": {"k": 1},
                 "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}
        p = run("--incremental", "state", "save", thread, stdin=json.dumps(state), table=self.table)
        self.assertEqual(p.returncode, 0, p.stderr)
        state["messages"].append({"role": "user", "content": "and then?"})
        p = run("--incremental", "state", "save", thread, stdin=json.dumps(state), table=self.table)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("version 2", p.stdout)
        plain = run("state", "load", thread, table=self.table)
        self.assertEqual(plain.returncode, 0, plain.stderr)
        self.assertEqual(json.loads(plain.stdout), state)
        self.assertEqual(run("--incremental", "state", "load", thread, table=self.table).stdout, plain.stdout)
        listed = run("state", "list", table=self.table).stdout.split()
        self.assertEqual(listed.count(thread), 1)
        self.assertFalse([t for t in listed if "#seg#" in t], listed)
        self.assertEqual(run("state", "delete", thread, table=self.table).returncode, 0)
        self.assertEqual(run("state", "load", thread, table=self.table).returncode, 3)

    def test_a_bad_document_changes_nothing(self):
        run("state", "save", "keep", stdin='{"files":{"x":"1"}}', table=self.table)
        for bad in ["not json", '{"todos":[{"content":"a","status":"someday"}]}', "[1,2]"]:
            p = run("state", "save", "keep", stdin=bad, table=self.table)
            self.assertEqual(p.returncode, 1, bad)
            self.assertIn("nothing was saved", p.stderr)
        p = run("state", "load", "keep", table=self.table)
        self.assertEqual(json.loads(p.stdout)["files"], {"x": "1"})

    def test_thread_ids_with_reserved_key_text_are_refused(self):
        # "<thread>#chunk#..." and "<thread>#seg#..." are the keys of other threads' items.
        for thread in ["t#chunk#0123456789abcdef#0", "t#seg#0123456789abcdef-0"]:
            reserved = "#chunk#" if "#chunk#" in thread else "#seg#"
            for args, stdin in ((["state", "save", thread], "{}"), (["state", "load", thread], None),
                                (["state", "delete", thread], None)):
                p = run(*args, stdin=stdin, table=self.table)
                self.assertEqual(p.returncode, 1, args)
                self.assertIn("reserved", p.stderr)
                self.assertIn(reserved, p.stderr)
                self.assertEqual(len(p.stderr.strip().splitlines()), 1)
        listed = run("state", "list", table=self.table).stdout.split()
        self.assertFalse([t for t in listed if t.startswith("t#")], listed)

    def test_list_pages_and_prints_updated_times(self):
        table = new_table()
        self.assertEqual(run("table", "create", table=table).returncode, 0)
        for t in ["c", "a", "b"]:
            self.assertEqual(run("state", "save", t, stdin="{}", table=table).returncode, 0)
        p = run("state", "list", "--page-size", "2", table=table)
        self.assertEqual(p.stdout.split(), ["a", "b", "c"])
        p = run("state", "list", "--updated", table=table)
        self.assertRegex(p.stdout.splitlines()[0], r"^a\t\d{4}-\d\d-\d\dT[\d:.]+Z\tversion 1$")
        p = run("--json", "state", "list", "--sort", "updated", table=table)
        self.assertEqual([t["thread_id"] for t in json.loads(p.stdout)], ["c", "a", "b"])

    def test_chat_resumes_a_thread_from_another_process(self):
        thread = "chat-%d" % random.randrange(10**6)
        p = run("chat", thread, "--message", "Remember that my favourite colour is teal", table=self.table)
        self.assertEqual(p.returncode, 0, p.stderr)
        p = run("--json", "chat", thread, "--message", "What do you remember?", table=self.table)
        self.assertEqual(p.returncode, 0, p.stderr)
        out = json.loads(p.stdout)
        self.assertIn("teal", out["reply"])
        self.assertEqual(out["version"], 2)
        stored = json.loads(run("state", "load", thread, table=self.table).stdout)
        self.assertEqual(len([m for m in stored["messages"] if m["role"] == "user"]), 2)

    def test_verbose_prints_each_storage_call(self):
        p = run("--verbose", "state", "load", "missing-thread", table=self.table)
        self.assertIn("dynamodb: GetItem table=" + self.table, p.stderr)
        self.assertRegex(p.stderr, r"attempts=1 ok")

    def test_doctor_passes_on_a_good_table_and_says_what_to_fix(self):
        p = run("doctor", table=self.table)
        if SERVER == "ddblocal":
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        for check in ["credentials", "region", "endpoint", "table", "permission GetItem", "permission PutItem",
                      "permission DeleteItem"]:
            self.assertRegex(p.stdout, r"(?m)^ok +%s: " % check)
        self.assertIn("AKIDCLITEST", p.stdout)
        p = run("doctor", table="no-such-table-" + str(random.randrange(10**6)))
        self.assertEqual(p.returncode, 1)
        self.assertIn("fix: agents table create", p.stdout)
        p = run("doctor", table=self.table, endpoint="http://127.0.0.1:1")
        self.assertEqual(p.returncode, 1)
        self.assertRegex(p.stdout, r"(?m)^FAIL +endpoint: ")

    def test_conflict_exits_4_and_saves_nothing(self):
        thread = "race-%d" % random.randrange(10**6)
        run("state", "save", thread, stdin="{}", table=self.table)
        pid, fd = pty.fork()
        if pid == 0:
            env = base_env()
            os.execve(CLI, [CLI, "--endpoint", ENDPOINT, "--table", self.table, "chat", thread], env)
        try:
            read_until(fd, "you> ")
            # Another process saves the thread while the REPL holds version 1.
            self.assertEqual(run("state", "save", thread, stdin='{"files":{"w":"other"}}', table=self.table).returncode, 0)
            os.write(fd, b"hello\n")
            out = read_until(fd, None)
        finally:
            _, status = os.waitpid(pid, 0)
        self.assertEqual(os.waitstatus_to_exitcode(status), 4, out)
        self.assertIn("changed by another writer", out)
        stored = json.loads(run("state", "load", thread, table=self.table).stdout)
        self.assertEqual(stored["files"], {"w": "other"})

    def test_repl_in_a_terminal(self):
        thread = "repl-%d" % random.randrange(10**6)
        pid, fd = pty.fork()
        if pid == 0:
            os.execve(CLI, [CLI, "--endpoint", ENDPOINT, "--table", self.table, "chat", thread], base_env())
        try:
            read_until(fd, "you> ")
            os.write(fd, b"Remember that the launch code is 4242\n")
            read_until(fd, "you> ")
            os.write(fd, b"What do you remember?\n")
            out = read_until(fd, "you> ")
            os.write(fd, b"/exit\n")
            read_until(fd, None)
        finally:
            _, status = os.waitpid(pid, 0)
        self.assertEqual(os.waitstatus_to_exitcode(status), 0)
        self.assertIn("agent> ", out)
        self.assertIn("4242", out)

    def test_file_store_needs_no_aws(self):
        with tempfile.TemporaryDirectory() as d:
            env = {k: v for k, v in base_env().items() if not k.startswith("AWS_")}
            p = subprocess.run([CLI, "--store", "file:" + d, "state", "save", "local"], input='{"files":{"f":"1"}}',
                               capture_output=True, text=True, env=env)
            self.assertEqual(p.returncode, 0, p.stderr)
            p = subprocess.run([CLI, "--store", "file:" + d, "state", "load", "local"], capture_output=True, text=True,
                               env=env)
            self.assertEqual(json.loads(p.stdout)["files"], {"f": "1"})

    @classmethod
    def tearDownClass(cls):
        for out in OUTPUTS:
            assert FAKE_SECRET not in out and FAKE_TOKEN not in out, "a secret was printed: " + out


def read_until(fd, marker, timeout=30.0):
    data = b""
    deadline = time.time() + timeout
    while time.time() < deadline:
        r, _, _ = select.select([fd], [], [], 0.2)
        if fd in r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            data += chunk
            OUTPUTS.append(data.decode(errors="replace"))
            if marker is not None and data.decode(errors="replace").endswith(marker):
                break
    return data.decode(errors="replace")


if __name__ == "__main__":
    runner = unittest.main(exit=False, verbosity=2)
    r = runner.result
    failed = len(r.failures) + len(r.errors)
    print("%d passed, %d failed" % (r.testsRun - failed - len(r.skipped), failed))
    sys.exit(1 if failed else 0)
