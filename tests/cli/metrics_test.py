#!/usr/bin/env python3
"""`agents table metrics` against a loopback stand-in for Amazon CloudWatch (started here on
127.0.0.1): it answers GetMetricData with canned datapoints, records every request and checks its
SigV4 signature. The table itself is on DynamoDB Local (AGENTS_TEST_DDBLOCAL_ENDPOINT), except for
the global-table case, where the stand-in also answers DescribeTable with replicas (no local
server replicates). Then the AWS SDK for JavaScript v3 (@aws-sdk/client-cloudwatch, installed in
tests/cli/node_modules by scripts/setup) sends the same call to the stand-in, and the two requests
are compared: operation, protocol headers, body, signed headers, credential scope."""
import http.server
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import unittest

from cli_support import sigv4_problem, LoopbackServer, cli_env

CLI = os.environ.get("AGENTS_CLI", "")
ENDPOINT = os.environ.get("AGENTS_TEST_DDBLOCAL_ENDPOINT", "")
HERE = os.path.dirname(os.path.abspath(__file__))
SDK_DIR = os.path.join(HERE, "node_modules", "@aws-sdk", "client-cloudwatch")
REQUIRE = os.environ.get("AGENTS_REQUIRE_SERVERS") == "1"
ACCESS_KEY = "AKIDMETRICSTEST"
FAKE_SECRET = "metricsTestSecret/DO-NOT-PRINT+1234567890abcdef"
FAKE_TOKEN = "metricsTestToken-DO-NOT-PRINT-0987654321"
OUTPUTS = []  # every stdout/stderr the tests saw, checked for secrets at the end
TARGET = "GraniteServiceVersion20100801.GetMetricData"


def base_env(**extra):
    return cli_env(ACCESS_KEY, FAKE_SECRET, FAKE_TOKEN, **extra)


def run(*args, env=None, timeout=120):
    p = subprocess.run([CLI] + list(args), capture_output=True, text=True, env=env or base_env(), timeout=timeout)
    OUTPUTS.append(p.stdout + p.stderr)
    return p


def signature_problem(method, path, headers, body):
    """None when the request's SigV4 signature is right, else what is wrong (cli_support.sigv4_problem)."""
    return sigv4_problem(method, path, headers, body, FAKE_SECRET)


class StandInCloudWatch(LoopbackServer):
    """CloudWatch's JSON 1.0 endpoint as far as GetMetricData goes. `mode`: "data" (canned
    datapoints over two pages), "empty", "denied" (AccessDenied as CloudWatch words it) or "html"
    (a web server that is not CloudWatch). With `replicas`, DynamoDB's DescribeTable too."""

    def __init__(self, mode="data", replicas=()):
        self.mode, self.replicas, self.requests = mode, list(replicas), []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                outer.requests.append({"path": self.path, "headers": headers, "body": body,
                                       "signature_problem": signature_problem("POST", self.path, headers, body)})
                status, extra, answer = outer.answer(headers, body)
                self.send_response(status)
                for name, value in extra.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        super().__init__(Handler)

    def metric_requests(self):
        return [r for r in self.requests if r["headers"].get("x-amz-target") == TARGET]

    def answer(self, headers, body):
        json_headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "req-%d" % len(self.requests)}
        target = headers.get("x-amz-target", "")
        if self.mode == "html":
            return 404, {"Content-Type": "text/html"}, b"<html><body>not found</body></html>"
        if target == "DynamoDB_20120810.DescribeTable":
            name = json.loads(body)["TableName"]
            table = {"TableName": name, "TableStatus": "ACTIVE", "TableArn": "arn:aws:dynamodb:us-east-1:123456789012:table/" + name,
                     "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"}, "ItemCount": 0,
                     "KeySchema": [{"AttributeName": "thread_id", "KeyType": "HASH"}],
                     "AttributeDefinitions": [{"AttributeName": "thread_id", "AttributeType": "S"}],
                     "Replicas": [{"RegionName": r} for r in ["us-east-1"] + self.replicas]}
            return 200, json_headers, json.dumps({"Table": table}).encode()
        if target != TARGET:
            return 400, json_headers, json.dumps({"__type": "com.amazon.coral.service#UnknownOperationException"}).encode()
        if self.mode == "denied":
            message = ("User: arn:aws:iam::123456789012:user/agent is not authorized to perform: "
                       "cloudwatch:GetMetricData because no identity-based policy allows the cloudwatch:GetMetricData action")
            json_headers["x-amzn-query-error"] = "AccessDenied;Sender"
            return 403, json_headers, json.dumps({"__type": "com.amazon.coral.service#AccessDeniedException",
                                                  "Message": message}).encode()
        request = json.loads(body)
        results = [] if self.mode == "empty" else self.canned(request)
        # Two pages: the first query's results, then the rest (the CLI must follow NextToken).
        if "NextToken" not in request and len(results) > 1:
            return 200, json_headers, json.dumps({"MetricDataResults": results[:1], "NextToken": "page-2", "Messages": []}).encode()
        rest = results[1:] if "NextToken" in request else results
        return 200, json_headers, json.dumps({"MetricDataResults": rest, "Messages": []}).encode()

    @staticmethod
    def canned(request):
        """Datapoints at whole periods after StartTime: 2,000,000 read units, 800,000 write
        units, 7 write throttle events; replication 800 and 1,200 ms on average, 1,500 at most."""
        start, period = request["StartTime"], request["MetricDataQueries"][0]["MetricStat"]["Period"]
        at = lambda k: start + k * period  # noqa: E731
        by_metric = {
            ("ConsumedReadCapacityUnits", "Sum"): [(at(1), 1500000.0), (at(2), 500000.0)],
            ("ConsumedWriteCapacityUnits", "Sum"): [(at(3), 800000.0)],
            ("ReadThrottleEvents", "Sum"): [],
            ("WriteThrottleEvents", "Sum"): [(at(3), 7.0)],
            ("ReplicationLatency", "Average"): [(at(2), 800.0), (at(3), 1200.0)],
            ("ReplicationLatency", "Maximum"): [(at(2), 1000.0), (at(3), 1500.0)],
        }
        results = []
        for q in request["MetricDataQueries"]:
            stat = q["MetricStat"]
            points = by_metric[(stat["Metric"]["MetricName"], stat["Stat"])]
            results.append({"Id": q["Id"], "Label": stat["Metric"]["MetricName"], "StatusCode": "Complete",
                            "Timestamps": [p[0] for p in points], "Values": [p[1] for p in points]})
        return results


