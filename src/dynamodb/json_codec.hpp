// DynamoDB JSON 1.0 bodies: requests are written in one pass with rapidjson's Writer (compact),
// responses parsed with simdjson (see docs/adr/0001-json-library.md).
#pragma once

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <simdjson.h>

#include <string>

#include "agents/dynamodb/client.hpp"

namespace agents::dynamodb::detail {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

void write_string(JsonWriter& w, std::string_view s);
void write_attribute_value(JsonWriter& w, const AttributeValue& value);
void write_item(JsonWriter& w, const Item& item);
void write_expression_attributes(JsonWriter& w, const ExpressionAttributes& attributes);

// `observed`: an observer will read the call's consumed capacity, so ReturnConsumedCapacity=TOTAL
// is asked for whatever the request's `return_consumed_capacity` says.
std::string encode_get_item(const GetItemRequest& r, bool observed = false);
std::string encode_put_item(const PutItemRequest& r, bool observed = false);
std::string encode_delete_item(const DeleteItemRequest& r, bool observed = false);
std::string encode_update_item(const UpdateItemRequest& r, bool observed = false);
std::string encode_transact_write(const TransactWriteRequest& r, bool observed = false);
std::string encode_batch_get(const BatchGetRequest& r, std::size_t first, std::size_t count);
std::string encode_query(const QueryRequest& r, bool is_scan, bool observed = false);
std::string encode_create_table(const CreateTableRequest& r);
std::string encode_add_replicas(const AddReplicasRequest& r);

/// The calling thread's parser (parsers are not thread-safe; reuse keeps their buffers).
simdjson::dom::parser& thread_parser();

/// Each returns false with `error` naming what was wrong.
bool parse_attribute_value(simdjson::dom::element element, AttributeValue& out, std::string& error,
                           int depth = 0);
bool parse_item(simdjson::dom::element element, Item& out, std::string& error);
/// ConsumedCapacity.CapacityUnits (an object, or a list of them), 0 when absent.
double parse_consumed_capacity(simdjson::dom::object response);
bool parse_table_description(simdjson::dom::element element, TableDescription& out);

}  // namespace agents::dynamodb::detail
