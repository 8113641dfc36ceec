#!/usr/bin/env python3
"""The deploy files parse and match the contract: deploy/terraform (HCL, parsed with the npm
package @cdktf/hcl2json that scripts/setup installs in deploy/node_modules) and
deploy/sam/template.yaml (YAML with CloudFormation's !Ref/!GetAtt/... tags).

Checked in both: the table's key schema is thread_id S HASH with no sort key, billing is
PAY_PER_REQUEST, TTL is enabled on `ttl` in the default EVENTUAL mode (docs/table-setup.md),
point-in-time recovery is on (every replica too), replicas are optional; the only DynamoDB
permissions are exactly the runtime policy's actions listed in docs/iam-policy.md, on the table's
ARN and nothing else; no wildcard actions, no managed policy granting DynamoDB; the function is
`bootstrap` on provided.al2023 behind an HTTP API route POST /chat.

Consistency modes (docs/global-tables.md, MRSC): both files take the mode (EVENTUAL by default, or
STRONG) and an optional witness Region. For a list of valid Region sets, the settings that follow
from them are computed and compared: in STRONG mode no TTL and no stream, every replica STRONG, the
witness only when one is given; in EVENTUAL mode TTL on `ttl` and the stream when there are
replicas. A list of invalid sets (not exactly three Regions counting the table's own, Regions
repeated or from two MRSC Region sets, a witness without STRONG, an unknown mode) must be refused
before anything is created. SAM: the template's Conditions, Fn::If and Rules are evaluated here.
Terraform: the table's mode-dependent arguments, its preconditions and the variables are copied
from the parsed files into a module of `terraform_data` and outputs that `terraform plan` evaluates
without the AWS provider (skipped when `terraform` is not installed; the static checks still run).

The checks are also run against broken copies to show they fail. Prints 'N passed, N failed'."""
import copy
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

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


def skip(name, reason):
    print(f"skip {name}: {reason}")


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


# --- consistency modes: Region sets both templates must accept or refuse --------------------------

# A case: the table's own Region, the mode (omitted: the template's default), replica Regions and a
# witness Region. Valid MRSC: exactly three different Regions of one set (docs/global-tables.md).
MODE_VALID = [
    dict(region="us-east-1"),
    dict(region="us-east-1", replicas=["eu-west-1"]),
    dict(region="us-east-1", mode="EVENTUAL", replicas=["eu-west-1", "ap-southeast-2"]),
    dict(region="us-east-1", mode="STRONG", replicas=["us-east-2", "us-west-2"]),
    dict(region="eu-west-1", mode="STRONG", replicas=["eu-central-1"], witness="eu-west-3"),
    dict(region="ap-northeast-2", mode="STRONG", replicas=["ap-northeast-1", "ap-northeast-3"]),
]
MODE_INVALID = {
    "an unknown mode": dict(region="us-east-1", mode="strong", replicas=["us-east-2", "us-west-2"]),
    "a witness without STRONG": dict(region="us-east-1", replicas=["us-east-2"], witness="us-west-2"),
    "STRONG without replicas": dict(region="us-east-1", mode="STRONG"),
    "STRONG in two Regions": dict(region="us-east-1", mode="STRONG", replicas=["us-east-2"]),
    "STRONG in four Regions": dict(region="eu-west-1", mode="STRONG", replicas=["eu-west-2", "eu-west-3"],
                                   witness="eu-central-1"),
    "STRONG with a replica in the table's Region": dict(region="us-east-1", mode="STRONG",
                                                        replicas=["us-east-1", "us-east-2"]),
    "STRONG with the witness on a replica": dict(region="us-east-1", mode="STRONG", replicas=["us-east-2"],
                                                 witness="us-east-2"),
    "STRONG across two Region sets": dict(region="us-east-1", mode="STRONG", replicas=["us-east-2"],
                                          witness="eu-west-1"),
    "STRONG outside the Region sets": dict(region="us-west-1", mode="STRONG", replicas=["us-east-2", "us-west-2"]),
}


