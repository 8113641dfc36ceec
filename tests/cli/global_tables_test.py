#!/usr/bin/env python3
"""`agents table create --global-regions ... [--witness ...] [--consistency strong]` and `agents
table describe` on global tables, against a loopback stand-in for DynamoDB (started here on
127.0.0.1). A stand-in, not DynamoDB Local or dynalite, because no local server implements global
tables: none accepts ReplicaUpdates, witnesses or MultiRegionConsistency. The stand-in speaks AWS
JSON 1.0 as DynamoDB does, records every request and checks its SigV4 signature.

What the CLI sends is held against the AWS SDK for JavaScript v3 (@aws-sdk/client-dynamodb,
installed in tests/cli/node_modules by scripts/setup): dynamodb_sdk_call.mjs sends the UpdateTable
the DynamoDB API reference describes for the same options to a second stand-in, and the two
requests must agree (operation, protocol headers, body as JSON, credential scope). The other way
round, `table describe --json` must read from a DescribeTable answer what the SDK parses from it.
Writing the expected bodies out by hand as well keeps the comparison from being vacuous (the SDK
call could otherwise drift with the CLI)."""
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
import unittest
import urllib.error
import urllib.request
import zlib

from cli_support import sigv4_problem, LoopbackServer, cli_env

CLI = os.environ.get("AGENTS_CLI", "")
HERE = os.path.dirname(os.path.abspath(__file__))
SDK_DIR = os.path.join(HERE, "node_modules", "@aws-sdk", "client-dynamodb")
REQUIRE = os.environ.get("AGENTS_REQUIRE_SERVERS") == "1"
ACCESS_KEY = "AKIDGLOBALTABLESTEST"
FAKE_SECRET = "globalTablesTestSecret/DO-NOT-PRINT+1234567890abcdef"
FAKE_TOKEN = "globalTablesTestToken-DO-NOT-PRINT-0987654321"
OUTPUTS = []  # every stdout/stderr the tests saw (the CLI's and node's), checked for secrets at the end
HOME = "us-east-1"  # the CLI's --region: where the table is created, so a replica of the global table
TABLE = "global-agents"
TARGET_PREFIX = "DynamoDB_20120810."
JSON_1_0 = "application/x-amz-json-1.0"
SCOPE_TAIL = [HOME, "dynamodb", "aws4_request"]
# Headers that carry the protocol or the credentials: whoever signs a DynamoDB request must cover
# them. Beyond these the SDK signs its own bookkeeping (invocation id, attempt count, user agent,
# body length, the body hash as a header) and the CLI signs Accept-Encoding, so only these are compared.
PROTOCOL_SIGNED = {"content-type", "host", "x-amz-date", "x-amz-security-token", "x-amz-target"}


def base_env(**extra):
    return cli_env(ACCESS_KEY, FAKE_SECRET, FAKE_TOKEN, **extra)


def run(*args, env=None, timeout=120):
    p = subprocess.run([CLI] + list(args), capture_output=True, text=True, env=env or base_env(), timeout=timeout)
    OUTPUTS.append(p.stdout + p.stderr)
    return p


def cli(server, *args, region=HOME, table=TABLE):
    """The CLI against `server` with the global options every case shares; --region explicitly
    (not only AWS_REGION) because it decides the home Region the MRSC rules count."""
    return run("--region", region, "--endpoint", server.url, "--table", table, *args)


def signature_problem(method, path, headers, body, secret=FAKE_SECRET):
    """None when the request's SigV4 signature is right, else what is wrong (cli_support.sigv4_problem)."""
    return sigv4_problem(method, path, headers, body, secret)


def auth_fields(request):
    auth = request["headers"]["authorization"][len("AWS4-HMAC-SHA256 "):]
    fields = dict(part.strip().split("=", 1) for part in auth.split(","))
    return {"scope": fields["Credential"].split("/", 1)[1], "signed": set(fields["SignedHeaders"].split(";"))}


