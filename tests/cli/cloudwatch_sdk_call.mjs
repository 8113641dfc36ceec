// The AWS SDK for JavaScript v3 sends the GetMetricData call `agents table metrics` sends, for
// tests/cli/metrics_test.py to compare the two requests at its loopback stand-in. Built from the
// CloudWatch API reference and DynamoDB's metric documentation, not from what the CLI sent:
// node cloudwatch_sdk_call.mjs '{"endpoint": ..., "region": ..., "table": ..., "start": s,
//                                "end": s, "period": s, "replicas": [...]}'
// Credentials come from the environment (AWS_ACCESS_KEY_ID, ...), as for the CLI.
import { CloudWatchClient, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";

const args = JSON.parse(process.argv[2]);
const metric = (id, name, dimensions, stat) => ({
  Id: id,
  MetricStat: {
    Metric: { Namespace: "AWS/DynamoDB", MetricName: name, Dimensions: dimensions },
    Period: args.period,
    Stat: stat,
  },
});
const table = [{ Name: "TableName", Value: args.table }];
const queries = [
  metric("rcu", "ConsumedReadCapacityUnits", table, "Sum"),
  metric("wcu", "ConsumedWriteCapacityUnits", table, "Sum"),
  metric("rthrottle", "ReadThrottleEvents", table, "Sum"),
  metric("wthrottle", "WriteThrottleEvents", table, "Sum"),
];
args.replicas.forEach((region, i) => {
  const dimensions = [...table, { Name: "ReceivingRegion", Value: region }];
  queries.push(metric(`replavg${i}`, "ReplicationLatency", dimensions, "Average"));
  queries.push(metric(`replmax${i}`, "ReplicationLatency", dimensions, "Maximum"));
});

const client = new CloudWatchClient({ region: args.region, endpoint: args.endpoint, maxAttempts: 1 });
const input = {
  MetricDataQueries: queries,
  StartTime: new Date(args.start * 1000),
  EndTime: new Date(args.end * 1000),
  ScanBy: "TimestampAscending",
};
// Every page, as the CLI reads them.
let results = [];
for (let token; ; ) {
  const out = await client.send(new GetMetricDataCommand({ ...input, NextToken: token }));
  results = results.concat(out.MetricDataResults ?? []);
  token = out.NextToken;
  if (!token) break;
}
const points = results.reduce((n, r) => n + (r.Values ?? []).length, 0);
console.log(JSON.stringify({ results: results.length, datapoints: points }));
