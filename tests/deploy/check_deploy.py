#!/usr/bin/env python3
"""The deploy files parse and match the contract: deploy/terraform (HCL, parsed with the npm
package @cdktf/hcl2json that scripts/setup installs in deploy/node_modules) and
deploy/sam/template.yaml (YAML with CloudFormation's !Ref/!GetAtt/... tags).

Checked in both: the table's key schema is thread_id S HASH with no sort key, billing is
PAY_PER_REQUEST, TTL is enabled on `ttl` (docs/table-setup.md), point-in-time recovery is on (every
replica too), replicas are optional; the only DynamoDB permissions are exactly the runtime
policy's actions listed in docs/iam-policy.md, on the table's ARN and nothing else; no wildcard
actions, no managed policy granting DynamoDB; the function is `bootstrap` on provided.al2023
behind an HTTP API route POST /chat. The checks are also run against broken copies to show they
fail. Prints 'N passed, N failed'."""
import copy
import json
import pathlib
import re
import subprocess
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"

passed = failed = 0


def check(name, fn, *args):
    global passed, failed
    try:
        fn(*args)
    except AssertionError as e:
        failed += 1
        print(f"FAIL {name}: {e}", file=sys.stderr)
    except Exception as e:  # a crash in a check is a failure too, with its reason
        failed += 1
        print(f"FAIL {name}: {type(e).__name__}: {e}", file=sys.stderr)
    else:
        passed += 1
        print(f"ok   {name}")


def must_fail(name, fn, *args):
    """A self-test: `fn` must reject the broken input."""
    global passed, failed
    try:
        fn(*args)
    except AssertionError:
        passed += 1
        print(f"ok   {name} (rejected)")
    else:
        failed += 1
        print(f"FAIL {name}: the check accepted a broken file", file=sys.stderr)


# --- the contract ------------------------------------------------------------------------------


def runtime_actions_from_docs():
    """The actions of the runtime policy's JSON block in docs/iam-policy.md."""
    text = (ROOT / "docs" / "iam-policy.md").read_text()
    for block in re.findall(r"```json\n(.*?)```", text, re.S):
        doc = json.loads(block)
        actions = set()
        for st in doc["Statement"]:
            acts = st["Action"]
            actions.update([acts] if isinstance(acts, str) else acts)
        if any(a.startswith("dynamodb:") for a in actions):
            return actions
    raise AssertionError("docs/iam-policy.md has no JSON runtime policy")


RUNTIME_ACTIONS = runtime_actions_from_docs()


def check_docs_list_exactly_the_runtime_actions():
    assert RUNTIME_ACTIONS == {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem",
                               "dynamodb:BatchGetItem", "dynamodb:Scan"}, sorted(RUNTIME_ACTIONS)


def all_strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for k, v in node.items():
            yield from all_strings(k)
            yield from all_strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from all_strings(v)


# --- Terraform ---------------------------------------------------------------------------------

HCL2JSON = r"""
const { parse } = require("@cdktf/hcl2json");
const fs = require("fs");
(async () => {
  const out = {};
  for (const file of process.argv.slice(1)) out[file] = await parse(file, fs.readFileSync(file, "utf8"));
  process.stdout.write(JSON.stringify(out));
})().catch((e) => { console.error(String(e)); process.exit(1); });
"""


def load_terraform():
    if not (DEPLOY / "node_modules" / "@cdktf" / "hcl2json").is_dir():
        raise AssertionError("deploy/node_modules/@cdktf/hcl2json is missing: run scripts/setup "
                             "(npm ci --prefix deploy)")
    files = sorted(str(p) for p in (DEPLOY / "terraform").glob("*.tf"))
    assert files, "no .tf files in deploy/terraform"
    run = subprocess.run(["node", "-e", HCL2JSON, *files], cwd=DEPLOY, capture_output=True, text=True, timeout=90)
    assert run.returncode == 0, f"hcl2json failed: {run.stderr.strip()}"
    parsed = json.loads(run.stdout)
    merged = {}
    for doc in parsed.values():  # Terraform reads all files of a directory as one module
        for section, entries in doc.items():
            if section in ("resource", "data"):  # resource "TYPE" "NAME" { ... }
                for kind, names in entries.items():
                    for name, blocks in names.items():
                        assert name not in merged.setdefault(section, {}).setdefault(kind, {}), f"{kind}.{name} twice"
                        merged[section][kind][name] = blocks
            elif isinstance(entries, dict):  # variable "NAME" { ... }, output "NAME" { ... }
                merged.setdefault(section, {}).update(entries)
            else:  # terraform { ... }
                merged.setdefault(section, []).extend(entries)
    return merged