def new_name(prefix):
    return "%s-%d" % (prefix, random.randrange(10**9))


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class TableMetricsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not CLI or not ENDPOINT:
            if REQUIRE:
                raise AssertionError("AGENTS_REQUIRE_SERVERS=1 but AGENTS_CLI or AGENTS_TEST_DDBLOCAL_ENDPOINT is unset")
            raise unittest.SkipTest("set AGENTS_CLI and AGENTS_TEST_DDBLOCAL_ENDPOINT")
        cls.table = new_name("metrics")
        created = run("--endpoint", ENDPOINT, "--table", cls.table, "table", "create")
        assert created.returncode == 0, created.stderr

    def setUp(self):
        self.cloudwatch = StandInCloudWatch()
        self.addCleanup(self.cloudwatch.close)

    def metrics(self, *args, env=None):
        return run("--endpoint", ENDPOINT, "--table", self.table, "table", "metrics",
                   "--cloudwatch-endpoint", self.cloudwatch.url, *args, env=env)

    def test_sums_chart_and_cost_at_documented_prices(self):
        p = self.metrics()
        self.assertEqual(p.returncode, 0, p.stderr)
        out = p.stdout
        self.assertIn("table %s in us-east-1" % self.table, out)
        self.assertIn("(24h in 1h periods)", out)
        self.assertRegex(out, r"read units\s+2,000,000\.0\s+0\.250000")
        self.assertRegex(out, r"write units\s+800,000\.0\s+0\.500000")
        self.assertRegex(out, r"throttled reads\s+0\n")
        self.assertRegex(out, r"throttled writes\s+7\n")
        self.assertRegex(out, r"total\s+0\.750000")
        # One column per period: 24 of them, the largest read period full, the smaller one a third.
        chart = [line for line in out.splitlines() if line.strip().startswith("read units") and "|" in line][0]
        columns = chart.split("|")[1]
        self.assertEqual(len(columns), 24)
        self.assertEqual(columns, " █▃" + " " * 21)
        self.assertIn("max 1,500,000.0", chart)
        self.assertIn("on-demand prices of us-east-1 (standard table class, in force since 2024-11-01): "
                      "$0.125 per million read units, $0.625 per million write units", out)
        self.assertNotIn("note:", out)

        requests = self.cloudwatch.metric_requests()
        self.assertEqual(len(requests), 2)  # two pages
        for r in requests:
            self.assertIsNone(r["signature_problem"], r["signature_problem"])
            h = r["headers"]
            self.assertEqual(h["content-type"], "application/x-amz-json-1.0")
            self.assertEqual(h["x-amzn-query-mode"], "true")
            self.assertEqual(r["path"], "/")
            self.assertIn("/us-east-1/monitoring/aws4_request", h["authorization"])
            self.assertEqual(h["x-amz-security-token"], FAKE_TOKEN)
        first, second = (json.loads(r["body"]) for r in requests)
        self.assertNotIn("NextToken", first)
        self.assertEqual(second["NextToken"], "page-2")
        self.assertEqual(first["EndTime"] - first["StartTime"], 24 * 3600)
        self.assertEqual(first["StartTime"] % 3600, 0)
        self.assertEqual(first["ScanBy"], "TimestampAscending")
        names = [(q["MetricStat"]["Metric"]["MetricName"], q["MetricStat"]["Stat"]) for q in first["MetricDataQueries"]]
        self.assertEqual(names, [("ConsumedReadCapacityUnits", "Sum"), ("ConsumedWriteCapacityUnits", "Sum"),
                                 ("ReadThrottleEvents", "Sum"), ("WriteThrottleEvents", "Sum")])
        for q in first["MetricDataQueries"]:
            self.assertEqual(q["MetricStat"]["Metric"]["Namespace"], "AWS/DynamoDB")
            self.assertEqual(q["MetricStat"]["Metric"]["Dimensions"], [{"Name": "TableName", "Value": self.table}])
            self.assertEqual(q["MetricStat"]["Period"], 3600)

    def test_json_for_scripts(self):
        p = self.metrics("--json", "--since", "12h", "--period", "30m")
        self.assertEqual(p.returncode, 0, p.stderr)
        doc = json.loads(p.stdout)
        self.assertEqual(doc["table"], self.table)
        self.assertEqual(doc["period_seconds"], 1800)
        self.assertEqual(len(doc["periods"]), 24)
        self.assertEqual(doc["metrics"]["read_units"]["sum"], 2000000.0)
        self.assertEqual(doc["metrics"]["read_units"]["per_period"][:4], [0, 1500000.0, 500000.0, 0])
        self.assertEqual(doc["metrics"]["write_units"]["metric"], "ConsumedWriteCapacityUnits")
        self.assertEqual(doc["metrics"]["throttled_writes"]["sum"], 7)
        self.assertAlmostEqual(doc["cost"]["total"], 0.75)
        self.assertEqual(doc["cost"]["prices"]["region"], "us-east-1")
        self.assertEqual(doc["cost"]["prices"]["usd_per_million_write_request_units"], 0.625)
        self.assertEqual(doc["billing_mode"], "PAY_PER_REQUEST")
        self.assertEqual(doc["replication_latency"], [])
        self.assertEqual(doc["datapoints"], 4)
        self.assertEqual(doc["notes"], [])
        self.assertEqual(json.loads(self.cloudwatch.metric_requests()[0]["body"])["MetricDataQueries"][0]["MetricStat"]["Period"], 1800)

    def test_no_datapoints_is_said_not_failed(self):
        self.cloudwatch.mode = "empty"
        p = self.metrics()
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("note: no datapoints: CloudWatch has no metrics for table %s in us-east-1" % self.table, p.stdout)
        self.assertRegex(p.stdout, r"total\s+0\.000000")
        doc = json.loads(self.metrics("--json").stdout)
        self.assertEqual(doc["datapoints"], 0)
        self.assertEqual(doc["cost"]["total"], 0)
        self.assertIn("no datapoints", doc["notes"][0])

    def test_access_denied_names_the_permission_and_is_not_retried(self):
        self.cloudwatch.mode = "denied"
        p = self.metrics()
        self.assertEqual(p.returncode, 1)
        self.assertIn("CloudWatch GetMetricData: AccessDenied: User: arn:aws:iam::123456789012:user/agent is not authorized", p.stderr)
        self.assertIn("docs/iam-policy.md", p.stderr)
        self.assertEqual(len(self.cloudwatch.metric_requests()), 1)
        err = json.loads(self.metrics("--json").stderr)["error"]
        self.assertEqual(err["code"], "access_denied")
        self.assertEqual(err["service_code"], "AccessDenied")
        self.assertEqual(err["http_status"], 403)
        self.assertEqual(err["exit_code"], 1)

    def test_an_endpoint_that_refuses(self):
        url = "http://127.0.0.1:%d" % closed_port()
        p = run("--endpoint", ENDPOINT, "--table", self.table, "table", "metrics", "--cloudwatch-endpoint", url)
        self.assertEqual(p.returncode, 1)
        self.assertIn("CloudWatch GetMetricData: ", p.stderr)
        self.assertIn(url.split("//")[1], p.stderr)

    def test_a_server_that_is_not_cloudwatch(self):
        self.cloudwatch.mode = "html"
        p = self.metrics()
        self.assertEqual(p.returncode, 1)
        self.assertIn("does not speak CloudWatch: it answered HTTP 404", p.stderr)
        self.assertEqual(len(self.cloudwatch.requests), 1)  # not retried

    def test_the_sdks_endpoint_variable(self):
        env = base_env(AWS_ENDPOINT_URL_CLOUDWATCH=self.cloudwatch.url)
        p = run("--endpoint", ENDPOINT, "--table", self.table, "table", "metrics", env=env)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(len(self.cloudwatch.metric_requests()), 2)

    def test_a_local_table_needs_a_cloudwatch_endpoint(self):
        p = run("--endpoint", ENDPOINT, "--table", self.table, "table", "metrics")
        self.assertEqual(p.returncode, 2)
        self.assertIn("publishes no CloudWatch metrics", p.stderr)
        self.assertIn("--cloudwatch-endpoint", p.stderr)

    def test_bad_windows_are_usage_errors(self):
        for args, words in ((["--period", "90s"], "whole number of minutes"), (["--since", "24"], "has no unit"),
                            (["--since", "30d", "--period", "1m"], "at most 1440"),
                            (["--since", "1h", "--period", "1d"], "shorter than --period")):
            p = self.metrics(*args)
            self.assertEqual(p.returncode, 2, args)
            self.assertIn(words, p.stderr)
        self.assertEqual(self.cloudwatch.requests, [])

    def test_a_table_that_does_not_exist(self):
        p = run("--endpoint", ENDPOINT, "--table", new_name("absent"), "table", "metrics",
                "--cloudwatch-endpoint", self.cloudwatch.url)
        self.assertEqual(p.returncode, 1)
        self.assertIn("ResourceNotFoundException", p.stderr)
        self.assertEqual(self.cloudwatch.requests, [])


