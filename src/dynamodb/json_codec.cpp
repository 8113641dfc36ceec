#include "dynamodb/json_codec.hpp"

#include "util/base64.hpp"

namespace agents::dynamodb::detail {

void write_string(JsonWriter& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

namespace {

void key(JsonWriter& w, std::string_view k) { w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size())); }

void return_consumed_capacity(JsonWriter& w) {
  key(w, "ReturnConsumedCapacity");
  w.String("TOTAL");
}

void write_set(JsonWriter& w, const std::vector<std::string>& set, bool binary) {
  w.StartArray();
  for (const auto& s : set) binary ? write_string(w, util::base64_encode(s)) : write_string(w, s);
  w.EndArray();
}

void write_names(JsonWriter& w, const std::map<std::string, std::string>& names) {
  if (names.empty()) return;
  key(w, "ExpressionAttributeNames");
  w.StartObject();
  for (const auto& [k, v] : names) {
    key(w, k);
    write_string(w, v);
  }
  w.EndObject();
}

void write_conditions(JsonWriter& w, const WriteConditions& c, bool observed) {
  if (!c.condition.empty()) {
    key(w, "ConditionExpression");
    write_string(w, c.condition);
  }
  write_expression_attributes(w, c.attributes);
  if (c.return_item_on_condition_failure) {
    key(w, "ReturnValuesOnConditionCheckFailure");
    w.String("ALL_OLD");
  }
  if (c.return_consumed_capacity || observed) return_consumed_capacity(w);
}

std::string finish(rapidjson::StringBuffer& buffer) {
  return std::string(buffer.GetString(), buffer.GetSize());
}

void table_and_key(JsonWriter& w, const std::string& table, const char* key_name, const Item& item) {
  key(w, "TableName");
  write_string(w, table);
  key(w, key_name);
  write_item(w, item);
}

}  // namespace

void write_attribute_value(JsonWriter& w, const AttributeValue& v) {
  using T = AttributeValue::Type;
  w.StartObject();
  key(w, type_tag(v.type()));
  switch (v.type()) {
    case T::kNull:
      w.Bool(true);
      break;
    case T::kBool:
      w.Bool(v.boolean());
      break;
    case T::kS:
    case T::kN:
      write_string(w, v.scalar());
      break;
    case T::kB:
      write_string(w, util::base64_encode(v.scalar()));
      break;
    case T::kSS:
    case T::kNS:
      write_set(w, v.set(), false);
      break;
    case T::kBS:
      write_set(w, v.set(), true);
      break;
    case T::kM:
      write_item(w, v.map());
      break;
    case T::kL:
      w.StartArray();
      for (const auto& e : v.list()) write_attribute_value(w, e);
      w.EndArray();
      break;
  }
  w.EndObject();
}

void write_item(JsonWriter& w, const Item& item) {
  w.StartObject();
  for (const auto& [name, value] : item) {
    key(w, name);
    write_attribute_value(w, value);
  }
  w.EndObject();
}

void write_expression_attributes(JsonWriter& w, const ExpressionAttributes& a) {
  write_names(w, a.names);
  if (!a.values.empty()) {
    key(w, "ExpressionAttributeValues");
    write_item(w, a.values);
  }
}

std::string encode_get_item(const GetItemRequest& r, bool observed) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  table_and_key(w, r.table, "Key", r.key);
  if (r.consistent_read) {
    key(w, "ConsistentRead");
    w.Bool(true);
  }
  if (!r.projection.empty()) {
    key(w, "ProjectionExpression");
    write_string(w, r.projection);
  }
  write_names(w, r.names);
  if (r.return_consumed_capacity || observed) return_consumed_capacity(w);
  w.EndObject();
  return finish(buffer);
}

std::string encode_put_item(const PutItemRequest& r, bool observed) {
  rapidjson::StringBuffer buffer(nullptr, item_size(r.item) + 512);
  JsonWriter w(buffer);
  w.StartObject();
  table_and_key(w, r.table, "Item", r.item);
  write_conditions(w, r.conditions, observed);
  w.EndObject();
  return finish(buffer);
}

std::string encode_delete_item(const DeleteItemRequest& r, bool observed) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  table_and_key(w, r.table, "Key", r.key);
  write_conditions(w, r.conditions, observed);
  if (r.return_old_item) {
    key(w, "ReturnValues");
    w.String("ALL_OLD");
  }
  w.EndObject();
  return finish(buffer);
}

