#include "engine/kafka/group_consumer.h"

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "engine/common/log.h"

namespace brook {
namespace {

kafka::PartitionList to_list(const std::vector<TopicPartition>& partitions) {
  kafka::PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
  for (const TopicPartition& tp : partitions) {
    rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition);
  }
  return list;
}

}  // namespace

kafka::PartitionList to_partition_list(const TopicPartitionOffsets& offsets,
                                       const TopicPartitionOffsets* times) {
  kafka::PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
  for (const auto& [tp, offset] : offsets) {
    rd_kafka_topic_partition_t* p =
        rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition);
    p->offset = offset;
    if (!times) continue;
    auto t = times->find(tp);
    if (t == times->end()) continue;
    std::string m = encode_partition_time(t->second);
    // The list frees it with free().
    p->metadata = std::malloc(m.size());
    if (!p->metadata) throw std::bad_alloc();
    std::memcpy(p->metadata, m.data(), m.size());
    p->metadata_size = m.size();
  }
  return list;
}

namespace {
constexpr std::string_view kPartitionTimeTag = "brook.partition-time=";
}

std::string encode_partition_time(int64_t time) {
  return std::string(kPartitionTimeTag) + std::to_string(time);
}

std::optional<int64_t> decode_partition_time(std::string_view metadata) {
  if (!metadata.starts_with(kPartitionTimeTag)) return std::nullopt;
  metadata.remove_prefix(kPartitionTimeTag.size());
  int64_t v = 0;
  auto [end, ec] = std::from_chars(metadata.data(), metadata.data() + metadata.size(), v);
  if (ec != std::errc() || end != metadata.data() + metadata.size() || v < 0) return std::nullopt;
  return v;
}

Status GroupConsumer::create(const std::map<std::string, std::string>& properties,
                             Listener& listener, std::unique_ptr<GroupConsumer>* out) {
  kafka::Conf conf;
  Status s = kafka::make_conf(properties, &conf);
  if (!s) return s;
  auto id = properties.find("client.id");
  std::unique_ptr<GroupConsumer> c(
      new GroupConsumer(id == properties.end() ? "consumer" : id->second, listener));
  if (auto g = properties.find("group.id"); g != properties.end()) c->group_id_ = g->second;
  // Sticky and cooperative: a rebalance moves as few partitions as the
  // balance needs, and only those stop being read meanwhile.
  char errstr[256];
  if (rd_kafka_conf_set(conf.get(), "partition.assignment.strategy", "cooperative-sticky", errstr,
                        sizeof errstr) != RD_KAFKA_CONF_OK) {
    return Status::error(errstr);
  }
  rd_kafka_conf_set_rebalance_cb(conf.get(), &GroupConsumer::rebalance_cb);
  rd_kafka_conf_set_opaque(conf.get(), c.get());
  s = kafka::make_client(RD_KAFKA_CONSUMER, std::move(conf), &c->rk_);
  if (!s) return s;
  // Rebalance callbacks and errors are served by the poll of messages.
  rd_kafka_poll_set_consumer(c->rk_.get());
  c->queue_ = rd_kafka_queue_get_consumer(c->rk_.get());
  *out = std::move(c);
  return Status::ok();
}

GroupConsumer::~GroupConsumer() { close(); }

std::string GroupConsumer::member_id() const {
  char* id = rd_kafka_memberid(rk_.get());
  std::string out = id ? id : "";
  if (id) rd_kafka_mem_free(rk_.get(), id);
  return out;
}

Status GroupConsumer::describe_group(std::chrono::milliseconds timeout,
                                     std::vector<GroupMemberInfo>* members, bool* stable) {
  return brook::describe_group(rk_.get(), group_id_, timeout, members, stable);
}