def expect_mode_settings(case, ttl, stream, replica_modes, witnesses, where):
    """The settings a valid case must produce. ttl: [(attribute, enabled)]; stream: (enabled, view
    type); replica_modes: {region: mode or None}; witnesses: [region]."""
    strong = case.get("mode") == "STRONG"
    replicas = case.get("replicas", [])
    if strong:  # MRSC: no TTL (not supported), no stream (not used for replication)
        assert all(not enabled for _, enabled in ttl), f"{where}: TTL enabled in STRONG mode: {ttl}"
        assert not stream[0], f"{where}: stream enabled in STRONG mode"
    else:
        assert ttl == [("ttl", True)], f"{where}: TTL on `ttl` expected in EVENTUAL mode, got {ttl}"
        want = (True, "NEW_AND_OLD_IMAGES") if replicas else (False, None)
        assert (bool(stream[0]), stream[1] if stream[0] else None) == want, f"{where}: stream {stream} != {want}"
    assert sorted(replica_modes) == sorted(replicas), f"{where}: replicas {sorted(replica_modes)} != {replicas}"
    for region, mode in replica_modes.items():
        ok = mode == "STRONG" if strong else mode in (None, "EVENTUAL")
        assert ok, f"{where}: replica {region} has consistency mode {mode!r}"
    want_witness = [case["witness"]] if case.get("witness") else []
    assert witnesses == want_witness, f"{where}: witness {witnesses} != {want_witness}"


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
    # TTL on `ttl`; `enabled` may follow the mode (off in STRONG): tf_mode_settings evaluates it.
    ttl = one(t.get("ttl"), "ttl")
    assert ttl.get("attribute_name") == "ttl" and (ttl.get("enabled") is True or isinstance(ttl.get("enabled"), str)), (
        f"ttl: {t.get('ttl')}")
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


def tf_min_version(constraint):
    m = re.fullmatch(r"\s*>=?\s*(\d+)(?:\.(\d+))?(?:\.\d+)?\s*", constraint or "")
    assert m, f"expected a '>= X.Y' provider constraint, got {constraint!r}"
    return int(m.group(1)), int(m.group(2) or 0)


def check_tf_consistency(tf):
    """The variables and blocks of the two modes exist; what they evaluate to is tf_mode_settings'."""
    variables = tf.get("variable", {})
    assert "consistency_mode" in variables, "variable consistency_mode missing"
    mode = one(variables["consistency_mode"], "variable consistency_mode")
    assert mode.get("type") == "${string}" and mode.get("default") == "EVENTUAL", mode
    cond = one(mode.get("validation"), "consistency_mode validation")["condition"]
    assert '"EVENTUAL"' in cond and '"STRONG"' in cond and "var.consistency_mode" in cond, cond
    assert "witness_region" in variables, "variable witness_region missing"
    witness = one(variables["witness_region"], "variable witness_region")
    assert witness.get("type") == "${string}" and witness.get("default") in ("", None), witness
    _, t = tf_table(tf)
    enabled = one(t.get("ttl"), "ttl").get("enabled")
    assert isinstance(enabled, str), f"TTL must follow the mode (MRSC tables do not support TTL): enabled = {enabled!r}"
    replica = one(one(t["dynamic"]["replica"], "dynamic replica")["content"], "replica content")
    assert "consistency_mode" in replica, "replicas need consistency_mode (STRONG in MRSC)"
    dyn = t.get("dynamic", {}).get("global_table_witness")
    assert dyn, "no dynamic global_table_witness block"
    block = one(dyn, "dynamic global_table_witness")
    assert "var.witness_region" in block["for_each"], f"the witness must be optional: {block['for_each']}"
    assert "region_name" in one(block["content"], "witness content")
    preconditions = [p for lc in t.get("lifecycle", []) for p in lc.get("precondition", [])]
    assert preconditions, "no lifecycle preconditions: invalid MRSC Region sets would fail only half-way through apply"
    # The provider needs 6.3 for replica.consistency_mode and 6.22 for global_table_witness.
    versions = [p["aws"]["version"] for b in tf.get("terraform", []) for p in b.get("required_providers", [])
                if "aws" in p]
    assert len(versions) == 1, f"one required_providers aws entry expected, found {versions}"
    assert tf_min_version(versions[0]) >= (6, 22), f"aws provider {versions[0]}: global_table_witness needs >= 6.22"