class GlobalTableMetricsTest(unittest.TestCase):
    """ReplicationLatency per replica Region; the stand-in plays DynamoDB too (DescribeTable)."""

    def test_replication_latency_per_replica(self):
        if not CLI:
            self.skipTest("set AGENTS_CLI")
        server = StandInCloudWatch(replicas=["eu-west-1"])
        self.addCleanup(server.close)
        p = run("--endpoint", server.url, "--table", "global-agents", "table", "metrics", "--cloudwatch-endpoint", server.url)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("replication latency to eu-west-1: avg 1,000.0 ms, max 1,500.0 ms", p.stdout)
        self.assertRegex(p.stdout, r"latency eu-west-1\s+\|  ▆█ ")
        body = json.loads(server.metric_requests()[0]["body"])
        latency = [q for q in body["MetricDataQueries"] if q["MetricStat"]["Metric"]["MetricName"] == "ReplicationLatency"]
        self.assertEqual(sorted(q["MetricStat"]["Stat"] for q in latency), ["Average", "Maximum"])
        for q in latency:
            self.assertEqual(q["MetricStat"]["Metric"]["Dimensions"],
                             [{"Name": "TableName", "Value": "global-agents"}, {"Name": "ReceivingRegion", "Value": "eu-west-1"}])
        doc = json.loads(run("--endpoint", server.url, "--table", "global-agents", "--json", "table", "metrics",
                             "--cloudwatch-endpoint", server.url).stdout)
        self.assertEqual(doc["replication_latency"][0]["region"], "eu-west-1")
        self.assertEqual(doc["replication_latency"][0]["average_ms"], 1000.0)
        self.assertEqual(doc["replication_latency"][0]["maximum_ms"], 1500.0)


