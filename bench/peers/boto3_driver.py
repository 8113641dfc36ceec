"""boto3 (Debian's python3-boto3) in the end-to-end benchmark (bench/run, docs/benchmarks.md).

Sends the same PutItem/GetItem of the same item as the C++ driver (DIR/item-<size>.json, written
by `checkpoint_bench prepare`) and appends one JSON record per cell to --out.

  /usr/bin/python3 boto3_driver.py --workload save|load|turn --size 1KB --workers 8 --seconds 3 \
      --warmup 1 --endpoint URL --table T --dir DIR --server NAME --server-pid PID --out FILE [--ca PEM]

Workers: N threads, one client each (boto3's advice: clients are thread-safe, sessions are not,
and one client per thread avoids contention on its connection pool).
"""

import argparse
import json
import os
import sys
import threading
import time

import boto3
import botocore.config


def server_cpu_ms(pid):
    """utime + stime of another process in ms, from /proc/PID/stat."""
    if not pid:
        return None
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) * 1000.0 / os.sysconf("SC_CLK_TCK")


def percentile(sorted_values, p):
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, int(p * (len(sorted_values) - 1) + 0.5))]


def main():
    ap = argparse.ArgumentParser()
    for name in ("workload", "size", "endpoint", "table", "dir", "out"):
        ap.add_argument("--" + name, required=True)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=3)
    ap.add_argument("--warmup", type=float, default=1)
    ap.add_argument("--server", default="unknown")
    ap.add_argument("--server-pid", type=int, default=0)
    ap.add_argument("--ca", default=None, help="PEM bundle that signs an https endpoint's certificate")
    args = ap.parse_args()

    with open(os.path.join(args.dir, f"item-{args.size}.json"), encoding="utf-8") as f:
        template = json.load(f)
    state_bytes = len(template["state"]["S"].encode("utf-8"))
    config = botocore.config.Config(max_pool_connections=max(10, args.workers))

    def make_client():
        return boto3.session.Session().client(
            "dynamodb",
            endpoint_url=args.endpoint,
            region_name="us-east-1",
            aws_access_key_id="AKIDBENCH",
            aws_secret_access_key="bench-secret",
            config=config,
            verify=args.ca,  # None: the default bundle
        )

    def make_op(worker):
        client = make_client()
        # Load cells share their items; save and turn cells write this client's own.
        if args.workload == "load":
            tid = f"load-{args.size}-w{worker}"
        else:
            tid = f"{args.workload}-{args.size}-py-w{worker}"
        key = {"thread_id": {"S": tid}}
        item = dict(template, thread_id={"S": tid})

        # A save is conditional on the version it replaces, as the C++ library's are. The item
        # keeps that version, so the same request succeeds every time.
        def put(item):
            client.put_item(
                TableName=args.table,
                Item=item,
                ConditionExpression="#v = :v",
                ExpressionAttributeNames={"#v": "version"},
                ExpressionAttributeValues={":v": item["version"]},
            )

        if args.workload == "save":
            return lambda: put(item)
        if args.workload == "load":
            return lambda: client.get_item(TableName=args.table, Key=key, ConsistentRead=True)
        if args.workload == "turn":

            def turn():
                got = client.get_item(TableName=args.table, Key=key, ConsistentRead=True)
                put(got["Item"])

            return turn
        raise SystemExit(f"unknown workload {args.workload}")

    ops = [make_op(w) for w in range(args.workers)]

    def phase(seconds, min_ops):
        latencies, errors = [], []
        lock = threading.Lock()
        start = time.perf_counter()
        deadline = start + seconds

        def worker(op):
            mine, failed = [], []
            n = 0
            while n < min_ops or time.perf_counter() < deadline:
                n += 1
                t0 = time.perf_counter()
                try:
                    op()
                    mine.append((time.perf_counter() - t0) * 1e3)
                except Exception as e:  # noqa: BLE001 - reported in the record
                    failed.append(repr(e))
                    if len(failed) > 20:
                        break
            with lock:
                latencies.extend(mine)
                errors.extend(failed)

        threads = [threading.Thread(target=worker, args=(op,)) for op in ops]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return latencies, errors, time.perf_counter() - start

    # Warm up until the throughput is stable (as checkpoint_bench's warm_up): at least --warmup
    # seconds, then until the last three windows' ops/s are within 10 % of each other, at most 4x.
    window = min(0.5, max(0.1, args.warmup / 6))
    rates, warm_ops, warm_start, warm_stable = [], 0, time.perf_counter(), False
    while True:
        done, warm_errors, wall = phase(window, 1)
        if warm_errors:
            sys.exit(f"boto3_driver: warm-up failed: {warm_errors[0]}")
        warm_ops += len(done)
        rates.append(len(done) / wall)
        warm_seconds = time.perf_counter() - warm_start
        last = rates[-3:]
        warm_stable = warm_seconds >= args.warmup and len(last) == 3 and max(last) <= min(last) * 1.1
        if warm_stable or warm_seconds >= 4 * args.warmup:
            break
    cpu0 = time.process_time()
    server0 = server_cpu_ms(args.server_pid)
    latencies, errors, wall = phase(args.seconds, 5)
    cpu_ms = (time.process_time() - cpu0) * 1e3
    server = server_cpu_ms(args.server_pid) - server0 if args.server_pid else None

    latencies.sort()
    n = max(1, len(latencies))
    record = {
        "server": args.server,
        "client": "boto3",
        "workload": args.workload,
        "size": args.size,
        "state_bytes": state_bytes,
        "workers": args.workers,
        "ops": len(latencies),
        "seconds": wall,
        "p50_ms": percentile(latencies, 0.5),
        "p99_ms": percentile(latencies, 0.99),
        "mean_ms": sum(latencies) / n,
        "ops_per_s": len(latencies) / wall,
        "client_cpu_ms_per_op": cpu_ms / n,
        "server_cpu_ms_per_op": None if server is None else server / n,
        "errors": len(errors),
        "warmup_s": warm_seconds,
        "warmup_ops": warm_ops,
        "warmup_stable": warm_stable,
    }
    if errors:
        record["first_error"] = errors[0]
    with open(args.out, "a", encoding="utf-8") as f:
        f.write(json.dumps(record) + "\n")
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
