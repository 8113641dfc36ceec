// The AWS SDK for JavaScript v3 in the end-to-end benchmark (bench/run, docs/benchmarks.md).
// Sends the same PutItem/GetItem of the same item as the C++ driver (DIR/item-<size>.json,
// written by `checkpoint_bench prepare`) and appends one JSON record per cell to --out.
//
//   node js_driver.mjs --workload save|load|turn --size 1KB --workers 8 --seconds 3 --warmup 1 \
//        --endpoint URL --table T --dir DIR --server NAME --server-pid PID --out FILE
//
// Workers: N concurrent async loops sharing one client (the SDK's keep-alive agent). An https
// endpoint's certificate is trusted through NODE_EXTRA_CA_CERTS (bench/run sets it for the TLS cells).
import { readFileSync, appendFileSync } from "node:fs";
import { DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";

function parseArgs(argv) {
  const args = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith("--") || i + 1 >= argv.length) throw new Error(`bad argument ${argv[i]}`);
    args[argv[i].slice(2)] = argv[i + 1];
  }
  return args;
}

// utime + stime of another process in ms, from /proc/PID/stat (clock ticks of 10 ms).
function serverCpuMs(pid) {
  if (!pid) return null;
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.round(p * (sorted.length - 1)))];
}

const args = parseArgs(process.argv.slice(2));
const workers = Number(args.workers ?? 1);
const workload = args.workload;
const size = args.size;
const table = args.table;
const itemTemplate = JSON.parse(readFileSync(`${args.dir}/item-${size}.json`, "utf8"));
const stateBytes = Buffer.byteLength(itemTemplate.state.S, "utf8");

const client = new DynamoDBClient({
  endpoint: args.endpoint,
  region: "us-east-1",
  credentials: { accessKeyId: "AKIDBENCH", secretAccessKey: "bench-secret" },
});

// Load cells share their items; save and turn cells write this client's own (see checkpoint_bench).
const threadId = (w) => (workload === "load" ? `load-${size}-w${w}` : `${workload}-${size}-js-w${w}`);
// A save is conditional on the version it replaces, as the C++ library's are. The item keeps that
// version, so the same request succeeds every time.
const put = (item) =>
  client.send(
    new PutItemCommand({
      TableName: table,
      Item: item,
      ConditionExpression: "#v = :v",
      ExpressionAttributeNames: { "#v": "version" },
      ExpressionAttributeValues: { ":v": item.version },
    }),
  );
const makeOp = (w) => {
  const key = { thread_id: { S: threadId(w) } };
  const item = { ...itemTemplate, thread_id: { S: threadId(w) } };
  if (workload === "save") return () => put(item);
  if (workload === "load")
    return () => client.send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }));
  if (workload === "turn")
    return async () => {
      const got = await client.send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }));
      await put(got.Item);
    };
  throw new Error(`unknown workload ${workload}`);
};

async function phase(ops, seconds, minOps) {
  const latencies = [];
  let errors = 0;
  let firstError = "";
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(seconds * 1e9));
  await Promise.all(
    ops.map(async (op) => {
      for (let n = 0; n < minOps || process.hrtime.bigint() < deadline; ++n) {
        const t0 = process.hrtime.bigint();
        try {
          await op();
          latencies.push(Number(process.hrtime.bigint() - t0) / 1e3);
        } catch (e) {
          if (errors++ === 0) firstError = String(e);
          if (errors > 20) break;
        }
      }
    }),
  );
  return { latencies, errors, firstError, wallS: Number(process.hrtime.bigint() - start) / 1e9 };
}

// Warm up until the throughput is stable (as checkpoint_bench's warm_up): at least --warmup
// seconds, then until the last three windows' ops/s are within 10 % of each other, at most 4×.
async function warmUp(ops, minSeconds) {
  const window = Math.min(0.5, Math.max(0.1, minSeconds / 6));
  const rates = [];
  const start = process.hrtime.bigint();
  let warmOps = 0;
  for (;;) {
    const r = await phase(ops, window, 1);
    if (r.errors) {
      console.error(`js_driver: warm-up failed: ${r.firstError}`);
      process.exit(1);
    }
    warmOps += r.latencies.length;
    rates.push(r.latencies.length / r.wallS);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const last = rates.slice(-3);
    const stable = seconds >= minSeconds && last.length === 3 && Math.max(...last) <= Math.min(...last) * 1.1;
    if (stable || seconds >= 4 * minSeconds) return { seconds, ops: warmOps, stable };
  }
}

const ops = Array.from({ length: workers }, (_, w) => makeOp(w));
const warm = await warmUp(ops, Number(args.warmup ?? 1));
const serverPid = Number(args["server-pid"] ?? 0);
const cpu0 = process.cpuUsage();
const server0 = serverCpuMs(serverPid);
const r = await phase(ops, Number(args.seconds ?? 3), 5);
const cpu = process.cpuUsage(cpu0);
const server = serverPid ? serverCpuMs(serverPid) - server0 : null;
client.destroy();

const lat = Float64Array.from(r.latencies).sort();
const n = Math.max(1, lat.length);
const record = {
  server: args.server ?? "unknown",
  client: "js",
  workload,
  size,
  state_bytes: stateBytes,
  workers,
  ops: lat.length,
  seconds: r.wallS,
  p50_ms: percentile(lat, 0.5) / 1e3,
  p99_ms: percentile(lat, 0.99) / 1e3,
  mean_ms: lat.reduce((a, b) => a + b, 0) / n / 1e3,
  ops_per_s: lat.length / r.wallS,
  client_cpu_ms_per_op: (cpu.user + cpu.system) / 1e3 / n,
  server_cpu_ms_per_op: server === null ? null : server / n,
  errors: r.errors,
  warmup_s: warm.seconds,
  warmup_ops: warm.ops,
  warmup_stable: warm.stable,
};
if (r.firstError) record.first_error = r.firstError;
appendFileSync(args.out, JSON.stringify(record) + "\n");
process.exit(r.errors ? 1 : 0);
