// A task's stream time survives a restart: it travels with the committed input
// offsets (their metadata, as Kafka Streams' partition time), so a record that
// was late for a window before the restart is dropped after it too — under
// both guarantees.
#include <gtest/gtest.h>

#include <filesystem>

#include "brook/brook.h"
#include "tests/integration/test_kafka.h"

namespace brook {
namespace {

using S = std::string;
using namespace std::chrono_literals;

class StreamTimeIntegration : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    kafka_ = std::make_unique<testing::TestKafka>();
    in_ = kafka_->unique("st-in");
    out_ = kafka_->unique("st-out");
    app_ = kafka_->unique("st");
    state_dir_ = (std::filesystem::temp_directory_path() / kafka_->unique("brook-st")).string();
    ASSERT_TRUE(kafka_->create_topic(in_, 1));
    ASSERT_TRUE(kafka_->create_topic(out_, 1));
  }
  void TearDown() override { std::filesystem::remove_all(state_dir_); }

  // Counts per key over 10 s windows, no grace; returns the run's drops.
  int64_t run() {
    StreamsBuilder b;
    b.stream<S, S>(in_)
        .group_by_key()
        .windowed_by(TimeWindows::of_size_with_no_grace(10s))
        .count(Materialized::as("counts"))
        .to(out_);
    StreamsConfig config = kafka_->bounded_config(app_, state_dir_);
    config.set("processing.guarantee", GetParam());
    KafkaStreams streams(b.build(), config);
    Status s = streams.start();
    EXPECT_TRUE(s) << s.message();
    EXPECT_EQ(streams.run_until_signal(), 0) << streams.error();
    return streams.metrics()["dropped-records-total"];
  }
  void produce(const S& key, int64_t timestamp_ms) {
    ASSERT_TRUE(kafka_->produce_at(in_, 0, key, "x", timestamp_ms));
  }

  std::unique_ptr<testing::TestKafka> kafka_;
  S in_, out_, app_, state_dir_;
};

TEST_P(StreamTimeIntegration, ARecordLateBeforeARestartIsLateAfterIt) {
  const int64_t t0 = 1669907850000;  // a window's start (10 s aligned)
  produce("a", t0 + 1000);
  produce("a", t0 + 25000);  // stream time: windows before t0 + 20 s have closed
  EXPECT_EQ(run(), 0);
  // The restarted task has processed nothing yet; its stream time comes from
  // the committed offset's metadata.
  produce("b", t0 + 5000);  // for [t0, t0 + 10 s): closed
  EXPECT_EQ(run(), 1) << "the late record counted after the restart";
  // The window store was wiped (a new machine): the time still holds.
  std::filesystem::remove_all(state_dir_);
  produce("c", t0 + 6000);
  EXPECT_EQ(run(), 1);
}

INSTANTIATE_TEST_SUITE_P(Guarantees, StreamTimeIntegration,
                         ::testing::Values("at_least_once", "exactly_once_v2"));

}  // namespace
}  // namespace brook
