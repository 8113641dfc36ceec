#!/usr/bin/env python3
"""The `agents` CLI as a user runs it: real processes, exit codes, stdout/stderr, a REPL in a
pseudo-terminal, against a real local server (DynamoDB Local or dynalite, chosen by argument)."""
import base64
import datetime
import hashlib
import hmac
import json
import os
import pty
import random
import shlex
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

import cli_support
from cli_support import cli_env

CLI = os.environ.get("AGENTS_CLI", "")
SERVER = os.environ.get("AGENTS_CLI_TEST_SERVER", "ddblocal")
ENDPOINT = os.environ.get("AGENTS_TEST_DDBLOCAL_ENDPOINT" if SERVER == "ddblocal" else "AGENTS_TEST_DYNALITE_ENDPOINT", "")
FAKE_SECRET = "cliTestSecretKey/DO-NOT-PRINT+1234567890abcdef"
FAKE_TOKEN = "cliTestSessionToken-DO-NOT-PRINT-0987654321"
OUTPUTS = []  # every stdout/stderr the tests saw, checked for secrets at the end


def base_env():
    return cli_env("AKIDCLITEST", FAKE_SECRET, FAKE_TOKEN)


def run(*args, stdin=None, env=None, table=None, endpoint=None):
    argv = [CLI, "--endpoint", endpoint or ENDPOINT]
    if table:
        argv += ["--table", table]
    argv += list(args)
    p = subprocess.run(argv, input=stdin, capture_output=True, text=True, env=env or base_env(), timeout=120)
    OUTPUTS.append(p.stdout + p.stderr)
    return p


def run_printed(command, stdin=None):
    """Runs a command line the CLI printed (a fix), as a user pasting it would."""
    argv = shlex.split(command)
    assert argv[0] == "agents", command
    p = subprocess.run([CLI] + argv[1:], input=stdin, capture_output=True, text=True, env=base_env(), timeout=120)
    OUTPUTS.append(p.stdout + p.stderr)
    return p