Status describe_group(rd_kafka_t* rk, const std::string& group_id,
                      std::chrono::milliseconds timeout, std::vector<GroupMemberInfo>* members,
                      bool* stable) {
  members->clear();
  *stable = false;
  std::unique_ptr<rd_kafka_queue_t, void (*)(rd_kafka_queue_t*)> queue(rd_kafka_queue_new(rk),
                                                                       rd_kafka_queue_destroy);
  std::unique_ptr<rd_kafka_AdminOptions_t, void (*)(rd_kafka_AdminOptions_t*)> options(
      rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS),
      rd_kafka_AdminOptions_destroy);
  char errstr[256];
  rd_kafka_AdminOptions_set_request_timeout(options.get(), static_cast<int>(timeout.count()),
                                            errstr, sizeof errstr);
  const char* groups[] = {group_id.c_str()};
  rd_kafka_DescribeConsumerGroups(rk, groups, 1, options.get(), queue.get());
  std::unique_ptr<rd_kafka_event_t, void (*)(rd_kafka_event_t*)> ev(
      rd_kafka_queue_poll(queue.get(), static_cast<int>(timeout.count()) + 1000),
      rd_kafka_event_destroy);
  if (!ev) return Status::error("describing group " + group_id + ": timed out");
  if (rd_kafka_event_error(ev.get())) {
    return Status::error("describing group " + group_id + ": " +
                         rd_kafka_event_error_string(ev.get()));
  }
  const rd_kafka_DescribeConsumerGroups_result_t* result =
      rd_kafka_event_DescribeConsumerGroups_result(ev.get());
  size_t n = 0;
  const rd_kafka_ConsumerGroupDescription_t** descs =
      result ? rd_kafka_DescribeConsumerGroups_result_groups(result, &n) : nullptr;
  if (n != 1) return Status::error("describing group " + group_id + ": no description");
  const rd_kafka_ConsumerGroupDescription_t* d = descs[0];
  if (const rd_kafka_error_t* e = rd_kafka_ConsumerGroupDescription_error(d)) {
    return Status::error("describing group " + group_id + ": " + rd_kafka_error_string(e));
  }
  if (rd_kafka_ConsumerGroupDescription_state(d) != RD_KAFKA_CONSUMER_GROUP_STATE_STABLE) {
    return Status::ok();
  }
  *stable = true;
  for (size_t i = 0; i < rd_kafka_ConsumerGroupDescription_member_count(d); ++i) {
    const rd_kafka_MemberDescription_t* m = rd_kafka_ConsumerGroupDescription_member(d, i);
    GroupMemberInfo info;
    info.member_id = rd_kafka_MemberDescription_consumer_id(m);
    const char* instance = rd_kafka_MemberDescription_group_instance_id(m);
    info.instance_id = instance ? instance : "";
    info.client_id = rd_kafka_MemberDescription_client_id(m);
    const rd_kafka_topic_partition_list_t* parts =
        rd_kafka_MemberAssignment_partitions(rd_kafka_MemberDescription_assignment(m));
    for (int j = 0; parts && j < parts->cnt; ++j) {
      info.partitions.push_back({parts->elems[j].topic, parts->elems[j].partition});
    }
    members->push_back(std::move(info));
  }
  return Status::ok();
}

void GroupConsumer::close() {
  if (closed_ || !rk_) return;
  closed_ = true;
  if (queue_) rd_kafka_queue_destroy(queue_);
  queue_ = nullptr;
  rd_kafka_consumer_close(rk_.get());
}

void GroupConsumer::rebalance_cb(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                                 rd_kafka_topic_partition_list_t* partitions, void* opaque) {
  auto* self = static_cast<GroupConsumer*>(opaque);
  std::vector<TopicPartition> given;
  given.reserve(partitions->cnt);
  for (int i = 0; i < partitions->cnt; ++i) {
    given.push_back({partitions->elems[i].topic, partitions->elems[i].partition});
  }
  try {
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      self->listener_.on_assigned(given);  // assigns once its tasks are ready
      return;
    }
    std::vector<TopicPartition> release = rd_kafka_assignment_lost(rk)
                                              ? self->listener_.on_lost(given)
                                              : self->listener_.on_revoked(given);
    if (rd_kafka_error_t* e = rd_kafka_incremental_unassign(rk, to_list(release).get())) {
      std::string m = rd_kafka_error_string(e);
      rd_kafka_error_destroy(e);
      throw std::runtime_error("cannot let go of the revoked partitions: " + m);
    }
  } catch (const std::exception& e) {
    self->listener_.on_rebalance_failed(e.what());
  }
}

Status GroupConsumer::subscribe(const std::vector<std::string>& topics) {
  kafka::PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(topics.size())));
  for (const std::string& t : topics) {
    rd_kafka_topic_partition_list_add(list.get(), t.c_str(), RD_KAFKA_PARTITION_UA);
  }
  rd_kafka_resp_err_t err = rd_kafka_subscribe(rk_.get(), list.get());
  if (err) return Status::error(std::string("subscribe failed: ") + rd_kafka_err2str(err));
  return Status::ok();
}

void GroupConsumer::unsubscribe() { rd_kafka_unsubscribe(rk_.get()); }