std::string encode_update_item(const UpdateItemRequest& r, bool observed) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  table_and_key(w, r.table, "Key", r.key);
  key(w, "UpdateExpression");
  write_string(w, r.update_expression);
  write_conditions(w, r.conditions, observed);
  if (!r.return_values.empty()) {
    key(w, "ReturnValues");
    write_string(w, r.return_values);
  }
  w.EndObject();
  return finish(buffer);
}

std::string encode_transact_write(const TransactWriteRequest& r, bool observed) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  key(w, "TransactItems");
  w.StartArray();
  for (const auto& item : r.items) {
    using K = TransactWriteItem::Kind;
    w.StartObject();
    key(w, item.kind == K::kPut      ? "Put"
           : item.kind == K::kUpdate ? "Update"
           : item.kind == K::kDelete ? "Delete"
                                     : "ConditionCheck");
    w.StartObject();
    table_and_key(w, item.table, item.kind == K::kPut ? "Item" : "Key", item.item);
    if (item.kind == K::kUpdate) {
      key(w, "UpdateExpression");
      write_string(w, item.update_expression);
    }
    if (!item.condition.empty()) {
      key(w, "ConditionExpression");
      write_string(w, item.condition);
    }
    write_expression_attributes(w, item.attributes);
    w.EndObject();
    w.EndObject();
  }
  w.EndArray();
  if (!r.client_request_token.empty()) {
    key(w, "ClientRequestToken");
    write_string(w, r.client_request_token);
  }
  if (r.return_consumed_capacity || observed) return_consumed_capacity(w);
  w.EndObject();
  return finish(buffer);
}

std::string encode_batch_get(const BatchGetRequest& r, std::size_t first, std::size_t count) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  key(w, "RequestItems");
  w.StartObject();
  key(w, r.table);
  w.StartObject();
  key(w, "Keys");
  w.StartArray();
  for (std::size_t i = first; i < first + count; ++i) write_item(w, r.keys[i]);
  w.EndArray();
  if (r.consistent_read) {
    key(w, "ConsistentRead");
    w.Bool(true);
  }
  if (!r.projection.empty()) {
    key(w, "ProjectionExpression");
    write_string(w, r.projection);
  }
  write_names(w, r.names);
  w.EndObject();
  w.EndObject();
  key(w, "ReturnConsumedCapacity");
  w.String("TOTAL");
  w.EndObject();
  return finish(buffer);
}

std::string encode_query(const QueryRequest& r, bool is_scan, bool observed) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  key(w, "TableName");
  write_string(w, r.table);
  auto opt = [&](const char* k, const std::string& v) {
    if (v.empty()) return;
    key(w, k);
    write_string(w, v);
  };
  opt("IndexName", r.index);
  if (!is_scan) opt("KeyConditionExpression", r.key_condition);
  opt("FilterExpression", r.filter);
  opt("ProjectionExpression", r.projection);
  write_expression_attributes(w, r.attributes);
  if (r.consistent_read) {
    key(w, "ConsistentRead");
    w.Bool(true);
  }
  if (r.limit > 0) {
    key(w, "Limit");
    w.Int(r.limit);
  }
  if (!is_scan && !r.scan_forward) {
    key(w, "ScanIndexForward");
    w.Bool(false);
  }
  if (is_scan && r.total_segments > 0) {
    key(w, "Segment");
    w.Int(r.segment);
    key(w, "TotalSegments");
    w.Int(r.total_segments);
  }
  if (r.exclusive_start_key) {
    key(w, "ExclusiveStartKey");
    write_item(w, *r.exclusive_start_key);
  }
  if (r.return_consumed_capacity || observed) return_consumed_capacity(w);
  w.EndObject();
  return finish(buffer);
}

std::string encode_add_replicas(const AddReplicasRequest& r) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  // Fields in the order of the JavaScript SDK's model, which tests/cli/global_tables_test.py
  // compares this request with.
  auto creates = [&](const char* field, const std::vector<std::string>& regions) {
    key(w, field);
    w.StartArray();
    for (const auto& region : regions) {
      w.StartObject();
      key(w, "Create");
      w.StartObject();
      key(w, "RegionName");
      write_string(w, region);
      w.EndObject();
      w.EndObject();
    }
    w.EndArray();
  };
  w.StartObject();
  key(w, "TableName");
  write_string(w, r.table);
  creates("ReplicaUpdates", r.regions);
  if (!r.multi_region_consistency.empty()) {
    key(w, "MultiRegionConsistency");
    write_string(w, r.multi_region_consistency);
  }
  if (!r.witness.empty()) creates("GlobalTableWitnessUpdates", {r.witness});
  w.EndObject();
  return finish(buffer);
}

