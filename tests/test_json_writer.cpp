// JSON writer: every JSON charrnn writes goes through dump_json, which never throws on bytes.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "charrnn/util/json_writer.h"

using charrnn::dump_json;

TEST(JsonWriter, InvalidUtf8IsReplacedNotThrown) {
  const nlohmann::json j{{"path", std::string("caf\xe9.txt")}, {"n", 3}};
  EXPECT_THROW(j.dump(), nlohmann::json::type_error);  // what a plain dump() does
  EXPECT_EQ(dump_json(j), "{\"n\":3,\"path\":\"caf\xef\xbf\xbd.txt\"}");
}

TEST(JsonWriter, ValidUtf8AndIndentPassThrough) {
  const nlohmann::json j{{"text", "h\xc3\xa9llo \xe2\x9c\x93"}};
  EXPECT_EQ(dump_json(j), "{\"text\":\"h\xc3\xa9llo \xe2\x9c\x93\"}");  // not \u-escaped
  EXPECT_EQ(dump_json(j, 2), "{\n  \"text\": \"h\xc3\xa9llo \xe2\x9c\x93\"\n}");
}