class SameRequestAsTheJsSdkTest(unittest.TestCase):
    """The CLI's GetMetricData against the AWS SDK for JavaScript v3's, both at the stand-in."""

    # What the JS SDK signs on top of the protocol's headers: its own bookkeeping, which CloudWatch
    # does not need (retry/invocation ids, its user agent, the body length), and the body's hash as
    # a header (required by S3 only; both signatures cover the same hash of the body either way).
    SDK_ONLY_SIGNED = {"amz-sdk-invocation-id", "amz-sdk-request", "x-amz-user-agent", "content-length",
                       "x-amz-content-sha256"}

    def test_same_operation_body_and_signing(self):
        if not CLI:
            self.skipTest("set AGENTS_CLI")
        node = shutil.which("node")
        if node is None:
            self.skipTest("SKIPPED, NOT PASSED: node is not installed, so the request could not be compared "
                          "with the AWS SDK for JavaScript v3 (scripts/setup installs Node.js)")
        if not os.path.isdir(SDK_DIR):
            message = ("@aws-sdk/client-cloudwatch is not installed in tests/cli/node_modules; "
                       "run scripts/setup (npm ci --prefix tests/cli)")
            if REQUIRE:
                self.fail(message)
            self.skipTest("SKIPPED, NOT PASSED: " + message)
        server = StandInCloudWatch(replicas=["eu-west-1", "ap-southeast-2"])
        self.addCleanup(server.close)
        p = run("--endpoint", server.url, "--table", "cmp-agents", "table", "metrics", "--since", "6h",
                "--period", "15m", "--cloudwatch-endpoint", server.url)
        self.assertEqual(p.returncode, 0, p.stderr)
        ours = server.metric_requests()[0]
        sent = json.loads(ours["body"])
        server.requests.clear()

        args = {"endpoint": server.url, "region": "us-east-1", "table": "cmp-agents", "start": sent["StartTime"],
                "end": sent["EndTime"], "period": 900, "replicas": ["eu-west-1", "ap-southeast-2"]}
        js = subprocess.run([node, os.path.join(HERE, "cloudwatch_sdk_call.mjs"), json.dumps(args)], cwd=HERE,
                            capture_output=True, text=True, env=base_env(), timeout=120)
        OUTPUTS.append(js.stdout + js.stderr)
        self.assertEqual(js.returncode, 0, js.stderr)
        self.assertEqual(json.loads(js.stdout), {"results": 8, "datapoints": 12})  # it read our stand-in's answer
        theirs = server.metric_requests()[0]

        for r in (ours, theirs):
            self.assertIsNone(r["signature_problem"], r["signature_problem"])
        # Operation and protocol: AWS JSON 1.0, the same target, the same query-compatible mode.
        for header in ("x-amz-target", "content-type", "x-amzn-query-mode"):
            self.assertEqual(ours["headers"].get(header), theirs["headers"].get(header), header)
        self.assertEqual(ours["headers"]["x-amz-target"], TARGET)
        self.assertEqual(ours["path"], theirs["path"])
        # The body: identical JSON once the timestamps' form and the query ids are set aside.
        self.assertEqual(normalised(json.loads(ours["body"])), normalised(json.loads(theirs["body"])))
        # Signing: the same credential scope (service "monitoring"), every header that carries the
        # protocol signed by both; the SDK additionally signs only its own bookkeeping headers.
        ours_auth, theirs_auth = auth_fields(ours), auth_fields(theirs)
        self.assertEqual(ours_auth["scope"], theirs_auth["scope"])
        self.assertEqual(ours_auth["scope"].split("/")[1:], ["us-east-1", "monitoring", "aws4_request"])
        protocol = {"content-type", "host", "x-amz-date", "x-amz-security-token", "x-amz-target", "x-amzn-query-mode"}
        self.assertTrue(protocol <= ours_auth["signed"], ours_auth["signed"])
        self.assertTrue(protocol <= theirs_auth["signed"], theirs_auth["signed"])
        self.assertEqual(ours_auth["signed"] - theirs_auth["signed"], set())
        self.assertTrue(theirs_auth["signed"] - ours_auth["signed"] <= self.SDK_ONLY_SIGNED,
                        theirs_auth["signed"] - ours_auth["signed"])
        with open(os.path.join(SDK_DIR, "package.json"), encoding="utf-8") as f:
            version = json.load(f)["version"]
        print("\n  JS SDK %s signed %s; agents signed %s" % (version,
            ";".join(sorted(theirs_auth["signed"])), ";".join(sorted(ours_auth["signed"]))), file=sys.stderr)


def normalised(body):
    """Timestamps as whole epoch seconds (JSON 1.0 sends numbers; an SDK may add a fraction),
    NextToken and the query ids left out, queries in a stable order."""
    body = dict(body)
    for key in ("StartTime", "EndTime"):
        assert isinstance(body[key], (int, float)), body[key]
        body[key] = int(body[key])
    body.pop("NextToken", None)
    queries = [{k: v for k, v in q.items() if k != "Id"} for q in body["MetricDataQueries"]]
    body["MetricDataQueries"] = sorted(queries, key=lambda q: json.dumps(q, sort_keys=True))
    return body


def auth_fields(request):
    auth = request["headers"]["authorization"][len("AWS4-HMAC-SHA256 "):]
    fields = dict(part.strip().split("=", 1) for part in auth.split(","))
    return {"scope": fields["Credential"].split("/", 1)[1], "signed": set(fields["SignedHeaders"].split(";"))}


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