class StandInDynamoDB(LoopbackServer):
    """DynamoDB's JSON 1.0 endpoint in the home Region, as far as `table create` and `table
    describe` go on a global table. `tables`: names that already exist (ACTIVE, empty unless
    `items` says otherwise). After an UpdateTable that adds replicas, the new replicas and the
    witness are CREATING for the first `creating_describes` DescribeTables, ACTIVE after that;
    the table's own status is back to ACTIVE one DescribeTable earlier, as DynamoDB does not tie
    the two together, so a CLI that waits on TableStatus alone stops too early and is caught."""

    def __init__(self, tables=(), items=(), creating_describes=2):
        self.tables = {name: self.new_state(items) for name in tables}
        self.creating_describes = creating_describes
        self.requests = []
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                target = headers.get("x-amz-target", "")
                record = {"path": self.path, "headers": headers, "body": body, "target": target,
                          "op": target[len(TARGET_PREFIX):] if target.startswith(TARGET_PREFIX) else target,
                          "signature_problem": signature_problem("POST", self.path, headers, body)}
                with outer.lock:
                    outer.requests.append(record)
                    status, answer = outer.answer(record)
                record["answer"] = answer
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", JSON_1_0)
                self.send_header("x-amzn-RequestId", "req-%d" % len(outer.requests))
                # DynamoDB's checksum of the answer, which clients verify: a wrong one would be our bug.
                self.send_header("x-amz-crc32", str(zlib.crc32(data)))
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        super().__init__(Handler)

    @staticmethod
    def new_state(items=()):
        return {"items": list(items), "ttl": None, "replicas": [], "witnesses": [], "consistency": None,
                "describes": 0}

    def ops(self):
        return [r["op"] for r in self.requests]

    def of(self, op):
        return [r for r in self.requests if r["op"] == op]

    @staticmethod
    def error(kind, message):
        return 400, {"__type": "com.amazonaws.dynamodb.v20120810#" + kind, "message": message}

    def answer(self, record):
        try:
            request = json.loads(record["body"] or b"{}")
        except ValueError:
            return self.error("SerializationException", "the body is not JSON")
        name = request.get("TableName", "")
        state = self.tables.get(name)
        op = record["op"]
        if op == "CreateTable":
            if state is not None:
                return self.error("ResourceInUseException", "Table already exists: " + name)
            self.tables[name] = self.new_state()
            # Answered ACTIVE at once: the waiting the CLI does for a new table is not under test here.
            return 200, {"TableDescription": self.description(name, self.tables[name], advance=False)}
        if op not in ("DescribeTable", "Scan", "DescribeTimeToLive", "UpdateTimeToLive", "UpdateTable"):
            return self.error("UnknownOperationException", "")  # DynamoDB's answer to a target it lacks
        if state is None:
            return self.error("ResourceNotFoundException", "Requested resource not found: Table: %s not found" % name)
        if op == "DescribeTable":
            return 200, {"Table": self.description(name, state, advance=True)}
        if op == "Scan":
            items = state["items"][:request.get("Limit", len(state["items"]))]
            answer = {"Items": items, "Count": len(items), "ScannedCount": len(items)}
            if len(items) < len(state["items"]):
                answer["LastEvaluatedKey"] = {"thread_id": items[-1]["thread_id"]}
            return 200, answer
        if op == "DescribeTimeToLive":
            if state["ttl"] is None:
                return 200, {"TimeToLiveDescription": {"TimeToLiveStatus": "DISABLED"}}
            return 200, {"TimeToLiveDescription": {"TimeToLiveStatus": "ENABLED", "AttributeName": state["ttl"]}}
        if op == "UpdateTimeToLive":
            spec = request.get("TimeToLiveSpecification", {})
            state["ttl"] = spec.get("AttributeName") if spec.get("Enabled") else None
            return 200, {"TimeToLiveSpecification": spec}
        # UpdateTable: lenient on purpose (it takes any Create list), since what the client sent is
        # what the tests compare; the answer is DynamoDB's UPDATING description of the table.
        state["replicas"] += [u["Create"]["RegionName"] for u in request.get("ReplicaUpdates", []) if "Create" in u]
        state["witnesses"] += [u["Create"]["RegionName"] for u in request.get("GlobalTableWitnessUpdates", [])
                               if "Create" in u]
        state["consistency"] = request.get("MultiRegionConsistency", state["consistency"])
        state["describes"] = 0
        description = self.description(name, state, advance=False)
        description["TableStatus"] = "UPDATING"
        return 200, {"TableDescription": description}

    def description(self, name, state, advance):
        """A TableDescription with the members DynamoDB sends for an on-demand table, and for a
        global table its replicas (the home Region first, as DynamoDB lists it), witness and mode.
        Members the SDK's model knows but the CLI need not (TableId, CreationDateTime,
        ReplicaTableClassSummary...) are there so that reading past them is tested too."""
        table = {
            "TableName": name, "TableStatus": "ACTIVE", "TableId": "4f1c6d2e-0000-4000-8000-00000000beef",
            "TableArn": "arn:aws:dynamodb:%s:123456789012:table/%s" % (HOME, name),
            "CreationDateTime": 1767225600.123,
            "KeySchema": [{"AttributeName": "thread_id", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "thread_id", "AttributeType": "S"}],
            "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"},
            "ProvisionedThroughput": {"NumberOfDecreasesToday": 0, "ReadCapacityUnits": 0, "WriteCapacityUnits": 0},
            "ItemCount": len(state["items"]), "TableSizeBytes": 0, "DeletionProtectionEnabled": False,
        }
        if not state["replicas"] and not state["witnesses"]:
            return table
        if advance:
            state["describes"] += 1
        creating = state["describes"] <= self.creating_describes
        if state["describes"] < self.creating_describes:
            table["TableStatus"] = "UPDATING"
        status = "CREATING" if creating else "ACTIVE"

        def replica(region, replica_status):
            r = {"RegionName": region, "ReplicaStatus": replica_status,
                 "ReplicaTableClassSummary": {"TableClass": "STANDARD"}}
            if replica_status == "CREATING":
                r["ReplicaStatusPercentProgress"] = "0"
            return r

        table["Replicas"] = [replica(HOME, "ACTIVE")] + [replica(r, status) for r in state["replicas"] if r != HOME]
        if state["witnesses"]:
            table["GlobalTableWitnesses"] = [{"RegionName": w, "WitnessStatus": status} for w in state["witnesses"]]
        if state["consistency"]:
            table["MultiRegionConsistency"] = state["consistency"]
        table["GlobalTableVersion"] = "2019.11.21"
        return table


