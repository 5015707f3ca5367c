#include "engine/runtime/task_manager.h"

#include <gtest/gtest.h>

#include "brook/streams_builder.h"
#include "engine/kafka/group_consumer.h"
#include "engine/runtime/bounded_progress.h"

namespace brook {
namespace {

using S = std::string;

// Where the tasks' sink and changelog records go: kept, to be looked at.
struct Collected final : RecordCollector {
  void send(const OutgoingRecord& r, int32_t partition) override { topics.emplace_back(r.topic); }
  int64_t changelog_end(const TopicPartition&) const override { return end; }
  std::vector<std::string> topics;
  int64_t end = 42;  // where every changelog ends, as acknowledged
};

// A committer that records what it is asked and answers as told.
struct Committer final : TaskManager::Committer {
  explicit Committer(const Collected& c) : collected(c) {}
  Result commit_inputs(const TopicPartitionOffsets& in, const TopicPartitionOffsets& t) override {
    inputs.push_back(in);
    times.push_back(t);
    sent_before_commit.push_back(collected.topics.size());
    return result;
  }
  bool transactional() const override { return false; }
  bool in_transaction() const override { return false; }

  const Collected& collected;
  Result result = Result::kCommitted;
  std::vector<TopicPartitionOffsets> inputs;
  std::vector<TopicPartitionOffsets> times;
  std::vector<size_t> sent_before_commit;
};

// Counts per key of topic "in" into the store "counts" (cached, changelogged)
// and writes the counts to "out"; one task per partition of "in".
class TaskManagerTest : public ::testing::Test {
 protected:
  TaskManagerTest() {
    StreamsBuilder b;
    b.stream<S, S>("in").group_by_key().count(Materialized::as("counts")).to_stream().to("out");
    topology_ = std::make_unique<Topology>(b.build());
    subtopologies_ = topology_->subtopologies();
    options_.application_id = "app";
    options_.in_memory_stores = true;
    char err[256];
    // A client only for its topic handles (what a consumed message points to);
    // it never connects.
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err);
    rk_.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err));
    in_ = rd_kafka_topic_new(rk_.get(), "in", nullptr);
  }
  ~TaskManagerTest() override {
    manager_.close_all(false);
    rd_kafka_topic_destroy(in_);
  }

  std::unique_ptr<StreamTask> task(int partition) {
    auto t = std::make_unique<StreamTask>(TaskId{0, partition}, *topology_, subtopologies_[0],
                                          options_, collected_, nullptr, nullptr, cache_, metrics_);
    t->initialize();
    return t;
  }
  void add(int partition, bool restoring = false, TopicPartitionOffsets times = {}) {
    manager_.add(task(partition), {{TopicPartition{"in", partition}, 0}}, times, restoring);
  }
  void process(int partition, const S& key, int64_t offset) {
    RawRecord raw;
    raw.topic = "in";
    raw.partition = partition;
    raw.offset = offset;
    raw.key = key.data();
    raw.key_size = key.size();
    raw.value = "v";
    raw.value_size = 1;
    manager_.find(TaskId{0, partition})->process(raw);
  }
  // What the consumer says when it reaches the end of "in"-`partition`.
  void at_end(int partition, int64_t offset) {
    rd_kafka_message_t eof{};
    eof.err = RD_KAFKA_RESP_ERR__PARTITION_EOF;
    eof.rkt = in_;
    eof.partition = partition;
    eof.offset = offset;
    manager_.at_end_of_partition(&eof);
  }
  int64_t changelog_offset(int partition) {
    auto offsets = manager_.find(TaskId{0, partition})->checkpointed_offsets();
    auto it = offsets.find(TopicPartition{"app-counts-changelog", partition});
    return it == offsets.end() ? -1 : it->second;
  }

  std::unique_ptr<Topology> topology_;
  std::vector<Topology::Subtopology> subtopologies_;
  TaskOptions options_;
  Collected collected_;
  state::ThreadCache cache_{1 << 20};
  Metrics metrics_;
  kafka::Handle rk_;
  rd_kafka_topic_t* in_ = nullptr;
  TaskManager manager_{0, nullptr};
};

TEST_F(TaskManagerTest, CommitFlushesTheTasksBeforeItCommitsAndRecordsChangelogOffsetsAfter) {
  add(0);
  process(0, "a", 0);
  process(0, "a", 1);
  EXPECT_TRUE(collected_.topics.empty()) << "the cache holds the counts until the commit";
  Committer committer(collected_);
  ASSERT_TRUE(manager_.commit(committer, false));
  ASSERT_EQ(committer.sent_before_commit.size(), 1u);
  EXPECT_EQ(committer.sent_before_commit[0], 2u)
      << "the count's changelog and output records were sent before the commit";
  EXPECT_EQ(changelog_offset(0), 42)
      << "the changelog end the task's collector saw acknowledged, once committed";
  EXPECT_FALSE(manager_.uncommitted());
}

