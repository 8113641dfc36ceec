#!/usr/bin/env bash
# Runs examples/quickstart twice against DynamoDB Local: the second run resumes the first's thread.
set -euo pipefail
cli=$1 quickstart=$2
endpoint=${AGENTS_TEST_DDBLOCAL_ENDPOINT:?start the servers with scripts/local-dynamodb start}
export AWS_ACCESS_KEY_ID=AKIDQUICKSTART AWS_SECRET_ACCESS_KEY=quickstart-secret AWS_EC2_METADATA_DISABLED=true
"$cli" --endpoint "$endpoint" table create >/dev/null 2>&1
"$cli" --endpoint "$endpoint" state delete user-123 >/dev/null 2>&1 || true
first=$("$quickstart" "$endpoint")
second=$("$quickstart" "$endpoint")
echo "first run: $first"
echo "second run: $second"
grep -qi "tea" <<<"$second" || { echo "the second run did not recall the first"; exit 1; }
version=$("$cli" --endpoint "$endpoint" --json state load user-123 | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')
[ "$version" = 2 ] || { echo "expected version 2, got $version"; exit 1; }
echo "1 passed, 0 failed"