def sdk_missing():
    """Why the JS SDK cannot run here (None: it can)."""
    if shutil.which("node") is None:
        return "node is not installed (scripts/setup installs Node.js)"
    if not os.path.isdir(SDK_DIR):
        return ("@aws-sdk/client-dynamodb is not installed in tests/cli/node_modules; "
                "run scripts/setup (npm ci --prefix tests/cli)")
    return None


def sdk_call(testcase, spec, env=None):
    """dynamodb_sdk_call.mjs with `spec`; its parsed {"update", "table"}. Node's stderr (e.g. the
    SDK's Node.js version notice) is kept for the secrets check only."""
    js = subprocess.run([shutil.which("node"), os.path.join(HERE, "dynamodb_sdk_call.mjs"), json.dumps(spec)],
                        cwd=HERE, capture_output=True, text=True, env=env or base_env(), timeout=120)
    OUTPUTS.append(js.stdout + js.stderr)
    testcase.assertEqual(js.returncode, 0, js.stderr)
    return json.loads(js.stdout)


def sdk_view(table):
    """The global-table part of a DescribeTable `Table` as the SDK parsed it, in the shape of
    `agents table describe --json` (absent lists are empty, as an absent member means none)."""
    return {"multi_region_consistency": table.get("MultiRegionConsistency"),
            "replicas": [{"region": r.get("RegionName"), "status": r.get("ReplicaStatus")}
                         for r in table.get("Replicas", [])],
            "witnesses": [{"region": w.get("RegionName"), "status": w.get("WitnessStatus")}
                          for w in table.get("GlobalTableWitnesses", [])]}


def cli_view(doc):
    """The same part of `table describe --json`; extra keys per replica are the CLI's to add."""
    return {"multi_region_consistency": doc.get("multi_region_consistency"),
            "replicas": [{"region": r["region"], "status": r["status"]} for r in doc["replicas"]],
            "witnesses": [{"region": w["region"], "status": w["status"]} for w in doc["witnesses"]]}


def update_body(replicas, witnesses=None, consistency=None):
    """UpdateTable's body for TABLE as the DynamoDB API reference writes it, a member only when set."""
    body = {"TableName": TABLE, "ReplicaUpdates": [{"Create": {"RegionName": r}} for r in replicas]}
    if witnesses is not None:
        body["GlobalTableWitnessUpdates"] = [{"Create": {"RegionName": w}} for w in witnesses]
    if consistency is not None:
        body["MultiRegionConsistency"] = consistency
    return body