def ddb(operation, body, endpoint=None):
    """One raw DynamoDB call (SigV4-signed, stdlib only): the tests' view of the table, not the CLI's."""
    url = endpoint or ENDPOINT
    host = urllib.parse.urlparse(url).netloc
    payload = json.dumps(body).encode()
    now = datetime.datetime.now(datetime.timezone.utc)
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    headers = {"content-type": "application/x-amz-json-1.0", "host": host, "x-amz-date": amz_date,
               "x-amz-target": "DynamoDB_20120810." + operation}
    signed = ";".join(sorted(headers))
    canonical = "\n".join(["POST", "/", "", "".join("%s:%s\n" % (k, headers[k]) for k in sorted(headers)), signed,
                           hashlib.sha256(payload).hexdigest()])
    scope = day + "/us-east-1/dynamodb/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + FAKE_SECRET).encode()
    for part in (day, "us-east-1", "dynamodb", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = "AWS4-HMAC-SHA256 Credential=AKIDCLITEST/%s, SignedHeaders=%s, Signature=%s" % (
        scope, signed, signature)
    request = urllib.request.Request(url, data=payload, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as e:
        raise AssertionError("%s: HTTP %d %s" % (operation, e.code, e.read().decode(errors="replace")))


def wait_active(table):
    for _ in range(120):
        if ddb("DescribeTable", {"TableName": table})["Table"]["TableStatus"] == "ACTIVE":
            return
        time.sleep(0.5)
    raise AssertionError("table %s did not become ACTIVE" % table)


def scan_all(table):
    items, start = [], None
    while True:
        body = {"TableName": table, "ConsistentRead": True}
        if start:
            body["ExclusiveStartKey"] = start
        page = ddb("Scan", body)
        items += page.get("Items", [])
        start = page.get("LastEvaluatedKey")
        if not start:
            return sorted(items, key=lambda i: json.dumps(i, sort_keys=True))


def require_cli_and_server():
    """Skips a test class without the CLI or a server; fails it instead when CI requires them."""
    if not CLI or not ENDPOINT:
        if os.environ.get("AGENTS_REQUIRE_SERVERS"):
            raise AssertionError("AGENTS_CLI or the server endpoint is not set")
        raise unittest.SkipTest("needs AGENTS_CLI and a local server endpoint")


def new_table(prefix="cli"):
    return "%s-%d" % (prefix, random.randrange(10**9))


class CliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_cli_and_server()
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

    def test_ttl_needs_a_unit(self):
        # "--ttl 30" once meant 30 seconds: the thread read as "not found" half a minute later.
        for bare in ["30", "3600"]:
            p = run("--ttl", bare, "state", "save", "ttl-bare", stdin="{}", table=self.table)
            self.assertEqual(p.returncode, 2, p.stderr)
            self.assertIn("--ttl '%s' has no unit" % bare, p.stderr)
            self.assertIn("30d, 12h, 90m or 3600s", p.stderr)
        self.assertEqual(run("state", "load", "ttl-bare", table=self.table).returncode, 3)  # nothing saved
        for ok in ["30d", "12h", "90m", "3600s"]:
            p = run("--ttl", ok, "state", "save", "ttl-" + ok, stdin="{}", table=self.table)
            self.assertEqual(p.returncode, 0, p.stderr)
        item = ddb("GetItem", {"TableName": self.table, "Key": {"thread_id": {"S": "ttl-90m"}},
                               "ConsistentRead": True})["Item"]
        self.assertAlmostEqual(int(item["ttl"]["N"]), time.time() + 90 * 60, delta=60)

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

    def test_table_sweep_deletes_expired_threads_and_keeps_the_rest(self):
        """docs/ttl.md#sweeping-expired-items: what TTL would delete, at once, on either server."""
        # A checkpoint table without TTL (as an MRSC table is): DynamoDB Local would otherwise
        # delete the expired item itself before the sweep gets to it.
        table = new_table("sweep")
        create_raw_table(table, [("thread_id", "S", "HASH")])
        for args, thread in ((["--ttl", "1s"], "old"), (["--ttl", "1d"], "live"), ([], "forever")):
            p = run(*args, "state", "save", thread, stdin="{}", table=table)
            self.assertEqual(p.returncode, 0, p.stderr)
        time.sleep(2.5)  # `ttl` is whole seconds: "old" has expired
        p = run("--json", "table", "sweep", "--segments", "2", table=table)
        self.assertEqual(p.returncode, 0, p.stderr)
        out = json.loads(p.stdout)
        self.assertEqual(out["deleted"], 1, out)
        self.assertEqual(out["renewed"], 0, out)
        self.assertNotIn("Item", ddb("GetItem", {"TableName": table, "Key": {"thread_id": {"S": "old"}},
                                                 "ConsistentRead": True}))
        for thread in ("live", "forever"):
            self.assertEqual(run("state", "load", thread, table=table).returncode, 0, thread)
        p = run("table", "sweep", "--grace", "10", table=table)  # a grace needs a unit
        self.assertEqual(p.returncode, 2, p.stderr)
        p = run("table", "sweep", "--segments", "0", table=table)
        self.assertEqual(p.returncode, 2, p.stderr)

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
        p = run("--incremental", "state", "save", thread, "--if-version", "1", stdin=json.dumps(state),
                table=self.table)
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

    def test_history_load_version_and_fork(self):
        thread = "hist-%d" % random.randrange(10**9)
        for layout in ([], ["--incremental"]):
            for turn in range(1, 5):
                p = run("--history", "2", *layout, "chat", thread + "".join(layout), "--message",
                        "my name is N%d" % turn, table=self.table)
                self.assertEqual(p.returncode, 0, p.stderr)
            name = thread + "".join(layout)
            p = run("--json", "state", "history", name, table=self.table)
            self.assertEqual(p.returncode, 0, p.stderr)
            versions = json.loads(p.stdout)["versions"]
            self.assertEqual([v["version"] for v in versions], [4, 3, 2])
            self.assertNotIn("replaced_by", versions[0])
            self.assertEqual(versions[1]["replaced_by"], 4)
            self.assertEqual(versions[1]["replaced_at"], versions[0]["updated_at"])
            self.assertEqual([v["message_count"] for v in versions], [8, 6, 4])  # 2 per turn
            text = run("state", "history", name, "--limit", "1", table=self.table).stdout
            self.assertIn("(current)", text)
            self.assertEqual(len(text.strip().splitlines()), 2, text)  # header + one version
            p = run("state", "load", name, "--version", "2", table=self.table)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("my name is N2", p.stdout)
            self.assertNotIn("my name is N3", p.stdout)
            p = run("state", "load", name, "--version", "1", table=self.table)
            self.assertEqual(p.returncode, 3, p.stderr)
            self.assertIn("no version 1", p.stderr)
            p = run("--json", "state", "fork", name, "--version", "2", name + "-b", table=self.table)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(json.loads(p.stdout)["forked_from"], {"thread_id": name, "version": 2})
            forked = json.loads(run("--json", "state", "history", name + "-b", table=self.table).stdout)
            self.assertEqual(forked["versions"][0]["forked_from"], {"thread_id": name, "version": 2})
            self.assertEqual(run("state", "load", name + "-b", table=self.table).stdout,
                             run("state", "load", name, "--version", "2", table=self.table).stdout)
            # Never over an existing thread (exit 4), never from a version that is not kept (exit 3).
            self.assertEqual(run("state", "fork", name, "--version", "3", name + "-b", table=self.table).returncode, 4)
            self.assertEqual(run("state", "fork", name, "--version", "1", name + "-c", table=self.table).returncode, 3)
            self.assertEqual(run("state", "history", "missing-" + name, table=self.table).returncode, 3)
            self.assertEqual(run("state", "load", name, "--version", "0", table=self.table).returncode, 2)
            self.assertEqual(run("state", "delete", name, table=self.table).returncode, 0)
            self.assertEqual(run("state", "load", name, "--version", "3", table=self.table).returncode, 3)

    def test_state_save_is_create_only_and_replaces_with_if_version_or_force(self):
        thread = "once-%d" % random.randrange(10**9)
        self.assertEqual(run("state", "save", thread, stdin='{"files":{"v":"1"}}', table=self.table).returncode, 0)
        # A second blind save once wiped the earlier conversation of the same id.
        p = run("state", "save", thread, stdin='{"files":{"v":"2"}}', table=self.table)
        self.assertEqual(p.returncode, 4, p.stderr)
        self.assertIn("already exists (version 1)", p.stderr)
        self.assertIn("--if-version 1", p.stderr)
        self.assertIn("--force", p.stderr)
        p = run("state", "save", thread, "--if-version", "7", stdin='{"files":{"v":"2"}}', table=self.table)
        self.assertEqual(p.returncode, 4, p.stderr)
        self.assertIn("at version 1, not version 7", p.stderr)
        self.assertEqual(json.loads(run("state", "load", thread, table=self.table).stdout)["files"], {"v": "1"})
        version = json.loads(run("--json", "state", "load", thread, table=self.table).stdout)["version"]
        p = run("state", "save", thread, "--if-version", str(version), stdin='{"files":{"v":"2"}}', table=self.table)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("version 2", p.stdout)
        p = run("state", "save", thread, "--force", stdin='{"files":{"v":"3"}}', table=self.table)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(json.loads(run("state", "load", thread, table=self.table).stdout)["files"], {"v": "3"})
        p = run("state", "save", thread, "--force", "--if-version", "3", stdin="{}", table=self.table)
        self.assertEqual(p.returncode, 2, p.stderr)

    def test_unknown_top_level_keys_are_refused_naming_the_key_and_the_known_ones(self):
        thread = "keys-%d" % random.randrange(10**9)
        for bad, key in [('{"foo": 1}', "foo"), ('{"files": {}, "Files": {}}', "Files"),
                         ('{"thread_id": "x", "version": 1, "state": {}, "extra": 2}', "extra"),
                         ('{"thread_id": "x", "state": {"foo": 1}}', "foo")]:
            p = run("state", "save", thread, stdin=bad, table=self.table)
            self.assertEqual(p.returncode, 1, bad)
            self.assertIn("unknown top-level key '%s'" % key, p.stderr)
            self.assertIn("todos, files, scratchpad, messages, pending_interrupts", p.stderr)
            self.assertIn("nothing was saved", p.stderr)
        self.assertEqual(run("state", "load", thread, table=self.table).returncode, 3)

    def test_load_json_pipes_into_save_exactly_plain_chunked_and_incremental(self):
        big = base64.b64encode(random.Random(7).randbytes(700 * 1024)).decode()  # incompressible: chunks
        cases = {
            "plain": ([], {"todos": [{"content": "a", "status": "in_progress"}], "files": {"\u00e9.md": "caf\u00e9"},
                           "scratchpad": {"n": 1.5, "list": [1, "x", None, True], "o": {"z": 1, "a": 2}},
                           "messages": [{"role": "user", "content": "hi"}]}),
            "chunked": ([], {"todos": [], "files": {"blob": big}, "scratchpad": {}}),
            "incremental": (["--incremental"], {"todos": [], "files": {}, "scratchpad": {},
                                                "messages": [{"role": "user", "content": "m%d" % i} for i in range(40)]}),
        }
        for name, (flags, state) in cases.items():
            src, dst = "%s-src-%d" % (name, random.randrange(10**9)), "%s-dst-%d" % (name, random.randrange(10**9))
            p = run(*flags, "state", "save", src, stdin=json.dumps(state), table=self.table)
            self.assertEqual(p.returncode, 0, p.stderr)
            if name == "incremental":  # a second save appends a segment
                state["messages"].append({"role": "assistant", "content": "more"})
                p = run(*flags, "state", "save", src, "--if-version", "1", stdin=json.dumps(state), table=self.table)
                self.assertEqual(p.returncode, 0, p.stderr)
            keys = [i["thread_id"]["S"] for i in scan_all(self.table) if i["thread_id"]["S"].startswith(src + "#")]
            if name == "chunked":
                self.assertTrue([k for k in keys if "#chunk#" in k], keys)
            if name == "incremental":
                self.assertTrue([k for k in keys if "#seg#" in k], keys)
            loaded = run("--json", "state", "load", src, table=self.table)
            self.assertEqual(loaded.returncode, 0, loaded.stderr)
            p = run(*flags, "state", "save", dst, stdin=loaded.stdout, table=self.table)  # the envelope
            self.assertEqual(p.returncode, 0, name + p.stderr)
            again = json.loads(run("--json", "state", "load", dst, table=self.table).stdout)
            self.assertEqual(again["state"], json.loads(loaded.stdout)["state"], name)
            self.assertEqual(again["state"], state, name)
            bare = run("state", "load", src, table=self.table).stdout  # the bare state pipes too
            p = run("state", "save", dst + "-bare", stdin=bare, table=self.table)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(run("state", "load", dst + "-bare", table=self.table).stdout, bare)

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
        self.assertRegex(p.stderr, r"dynamodb: GetItem table=\S+ region=[a-z0-9-]+ ")  # every call's Region
        self.assertRegex(p.stderr, r"attempts=1 ok")
        # --verbose observes every call, so each asks for ReturnConsumedCapacity: it shows what the
        # server counted.
        p = run("--verbose", "state", "save", "verbose-%d" % random.randrange(10**9), stdin="{}", table=self.table)
        self.assertRegex(p.stderr, r"dynamodb: PutItem table=%s .* capacity=1\.00 attempts=1 ok" % self.table)

    def test_doctor_passes_on_a_good_table_and_says_what_to_fix(self):
        p = run("doctor", table=self.table)
        if SERVER == "ddblocal":
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        for check in ["credentials", "region", "endpoint", "table", "permission GetItem", "permission PutItem",
                      "permission DeleteItem"]:
            self.assertRegex(p.stdout, r"(?m)^ok +%s: " % check)
        self.assertIn("AKIDCLITEST", p.stdout)
        missing = "no-such-table-" + str(random.randrange(10**6))
        p = run("doctor", table=missing)
        self.assertEqual(p.returncode, 1)
        # The fix is a command that works as printed, against the endpoint in use.
        fix = "agents --endpoint-url %s --table %s table create" % (ENDPOINT, missing)
        self.assertIn("fix: " + fix, p.stdout)
        self.assertEqual(run_printed(fix).returncode, 0)
        p = run("doctor", table=missing)
        self.assertRegex(p.stdout, r"(?m)^ok +table: ")
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
            self.assertEqual(run("state", "save", thread, "--force", stdin='{"files":{"w":"other"}}',
                                 table=self.table).returncode, 0)
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
            with tempfile.TemporaryDirectory() as copy:  # export/import need no DynamoDB either
                out = subprocess.run([CLI, "--store", "file:" + d, "state", "export"], capture_output=True, text=True,
                                     env=env)
                self.assertEqual(out.returncode, 0, out.stderr)
                p = subprocess.run([CLI, "--store", "file:" + copy, "state", "import"], input=out.stdout,
                                   capture_output=True, text=True, env=env)
                self.assertEqual(p.returncode, 0, p.stderr)
                p = subprocess.run([CLI, "--store", "file:" + copy, "state", "load", "local"], capture_output=True,
                                   text=True, env=env)
                self.assertEqual(json.loads(p.stdout)["files"], {"f": "1"})



def snapshot(table):
    """Everything a command could change about a table: its description, its TTL, every item."""
    described = ddb("DescribeTable", {"TableName": table})["Table"]
    ttl = ddb("DescribeTimeToLive", {"TableName": table}).get("TimeToLiveDescription")
    return json.dumps({"table": described, "ttl": ttl, "items": scan_all(table)}, sort_keys=True)


def create_raw_table(table, keys, billing="PAY_PER_REQUEST", ttl_attribute=None):
    """A table as another application made it: `keys` is [(name, type, HASH|RANGE)]."""
    body = {"TableName": table, "KeySchema": [{"AttributeName": n, "KeyType": k} for n, _, k in keys],
            "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for n, t, _ in keys]}
    if billing == "PROVISIONED":
        body["ProvisionedThroughput"] = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
    else:
        body["BillingMode"] = billing
    ddb("CreateTable", body)
    wait_active(table)
    if ttl_attribute and SERVER == "ddblocal":  # dynalite has no TTL
        ddb("UpdateTimeToLive", {"TableName": table,
                                 "TimeToLiveSpecification": {"Enabled": True, "AttributeName": ttl_attribute}})


class DynamoDbLocalTtlTest(unittest.TestCase):
    """docs/ttl.md and docs/local-servers.md: DynamoDB Local 1.25.1 deletes expired items in the
    background. Against a server of its own: the shared one holds every test's tables, and its
    sweep slows as they grow (about 2 s after expiry on a fresh server, 100 s on one with 100
    tables in our runs)."""

    def test_dynamodb_local_deletes_an_expired_thread(self):
        if SERVER != "ddblocal":
            self.skipTest("dynalite has no TTL")
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "local-dynamodb")
        env = dict(os.environ, AGENTS_LOCAL_SERVERS_OWNER_PID=str(os.getpid()))
        started = subprocess.run(["bash", script, "start", "ddblocal"], capture_output=True, text=True, env=env,
                                 timeout=180)
        self.assertEqual(started.returncode, 0, started.stderr)
        exports = dict(line[len("export "):].split("=", 1) for line in started.stdout.splitlines()
                       if line.startswith("export "))
        exports = {k: v.strip("'\"") for k, v in exports.items()}
        try:
            endpoint = exports["AGENTS_TEST_DDBLOCAL_ENDPOINT"]
            table, thread = new_table("ttl"), "expires-%d" % random.randrange(10**9)
            self.assertEqual(run("table", "create", table=table, endpoint=endpoint).returncode, 0)
            p = run("--ttl", "1s", "state", "save", thread, stdin="{}", table=table, endpoint=endpoint)
            self.assertEqual(p.returncode, 0, p.stderr)
            saved = time.time()
            # Once expired, the CLI hides it at once (expired on read); the server deletes it in the
            # background. (`ttl` is in whole seconds: two seconds on, it has passed.)
            time.sleep(2.5)
            self.assertEqual(run("state", "load", thread, table=table, endpoint=endpoint).returncode, 3)
            key = {"TableName": table, "Key": {"thread_id": {"S": thread}}, "ConsistentRead": True}
            while "Item" in ddb("GetItem", key, endpoint) and time.time() < saved + 180:
                time.sleep(1)
            self.assertNotIn("Item", ddb("GetItem", key, endpoint), "the expired item was not deleted within 180 s")
            print("deleted %.0f s after the save" % (time.time() - saved), file=sys.stderr)
        finally:
            if exports.get("AGENTS_LOCAL_SERVERS_DIR"):  # never the shared servers' run (stop's default)
                subprocess.run(["bash", script, "stop", exports["AGENTS_LOCAL_SERVERS_DIR"]],
                               capture_output=True, timeout=60)


class ForeignTableTest(unittest.TestCase):
    """A table another application owns is never modified by any `agents` command (issue 18)."""

    @classmethod
    def setUpClass(cls):
        if not CLI or not ENDPOINT:
            raise unittest.SkipTest("needs AGENTS_CLI and a local server endpoint")
        cls.kinds = {}
        # Keyed on `id`, TTL on another attribute.
        t = new_table("foreign-id")
        create_raw_table(t, [("id", "S", "HASH")], ttl_attribute="expires_at")
        ddb("PutItem", {"TableName": t, "Item": {"id": {"S": "t1"}, "thread_id": {"S": "t1"},
                                                 "expires_at": {"N": str(int(time.time()) + 86400)}}})
        cls.kinds["id"] = t
        # Keyed on thread_id of type N, provisioned.
        t = new_table("foreign-num")
        create_raw_table(t, [("thread_id", "N", "HASH")], billing="PROVISIONED")
        ddb("PutItem", {"TableName": t, "Item": {"thread_id": {"N": "1"}, "state": {"S": "{}"}}})
        cls.kinds["number"] = t
        # thread_id (S) with a sort key.
        t = new_table("foreign-sk")
        create_raw_table(t, [("thread_id", "S", "HASH"), ("sk", "S", "RANGE")])
        ddb("PutItem", {"TableName": t, "Item": {"thread_id": {"S": "t1"}, "sk": {"S": "a"}, "version": {"N": "1"}}})
        cls.kinds["sort key"] = t

    def test_no_command_changes_a_foreign_table(self):
        envelope = json.dumps({"thread_id": "t1", "version": 1, "updated_at": "2026-01-01T00:00:00.000Z",
                               "state": {"files": {"a": "1"}}})
        history = json.dumps({"messages": [{"role": "user", "content": "hi"}]})
        commands = [
            (["table", "create"], None), (["table", "describe"], None), (["state", "save", "t1"], "{}"),
            (["state", "save", "t1", "--force"], "{}"), (["state", "save", "t1", "--if-version", "1"], "{}"),
            (["--incremental", "state", "save", "t2"], history), (["--ttl", "30d", "state", "save", "t3"], "{}"),
            (["state", "load", "t1"], None), (["state", "delete", "t1"], None), (["state", "list"], None),
            (["state", "export"], None), (["state", "import"], envelope), (["state", "import", "--force"], envelope),
            (["chat", "t1", "--message", "hi"], None), (["doctor"], None),
        ]
        for kind, table in self.kinds.items():
            before = snapshot(table)
            for args, stdin in commands:
                with self.subTest(kind=kind, command=" ".join(args)):
                    p = run(*args, stdin=stdin, table=table)
                    if args == ["table", "describe"]:
                        self.assertEqual(p.returncode, 0, p.stderr)
                    else:
                        self.assertNotEqual(p.returncode, 0, p.stdout)
                        self.assertIn("keyed on", p.stdout + p.stderr)  # what is wrong
                        self.assertIn("--table %s-agents table create" % table, p.stdout + p.stderr)  # the fix
                    self.assertEqual(snapshot(table), before)  # byte for byte

    def test_state_commands_say_the_key_schema_is_wrong(self):
        table = self.kinds["number"]
        for args, stdin in ((["state", "save", "x"], "{}"), (["state", "load", "x"], None), (["state", "list"], None)):
            p = run(*args, stdin=stdin, table=table)
            self.assertEqual(p.returncode, 1, args)
            self.assertIn("table %s is keyed on thread_id (N, HASH), not on thread_id (S, HASH) alone" % table, p.stderr)
            self.assertEqual(p.stdout, "")
            self.assertEqual(len(p.stderr.strip().splitlines()), 1)

    def test_table_create_names_what_is_wrong_and_a_fix_that_works(self):
        table = self.kinds["id"]
        p = run("table", "create", table=table)
        self.assertEqual(p.returncode, 1)
        self.assertIn("keyed on id (S, HASH)", p.stderr)
        self.assertIn("nothing was changed", p.stderr)
        fix = "agents --endpoint-url %s --table %s-agents table create" % (ENDPOINT, table)
        self.assertIn(fix, p.stderr)
        self.assertEqual(run_printed(fix).returncode, 0)
        p = run("doctor", table=table)
        self.assertRegex(p.stdout, r"(?m)^FAIL +table: %s is keyed on id \(S, HASH\)" % table)
        self.assertIn("fix: use a table of your own: " + fix, p.stdout)

    def refused_create(self, table, **raw):
        """`table create` on a table made as `raw` says: exit 1, the table unchanged; its stderr."""
        create_raw_table(table, [("thread_id", "S", "HASH")], **raw)
        before = snapshot(table)
        p = run("table", "create", table=table)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertEqual(snapshot(table), before)
        return p.stderr

    def test_table_create_refuses_provisioned_billing_and_ttl_on_another_attribute(self):
        table = new_table("provisioned")
        stderr = self.refused_create(table, billing="PROVISIONED")
        self.assertIn("PROVISIONED billing", stderr)
        self.assertIn("aws dynamodb update-table --endpoint-url %s --table-name %s --billing-mode PAY_PER_REQUEST"
                      % (ENDPOINT, table), stderr)
        if SERVER != "ddblocal":
            return  # dynalite has no TTL
        table = new_table("other-ttl")
        self.assertIn("TTL ENABLED on attribute 'expires_at'", self.refused_create(table, ttl_attribute="expires_at"))
        self.assertIn("ENABLED on expires_at", run("doctor", table=table).stdout)


def rfc3339_now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class ExportImportTest(unittest.TestCase):
    """`state export > threads.jsonl` and `state import < threads.jsonl` between two tables."""

    @classmethod
    def setUpClass(cls):
        if not CLI or not ENDPOINT:
            raise unittest.SkipTest("needs AGENTS_CLI and a local server endpoint")

    def make_table(self):
        table = new_table("xfer")
        self.assertEqual(run("table", "create", table=table).returncode, 0)
        return table

    def states(self, table):
        lines = run("state", "export", table=table)
        self.assertEqual(lines.returncode, 0, lines.stderr)
        return {r["thread_id"]: r for r in map(json.loads, lines.stdout.splitlines())}

    def fill_source(self, table):
        big = base64.b64encode(random.Random(11).randbytes(700 * 1024)).decode()
        plain = {"todos": [{"content": "t", "status": "pending"}], "files": {"a.md": "# A"}, "scratchpad": {"k": [1]}}
        self.assertEqual(run("state", "save", "plain", stdin=json.dumps(plain), table=table).returncode, 0)
        self.assertEqual(run("state", "save", "chunked", stdin=json.dumps({"files": {"blob": big}}),
                             table=table).returncode, 0)
        history = {"messages": [{"role": "user", "content": "m%d" % i} for i in range(30)]}
        self.assertEqual(run("--incremental", "state", "save", "inc", stdin=json.dumps(history),
                             table=table).returncode, 0)
        history["messages"].append({"role": "assistant", "content": "last"})
        self.assertEqual(run("--incremental", "state", "save", "inc", "--if-version", "1", stdin=json.dumps(history),
                             table=table).returncode, 0)
        keys = [i["thread_id"]["S"] for i in scan_all(table)]
        self.assertTrue([k for k in keys if k.startswith("chunked#chunk#")], keys)
        self.assertTrue([k for k in keys if k.startswith("inc#seg#")], keys)

    def test_round_trip_skips_newer_threads_and_force_overwrites(self):
        src, dst = self.make_table(), self.make_table()
        self.fill_source(src)
        exported = run("state", "export", table=src)
        self.assertEqual(exported.returncode, 0, exported.stderr)
        self.assertEqual(exported.stderr, "")  # no progress when stderr is not a terminal
        lines = [json.loads(line) for line in exported.stdout.splitlines()]
        self.assertEqual([r["thread_id"] for r in lines], ["chunked", "inc", "plain"])  # whole states, no items
        self.assertEqual(len(lines[1]["state"]["messages"]), 31)
        p = run("--json", "state", "import", stdin=exported.stdout, table=dst)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(json.loads(p.stdout), {"created": 3, "replaced": 0, "skipped_newer": 0, "skipped_changed": 0})
        source = self.states(src)
        copied = self.states(dst)
        self.assertEqual({k: v["state"] for k, v in copied.items()}, {k: v["state"] for k, v in source.items()})
        self.assertTrue([i for i in scan_all(dst) if "#chunk#" in i["thread_id"]["S"]])

        # Again: the table's saves are newer than the file's, so nothing changes.
        p = run("state", "import", stdin=exported.stdout, table=dst)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("0 created, 0 replaced), skipped 3", p.stdout)
        self.assertIn("skipped thread plain", p.stderr)
        self.assertEqual({k: v["version"] for k, v in self.states(dst).items()}, {"chunked": 1, "inc": 1, "plain": 1})

        # A later save at the source replaces the copy; --since picks only it.
        time.sleep(0.05)
        since = rfc3339_now()
        time.sleep(0.05)
        self.assertEqual(run("state", "save", "plain", "--if-version", "1", stdin='{"files":{"a.md":"# B"}}',
                             table=src).returncode, 0)
        later = run("state", "export", "--since", since, table=src).stdout
        self.assertEqual([json.loads(line)["thread_id"] for line in later.splitlines()], ["plain"])
        p = run("--json", "state", "import", stdin=later, table=dst)
        self.assertEqual(json.loads(p.stdout)["replaced"], 1, p.stderr)
        self.assertEqual(self.states(dst)["plain"]["state"]["files"], {"a.md": "# B"})

        # A newer save in the target is kept unless --force.
        self.assertEqual(run("state", "save", "inc", "--force", stdin='{"files":{"mine":"1"}}', table=dst).returncode, 0)
        p = run("state", "import", stdin=exported.stdout, table=dst)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("skipped thread inc: the table holds version 2", p.stderr)
        self.assertIn("--force overwrites it", p.stderr)
        self.assertEqual(self.states(dst)["inc"]["state"]["files"], {"mine": "1"})
        p = run("--json", "state", "import", "--force", stdin=exported.stdout, table=dst)
        self.assertEqual(json.loads(p.stdout)["replaced"], 3, p.stderr)
        self.assertEqual({k: v["state"] for k, v in self.states(dst).items()},
                         {k: v["state"] for k, v in self.states(src).items() if k != "plain"} |
                         {"plain": lines[2]["state"]})

    def test_a_bad_line_imports_nothing(self):
        dst = self.make_table()
        good = json.dumps({"thread_id": "g", "version": 1, "updated_at": rfc3339_now(), "state": {}})
        for bad, why in [('{"thread_id":"b","state":{"foo":1}}', "unknown top-level key 'foo'"),
                         ('{"files":{}}', "no thread_id"), ("not json", "not JSON"),
                         (good, "appears again (first on line 1)"),
                         ('{"thread_id":"x#chunk#1","state":{}}', "reserved")]:
            p = run("state", "import", stdin=good + "\n\n" + bad + "\n", table=dst)
            self.assertEqual(p.returncode, 1, bad)
            self.assertIn("line 3 of the input", p.stderr)
            self.assertIn(why, p.stderr)
            self.assertIn("nothing was imported", p.stderr)
        self.assertEqual(run("state", "load", "g", table=dst).returncode, 3)
        self.assertEqual(run("state", "export", "--since", "30", table=dst).returncode, 2)

    def test_progress_on_a_terminal(self):
        src = self.make_table()
        for t in ("a", "b"):
            run("state", "save", t, stdin="{}", table=src)
        master, slave = pty.openpty()
        p = subprocess.Popen([CLI, "--endpoint", ENDPOINT, "--table", src, "state", "export"], stdout=subprocess.PIPE,
                             stderr=slave, env=base_env())
        os.close(slave)
        out, _ = p.communicate(timeout=60)
        tty = read_until(master, None, timeout=5)
        os.close(master)
        self.assertEqual(p.returncode, 0)
        self.assertEqual(len(out.splitlines()), 2)  # stdout stays the data
        self.assertIn("exporting 1/2 threads", tty)
        self.assertIn("exported 2 threads", tty)


AWS_CLI = "/usr/bin/aws"  # Debian's awscli (scripts/setup), not a shim earlier in PATH
DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "rust-items")


def aws(*args, stdin=None):
    """The real AWS CLI against the same server, with the same fake credentials."""
    env = base_env()
    env["AWS_PAGER"] = ""
    p = subprocess.run([AWS_CLI, "--endpoint-url", ENDPOINT, "--output", "json", *args], input=stdin,
                       capture_output=True, text=True, env=env, timeout=120)
    OUTPUTS.append(p.stdout + p.stderr)
    return p


class AwsCliInteropTest(unittest.TestCase):
    """Items are plain DynamoDB items in the Rust crate's format: the AWS CLI reads what `agents`
    writes, and `agents` reads what the AWS CLI writes (issue 18, item 10)."""

    @classmethod
    def setUpClass(cls):
        require_cli_and_server()
        if not os.access(AWS_CLI, os.X_OK):
            raise AssertionError("the AWS CLI is not installed at %s: run scripts/setup (Debian's awscli)" % AWS_CLI)
        cls.table = new_table("awscli")
        p = run("table", "create", table=cls.table)
        assert p.returncode == 0, p.stderr

    def test_the_aws_cli_reads_what_agents_saved(self):
        state = {"todos": [{"content": "ship", "status": "pending"}], "files": {"a.md": "caf\u00e9"},
                 "scratchpad": {"n": 2}}
        p = run("state", "save", "cli-written", stdin=json.dumps(state), table=self.table)
        self.assertEqual(p.returncode, 0, p.stderr)
        got = aws("dynamodb", "get-item", "--table-name", self.table, "--consistent-read",
                  "--key", json.dumps({"thread_id": {"S": "cli-written"}}))
        self.assertEqual(got.returncode, 0, got.stderr)
        item = json.loads(got.stdout)["Item"]
        self.assertEqual(item["thread_id"], {"S": "cli-written"})
        self.assertEqual(item["version"], {"N": "1"})
        stored = json.loads(item["state"]["S"])
        self.assertEqual({k: stored[k] for k in state}, state)
        loaded = json.loads(run("--json", "state", "load", "cli-written", table=self.table).stdout)
        self.assertEqual(loaded["updated_at"], item["updated_at"]["S"])
        listed = aws("dynamodb", "scan", "--table-name", self.table, "--consistent-read")
        self.assertEqual(listed.returncode, 0, listed.stderr)
        self.assertIn("cli-written", [i["thread_id"]["S"] for i in json.loads(listed.stdout)["Items"]])

    def test_agents_reads_an_item_the_aws_cli_put_in_the_rust_crates_format(self):
        with open(os.path.join(DATA, "populated-no-ttl.item.json")) as f:
            item = json.load(f)
        item["thread_id"] = {"S": "put-by-aws-cli"}
        put = aws("dynamodb", "put-item", "--table-name", self.table, "--item", "file:///dev/stdin",
                  stdin=json.dumps(item))
        self.assertEqual(put.returncode, 0, put.stderr)
        with open(os.path.join(DATA, "populated.state.json")) as f:
            expected = json.loads(f.read())
        p = run("--json", "state", "load", "put-by-aws-cli", table=self.table)
        self.assertEqual(p.returncode, 0, p.stderr)
        loaded = json.loads(p.stdout)
        for key in ("todos", "files", "scratchpad"):
            self.assertEqual(loaded["state"][key], expected[key], key)
        self.assertEqual(loaded["version"], 0)  # the crate writes no version
        self.assertEqual(loaded["updated_at"], item["updated_at"]["S"])


def tearDownModule():
    for out in OUTPUTS:
        assert FAKE_SECRET not in out and FAKE_TOKEN not in out, "a secret was printed: " + out


def read_until(fd, marker, timeout=30.0):
    return cli_support.read_until(fd, marker, OUTPUTS, timeout)


if __name__ == "__main__":
    runner = unittest.main(exit=False, verbosity=2)
    r = runner.result
    failed = len(r.failures) + len(r.errors)
    print("%d passed, %d failed" % (r.testsRun - failed - len(r.skipped), failed))
    sys.exit(1 if failed else 0)