def hcl_literal(value):
    """hcl2json's JSON back to an HCL expression (its "${expr}" strings are expressions)."""
    if isinstance(value, str):
        m = re.fullmatch(r"\$\{(.*)\}", value, re.S)
        if m and "${" not in m.group(1):
            return f"({m.group(1)})"
        return json.dumps(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(hcl_literal(v) for v in value) + "]"
    return "{" + ", ".join(f"{k} = {hcl_literal(v)}" for k, v in value.items()) + "}"


def tf_mode_module(tf):
    """The table's mode-dependent arguments and blocks, its preconditions, the variables and locals,
    as a module (JSON syntax) that plans without any provider: outputs and one terraform_data."""
    _, t = tf_table(tf)
    variables = {}
    for name, blocks in tf.get("variable", {}).items():
        var = dict(one(blocks, f"variable {name}"))
        if isinstance(var.get("type"), str):  # hcl2json writes the type as "${string}"
            var["type"] = re.fullmatch(r"\$\{(.*)\}", var["type"], re.S).group(1)
        variables[name] = var
    outputs = {attr: {"value": t.get(attr)} for attr in ("stream_enabled", "stream_view_type")}
    for block in ("ttl", "replica", "global_table_witness"):
        outputs[f"{block}_static"] = {"value": t.get(block, [])}
        dyn = t.get("dynamic", {}).get(block)
        expr = "[]"
        if dyn:  # the dynamic block's iterator is named after the block, with .key and .value
            d = one(dyn, f"dynamic {block}")
            content = hcl_literal(one(d["content"], f"{block} content"))
            expr = f"[for {block} in [for k, v in {hcl_literal(d['for_each'])} : {{key = k, value = v}}] : {content}]"
        outputs[f"{block}_dynamic"] = {"value": "${" + expr + "}"}
    table = {"lifecycle": t["lifecycle"]} if "lifecycle" in t else {}
    return {"variable": variables, "locals": tf.get("locals", []), "output": outputs,
            "resource": {"terraform_data": {"table": [table]}}}


def tf_plan_cases(tf, cases):
    """{name: outputs, or an Exception whose text is Terraform's refusal} for each case."""
    module = tf_mode_module(tf)
    results = {}
    with tempfile.TemporaryDirectory(prefix="check_deploy_tf_") as d:
        (pathlib.Path(d) / "main.tf.json").write_text(json.dumps(module, indent=1))
        (pathlib.Path(d) / "cli.tfrc").write_text("")
        env = {**os.environ, "TF_CLI_CONFIG_FILE": str(pathlib.Path(d) / "cli.tfrc"), "CHECKPOINT_DISABLE": "1",
               "TF_IN_AUTOMATION": "1", "TF_INPUT": "0"}

        def tf_run(*args):
            return subprocess.run(["terraform", *args, "-no-color"], cwd=d, env=env, capture_output=True, text=True,
                                  timeout=120)

        init = tf_run("init", "-input=false", "-backend=false")
        assert init.returncode == 0, f"terraform init: {init.stderr.strip()}"
        for name, case in cases.items():
            args = ["-var", f"region={case['region']}", "-var", f"replica_regions={json.dumps(case.get('replicas', []))}"]
            if "mode" in case:
                args += ["-var", f"consistency_mode={case['mode']}"]
            if "witness" in case:
                args += ["-var", f"witness_region={case['witness']}"]
            plan = tf_run("plan", "-input=false", "-lock=false", "-refresh=false", "-out=plan.bin", *args)
            if plan.returncode != 0:
                results[name] = Exception(" ".join((plan.stderr or plan.stdout).split()))
                continue
            show = tf_run("show", "-json", "plan.bin")
            assert show.returncode == 0, f"terraform show: {show.stderr.strip()}"
            outputs = json.loads(show.stdout).get("planned_values", {}).get("outputs", {})
            results[name] = {k: v.get("value") for k, v in outputs.items()}
    return results


def tf_settings(out):
    """expect_mode_settings' arguments from the planned outputs of tf_mode_module."""
    def blocks(name):
        return (out.get(f"{name}_static") or []) + (out.get(f"{name}_dynamic") or [])
    ttl = [(b.get("attribute_name"), bool(b.get("enabled"))) for b in blocks("ttl")]
    stream = (out.get("stream_enabled"), out.get("stream_view_type"))
    replicas = {b["region_name"]: b.get("consistency_mode") for b in blocks("replica")}
    witnesses = [b["region_name"] for b in blocks("global_table_witness")]
    return ttl, stream, replicas, witnesses


def check_tf_mode_settings(tf):
    cases = {f"case {i}": case for i, case in enumerate(MODE_VALID)}
    for name, out in tf_plan_cases(tf, cases).items():
        assert not isinstance(out, Exception), f"{cases[name]} refused: {out}"
        expect_mode_settings(cases[name], *tf_settings(out), where=f"terraform {cases[name]}")


def check_tf_refuses_invalid_sets(tf):
    results = tf_plan_cases(tf, MODE_INVALID)
    accepted = [name for name, out in results.items() if not isinstance(out, Exception)]
    assert not accepted, f"terraform plan accepts {accepted}"
    for name, out in results.items():  # refused by the template itself, not by some other error
        assert "Invalid value for variable" in str(out) or "precondition failed" in str(out), f"{name}: {out}"


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
    walk(t.get("Rules", {}))


# CloudFormation's condition and rule functions, evaluated for one set of parameter values.
NO_VALUE = object()


def cfn_value(node, params):
    if isinstance(node, dict) and list(node) == ["Ref"]:
        assert node["Ref"] in params, f"!Ref {node['Ref']}: no value"
        return params[node["Ref"]]
    return node


def cfn_true(node, t, params):
    (fn, arg), = node.items()
    if fn == "Condition":
        return cfn_true(t["Conditions"][arg], t, params)
    if fn == "Fn::Equals":
        return str(cfn_value(arg[0], params)) == str(cfn_value(arg[1], params))
    if fn == "Fn::Not":
        return not cfn_true(arg[0], t, params)
    if fn == "Fn::And":
        return all(cfn_true(c, t, params) for c in arg)
    if fn == "Fn::Or":
        return any(cfn_true(c, t, params) for c in arg)
    if fn == "Fn::Contains":
        return cfn_value(arg[1], params) in [cfn_value(v, params) for v in arg[0]]
    raise AssertionError(f"cannot evaluate {fn} here")


def cfn_resolve(node, t, params):
    """The node as CloudFormation sees it: Fn::If decided, AWS::NoValue dropped, parameters read."""
    if isinstance(node, dict):
        if list(node) == ["Fn::If"]:
            cond, yes, no = node["Fn::If"]
            return cfn_resolve(yes if cfn_true({"Condition": cond}, t, params) else no, t, params)
        if list(node) == ["Ref"]:
            return NO_VALUE if node["Ref"] == "AWS::NoValue" else params.get(node["Ref"], node)
        resolved = {k: cfn_resolve(v, t, params) for k, v in node.items()}
        return {k: v for k, v in resolved.items() if v is not NO_VALUE}
    if isinstance(node, list):
        return [v for v in (cfn_resolve(x, t, params) for x in node) if v is not NO_VALUE]
    return node


def sam_params(t, case):
    """The parameters of a case (see MODE_VALID); ReplicaRegion1/2 carry up to two replicas."""
    params = {name: spec.get("Default", "") for name, spec in t["Parameters"].items()}
    replicas = case.get("replicas", [])
    assert len(replicas) <= 2, "the template has two replica parameters"
    params.update(ReplicaRegion1=(replicas + ["", ""])[0], ReplicaRegion2=(replicas + ["", ""])[1])
    if "witness" in case:
        params["WitnessRegion"] = case["witness"]
    if "mode" in case:
        params["ConsistencyMode"] = case["mode"]
    params["AWS::Region"] = case["region"]
    return params


def sam_refusals(t, params):
    """Why CloudFormation would refuse these parameters before creating anything (AllowedValues, Rules)."""
    refusals = [f"{name}={params[name]!r} not in AllowedValues" for name, spec in t["Parameters"].items()
                if "AllowedValues" in spec and str(params[name]) not in [str(v) for v in spec["AllowedValues"]]]
    for name, rule in t.get("Rules", {}).items():
        if "RuleCondition" in rule and not cfn_true(rule["RuleCondition"], t, params):
            continue
        refusals += [f"{name}: {a.get('AssertDescription')}" for a in rule["Assertions"]
                     if not cfn_true(a["Assert"], t, params)]
    return refusals


def sam_table_properties(t, case):
    _, r = sam_table(t)
    return cfn_resolve(r["Properties"], t, sam_params(t, case))


def check_sam_table(t):
    _, r = sam_table(t)
    p = r["Properties"]
    assert p["KeySchema"] == [{"AttributeName": "thread_id", "KeyType": "HASH"}], p["KeySchema"]
    assert p["AttributeDefinitions"] == [{"AttributeName": "thread_id", "AttributeType": "S"}]
    assert p["BillingMode"] == "PAY_PER_REQUEST"
    # TTL may depend on the mode (MRSC tables do not support it); with the defaults it is on.
    ttl = sam_table_properties(t, MODE_VALID[0]).get("TimeToLiveSpecification")
    assert ttl == {"AttributeName": "ttl", "Enabled": True}, f"TTL with the default parameters: {ttl}"
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


def check_sam_consistency(t):
    """The parameters of the two modes; what they produce is check_sam_mode_settings'."""
    mode = t["Parameters"].get("ConsistencyMode")
    assert mode, "parameter ConsistencyMode missing"
    assert mode.get("Default") == "EVENTUAL" and sorted(mode.get("AllowedValues", [])) == ["EVENTUAL", "STRONG"], mode
    witness = t["Parameters"].get("WitnessRegion")
    assert witness and witness.get("Default") == "", f"parameter WitnessRegion (default empty): {witness}"
    _, r = sam_table(t)
    assert r["Type"] == "AWS::DynamoDB::GlobalTable", "MultiRegionConsistency is a GlobalTable property"
    p = r["Properties"]
    # Absent in EVENTUAL mode (existing stacks see no change), STRONG otherwise.
    assert p.get("MultiRegionConsistency") == {"Fn::If": ["IsEventual", {"Ref": "AWS::NoValue"}, "STRONG"]}, \
        p.get("MultiRegionConsistency")
    for prop in ("TimeToLiveSpecification", "StreamSpecification", "GlobalTableWitnesses"):
        assert list(p.get(prop, {})) == ["Fn::If"], f"{prop} must be conditional (present in one mode only)"


def check_sam_mode_settings(t):
    for case in MODE_VALID:
        refusals = sam_refusals(t, sam_params(t, case))
        assert not refusals, f"{case} refused: {refusals}"
        p = sam_table_properties(t, case)
        assert p.get("MultiRegionConsistency", "EVENTUAL") == case.get("mode", "EVENTUAL"), p.get("MultiRegionConsistency")
        spec = p.get("TimeToLiveSpecification")
        ttl = [(spec.get("AttributeName"), spec.get("Enabled") in (True, "true"))] if spec else []
        stream = p.get("StreamSpecification")
        stream = (bool(stream), stream.get("StreamViewType")) if stream else (False, None)
        assert p["Replicas"][0]["Region"] == case["region"], p["Replicas"][0]
        mode = p.get("MultiRegionConsistency")  # a GlobalTable has one mode for all its replicas
        replicas = {rep["Region"]: mode for rep in p["Replicas"][1:]}
        witnesses = [w["Region"] for w in p.get("GlobalTableWitnesses", [])]
        expect_mode_settings(case, ttl, stream, replicas, witnesses, where=f"sam {case}")


# What only DynamoDB can refuse in SAM: Rules check parameters, and whether they may Ref the
# stack's Region (a pseudo parameter) is not documented, so the template does not rely on it.
SAM_LEAVES_TO_DYNAMODB = {"STRONG with a replica in the table's Region", "STRONG across two Region sets",
                          "STRONG outside the Region sets"}


def check_sam_refuses_invalid_sets(t):
    accepted = [name for name, case in MODE_INVALID.items()
                if name not in SAM_LEAVES_TO_DYNAMODB and not sam_refusals(t, sam_params(t, case))]
    assert not accepted, f"the template's parameters and Rules accept {accepted}"


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


def broken_tf_ttl_always_on(tf):
    tf = copy.deepcopy(tf)
    _, t = tf_table(tf)
    t["ttl"] = [{"attribute_name": "ttl", "enabled": True}]
    return tf


def broken_tf_witness_always(tf):
    tf = copy.deepcopy(tf)
    _, t = tf_table(tf)
    one(t["dynamic"]["global_table_witness"], "witness")["for_each"] = "${[var.witness_region]}"
    return tf


def broken_tf_no_preconditions(tf):
    tf = copy.deepcopy(tf)
    _, t = tf_table(tf)
    t.pop("lifecycle", None)
    return tf


def broken_tf_old_provider(tf):
    tf = copy.deepcopy(tf)
    for block in tf.get("terraform", []):
        for providers in block.get("required_providers", []):
            if "aws" in providers:
                providers["aws"]["version"] = ">= 6.3"
    return tf


def broken_sam_ttl_always_on(t):
    t = copy.deepcopy(t)
    _, r = sam_table(t)
    r["Properties"]["TimeToLiveSpecification"] = {"AttributeName": "ttl", "Enabled": True}
    return t


def broken_sam_witness_always(t):
    t = copy.deepcopy(t)
    _, r = sam_table(t)
    r["Properties"]["GlobalTableWitnesses"] = [{"Region": {"Ref": "WitnessRegion"}}]
    return t


def broken_sam_no_rules(t):
    t = copy.deepcopy(t)
    t.pop("Rules", None)
    return t


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
        check("terraform: consistency_mode and witness_region variables, mode-dependent TTL, witness block, "
              "preconditions, provider >= 6.22", check_tf_consistency, tf)
        must_fail("terraform self-test: TTL on whatever the mode", check_tf_consistency, broken_tf_ttl_always_on(tf))
        must_fail("terraform self-test: aws provider >= 6.3", check_tf_consistency, broken_tf_old_provider(tf))
        must_fail("terraform self-test: no preconditions", check_tf_consistency, broken_tf_no_preconditions(tf))
        if shutil.which("terraform"):
            check("terraform plan: TTL, stream, replica modes and witness for valid Region sets",
                  check_tf_mode_settings, tf)
            check("terraform plan: invalid Region sets and modes are refused", check_tf_refuses_invalid_sets, tf)
            must_fail("terraform plan self-test: TTL on in STRONG mode", check_tf_mode_settings,
                      broken_tf_ttl_always_on(tf))
            must_fail("terraform plan self-test: a witness whatever witness_region says", check_tf_mode_settings,
                      broken_tf_witness_always(tf))
            must_fail("terraform plan self-test: no preconditions", check_tf_refuses_invalid_sets,
                      broken_tf_no_preconditions(tf))
        else:
            skip("terraform plan: consistency modes", "terraform is not installed")
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
        check("sam: ConsistencyMode and WitnessRegion parameters, conditional TTL, stream and witness",
              check_sam_consistency, sam)
        check("sam: TTL, stream, replicas and witness for valid Region sets", check_sam_mode_settings, sam)
        check("sam: invalid Region sets and modes are refused (AllowedValues, Rules)", check_sam_refuses_invalid_sets, sam)
        must_fail("sam self-test: TTL on whatever the mode", check_sam_consistency, broken_sam_ttl_always_on(sam))
        must_fail("sam self-test: TTL on in STRONG mode", check_sam_mode_settings, broken_sam_ttl_always_on(sam))
        must_fail("sam self-test: a witness whatever WitnessRegion says", check_sam_mode_settings,
                  broken_sam_witness_always(sam))
        must_fail("sam self-test: no Rules", check_sam_refuses_invalid_sets, broken_sam_no_rules(sam))
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