class NeedsCli(unittest.TestCase):
    def setUp(self):
        if not CLI:
            if REQUIRE:
                self.fail("AGENTS_REQUIRE_SERVERS=1 but AGENTS_CLI is unset")
            self.skipTest("set AGENTS_CLI")

    def need_sdk(self):
        why = sdk_missing()
        if why is not None:
            if REQUIRE:
                self.fail(why)
            self.skipTest("SKIPPED, NOT PASSED: " + why + ", so the request could not be compared with "
                          "the AWS SDK for JavaScript v3")

    def sdk_update(self, spec_update):
        """The SDK's UpdateTable for TABLE with `spec_update`, sent to a stand-in of its own where
        TABLE exists (the CLI's stand-in has already seen its conversion)."""
        server = StandInDynamoDB(tables=[TABLE])
        self.addCleanup(server.close)
        sdk_call(self, {"endpoint": server.url, "region": HOME, "table": TABLE, "update": spec_update})
        updates = server.of("UpdateTable")
        self.assertEqual(len(updates), 1)
        return updates[0]

    def assert_same_request(self, ours, theirs):
        for r in (ours, theirs):
            self.assertIsNone(r["signature_problem"], r["signature_problem"])
        self.assertEqual(ours["path"], theirs["path"])
        for header in ("x-amz-target", "content-type"):
            self.assertEqual(ours["headers"].get(header), theirs["headers"].get(header), header)
        self.assertEqual(ours["headers"]["x-amz-target"], TARGET_PREFIX + "UpdateTable")
        self.assertEqual(ours["headers"]["content-type"], JSON_1_0)
        # As parsed JSON: key order and spacing are the serialiser's business (the SDK writes the
        # members in its model's order whatever order the input had), list order is not.
        self.assertEqual(json.loads(ours["body"]), json.loads(theirs["body"]))
        ours_auth, theirs_auth = auth_fields(ours), auth_fields(theirs)
        self.assertEqual(ours_auth["scope"], theirs_auth["scope"])
        self.assertEqual(ours_auth["scope"].split("/")[1:], SCOPE_TAIL)
        self.assertTrue(PROTOCOL_SIGNED <= ours_auth["signed"], ours_auth["signed"])
        self.assertTrue(PROTOCOL_SIGNED <= theirs_auth["signed"], theirs_auth["signed"])
        print("\n  UpdateTable: JS SDK signed %s; agents signed %s" % (
            ";".join(sorted(theirs_auth["signed"])), ";".join(sorted(ours_auth["signed"]))), file=sys.stderr)