TEST_F(TaskManagerTest, AFailedCommitRecordsNothing) {
  add(0);
  process(0, "a", 0);
  Committer committer(collected_);
  committer.result = TaskManager::Committer::Result::kFailed;
  EXPECT_FALSE(manager_.commit(committer, false));
  EXPECT_EQ(changelog_offset(0), -1) << "no changelog offset recorded for a failed commit";
}

TEST_F(TaskManagerTest, CommitsTheInputPositionsThatMovedOnce) {
  add(0);
  add(1);
  at_end(0, 7);
  Committer committer(collected_);
  ASSERT_TRUE(manager_.commit(committer, false));
  TopicPartitionOffsets expected{{TopicPartition{"in", 0}, 7}};
  EXPECT_EQ(committer.inputs.back(), expected);
  ASSERT_TRUE(manager_.commit(committer, false));
  EXPECT_TRUE(committer.inputs.back().empty()) << "committed already";
}

TEST_F(TaskManagerTest, PositionsTheBrokerRefusedAreCommittedAgainNextTime) {
  add(0);
  at_end(0, 7);
  Committer committer(collected_);
  committer.result = TaskManager::Committer::Result::kOutputsOnly;
  ASSERT_TRUE(manager_.commit(committer, false));
  committer.result = TaskManager::Committer::Result::kCommitted;
  ASSERT_TRUE(manager_.commit(committer, false));
  TopicPartitionOffsets expected{{TopicPartition{"in", 0}, 7}};
  EXPECT_EQ(committer.inputs.back(), expected);
}

TEST_F(TaskManagerTest, RevertingClosesTheRunningTasksAndKeepsThoseRestoring) {
  add(0);
  add(1, /*restoring=*/true);
  EXPECT_EQ(manager_.restoring_count(), 1u);
  std::vector<TopicPartition> inputs;
  std::set<TaskId> closed = manager_.close_running(&inputs);
  EXPECT_EQ(closed, (std::set<TaskId>{TaskId{0, 0}}));
  EXPECT_EQ(inputs, (std::vector<TopicPartition>{{"in", 0}}));
  EXPECT_EQ(manager_.find(TaskId{0, 0}), nullptr);
  ASSERT_NE(manager_.find(TaskId{0, 1}), nullptr);
  EXPECT_EQ(manager_.finish_restoring(*manager_.find(TaskId{0, 1})),
            (std::vector<TopicPartition>{{"in", 1}}));
  EXPECT_EQ(manager_.restoring_count(), 0u);
}

TEST_F(TaskManagerTest, ARestoringTaskIsNeitherFlushedNorCommitted) {
  add(0, /*restoring=*/true);
  Committer committer(collected_);
  ASSERT_TRUE(manager_.commit(committer, false));
  EXPECT_EQ(changelog_offset(0), -1);
}

TEST_F(TaskManagerTest, ATaskStartsAtTheStreamTimeItsInputsWereCommittedWith) {
  add(0, false, {{TopicPartition{"in", 0}, 500}});
  add(1);
  EXPECT_EQ(manager_.find(TaskId{0, 0})->stream_time(), 500);
  EXPECT_EQ(manager_.find(TaskId{0, 1})->stream_time(), -1) << "nothing committed: no time yet";
  process(0, "a", 0);  // a record at time 0: earlier, stream time stays
  EXPECT_EQ(manager_.find(TaskId{0, 0})->stream_time(), 500);
}

TEST(PartitionTime, TravelsInTheOffsetMetadataAndIgnoresOtherMetadata) {
  EXPECT_EQ(decode_partition_time(encode_partition_time(1669907400000)), 1669907400000);
  EXPECT_EQ(decode_partition_time(encode_partition_time(0)), 0);
  EXPECT_EQ(decode_partition_time(""), std::nullopt);
  EXPECT_EQ(decode_partition_time("AQAAAYS1e2Aw"), std::nullopt) << "another application's";
  EXPECT_EQ(decode_partition_time(encode_partition_time(5) + "x"), std::nullopt);
  TopicPartitionOffsets times{{TopicPartition{"in", 1}, 1234}};
  kafka::PartitionList list =
      to_partition_list({{TopicPartition{"in", 0}, 7}, {TopicPartition{"in", 1}, 9}}, &times);
  ASSERT_EQ(list->cnt, 2);
  EXPECT_EQ(list->elems[0].metadata, nullptr) << "no time for in-0";
  ASSERT_NE(list->elems[1].metadata, nullptr);
  EXPECT_EQ(decode_partition_time(std::string_view(
                static_cast<const char*>(list->elems[1].metadata), list->elems[1].metadata_size)),
            1234);
}

TEST_F(TaskManagerTest, ABoundedRunIsPendingUntilEveryPartitionReachedItsTarget) {
  add(0);
  BoundedProgress progress;
  progress.raise_target("in", 0, 5);
  EXPECT_TRUE(manager_.pending(progress));
  at_end(0, 5);
  EXPECT_FALSE(manager_.pending(progress));
}

}  // namespace
}  // namespace brook
