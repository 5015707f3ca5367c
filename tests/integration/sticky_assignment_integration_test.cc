// The group assignment brook's stream threads live with: librdkafka's
// cooperative-sticky assignor, through GroupConsumer, on the wire. Members of
// one group read one (anchor) topic; some leave, one joins. Checked: a leave
// or join moves only the partitions the balance needs (the others stay where
// they are, read throughout), and the partitions of members that leave go
// where standby placement predicts (standby_placement.h), which is what puts
// a standby where its task will run.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include "engine/kafka/group_consumer.h"
#include "engine/runtime/standby_placement.h"
#include "tests/integration/test_kafka.h"

namespace brook {
namespace {

using S = std::string;
using testing::TestKafka;

// A group member that reads whatever it is given, and keeps what it holds.
class Member final : private GroupConsumer::Listener {
 public:
  Member(const TestKafka& kafka, const S& group, const S& client_id) : client_id_(client_id) {
    Status s =
        GroupConsumer::create({{"bootstrap.servers", kafka.bootstrap_servers()},
                               {"group.id", group},
                               {"client.id", client_id},
                               // The embedded Kafka waits for the
                               // others about this long at each change.
                               {"session.timeout.ms", kafka.is_real_broker() ? "10000" : "3000"},
                               {"heartbeat.interval.ms", "300"}},
                              *this, &consumer_);
    EXPECT_TRUE(s) << s.message();
  }
  Status subscribe(const S& topic) { return consumer_->subscribe({topic}); }
  void poll() {
    rd_kafka_message_t* batch[16];
    ssize_t n = consumer_->poll(batch, 16, 0);
    for (ssize_t i = 0; i < n; ++i) rd_kafka_message_destroy(batch[i]);
  }
  void close() { consumer_->close(); }
  GroupMemberInfo info() const {
    GroupMemberInfo m{consumer_->member_id(), "", client_id_, {}};
    for (const TopicPartition& tp : held_) m.partitions.push_back(tp);
    return m;
  }
  const std::set<TopicPartition>& held() const { return held_; }
  const S& failure() const { return failure_; }

 private:
  void on_assigned(const std::vector<TopicPartition>& added) override {
    TopicPartitionOffsets positions;
    for (const TopicPartition& tp : added) {
      positions[tp] = RD_KAFKA_OFFSET_BEGINNING;
      EXPECT_TRUE(held_.insert(tp).second) << client_id_ << " was given " << tp.str() << " twice";
    }
    Status s = consumer_->assign(positions);
    EXPECT_TRUE(s) << s.message();
  }
  std::vector<TopicPartition> on_revoked(const std::vector<TopicPartition>& revoked) override {
    for (const TopicPartition& tp : revoked) held_.erase(tp);
    return revoked;
  }
  std::vector<TopicPartition> on_lost(const std::vector<TopicPartition>& lost) override {
    return on_revoked(lost);
  }
  void on_rebalance_failed(const std::string& message) override { failure_ = message; }

  S client_id_;
  std::unique_ptr<GroupConsumer> consumer_;
  std::set<TopicPartition> held_;
  S failure_;
};

class StickyAssignment : public ::testing::Test {
 protected:
  static constexpr int kPartitions = 12;

  StickyAssignment() : topic_(kafka_.unique("anchor")), group_(kafka_.unique("sticky-assignment")) {
    Status s = kafka_.create_topic(topic_, kPartitions);
    EXPECT_TRUE(s) << s.message();
  }