def one(blocks, what):
    assert isinstance(blocks, list) and len(blocks) == 1, f"{what}: expected one block"
    return blocks[0]


def tf_table(tf):
    tables = tf.get("resource", {}).get("aws_dynamodb_table", {})
    assert len(tables) == 1, f"expected one aws_dynamodb_table, found {sorted(tables)}"
    (name, blocks), = tables.items()
    return name, one(blocks, f"aws_dynamodb_table.{name}")


def check_tf_table(tf):
    _, t = tf_table(tf)
    assert t.get("hash_key") == "thread_id", f"hash_key is {t.get('hash_key')!r}"
    assert "range_key" not in t, "the table has no sort key (docs/table-setup.md)"
    assert t.get("attribute") == [{"name": "thread_id", "type": "S"}], f"attributes: {t.get('attribute')}"
    assert t.get("billing_mode") == "PAY_PER_REQUEST", f"billing_mode is {t.get('billing_mode')!r}"
    assert t.get("ttl") == [{"attribute_name": "ttl", "enabled": True}], f"ttl: {t.get('ttl')}"
    assert t.get("point_in_time_recovery") == [{"enabled": True}], f"PITR: {t.get('point_in_time_recovery')}"


def check_tf_replicas(tf):
    _, t = tf_table(tf)
    dyn = t.get("dynamic", {}).get("replica")
    assert dyn, "no dynamic replica block (optional global table replicas)"
    block = one(dyn, "dynamic replica")
    assert "var.replica_regions" in block["for_each"], block["for_each"]
    content = one(block["content"], "replica content")
    assert content.get("point_in_time_recovery") is True, "replicas need point-in-time recovery too"
    assert "var.replica_regions" in t.get("stream_enabled", ""), "replication needs the stream when replicas exist"
    assert "NEW_AND_OLD_IMAGES" in t.get("stream_view_type", "")
    variables = tf.get("variable", {})
    assert "replica_regions" in variables, "variable replica_regions missing"
    assert one(variables["replica_regions"], "variable").get("default") == [], "replicas must be optional"


def tf_statements(tf):
    for name, blocks in tf.get("data", {}).get("aws_iam_policy_document", {}).items():
        for doc in blocks:
            for st in doc.get("statement", []):
                yield name, st


def check_tf_policy(tf):
    table_name, _ = tf_table(tf)
    table_arn = "${aws_dynamodb_table.%s.arn}" % table_name
    dynamodb_statements = []
    for doc, st in tf_statements(tf):
        actions = st.get("actions", [])
        assert all("*" not in a for a in actions), f"{doc}: wildcard action in {actions}"
        assert not st.get("not_actions") and not st.get("not_resources"), f"{doc}: NotAction/NotResource"
        if any(a.lower().startswith("dynamodb:") for a in actions):
            dynamodb_statements.append((doc, st))
    assert len(dynamodb_statements) == 1, f"expected one DynamoDB statement, found {len(dynamodb_statements)}"
    doc, st = dynamodb_statements[0]
    assert st.get("effect", "Allow") == "Allow"
    assert set(st["actions"]) == RUNTIME_ACTIONS, (
        f"{doc}: actions {sorted(st['actions'])} != docs/iam-policy.md {sorted(RUNTIME_ACTIONS)}")
    assert len(st["actions"]) == len(RUNTIME_ACTIONS), f"{doc}: duplicate actions"
    assert st.get("resources") == [table_arn], f"{doc}: resources {st.get('resources')} != [{table_arn}]"
    assert "condition" not in st or st["condition"], "empty condition"
    # Nowhere else: no inline JSON policies, no managed policies that grant DynamoDB.
    mentions = [s for s in all_strings(tf.get("resource", {})) if "dynamodb:" in s.lower()]
    assert not mentions, f"DynamoDB actions outside the policy document: {mentions}"
    managed = [s for s in all_strings(tf) if s.startswith("arn:aws:iam::aws:policy/")]
    assert all(m == "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess" for m in managed), managed
    # The role that gets it is the function's.
    policies = tf["resource"].get("aws_iam_role_policy", {})
    attached = [n for n, b in policies.items() if f"data.aws_iam_policy_document.{doc}.json" in one(b, n)["policy"]]
    assert attached, f"policy document {doc} is attached to no role"


