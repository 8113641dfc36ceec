#!/usr/bin/env python3
"""Writes the checked-in seed corpora (tests/fuzz/corpus/<target>/). Run again after changing it;
the fuzzers add what they find to their own working corpus under build/fuzz, not here."""
import base64
import json
import os
import subprocess
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
SHARED = os.path.join(HERE, "..", "..", "..", "shared", "testdata", "rust-items")


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def zstd(data):
    return subprocess.run(["zstd", "-q", "-c", "--check", "-3"], input=data, capture_output=True, check=True).stdout


def compact(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


RICH = {
    "todos": [{"content": "Write the report", "status": "in_progress"}, {"content": "Send it", "status": "pending"}],
    "files": {"notes.md": "# Notes\n", "日本/ファイル.txt": "unicode ✓ \"quoted\" \\ back"},
    "scratchpad": {"user": {"name": "Alice", "tags": ["a", "b"], "score": 1.5}, "count": 42, "nothing": None},
    "messages": [
        {"role": "system", "content": "You are helpful."},
        {"role": "user", "content": "Remember teal 🎨"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "read_file", "arguments": "{\"path\":\"notes.md\"}"}}]},
        {"role": "tool", "content": "# Notes", "tool_call_id": "call_1", "name": "read_file"},
        {"role": "assistant", "content": "Done."},
    ],
    "pending_interrupts": [{"type": "human_in_loop", "tool_name": "send_email", "tool_args": {"to": "a@example.com"},
                            "policy_note": "needs approval", "created_at": "2024-01-01T12:00:00Z", "call_id": "call_9"}],
}

# --- state_json
states = {
    "empty": "{}",
    "rust_empty": "{\"todos\":[],\"files\":{},\"scratchpad\":{}}",
    "rich": compact(RICH),
    "numbers": compact({"scratchpad": {"a": 1e308, "b": -0.0, "c": 18446744073709551615, "d": -9223372036854775808,
                                       "e": 0.1, "f": [1, 2.5, True, None]}}),
    "nulls": "{\"messages\":null,\"pending_interrupts\":null,\"todos\":[]}",
    "escapes": compact({"files": {"a\u0000b": "\u2028\t\"\\\u00e9", "\U0001F600": ""}}),
    "bad_status": "{\"todos\":[{\"content\":\"x\",\"status\":\"done\"}]}",
    "truncated": compact(RICH)[:100],
    "nested": "{\"scratchpad\":{\"x\":" + "[" * 200 + "]" * 200 + "}}",
}
for name in ("populated.state.json", "empty.state.json"):
    p = os.path.join(SHARED, name)
    if os.path.exists(p):
        states["rust_" + name.split(".")[0]] = open(p).read().strip()
for name, text in states.items():
    write("state_json", name, text)

# --- chunk_set: heads and chunks as DynamoDB JSON, or raw zstd frames
state = compact(RICH).encode()
z = zstd(state)
b64 = lambda b: base64.b64encode(b).decode()
head = {"thread_id": {"S": "fuzz-thread"}, "updated_at": {"S": "2024-01-01T00:00:00Z"}, "version": {"N": "3"},
        "save_id": {"S": "0123456789abcdef"}}
write("chunk_set", "plain", compact({"head": dict(head, state={"S": state.decode()})}))
write("chunk_set", "compressed", compact({"head": dict(head, state_zstd={"B": b64(z)})}))
half = len(z) // 2
chunks = [{"thread_id": {"S": "fuzz-thread#chunk#0123456789abcdef#%d" % i}, "chunk_of": {"S": "fuzz-thread"},
           "save_id": {"S": "0123456789abcdef"}, "chunk_index": {"N": str(i)}, "data": {"B": b64(part)}}
          for i, part in enumerate([z[:half], z[half:]])]