class StrongConsistencyCreateTest(NeedsCli):
    """`table create --consistency strong`: one UpdateTable that makes the table MRSC, the same as
    the SDK's, and a wait until every replica and the witness is ACTIVE."""

    def converted(self, *create_args):
        """Runs the conversion on a fresh stand-in, checks the sequence every conversion follows,
        and returns the stand-in and the CLI's UpdateTable request."""
        server = StandInDynamoDB()
        self.addCleanup(server.close)
        p = cli(server, "table", "create", *create_args)
        self.assertEqual(p.returncode, 0, p.stderr)
        ops = server.ops()
        self.assertEqual(ops[0], "CreateTable", ops)
        self.assertEqual(ops.count("UpdateTable"), 1, ops)
        u = ops.index("UpdateTable")
        self.assertIn("DescribeTable", ops[1:u], "converted before the table was ACTIVE: %s" % ops)
        # MRSC needs an empty table, so the CLI looks for one item before converting (a Scan of
        # at most one item: cheap on a table of any size).
        scans = [r for r in server.requests[:u] if r["op"] == "Scan"]
        self.assertTrue(scans, "no emptiness check before UpdateTable: %s" % ops)
        scan = json.loads(scans[-1]["body"])
        self.assertEqual(scan["TableName"], TABLE)
        self.assertEqual(scan.get("Limit"), 1, scan)
        # TTL is not supported on MRSC tables: strong mode must not ask for it.
        self.assertNotIn("UpdateTimeToLive", ops)
        # It waited for the replicas and the witness, not for the table alone: the stand-in keeps
        # them CREATING for `creating_describes` DescribeTables, and the last one read says ACTIVE.
        later = [r for r in server.requests[u + 1:] if r["op"] == "DescribeTable"]
        self.assertGreaterEqual(len(later), server.creating_describes + 1, ops)
        last = later[-1]["answer"]["Table"]
        self.assertTrue(all(r["ReplicaStatus"] == "ACTIVE" for r in last["Replicas"]), last)
        self.assertTrue(all(w["WitnessStatus"] == "ACTIVE" for w in last.get("GlobalTableWitnesses", [])), last)
        for r in server.requests:
            self.assertIsNone(r["signature_problem"], r["signature_problem"])
            self.assertEqual(auth_fields(r)["scope"].split("/")[1:], SCOPE_TAIL)
            self.assertEqual(r["headers"].get("x-amz-security-token"), FAKE_TOKEN)
        return server, server.of("UpdateTable")[0]

    def test_three_replicas_as_the_sdk_sends_them(self):
        server, ours = self.converted("--global-regions", "us-east-2,us-west-2", "--consistency", "strong")
        self.need_sdk()
        theirs = self.sdk_update({"replicas": ["us-east-2", "us-west-2"], "consistency": "STRONG"})
        expected = update_body(["us-east-2", "us-west-2"], consistency="STRONG")
        self.assertEqual(json.loads(theirs["body"]), expected)
        self.assert_same_request(ours, theirs)
        self.assert_describe_reads_like_the_sdk(server, {
            "multi_region_consistency": "STRONG",
            "replicas": [{"region": r, "status": "ACTIVE"} for r in (HOME, "us-east-2", "us-west-2")],
            "witnesses": []})

    def test_the_home_region_may_be_listed_and_is_no_replica_create(self):
        _, ours = self.converted("--global-regions", "us-east-1,us-east-2,us-west-2", "--consistency", "strong")
        self.assertEqual(json.loads(ours["body"]), update_body(["us-east-2", "us-west-2"], consistency="STRONG"))
        self.need_sdk()
        theirs = self.sdk_update({"replicas": ["us-east-2", "us-west-2"], "consistency": "STRONG"})
        self.assert_same_request(ours, theirs)

    def test_two_replicas_and_a_witness_as_the_sdk_sends_them(self):
        server, ours = self.converted("--global-regions", "us-east-2", "--witness", "us-west-2",
                                      "--consistency", "strong")
        self.need_sdk()
        theirs = self.sdk_update({"replicas": ["us-east-2"], "witnesses": ["us-west-2"], "consistency": "STRONG"})
        self.assertEqual(json.loads(theirs["body"]), update_body(["us-east-2"], ["us-west-2"], "STRONG"))
        self.assert_same_request(ours, theirs)
        self.assert_describe_reads_like_the_sdk(server, {
            "multi_region_consistency": "STRONG",
            "replicas": [{"region": r, "status": "ACTIVE"} for r in (HOME, "us-east-2")],
            "witnesses": [{"region": "us-west-2", "status": "ACTIVE"}]})

    def assert_describe_reads_like_the_sdk(self, server, expected):
        """`table describe --json` and the SDK's DescribeTable, both against the converted table."""
        p = cli(server, "table", "describe", "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        ours = cli_view(json.loads(p.stdout))
        theirs = sdk_view(sdk_call(self, {"endpoint": server.url, "region": HOME, "table": TABLE})["table"])
        self.assertEqual(theirs, expected)
        self.assertEqual(ours, theirs)

    def test_a_table_with_items_is_not_converted(self):
        # An existing table (CreateTable answers ResourceInUseException) holding an item: DynamoDB
        # converts only empty tables to MRSC, so the CLI must refuse before asking it to.
        server = StandInDynamoDB(tables=[TABLE], items=[{"thread_id": {"S": "thread-1"}, "v": {"N": "1"}}])
        self.addCleanup(server.close)
        p = cli(server, "table", "create", "--global-regions", "us-east-2,us-west-2", "--consistency", "strong")
        self.assertNotEqual(p.returncode, 0, p.stdout)
        self.assertIn("empty", p.stderr.lower())
        ops = server.ops()
        self.assertIn("Scan", ops)
        self.assertNotIn("UpdateTable", ops)
        self.assertNotIn("UpdateTimeToLive", ops)

    def test_invalid_region_sets_are_refused_before_any_request(self):
        # (arguments after `table create`, --region, words one of which stderr must hold, lowercased)
        cases = [
            ("spans two Region sets", ["--global-regions", "eu-west-1,eu-west-2", "--consistency", "strong"],
             HOME, ("region set",)),
            ("two Regions only", ["--global-regions", "us-east-2", "--consistency", "strong"], HOME, ("three",)),
            ("witness also a replica",
             ["--global-regions", "us-east-2,us-west-2", "--witness", "us-west-2", "--consistency", "strong"],
             HOME, ("witness",)),
            ("witness is the home Region",
             ["--global-regions", "us-east-2", "--witness", HOME, "--consistency", "strong"], HOME, ("witness",)),
            # Four Regions: a set has only three in the US, so the fourth is also outside the set;
            # either objection is right.
            ("four Regions",
             ["--global-regions", "us-east-2,us-west-2", "--witness", "eu-west-1", "--consistency", "strong"],
             HOME, ("three", "region set")),
            ("witness without strong consistency", ["--global-regions", "us-east-2", "--witness", "us-west-2"],
             HOME, ("witness",)),
            ("strong consistency without Regions", ["--consistency", "strong"], HOME, ("global-regions",)),
            ("unknown consistency", ["--global-regions", "us-east-2,us-west-2", "--consistency", "bogus"],
             HOME, ("consistency",)),
            ("home Region outside every set", ["--global-regions", "us-east-1,us-east-2", "--consistency", "strong"],
             "us-west-1", ("region set",)),
        ]
        for label, args, region, words in cases:
            with self.subTest(label):
                server = StandInDynamoDB()
                try:
                    p = cli(server, "table", "create", *args, region=region)
                finally:
                    server.close()
                self.assertNotEqual(p.returncode, 0, p.stdout)
                self.assertEqual(server.ops(), [], "a request was sent before the Regions were checked")
                # A parser that does not know --witness or --consistency echoes them back ("The
                # following arguments were not expected: ... --witness"), which would match the
                # words below for the wrong reason.
                self.assertNotIn("not expected", p.stderr.lower())
                self.assertTrue(any(w in p.stderr.lower() for w in words), "%s not in: %s" % (words, p.stderr))


class EventualByDefaultTest(NeedsCli):
    """Without --consistency a global table stays what it was before MRSC existed: TTL on, and an
    UpdateTable without MultiRegionConsistency (DynamoDB's default, EVENTUAL)."""

    def test_default_is_eventual_with_ttl(self):
        server = StandInDynamoDB()
        self.addCleanup(server.close)
        p = cli(server, "table", "create", "--global-regions", "us-east-2")
        self.assertEqual(p.returncode, 0, p.stderr)
        ops = server.ops()
        self.assertIn("UpdateTimeToLive", ops)
        self.assertEqual(ops.count("UpdateTable"), 1, ops)
        ours = server.of("UpdateTable")[0]
        body = json.loads(ours["body"])
        self.assertEqual(body, update_body(["us-east-2"]))
        self.assertNotIn("MultiRegionConsistency", body)
        self.need_sdk()
        theirs = self.sdk_update({"replicas": ["us-east-2"]})
        self.assertEqual(json.loads(theirs["body"]), update_body(["us-east-2"]))
        self.assert_same_request(ours, theirs)



class DescribeReadsLikeTheSdkTest(NeedsCli):
    """`table describe --json` on an MRSC table mid-conversion (mixed statuses, so that a status
    read from the wrong member or Region shows), against the SDK's parse of the same answer."""

    def test_mid_conversion(self):
        self.need_sdk()
        # The SDK converts (so this test does not depend on `table create`); statuses are held at
        # CREATING, so the SDK's DescribeTable and the CLI's read the same answer.
        server = StandInDynamoDB(tables=[TABLE], creating_describes=10**6)
        self.addCleanup(server.close)
        sdk = sdk_call(self, {"endpoint": server.url, "region": HOME, "table": TABLE,
                              "update": {"replicas": ["us-east-2"], "witnesses": ["us-west-2"], "consistency": "STRONG"}})
        theirs = sdk_view(sdk["table"])
        self.assertEqual(theirs, {"multi_region_consistency": "STRONG",
                                  "replicas": [{"region": HOME, "status": "ACTIVE"},
                                               {"region": "us-east-2", "status": "CREATING"}],
                                  "witnesses": [{"region": "us-west-2", "status": "CREATING"}]})
        p = cli(server, "table", "describe", "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        doc = json.loads(p.stdout)
        self.assertIsInstance(doc["multi_region_consistency"], str)
        self.assertIsInstance(doc["replicas"], list)
        self.assertIsInstance(doc["witnesses"], list)
        self.assertEqual(cli_view(doc), theirs)
        self.assertEqual(server.ops().count("UpdateTable"), 1)  # describe only reads


class StandInAndSdkTest(unittest.TestCase):
    """The test's own parts without the CLI: the SDK's requests pass the signature check (and a
    wrong secret fails it), the SDK parses the stand-in's answers, the status schedule runs as
    documented, and an unknown operation is refused as DynamoDB refuses it."""

    def setUp(self):
        why = sdk_missing()
        if why is not None:
            if REQUIRE:
                self.fail(why)
            self.skipTest("SKIPPED, NOT PASSED: " + why)

    def test_the_sdk_and_the_stand_in_agree(self):
        server = StandInDynamoDB(tables=[TABLE])
        self.addCleanup(server.close)
        spec = {"endpoint": server.url, "region": HOME, "table": TABLE,
                "update": {"replicas": ["us-east-2"], "witnesses": ["us-west-2"], "consistency": "STRONG"}}
        first = sdk_call(self, spec)
        self.assertEqual(server.ops(), ["UpdateTable", "DescribeTable"])
        for r in server.requests:
            self.assertIsNone(r["signature_problem"], r["signature_problem"])
            self.assertEqual(r["headers"]["content-type"], JSON_1_0)
            self.assertEqual(auth_fields(r)["scope"].split("/")[1:], SCOPE_TAIL)
            self.assertEqual(r["headers"]["x-amz-security-token"], FAKE_TOKEN)
        self.assertEqual(json.loads(server.of("UpdateTable")[0]["body"]), update_body(["us-east-2"], ["us-west-2"], "STRONG"))
        self.assertEqual(first["update"]["TableStatus"], "UPDATING")
        # The schedule: two DescribeTables with the new Regions CREATING, then ACTIVE.
        statuses = [sdk_view(first["table"])]
        for _ in range(2):
            statuses.append(sdk_view(sdk_call(self, {"endpoint": server.url, "region": HOME, "table": TABLE})["table"]))
        self.assertEqual([[r["status"] for r in s["replicas"] + s["witnesses"]] for s in statuses],
                         [["ACTIVE", "CREATING", "CREATING"], ["ACTIVE", "CREATING", "CREATING"],
                          ["ACTIVE", "ACTIVE", "ACTIVE"]])

    def test_a_wrong_secret_fails_the_signature_check(self):
        server = StandInDynamoDB(tables=[TABLE])
        self.addCleanup(server.close)
        sdk_call(self, {"endpoint": server.url, "region": HOME, "table": TABLE},
                 env=base_env(AWS_SECRET_ACCESS_KEY="wrongSecretForTheSignatureCheck"))
        self.assertIn("signature mismatch", server.requests[0]["signature_problem"])

    def test_unknown_operations_are_refused(self):
        server = StandInDynamoDB()
        self.addCleanup(server.close)
        request = urllib.request.Request(server.url + "/", data=b"{}", method="POST", headers={
            "Content-Type": JSON_1_0, "X-Amz-Target": TARGET_PREFIX + "TransactWriteItems"})
        with self.assertRaises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(request, timeout=10)
        self.assertEqual(caught.exception.code, 400)
        self.assertTrue(json.loads(caught.exception.read())["__type"].endswith("#UnknownOperationException"))


def tearDownModule():
    for out in OUTPUTS:
        assert FAKE_SECRET not in out and FAKE_TOKEN not in out, "a secret was printed: " + out


if __name__ == "__main__":
    runner = unittest.main(exit=False, verbosity=2)
    r = runner.result
    failed = len(r.failures) + len(r.errors)
    for test, reason in r.skipped:
        print("skipped: %s: %s" % (test.id(), reason))
    print("%d passed, %d failed, %d skipped" % (r.testsRun - failed - len(r.skipped), failed, len(r.skipped)))
    sys.exit(1 if failed else 0)