def check_tf_function_and_api(tf):
    res = tf["resource"]
    fns = res.get("aws_lambda_function", {})
    assert len(fns) == 1, sorted(fns)
    (fname, blocks), = fns.items()
    fn = one(blocks, fname)
    assert fn["runtime"] == "provided.al2023" and fn["handler"] == "bootstrap", (fn["runtime"], fn["handler"])
    assert "aws_iam_role.lambda.arn" in fn["role"]
    env = one(fn["environment"], "environment")["variables"]
    assert "AGENTS_TABLE" in env and "aws_dynamodb_table." in env, env
    assert "lambda_zip" in fn["filename"]
    # One variable picks the instruction set; the default package follows it (docs/lambda.md).
    assert fn["architectures"] == "${var.architectures}", fn["architectures"]
    var = one(tf["variable"]["architectures"], "variable architectures")
    assert var["type"] == "${list(string)}" and var["default"] == ["x86_64"], var
    cond = one(var["validation"], "architectures validation")["condition"]
    assert '"x86_64"' in cond and '"arm64"' in cond and "length(var.architectures) == 1" in cond, cond
    assert "architecture" not in tf["variable"], "the old single `architecture` variable is gone"
    zip_default = "".join(str(x) for x in tf["locals"]) if "locals" in tf else ""
    assert "build/lambda-arm64/" in zip_default and "build/release/" in zip_default, zip_default
    api = one(res["aws_apigatewayv2_api"]["chat"], "api")
    assert api["protocol_type"] == "HTTP"
    integ = one(res["aws_apigatewayv2_integration"]["chat"], "integration")
    assert integ["integration_type"] == "AWS_PROXY" and integ["payload_format_version"] == "2.0"
    assert "aws_lambda_function.chat.invoke_arn" in integ["integration_uri"]
    route = one(res["aws_apigatewayv2_route"]["chat"], "route")
    assert route["route_key"] == "POST /chat"
    perm = one(res["aws_lambda_permission"]["api"], "permission")
    assert perm["principal"] == "apigateway.amazonaws.com" and perm["action"] == "lambda:InvokeFunction"


# --- SAM / CloudFormation ----------------------------------------------------------------------


class CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation's short-form tags as their long forms (!Ref x -> {"Ref": "x"})."""


