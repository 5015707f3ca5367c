#include "engine/kafka/streams_producer.h"

#include <algorithm>

#include "engine/common/log.h"

namespace brook {

Status StreamsProducer::create(const StreamsConfig& config, const std::string& client_id,
                               const std::string& transactional_id, BoundedProgress* progress,
                               Metrics& metrics, std::unique_ptr<StreamsProducer>* out) {
  // Kafka Streams' producer defaults, overridable by the user's properties.
  std::map<std::string, std::string> props = {
      {"acks", "all"},
      {"partitioner", "murmur2_random"},
      {"client.id", client_id},
  };
  for (const auto& [k, v] : config.client_properties(false)) props[k] = v;
  // Every commit flushes the producer synchronously (and a transaction commit
  // does too): records lingering for as long as a commit interval would all wait
  // for that flush and stall the thread. Linger at most a tenth of the interval
  // (Kafka Streams' 100 ms at the default 30 s), unless the user says otherwise.
  if (!props.count("linger.ms")) {
    props["linger.ms"] =
        std::to_string(std::clamp<int64_t>(config.commit_interval_ms() / 10, 0, 100));
  }
  if (!transactional_id.empty()) {
    props["transactional.id"] = transactional_id;
    // A transaction spans at most a commit interval; keep the broker's timeout
    // short so a dead worker's transaction is aborted soon.
    if (!props.count("transaction.timeout.ms")) props["transaction.timeout.ms"] = "10000";
  }
  kafka::Conf conf;
  Status s = kafka::make_conf(props, &conf);
  if (!s) return s;
  std::unique_ptr<StreamsProducer> producer(new StreamsProducer(client_id, progress, metrics));
  // Delivery reports come as events, served by librdkafka's background thread:
  // the main queue (where they are put) is forwarded to the background queue.
  // Nothing may poll the main queue after that.
  rd_kafka_conf_set_events(conf.get(), RD_KAFKA_EVENT_DR);
  rd_kafka_conf_set_background_event_cb(conf.get(), &StreamsProducer::on_event);
  rd_kafka_conf_set_opaque(conf.get(), producer.get());
  s = kafka::make_client(RD_KAFKA_PRODUCER, std::move(conf), &producer->rk_);
  if (!s) return s;
  rd_kafka_queue_t* main_queue = rd_kafka_queue_get_main(producer->rk_.get());
  rd_kafka_queue_t* background = rd_kafka_queue_get_background(producer->rk_.get());
  rd_kafka_queue_forward(main_queue, background);
  rd_kafka_queue_destroy(background);
  rd_kafka_queue_destroy(main_queue);
  *out = std::move(producer);
  if (!transactional_id.empty()) {
    (*out)->transactional_ = true;
    rd_kafka_error_t* error = rd_kafka_init_transactions((*out)->rk_.get(), 60000);
    if (error) {
      std::string m = std::string("init_transactions for ") + transactional_id + ": " +
                      rd_kafka_error_string(error);
      rd_kafka_error_destroy(error);
      out->reset();
      return Status::error(m);
    }
  }
  return Status::ok();
}

// Calls a transactional API until it succeeds, fails for good, or three tries
// have failed with retriable errors; the error of the last try, or null. Each
// try waits at most kTxnCallTimeoutMs, so a broker that does not answer stalls
// the thread for at most half a minute before the caller recovers.
constexpr int kTxnCallTimeoutMs = 10000;
template <class Call>
static rd_kafka_error_t* retried(Call call) {
  rd_kafka_error_t* error = nullptr;
  for (int attempt = 0; attempt < 3; ++attempt) {
    error = call();
    if (!error || !rd_kafka_error_is_retriable(error)) return error;
    if (attempt < 2) rd_kafka_error_destroy(error);
  }
  return error;
}

namespace {

bool is_authorization_error(rd_kafka_resp_err_t code) {
  return code == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
         code == RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED ||
         code == RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED ||
         code == RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
}

// An error librdkafka gives a record at once that it would give it every time.
bool is_permanent_send_error(rd_kafka_resp_err_t code) {
  return code == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE ||
         code == RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE || code == RD_KAFKA_RESP_ERR__INVALID_ARG ||
         code == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED;
}

}  // namespace

rd_kafka_error_t* StreamsProducer::begin() {
  rd_kafka_error_t* error = rd_kafka_begin_transaction(rk_.get());
  if (!error) {
    in_txn_ = true;
    log::debug("{}: transaction begun", client_id_);
  }
  return error;
}

StreamsProducer::TxnError StreamsProducer::classify(rd_kafka_error_t* error, const char* what,
                                                    std::string* message) {
  *message = std::string(what) + ": " + rd_kafka_error_string(error);
  rd_kafka_resp_err_t code = rd_kafka_error_code(error);
  TxnError result;
  if (code == RD_KAFKA_RESP_ERR__FENCED || code == RD_KAFKA_RESP_ERR_PRODUCER_FENCED) {
    result = TxnError::kFenced;
  } else if (rd_kafka_error_txn_requires_abort(error)) {
    // Authorization errors included: they may be lifted; the caller bounds how
    // long it keeps trying (task.timeout.ms).
    result = TxnError::kAbortable;
  } else if (rd_kafka_error_is_fatal(error)) {
    // Fatal for this producer (its epoch was bumped when the broker timed out
    // its transaction, its state is inconsistent, ...), not for the instance —
    // unless the broker refuses us for good.
    result = is_authorization_error(code) ? TxnError::kFatal : TxnError::kProducerLost;
  } else {
    // Retriable, and still failing after our tries (a broker that does not
    // answer): abort and start over; if even that fails, the caller replaces
    // the producer.
    result = TxnError::kAbortable;
  }
  rd_kafka_error_destroy(error);
  return result;
}

StreamsProducer::TxnError StreamsProducer::commit_transaction(
    rd_kafka_t* consumer, const rd_kafka_topic_partition_list_t* offsets, std::string* message) {
  {
    // A record refused at once never reached the transaction: committing it
    // would commit its input without its output.
    std::lock_guard<std::mutex> lock(mu_);
    if (send_error_ != TxnError::kNone) {
      *message = first_error_;
      return send_error_;
    }
  }
  if (!in_txn_) {
    if (offsets->cnt == 0) return TxnError::kNone;  // nothing consumed, nothing sent
    if (rd_kafka_error_t* error = begin()) return classify(error, "begin_transaction", message);
  }
  if (offsets->cnt > 0) {
    rd_kafka_consumer_group_metadata_t* group = rd_kafka_consumer_group_metadata(consumer);
    rd_kafka_error_t* error = retried([&] {
      return rd_kafka_send_offsets_to_transaction(rk_.get(), offsets, group, kTxnCallTimeoutMs);
    });
    rd_kafka_consumer_group_metadata_destroy(group);
    if (error) return classify(error, "send_offsets_to_transaction", message);
  }
  rd_kafka_error_t* error =
      retried([&] { return rd_kafka_commit_transaction(rk_.get(), kTxnCallTimeoutMs); });
  if (error) return classify(error, "commit_transaction", message);
  in_txn_ = false;
  log::debug("{}: transaction committed", client_id_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    first_error_.clear();  // the commit succeeded: every record was delivered
  }
  publish_progress();
  return TxnError::kNone;
}

StreamsProducer::TxnError StreamsProducer::abort_transaction(std::string* message) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    first_error_.clear();
    send_error_ = TxnError::kNone;
  }
  if (!in_txn_) return TxnError::kNone;
  rd_kafka_error_t* error =
      retried([&] { return rd_kafka_abort_transaction(rk_.get(), kTxnCallTimeoutMs); });
  if (error) return classify(error, "abort_transaction", message);
  in_txn_ = false;
  log::debug("{}: transaction aborted", client_id_);
  return TxnError::kNone;
}