chunked_head = dict(head, chunk_count={"N": "2"}, state_bytes={"N": str(len(z))})
write("chunk_set", "chunked", compact({"head": chunked_head, "chunks": chunks}))
write("chunk_set", "chunked_reversed", compact({"head": chunked_head, "chunks": chunks[::-1]}))
write("chunk_set", "chunk_missing", compact({"head": chunked_head, "chunks": chunks[:1]}))
write("chunk_set", "chunk_other_save", compact({"head": chunked_head, "chunks": [dict(chunks[0], save_id={"S": "x"}), chunks[1]]}))
write("chunk_set", "count_lies", compact({"head": dict(chunked_head, chunk_count={"N": "3"}), "chunks": chunks}))
write("chunk_set", "ttl_and_huge_version", compact({"head": dict(head, state={"S": "{}"}, ttl={"N": "1700000000"},
                                                                 version={"N": "99999999999999999999"})}))
write("chunk_set", "raw_zstd", z)
# incremental heads: the state without messages, and segments holding them
messages = json.loads(compact(RICH)).get("messages", [])
rest = {k: v for k, v in json.loads(compact(RICH)).items() if k != "messages"}
seg_items = [{"thread_id": {"S": "fuzz-thread#seg#0123456789abcdef-%d" % i}, "chunk_of": {"S": "fuzz-thread"},
              "save_id": {"S": "0123456789abcdef"}, "first_message": {"N": str(first)},
              "message_count": {"N": str(len(part))}, "messages": {"S": compact(part)}}
             for i, (first, part) in enumerate([(0, messages[:2]), (2, messages[2:])])]
inc_head = dict(head, head_state={"S": compact(rest)}, message_count={"N": str(len(messages))},
                history_digest={"S": "00" * 32},
                segments={"L": [{"M": {"id": {"S": "0123456789abcdef-%d" % i}, "n": {"N": seg["message_count"]["N"]},
                                       "lvl": {"N": "0"}, "ttl": {"N": "1900000000"}}} for i, seg in enumerate(seg_items)]})
write("chunk_set", "incremental", compact({"head": inc_head, "chunks": seg_items}))
write("chunk_set", "incremental_segment_missing", compact({"head": inc_head, "chunks": seg_items[1:]}))
write("chunk_set", "raw_zstd_empty_state", zstd(b"{}"))

# --- dynamodb_response: byte 0 = operation (0..10), byte 1 = status (0:200 1:400 2:500), then the body
item = {"thread_id": {"S": "t"}, "state": {"S": "{}"}, "version": {"N": "1"}, "n": {"N": "1.5e3"},
        "b": {"B": "AAEC"}, "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2"]}, "bs": {"BS": ["AA=="]},
        "l": {"L": [{"S": "x"}, {"NULL": True}, {"BOOL": False}]}, "m": {"M": {"k": {"S": "v"}}}}
def resp(op, status, body):
    write("dynamodb_response", "op%02d_%d_%d" % (op, status, zlib.crc32(body if isinstance(body, bytes) else body.encode()) % 10000),
          bytes([op, status]) + (body if isinstance(body, bytes) else body.encode()))
resp(0, 0, compact({"Item": item, "ConsumedCapacity": {"TableName": "threads", "CapacityUnits": 0.5}}))
resp(0, 0, "{}")
resp(1, 1, compact({"__type": "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",
                    "message": "The conditional request failed", "Item": item}))
resp(1, 0, compact({"Attributes": item, "ConsumedCapacity": [{"CapacityUnits": 1}]}))
resp(2, 0, compact({"Attributes": item}))
resp(3, 0, compact({"Responses": {"threads": [item, item]}, "UnprocessedKeys": {"threads": {"Keys": [{"thread_id": {"S": "t"}}]}}}))
resp(4, 0, compact({"Items": [item], "Count": 1, "LastEvaluatedKey": {"thread_id": {"S": "t"}}}))
resp(5, 0, compact({"Items": [], "Count": 0}))
resp(6, 0, compact({"Table": {"TableName": "threads", "TableStatus": "ACTIVE", "TableArn": "arn:aws:dynamodb:us-east-1:1:table/threads",
                              "KeySchema": [{"AttributeName": "thread_id", "KeyType": "HASH"}],
                              "AttributeDefinitions": [{"AttributeName": "thread_id", "AttributeType": "S"}],
                              "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"}, "ItemCount": 3,
                              "Replicas": [{"RegionName": "eu-west-1"}]}}))