std::string encode_create_table(const CreateTableRequest& r) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  key(w, "TableName");
  write_string(w, r.table);
  key(w, "AttributeDefinitions");
  w.StartArray();
  auto definition = [&](const KeyAttribute& k) {
    w.StartObject();
    key(w, "AttributeName");
    write_string(w, k.name);
    key(w, "AttributeType");
    write_string(w, k.type);
    w.EndObject();
  };
  definition(r.partition_key);
  if (r.sort_key) definition(*r.sort_key);
  w.EndArray();
  key(w, "KeySchema");
  w.StartArray();
  auto schema = [&](const KeyAttribute& k, const char* type) {
    w.StartObject();
    key(w, "AttributeName");
    write_string(w, k.name);
    key(w, "KeyType");
    w.String(type);
    w.EndObject();
  };
  schema(r.partition_key, "HASH");
  if (r.sort_key) schema(*r.sort_key, "RANGE");
  w.EndArray();
  if (r.read_capacity > 0 || r.write_capacity > 0) {
    key(w, "BillingMode");
    w.String("PROVISIONED");
    key(w, "ProvisionedThroughput");
    w.StartObject();
    key(w, "ReadCapacityUnits");
    w.Int(r.read_capacity);
    key(w, "WriteCapacityUnits");
    w.Int(r.write_capacity);
    w.EndObject();
  } else {
    key(w, "BillingMode");
    w.String("PAY_PER_REQUEST");
  }
  w.EndObject();
  return finish(buffer);
}

simdjson::dom::parser& thread_parser() {
  thread_local simdjson::dom::parser parser;
  return parser;
}

namespace {

bool parse_string_set(simdjson::dom::element e, std::vector<std::string>& out, bool binary,
                      std::string& error) {
  simdjson::dom::array array;
  if (e.get_array().get(array)) {
    error = "a set must be a JSON array";
    return false;
  }
  for (auto member : array) {
    std::string_view s;
    if (member.get_string().get(s)) {
      error = "set members must be strings";
      return false;
    }
    if (binary) {
      std::string bytes;
      if (!util::base64_decode(s, bytes)) {
        error = "invalid base64 in a binary set";
        return false;
      }
      out.push_back(std::move(bytes));
    } else {
      out.emplace_back(s);
    }
  }
  return true;
}

// A long string attribute (a stored state, a segment of messages) is JSON that the checkpointer
// parses next; with simdjson's padding in its spare capacity that parse reads it in place
// instead of copying it first.
std::string padded_copy(std::string_view s) {
  std::string out;
  if (s.size() >= 4096) out.reserve(s.size() + simdjson::SIMDJSON_PADDING);
  out.assign(s);
  return out;
}

}  // namespace

bool parse_attribute_value(simdjson::dom::element element, AttributeValue& out, std::string& error,
                           int depth) {
  if (depth > 64) {
    error = "attribute values nested too deeply";
    return false;
  }
  simdjson::dom::object object;
  if (element.get_object().get(object) || object.size() != 1) {
    error = "an attribute value must be an object with one type tag";
    return false;
  }
  auto field = *object.begin();
  std::string_view tag = field.key;
  simdjson::dom::element value = field.value;
  std::string_view s;
  if (tag == "S" || tag == "N") {
    if (value.get_string().get(s)) {
      error = std::string(tag) + " must hold a string";
      return false;
    }
    out = tag == "S" ? AttributeValue::S(padded_copy(s)) : AttributeValue::N(std::string(s));
  } else if (tag == "B") {
    std::string bytes;
    if (value.get_string().get(s) || !util::base64_decode(s, bytes)) {
      error = "B must hold base64 text";
      return false;
    }
    out = AttributeValue::B(std::move(bytes));
  } else if (tag == "BOOL") {
    bool b;
    if (value.get_bool().get(b)) {
      error = "BOOL must hold true or false";
      return false;
    }
    out = AttributeValue::Bool(b);
  } else if (tag == "NULL") {
    out = AttributeValue::Null();
  } else if (tag == "M") {
    Item map;
    if (!parse_item(value, map, error)) return false;
    out = AttributeValue::M(std::move(map));
  } else if (tag == "L") {
    simdjson::dom::array array;
    if (value.get_array().get(array)) {
      error = "L must hold an array";
      return false;
    }
    AttributeList list;
    list.reserve(array.size());
    for (auto member : array) {
      AttributeValue v;
      if (!parse_attribute_value(member, v, error, depth + 1)) return false;
      list.push_back(std::move(v));
    }
    out = AttributeValue::L(std::move(list));
  } else if (tag == "SS" || tag == "NS" || tag == "BS") {
    std::vector<std::string> set;
    if (!parse_string_set(value, set, tag == "BS", error)) return false;
    out = tag == "SS"   ? AttributeValue::SS(std::move(set))
          : tag == "NS" ? AttributeValue::NS(std::move(set))
                        : AttributeValue::BS(std::move(set));
  } else {
    error = "unknown attribute type tag '" + std::string(tag) + "'";
    return false;
  }
  return true;
}