StreamsProducer::~StreamsProducer() {
  if (!rk_) return;
  rd_kafka_flush(rk_.get(), 10000);
  for (auto& [name, t] : topics_) rd_kafka_topic_destroy(t->rkt);
  // Stops the background thread before the state its reports write goes away.
  rk_.reset();
}

void StreamsProducer::note_error(std::string message) {
  if (first_error_.empty()) first_error_ = std::move(message);
}

StreamsProducer::TopicState& StreamsProducer::topic(std::string_view name, TopicRole role) {
  if (last_topic_ && last_topic_->name == name) return *last_topic_;
  auto it = topics_.find(name);
  if (it != topics_.end()) {
    last_topic_ = it->second.get();
    return *last_topic_;
  }
  auto t = std::make_unique<TopicState>();
  t->name = std::string(name);
  t->repartition = role == TopicRole::kRepartition;
  t->track = role != TopicRole::kUser;
  // From the producer's default topic config, which holds the partitioner
  // (murmur2_random, Kafka's): a fresh one would fall back to librdkafka's
  // CRC32 partitioner, and keys would not land where every Java client — and
  // the tables a join reads — put them.
  rd_kafka_topic_conf_t* tconf = rd_kafka_default_topic_conf_dup(rk_.get());
  rd_kafka_topic_conf_set_opaque(tconf, t.get());
  t->rkt = rd_kafka_topic_new(rk_.get(), t->name.c_str(), tconf);
  TopicState& ref = *t;
  topics_.emplace(t->name, std::move(t));
  return ref;
}

void StreamsProducer::prepare(const std::vector<OutputTopic>& topics) {
  for (const OutputTopic& t : topics) topic(t.name, t.role);
}