resp(7, 0, compact({"TimeToLiveDescription": {"TimeToLiveStatus": "ENABLED", "AttributeName": "ttl"}}))
resp(8, 1, compact({"__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException", "Message": "cancelled",
                    "CancellationReasons": [{"Code": "ConditionalCheckFailed"}, {"Code": "None"}]}))
resp(9, 0, compact({"TableNames": ["a", "b"], "LastEvaluatedTableName": "b"}))
resp(10, 0, compact({"Item": dict(head, state={"S": compact(RICH)})}))
resp(10, 0, compact({"Item": {"thread_id": {"S": "t"}, "chunk_count": {"N": "2"}, "state_bytes": {"N": "10"},
                              "save_id": {"S": "s"}, "version": {"N": "2"}}}))
resp(0, 1, compact({"__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException", "message": "slow down"}))
resp(0, 2, "<html>500 Internal Server Error</html>")
resp(0, 1, compact({"__type": "com.amazon.coral.service#UnrecognizedClientException", "message": "bad token"}))

# --- profile_file
profiles = {
    "config": "[default]\nregion = us-east-1\noutput = json\n\n[profile dev]\nrole_arn = arn:aws:iam::1:role/r\n"
              "source_profile = default\ns3 =\n  max_concurrent_requests = 10\n; comment\n# comment\n"
              "[sso-session x]\nsso_region = us-east-1\n",
    "credentials": "[default]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG\n"
                   "aws_session_token = IQoJb3JpZ2luX2Vj\n[other]\ncredential_process = /bin/echo {}\n",
    "bad_line": "[default]\nthis line has no equals sign\n",
    "repeated": "[default]\na = 1\n[default]\na = 2\nB = 3\n",
    "crlf": "[default]\r\nregion=eu-west-1\r\n",
    "empty_section": "[]\n[profile]\n[ profile  spaced ]\nk=v\n",
}
for name, text in profiles.items():
    write("profile_file", name, text)

# --- api_gateway
v1 = {"resource": "/chat", "path": "/chat", "httpMethod": "POST",
      "headers": {"Content-Type": "application/json", "X-Forwarded-For": "1.2.3.4"},
      "multiValueHeaders": {"Content-Type": ["application/json"], "Accept": ["a", "b"]},
      "queryStringParameters": None, "pathParameters": None, "stageVariables": None,
      "requestContext": {"requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef", "httpMethod": "POST", "stage": "Prod"},
      "body": "{\"thread_id\":\"t1\",\"message\":\"hello\"}", "isBase64Encoded": False}
write("api_gateway", "rest_v1", compact(v1))
write("api_gateway", "rest_v1_base64", compact(dict(v1, body=base64.b64encode(b"{\"thread_id\":\"t\",\"message\":\"\xc3\xa9\"}").decode(), isBase64Encoded=True)))
write("api_gateway", "rest_v1_null_body", compact(dict(v1, body=None)))
v2 = {"version": "2.0", "routeKey": "POST /chat", "rawPath": "/chat", "rawQueryString": "a=1",
      "headers": {"content-type": "application/json", "accept": "a,b"},
      "requestContext": {"requestId": "JKJaXmPLvHcESHA=", "http": {"method": "POST", "path": "/chat", "protocol": "HTTP/1.1"}},
      "body": "{\"thread_id\":\"t2\",\"message\":\"hi\"}", "isBase64Encoded": False}
write("api_gateway", "http_v2", compact(v2))
write("api_gateway", "http_v2_base64_bad", compact(dict(v2, body="!!!not base64", isBase64Encoded=True)))
write("api_gateway", "not_an_event", "{\"thread_id\":\"t\",\"message\":\"m\"}")
write("api_gateway", "invalid_utf8_body", b"{\"httpMethod\":\"POST\",\"requestContext\":{},\"body\":\"\xff\xfe\"}")
