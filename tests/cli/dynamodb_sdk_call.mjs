// The AWS SDK for JavaScript v3 (@aws-sdk/client-dynamodb) sends the UpdateTable call that
// `agents table create --global-regions ... [--witness ...] [--consistency strong]` sends, then a
// DescribeTable, for tests/cli/global_tables_test.py to compare with the CLI at its loopback
// stand-in. The input is built from the DynamoDB API reference (UpdateTable, ReplicationGroupUpdate,
// GlobalTableWitnessGroupUpdate), not from what the CLI sent, so the SDK is an independent witness
// of the request shape:
//   node dynamodb_sdk_call.mjs '{"endpoint": ..., "region": ..., "table": ...,
//                                "update": {"replicas": [...], "witnesses": [...], "consistency": "STRONG"}}'
// "update" may be left out (DescribeTable only). "witnesses" and "consistency" are put in the input
// only when their key is present, so an eventual-consistency call carries no MultiRegionConsistency
// at all (the SDK leaves out undefined members, but serialises an empty list as []).
// Prints {"update": <UpdateTable's TableDescription or null>, "table": <DescribeTable's Table>}
// as parsed by the SDK (timestamps become ISO strings through JSON.stringify).
import { DescribeTableCommand, DynamoDBClient, UpdateTableCommand } from "@aws-sdk/client-dynamodb";

const args = JSON.parse(process.argv[2]);

if (!process.env.AWS_ACCESS_KEY_ID || !process.env.AWS_SECRET_ACCESS_KEY) {
  console.error("dynamodb_sdk_call.mjs: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (fake ones will do)");
  process.exit(2);
}
// Static credentials from the environment the test sets (the same fake ones the CLI gets), so the
// stand-in can check the signature; static, so the SDK never walks its provider chain (profiles,
// instance metadata) on a test machine. maxAttempts 1: a stand-in error must fail fast, not retry.
const client = new DynamoDBClient({
  region: args.region,
  endpoint: args.endpoint,
  maxAttempts: 1,
  credentials: {
    accessKeyId: process.env.AWS_ACCESS_KEY_ID,
    secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY,
    sessionToken: process.env.AWS_SESSION_TOKEN,
  },
});

let update = null;
if (args.update) {
  const input = {
    TableName: args.table,
    ReplicaUpdates: args.update.replicas.map((region) => ({ Create: { RegionName: region } })),
  };
  if ("witnesses" in args.update) {
    input.GlobalTableWitnessUpdates = args.update.witnesses.map((region) => ({ Create: { RegionName: region } }));
  }
  if ("consistency" in args.update) input.MultiRegionConsistency = args.update.consistency;
  update = (await client.send(new UpdateTableCommand(input))).TableDescription ?? null;
}
const described = await client.send(new DescribeTableCommand({ TableName: args.table }));
console.log(JSON.stringify({ update, table: described.Table }));
