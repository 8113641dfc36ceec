"""What the CLI test modules share (cli_test, transport_test, metrics_test, global_tables_test):
the environment the `agents` process runs with, reading a pseudo-terminal, and a loopback HTTP
server for stand-ins."""
import hashlib
import hmac
import http.server
import os
import select
import threading
import time

PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


def cli_env(access_key, secret, token, **extra):
    """The caller's environment without its AWS and OpenAI settings or proxies, plus fake
    credentials (which no output may ever contain), and `extra` on top."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "OPENAI_")) and k.lower() not in PROXY_VARIABLES}
    env.update({
        "AWS_ACCESS_KEY_ID": access_key,
        "AWS_SECRET_ACCESS_KEY": secret,
        "AWS_SESSION_TOKEN": token,
        "AWS_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": "/nonexistent/config",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials",
    })
    env.update(extra)
    return env


def read_until(fd, marker, outputs, timeout=30.0):
    """Reads a pseudo-terminal until its text ends with `marker` (None: until it closes), the
    timeout, or an error; appends what it read to `outputs` (checked for secrets later)."""
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
            outputs.append(data.decode(errors="replace"))
            if marker is not None and data.decode(errors="replace").endswith(marker):
                break
    return data.decode(errors="replace")


def sigv4_problem(method, path, headers, body, secret):
    """None when the request's SigV4 signature is right for `secret`, else what is wrong. Written
    from the SigV4 specification, not from any client, so every client is held to the same rule.
    `headers` are lower-cased names; `body` is bytes."""
    auth = headers.get("authorization", "")
    if not auth.startswith("AWS4-HMAC-SHA256 "):
        return "no SigV4 Authorization header"
    fields = dict(part.strip().split("=", 1) for part in auth[len("AWS4-HMAC-SHA256 "):].split(","))
    key_id, day, region, service, terminal = fields["Credential"].split("/")
    signed = fields["SignedHeaders"].split(";")
    canonical_headers = "".join("%s:%s\n" % (h, " ".join(headers.get(h, "").split())) for h in signed)
    payload_hash = hashlib.sha256(body).hexdigest()
    if headers.get("x-amz-content-sha256", payload_hash) != payload_hash:
        return "x-amz-content-sha256 is not the body's SHA-256"
    canonical = "\n".join([method, path, "", canonical_headers, ";".join(signed), payload_hash])
    scope = "/".join([day, region, service, terminal])
    to_sign = "\n".join(["AWS4-HMAC-SHA256", headers.get("x-amz-date", ""), scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + secret).encode()
    for part in (day, region, service, terminal):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    if hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest() != fields["Signature"]:
        return "signature mismatch for canonical request:\n" + canonical
    return None


class LoopbackServer:
    """`handler` (a BaseHTTPRequestHandler class) served on 127.0.0.1 at a free port, in a thread."""

    def __init__(self, handler):
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