ssize_t GroupConsumer::poll(rd_kafka_message_t** out, size_t max, int timeout_ms) {
  // consume_batch_queue returns only once the batch is full or the timeout has
  // passed: take what is ready without waiting, and block (for one message)
  // only when nothing is.
  ssize_t n = rd_kafka_consume_batch_queue(queue_, 0, out, max);
  if (n == 0 && timeout_ms > 0) n = rd_kafka_consume_batch_queue(queue_, timeout_ms, out, 1);
  return n;
}

size_t GroupConsumer::queued() const { return rd_kafka_queue_length(queue_); }

Status GroupConsumer::assign(const TopicPartitionOffsets& positions) {
  kafka::PartitionList list = to_partition_list(positions);
  if (rd_kafka_error_t* e = rd_kafka_incremental_assign(rk_.get(), list.get())) {
    std::string m = rd_kafka_error_string(e);
    rd_kafka_error_destroy(e);
    return Status::error("cannot take the assigned partitions: " + m);
  }
  return Status::ok();
}

void GroupConsumer::pause(const std::vector<TopicPartition>& partitions) {
  if (partitions.empty()) return;
  rd_kafka_pause_partitions(rk_.get(), to_list(partitions).get());
}

void GroupConsumer::resume(const std::vector<TopicPartition>& partitions) {
  if (partitions.empty()) return;
  rd_kafka_resume_partitions(rk_.get(), to_list(partitions).get());
}

Status GroupConsumer::seek(const TopicPartitionOffsets& positions) {
  kafka::PartitionList list = to_partition_list(positions);
  rd_kafka_error_t* error = rd_kafka_seek_partitions(rk_.get(), list.get(), 30000);
  if (!error) return Status::ok();
  std::string m = std::string("cannot rewind the consumer: ") + rd_kafka_error_string(error);
  rd_kafka_error_destroy(error);
  return Status::error(m);
}

Status GroupConsumer::committed_positions(const std::vector<TopicPartition>& partitions,
                                          std::chrono::milliseconds timeout,
                                          TopicPartitionOffsets* out,
                                          TopicPartitionOffsets* times) {
  kafka::PartitionList list = to_list(partitions);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    for (int i = 0; i < list->cnt; ++i) list->elems[i].offset = RD_KAFKA_OFFSET_INVALID;
    rd_kafka_resp_err_t err = rd_kafka_committed(rk_.get(), list.get(), 10000);
    std::string failure;
    bool again = false;
    if (err) {
      failure = rd_kafka_err2str(err);
      again = kafka::retriable(err);
    }
    for (int i = 0; i < list->cnt && !err; ++i) {
      if (!list->elems[i].err) continue;
      failure = fmt::format("{}-{}: {}", list->elems[i].topic, list->elems[i].partition,
                            rd_kafka_err2str(list->elems[i].err));
      again = kafka::retriable(list->elems[i].err);
      if (!again) break;
    }
    if (failure.empty()) break;
    if (!again || std::chrono::steady_clock::now() >= deadline) {
      return Status::error("cannot read the group's committed offsets (" + failure + ")");
    }
    log::warn("{}: reading committed offsets: {}; asking again", name_, failure);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  out->clear();
  if (times) times->clear();
  for (int i = 0; i < list->cnt; ++i) {
    const auto& p = list->elems[i];
    if (times && p.metadata && p.offset >= 0) {
      std::optional<int64_t> t = decode_partition_time(
          std::string_view(static_cast<const char*>(p.metadata), p.metadata_size));
      if (t) (*times)[TopicPartition{p.topic, p.partition}] = *t;
    }
    int64_t next = p.offset;
    if (next < 0) {
      // No committed offset: the group never read it (auto.offset.reset=earliest).
      int64_t low = 0, high = 0;
      Status s = kafka::watermarks(rk_.get(), p.topic, p.partition, &low, &high,
                                   static_cast<int>(timeout.count()));
      if (!s) return s;
      next = low;
    }
    (*out)[TopicPartition{p.topic, p.partition}] = next;
  }
  return Status::ok();
}

Status GroupConsumer::commit(const TopicPartitionOffsets& offsets,
                             const TopicPartitionOffsets* times) {
  if (offsets.empty()) return Status::ok();
  rd_kafka_resp_err_t err = rd_kafka_commit(rk_.get(), to_partition_list(offsets, times).get(), 0);
  if (err) return Status::error(rd_kafka_err2str(err));
  return Status::ok();
}

}  // namespace brook