bool parse_item(simdjson::dom::element element, Item& out, std::string& error) {
  simdjson::dom::object object;
  if (element.get_object().get(object)) {
    error = "an item must be a JSON object";
    return false;
  }
  for (auto field : object) {
    AttributeValue v;
    if (!parse_attribute_value(field.value, v, error)) {
      error = "attribute '" + std::string(field.key) + "': " + error;
      return false;
    }
    out.insert_or_assign(std::string(field.key), std::move(v));
  }
  return true;
}

double parse_consumed_capacity(simdjson::dom::object response) {
  simdjson::dom::element cc;
  if (response["ConsumedCapacity"].get(cc)) return 0;
  double total = 0;
  auto add = [&](simdjson::dom::element e) {
    double units;
    if (!e["CapacityUnits"].get_double().get(units)) total += units;
  };
  if (cc.is_array()) {
    for (auto e : cc.get_array()) add(e);
  } else {
    add(cc);
  }
  return total;
}

bool parse_table_description(simdjson::dom::element e, TableDescription& out) {
  std::string_view s;
  if (e["TableName"].get_string().get(s)) return false;
  out.name = std::string(s);
  if (!e["TableStatus"].get_string().get(s)) out.status = std::string(s);
  if (!e["TableArn"].get_string().get(s)) out.arn = std::string(s);
  out.billing_mode = "PROVISIONED";
  if (!e["BillingModeSummary"]["BillingMode"].get_string().get(s)) out.billing_mode = std::string(s);
  int64_t count;
  if (!e["ItemCount"].get_int64().get(count)) out.item_count = count;
  simdjson::dom::array array;
  if (!e["KeySchema"].get_array().get(array)) {
    for (auto k : array) {
      std::string_view name, type;
      if (!k["AttributeName"].get_string().get(name) && !k["KeyType"].get_string().get(type)) {
        out.key_schema.emplace_back(std::string(name), std::string(type));
      }
    }
  }
  if (!e["AttributeDefinitions"].get_array().get(array)) {
    for (auto k : array) {
      std::string_view name, type;
      if (!k["AttributeName"].get_string().get(name) && !k["AttributeType"].get_string().get(type)) {
        out.attribute_types.emplace_back(std::string(name), std::string(type));
      }
    }
  }
  if (!e["Replicas"].get_array().get(array)) {
    for (auto r : array) {
      if (r["RegionName"].get_string().get(s)) continue;
      out.replica_regions.emplace_back(s);
      TableDescription::RegionStatus replica{.region = std::string(s)};
      if (!r["ReplicaStatus"].get_string().get(s)) replica.status = std::string(s);
      out.replicas.push_back(std::move(replica));
    }
  }
  if (!e["GlobalTableWitnesses"].get_array().get(array)) {
    for (auto w : array) {
      if (w["RegionName"].get_string().get(s)) continue;
      TableDescription::RegionStatus witness{.region = std::string(s)};
      if (!w["WitnessStatus"].get_string().get(s)) witness.status = std::string(s);
      out.witnesses.push_back(std::move(witness));
    }
  }
  if (!e["MultiRegionConsistency"].get_string().get(s)) out.multi_region_consistency = std::string(s);
  return true;
}

}  // namespace agents::dynamodb::detail
