// Record headers travel from input to output through a topology, over the
// Kafka wire protocol: with and without headers, with empty and null values.
#include <gtest/gtest.h>

#include <filesystem>

#include "brook/brook.h"
#include "tests/integration/test_kafka.h"

namespace brook {
namespace {

using HeaderList = std::vector<std::pair<std::string, std::string>>;
using Text = std::optional<std::string>;

TEST(HeadersIntegration, PassFromInputToOutputRecords) {
  testing::TestKafka kafka;
  std::string in = kafka.unique("headers-in"), out = kafka.unique("headers-out");
  ASSERT_TRUE(kafka.create_topic(in, 1));
  ASSERT_TRUE(kafka.create_topic(out, 1));
  struct Input {
    Text value;
    HeaderList headers;
  };
  std::vector<Input> inputs = {
      {"a", {{"trace", "t1"}, {"empty", ""}}},
      {"b", {}},
      {"", {}},
      {"", {{"only", "header"}}},
      {std::nullopt, {{"on", "tombstone"}}},
      {std::nullopt, {}},
      {std::string(300, 'x'), {{"after", "a long value"}, {"trace", "t2"}}},
  };
  // Once as they come, once in compressed batches (values then point into the
  // decompressed batch).
  for (const char* compression : {"none", "lz4"}) {
    for (const Input& i : inputs) {
      Status s = kafka.produce(in, 0, std::string("k"), i.value, i.headers, compression);
      ASSERT_TRUE(s) << s.message();
    }
  }

  StreamsBuilder builder;
  builder.stream<Text, Text>(in).map_values([](const Text& v) { return v; }).to(out);
  std::string state_dir =
      (std::filesystem::temp_directory_path() / kafka.unique("brook-headers")).string();
  {
    KafkaStreams streams(builder.build(), kafka.bounded_config(kafka.unique("headers"), state_dir));
    Status s = streams.start();
    ASSERT_TRUE(s) << s.message();
    ASSERT_EQ(streams.run_until_signal(), 0) << streams.error();
  }
  std::filesystem::remove_all(state_dir);

  auto records = kafka.read_all(out);
  ASSERT_EQ(records.size(), 2 * inputs.size());
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(records[i].value, inputs[i % inputs.size()].value) << i;
    EXPECT_EQ(records[i].headers, inputs[i % inputs.size()].headers) << i;
  }
}

}  // namespace
}  // namespace brook