def _cfn_tag(loader, tag_suffix, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if tag_suffix == "Ref":
        return {"Ref": value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {"Fn::" + tag_suffix: value} if tag_suffix != "Condition" else {"Condition": value}


CfnLoader.add_multi_constructor("!", _cfn_tag)


def load_sam():
    return yaml.load((DEPLOY / "sam" / "template.yaml").read_text(), Loader=CfnLoader)


def sam_table(t):
    tables = {n: r for n, r in t["Resources"].items()
              if r["Type"] in ("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable")}
    assert len(tables) == 1, f"expected one table, found {sorted(tables)}"
    return next(iter(tables.items()))


def check_sam_parses(t):
    assert t["AWSTemplateFormatVersion"] == "2010-09-09"
    transforms = t["Transform"] if isinstance(t["Transform"], list) else [t["Transform"]]
    assert "AWS::Serverless-2016-10-31" in transforms
    for name, r in t["Resources"].items():
        assert "Type" in r, f"{name} has no Type"
    # Every !Ref / !GetAtt / !Condition points at something that exists.
    names = set(t["Resources"]) | set(t.get("Parameters", {})) | {"ServerlessHttpApi"}
    conditions = set(t.get("Conditions", {}))

    def walk(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "Ref" and isinstance(v, str) and not v.startswith("AWS::"):
                    assert v in names, f"!Ref {v} names nothing"
                elif k == "Fn::GetAtt":
                    assert v[0] in names, f"!GetAtt {v} names nothing"
                elif k == "Fn::If":
                    assert v[0] in conditions, f"!If {v[0]}: no such condition"
                elif k == "Condition" and isinstance(v, str):
                    assert v in conditions, f"Condition {v}: no such condition"
                elif k == "Fn::Sub":
                    for ref in re.findall(r"\$\{([^}!]+)\}", v if isinstance(v, str) else v[0]):
                        base = ref.split(".")[0]
                        assert ref.startswith("AWS::") or base in names, f"!Sub ${{{ref}}} names nothing"
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(t["Resources"])
    walk(t.get("Outputs", {}))
    walk(t.get("Conditions", {}))


def check_sam_table(t):
    _, r = sam_table(t)
    p = r["Properties"]
    assert p["KeySchema"] == [{"AttributeName": "thread_id", "KeyType": "HASH"}], p["KeySchema"]
    assert p["AttributeDefinitions"] == [{"AttributeName": "thread_id", "AttributeType": "S"}]
    assert p["BillingMode"] == "PAY_PER_REQUEST"
    assert p["TimeToLiveSpecification"] == {"AttributeName": "ttl", "Enabled": True}, p["TimeToLiveSpecification"]
    if r["Type"] == "AWS::DynamoDB::Table":
        assert p["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    else:
        replicas = p["Replicas"]
        assert replicas[0]["Region"] == {"Ref": "AWS::Region"}, "the stack's region must be the first replica"
        specs = [replicas[0]] + [rep["Fn::If"][1] for rep in replicas[1:]]
        for rep in replicas[1:]:
            assert rep["Fn::If"][2] == {"Ref": "AWS::NoValue"}, "extra replicas must be optional"
        for spec in specs:
            assert spec["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}, spec
        assert len(specs) >= 2, "at least one optional replica"


def sam_statements(t):
    for name, r in t["Resources"].items():
        p = r.get("Properties", {})
        if r["Type"] == "AWS::IAM::Role":
            for pol in p.get("Policies", []):
                for st in pol["PolicyDocument"]["Statement"]:
                    yield name, st
        elif r["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            for st in p["PolicyDocument"]["Statement"]:
                yield name, st
        elif r["Type"] == "AWS::Serverless::Function":
            for pol in p.get("Policies", []) or []:
                assert isinstance(pol, dict) and "Statement" in pol, (
                    f"{name}: SAM policy templates/managed policies are not least privilege: {pol}")
                for st in pol["Statement"]:
                    yield name, st


def check_sam_policy(t):
    table, _ = sam_table(t)
    dynamodb_statements = []
    for owner, st in sam_statements(t):
        actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        assert all("*" not in a for a in actions), f"{owner}: wildcard action {actions}"
        assert "NotAction" not in st and "NotResource" not in st
        if any(a.lower().startswith("dynamodb:") for a in actions):
            dynamodb_statements.append((owner, st, actions))
    assert len(dynamodb_statements) == 1, f"expected one DynamoDB statement, found {len(dynamodb_statements)}"
    owner, st, actions = dynamodb_statements[0]
    assert st["Effect"] == "Allow"
    assert set(actions) == RUNTIME_ACTIONS and len(actions) == len(RUNTIME_ACTIONS), (
        f"{owner}: {sorted(actions)} != docs/iam-policy.md {sorted(RUNTIME_ACTIONS)}")
    resource = st["Resource"]
    assert resource == {"Fn::GetAtt": [table, "Arn"]}, f"{owner}: resource {resource} is not the table's ARN"
    managed = [s for s in all_strings(t["Resources"]) if s.startswith("arn:aws:iam::aws:policy/")]
    assert all(m == "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess" for m in managed), managed


def check_sam_function_and_api(t):
    table, _ = sam_table(t)
    fns = {n: r for n, r in t["Resources"].items() if r["Type"] == "AWS::Serverless::Function"}
    assert len(fns) == 1, sorted(fns)
    (name, fn), = fns.items()
    p = fn["Properties"]
    assert p["Runtime"] == "provided.al2023" and p["Handler"] == "bootstrap"
    assert str(p["CodeUri"]).endswith("agents-lambda.zip"), p["CodeUri"]
    assert p["Architectures"] == [{"Ref": "Architectures"}], p["Architectures"]
    arch = t["Parameters"]["Architectures"]
    assert arch["Default"] == "x86_64" and sorted(arch["AllowedValues"]) == ["arm64", "x86_64"], arch
    assert p["Environment"]["Variables"]["AGENTS_TABLE"] == {"Ref": table}
    role = p["Role"]["Fn::GetAtt"][0]
    assert t["Resources"][role]["Type"] == "AWS::IAM::Role"
    events = [e for e in p["Events"].values() if e["Type"] == "HttpApi"]
    assert len(events) == 1, "one HTTP API event"
    assert events[0]["Properties"]["Path"] == "/chat" and events[0]["Properties"]["Method"] == "POST"


# --- the same files, broken: the checks must notice ---------------------------------------------


def broken_tf_extra_action(tf):
    tf = copy.deepcopy(tf)
    for _, st in tf_statements(tf):
        if any(a.startswith("dynamodb:") for a in st["actions"]):
            st["actions"].append("dynamodb:UpdateItem")
    return tf


def broken_tf_wildcard_resource(tf):
    tf = copy.deepcopy(tf)
    for _, st in tf_statements(tf):
        if any(a.startswith("dynamodb:") for a in st["actions"]):
            st["resources"] = ["*"]
    return tf


def broken_tf_ttl(tf):
    tf = copy.deepcopy(tf)
    _, t = tf_table(tf)
    t["ttl"] = [{"attribute_name": "expires_at", "enabled": True}]
    return tf


def broken_sam_missing_action(t):
    t = copy.deepcopy(t)
    for _, st in sam_statements(t):
        if isinstance(st["Action"], list) and "dynamodb:Scan" in st["Action"]:
            st["Action"].remove("dynamodb:Scan")
    return t


def broken_sam_index_resource(t):
    t = copy.deepcopy(t)
    for _, st in sam_statements(t):
        if isinstance(st["Action"], list) and "dynamodb:GetItem" in st["Action"]:
            st["Resource"] = [st["Resource"], {"Fn::Sub": "${CheckpointTable.Arn}/index/*"}]
    return t


def broken_sam_sort_key(t):
    t = copy.deepcopy(t)
    _, r = sam_table(t)
    r["Properties"]["KeySchema"].append({"AttributeName": "sk", "KeyType": "RANGE"})
    return t


def main():
    check("docs/iam-policy.md runtime policy lists the five actions", check_docs_list_exactly_the_runtime_actions)
    loaded = {}
    check("terraform: every .tf file parses (hcl2json)", lambda: loaded.update(tf=load_terraform()))
    tf = loaded.get("tf")
    if tf is not None:
        check("terraform: table key schema, billing, TTL, PITR", check_tf_table, tf)
        check("terraform: optional replicas with PITR and streams", check_tf_replicas, tf)
        check("terraform: least-privilege policy on the table ARN", check_tf_policy, tf)
        check("terraform: bootstrap on provided.al2023 (architectures) behind POST /chat", check_tf_function_and_api, tf)
        must_fail("terraform self-test: an extra action", check_tf_policy, broken_tf_extra_action(tf))
        must_fail("terraform self-test: Resource *", check_tf_policy, broken_tf_wildcard_resource(tf))
        must_fail("terraform self-test: TTL on another attribute", check_tf_table, broken_tf_ttl(tf))
    check("sam: template.yaml parses (YAML with CloudFormation tags)", lambda: loaded.update(sam=load_sam()))
    sam = loaded.get("sam")
    if sam is not None:
        check("sam: parses, and every !Ref/!GetAtt/!If/!Sub resolves", check_sam_parses, sam)
        check("sam: table key schema, billing, TTL, PITR, optional replicas", check_sam_table, sam)
        check("sam: least-privilege policy on the table ARN", check_sam_policy, sam)
        check("sam: bootstrap on provided.al2023 (Architectures) behind POST /chat", check_sam_function_and_api, sam)
        must_fail("sam self-test: a missing action", check_sam_policy, broken_sam_missing_action(sam))
        must_fail("sam self-test: an index ARN added", check_sam_policy, broken_sam_index_resource(sam))
        must_fail("sam self-test: a sort key", check_sam_table, broken_sam_sort_key(sam))
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