void StreamsProducer::send(const OutgoingRecord& r, int32_t partition) {
  if (transactional_ && !in_txn_) {
    if (rd_kafka_error_t* error = begin()) {
      std::string message;
      TxnError e = classify(error, "begin_transaction", &message);
      std::lock_guard<std::mutex> lock(mu_);
      note_error(std::move(message));
      if (send_error_ == TxnError::kNone) send_error_ = e;
      return;
    }
  }
  TopicState& t = topic(r.topic);
  rd_kafka_headers_t* headers = nullptr;
  if (r.headers && !r.headers->empty()) {
    headers = rd_kafka_headers_new(r.headers->size());
    for (const auto& [k, v] : *r.headers) {
      rd_kafka_header_add(headers, k.data(), static_cast<ssize_t>(k.size()), v.data(), v.size());
    }
  }
  void* key = r.key ? const_cast<char*>(r.key->data()) : nullptr;
  size_t key_size = r.key ? r.key->size() : 0;
  void* value = r.value ? const_cast<char*>(r.value->data()) : nullptr;
  size_t value_size = r.value ? r.value->size() : 0;
  for (;;) {
    rd_kafka_resp_err_t err =
        rd_kafka_producev(rk_.get(), RD_KAFKA_V_RKT(t.rkt),
                          RD_KAFKA_V_PARTITION(partition >= 0 ? partition : RD_KAFKA_PARTITION_UA),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key, key_size),
                          RD_KAFKA_V_VALUE(value, value_size), RD_KAFKA_V_TIMESTAMP(r.timestamp),
                          RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_END);
    if (!err) break;
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      // Back-pressure: deliveries (on the background thread) make room.
      rd_kafka_flush(rk_.get(), 10);
      continue;
    }
    if (headers) rd_kafka_headers_destroy(headers);
    std::lock_guard<std::mutex> lock(mu_);
    note_error("cannot send a record of " + std::to_string(key_size + value_size) + " bytes to " +
               t.name + ": " + rd_kafka_err2str(err));
    if (transactional_ && send_error_ == TxnError::kNone) {
      send_error_ = is_permanent_send_error(err) ? TxnError::kFatal : TxnError::kAbortable;
    }
    return;
  }
  metrics_.produce_total.fetch_add(1, std::memory_order_relaxed);
}

void StreamsProducer::on_event(rd_kafka_t*, rd_kafka_event_t* event, void* opaque) {
  auto* self = static_cast<StreamsProducer*>(opaque);
  if (rd_kafka_event_type(event) == RD_KAFKA_EVENT_DR) {
    std::lock_guard<std::mutex> lock(self->mu_);
    while (const rd_kafka_message_t* msg = rd_kafka_event_message_next(event)) {
      auto* t = static_cast<TopicState*>(rd_kafka_topic_opaque(msg->rkt));
      if (msg->err) {
        self->note_error("send to " + t->name + "-" + std::to_string(msg->partition) +
                         " failed: " + rd_kafka_err2str(msg->err));
        continue;
      }
      if (!t->track) continue;
      if (static_cast<size_t>(msg->partition) >= t->last_offsets.size()) {
        t->last_offsets.resize(msg->partition + 1, -1);
      }
      int64_t& last = t->last_offsets[msg->partition];
      if (msg->offset > last) last = msg->offset;
      if (t->repartition && self->progress_) t->unpublished = true;
    }
  }
  rd_kafka_event_destroy(event);
}

void StreamsProducer::publish_progress() {
  if (!progress_) return;
  std::vector<std::pair<TopicState*, std::vector<int64_t>>> raised;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [name, t] : topics_) {
      if (!t->unpublished) continue;
      t->unpublished = false;
      raised.emplace_back(t.get(), t->last_offsets);
    }
  }
  for (auto& [t, last] : raised) {
    t->published.resize(last.size(), -1);
    for (size_t p = 0; p < last.size(); ++p) {
      if (last[p] == t->published[p]) continue;
      t->published[p] = last[p];
      progress_->raise_target(t->name, static_cast<int32_t>(p), last[p] + 1);
    }
  }
}

Status StreamsProducer::flush(int timeout_ms) {
  rd_kafka_resp_err_t err = rd_kafka_flush(rk_.get(), timeout_ms);
  publish_progress();
  if (err) {
    return Status::error(std::string("producer flush did not complete: ") + rd_kafka_err2str(err));
  }
  char fatal[512];
  if (rd_kafka_fatal_error(rk_.get(), fatal, sizeof fatal)) {
    return Status::error(std::string("fatal producer error: ") + fatal);
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (!first_error_.empty()) {
    std::string e = std::move(first_error_);
    first_error_.clear();
    return Status::error(e);
  }
  return Status::ok();
}

int64_t StreamsProducer::last_offset(const std::string& topic, int32_t partition) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = topics_.find(topic);
  if (it == topics_.end() || static_cast<size_t>(partition) >= it->second->last_offsets.size()) {
    return -1;
  }
  return it->second->last_offsets[partition];
}

}  // namespace brook
