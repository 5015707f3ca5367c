// A worker whose assignment includes a store that cannot be opened stops with
// an error naming it — the stores of an assignment open on several threads, and
// a failure on any of them must reach the instance, not hang or crash it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "brook/brook.h"
#include "tests/integration/test_kafka.h"

namespace brook {
namespace {

TEST(StoreOpenIntegration, StopsWithAnErrorNamingAStoreThatCannotOpen) {
  testing::TestKafka kafka;
  std::string in = kafka.unique("store-open-in");
  ASSERT_TRUE(kafka.create_topic(in, 4));
  ASSERT_TRUE(kafka.produce(in, 2, std::string("k"), std::string("v")));

  std::string app = kafka.unique("store-open");
  std::string state_dir =
      (std::filesystem::temp_directory_path() / kafka.unique("brook-store-open")).string();
  // Task 0_2's store path is taken by a file: RocksDB cannot create it.
  std::filesystem::create_directories(state_dir + "/" + app + "/0_2");
  std::ofstream(state_dir + "/" + app + "/0_2/counts") << "not a store";
  // ... in a directory marked as written under this guarantee, so it is not wiped.
  std::ofstream(state_dir + "/" + app + "/0_2/.guarantee") << "at_least_once\n";

  StreamsBuilder builder;
  builder.stream<std::string, std::string>(in).group_by_key().count(Materialized::as("counts"));
  {
    KafkaStreams streams(builder.build(), kafka.bounded_config(app, state_dir));
    Status s = streams.start();
    ASSERT_TRUE(s) << s.message();
    EXPECT_NE(streams.run_until_signal(), 0);
    EXPECT_NE(streams.error().find("task 0_2: state store 'counts'"), std::string::npos)
        << streams.error();
    EXPECT_EQ(streams.state(), KafkaStreams::State::kError);
  }
  std::filesystem::remove_all(state_dir);
}

}  // namespace
}  // namespace brook