  Member& add(const S& process, int thread) {
    auto m = std::make_unique<Member>(kafka_, group_,
                                      process + "-StreamThread-" + std::to_string(thread));
    Status s = m->subscribe(topic_);
    EXPECT_TRUE(s) << s.message();
    return *members_.emplace(m->info().client_id, std::move(m)).first->second;
  }
  // The members `client_ids` leave the group at the same time (as the
  // threads of a process that stops).
  void remove(const std::vector<S>& client_ids) {
    std::vector<std::thread> closing;
    for (const S& id : client_ids)
      closing.emplace_back([m = members_.at(id).get()] { m->close(); });
    for (std::thread& t : closing) t.join();
    for (const S& id : client_ids) members_.erase(id);
  }
  // Polls every member until each holds its share of the partitions (12 / n,
  // or one more) and together they hold all of them, once each.
  bool settle(std::chrono::seconds timeout = std::chrono::seconds(60)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      for (auto& [id, m] : members_) m->poll();
      size_t fewest = kPartitions / members_.size();
      std::set<TopicPartition> all;
      size_t held = 0;
      bool balanced = true;
      for (const auto& [id, m] : members_) {
        EXPECT_EQ(m->failure(), "") << id;
        held += m->held().size();
        all.insert(m->held().begin(), m->held().end());
        balanced = balanced && m->held().size() >= fewest && m->held().size() <= fewest + 1;
      }
      if (balanced && held == kPartitions && all.size() == kPartitions) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }
  std::vector<GroupMemberInfo> group() const {
    std::vector<GroupMemberInfo> out;
    for (const auto& [id, m] : members_) out.push_back(m->info());
    return out;
  }
  // Partition -> the client id holding it.
  std::map<int, S> owners() const {
    std::map<int, S> out;
    for (const auto& [id, m] : members_) {
      for (const TopicPartition& tp : m->held()) out[tp.partition] = id;
    }
    return out;
  }
  // How many partitions of members still in the group changed hands.
  int moved(const std::map<int, S>& before, const std::map<int, S>& after) const {
    int n = 0;
    for (const auto& [p, owner] : after) {
      auto b = before.find(p);
      n += b != before.end() && members_.count(b->second) && b->second != owner;
    }
    return n;
  }

  TestKafka kafka_;
  S topic_, group_;
  std::map<S, std::unique_ptr<Member>> members_;  // by client id
};

TEST_F(StickyAssignment, LeavesAndJoinsMoveOnlyWhatTheBalanceNeedsWherePredicted) {
  // Five members of four processes (c has two threads): 3, 3, 2, 2, 2.
  add("a", 1);
  add("b", 1);
  add("c", 1);
  add("c", 2);
  add("d", 1);
  ASSERT_TRUE(settle());

  // Process c leaves: its 4 partitions go where after_leaving() says, and
  // nothing else moves.
  std::vector<GroupMemberInfo> members = group();
  std::map<S, std::set<int>> predicted = after_leaving(members, topic_, {"c"});
  std::map<S, S> client_of;
  for (const GroupMemberInfo& m : members) client_of[m.member_id] = m.client_id;
  std::map<int, S> before = owners();
  remove({"c-StreamThread-1", "c-StreamThread-2"});
  ASSERT_TRUE(settle());
  std::map<int, S> after = owners();
  for (const auto& [member, partitions] : predicted) {
    const S& client = client_of.at(member);
    if (client.starts_with("c-")) continue;
    std::set<int> held;
    for (const TopicPartition& tp : members_.at(client)->held()) held.insert(tp.partition);
    EXPECT_EQ(held, partitions) << client << " holds other partitions than predicted";
  }
  EXPECT_EQ(moved(before, after), 0) << "a partition of a member that stayed moved";

  // A member joins three (4 each): it gets 3, taken from the others; nothing
  // else moves.
  before = after;
  add("e", 1);
  ASSERT_TRUE(settle());
  after = owners();
  EXPECT_EQ(members_.at("e-StreamThread-1")->held().size(), 3u);
  EXPECT_EQ(moved(before, after), 3) << "more partitions moved than the balance needs";

  // The standby of each task, placed by that prediction, is where the task
  // goes when its owner's process leaves: here, the one whose process is b.
  members = group();
  std::map<S, std::set<TaskId>> standbys;
  for (const GroupMemberInfo& m : members) {
    standbys[m.client_id] = standby_tasks(members, m.member_id, 1, topic_, {kPartitions});
  }
  std::set<int> of_b;
  for (const TopicPartition& tp : members_.at("b-StreamThread-1")->held()) {
    of_b.insert(tp.partition);
  }
  remove({"b-StreamThread-1"});
  ASSERT_TRUE(settle());
  for (const auto& [client, m] : members_) {
    for (const TopicPartition& tp : m->held()) {
      if (!of_b.count(tp.partition)) continue;
      EXPECT_TRUE(standbys[client].count(TaskId{0, tp.partition}))
          << "task 0_" << tp.partition << " went to " << client << ", its standby was elsewhere";
    }
  }
}

}  // namespace
}  // namespace brook
