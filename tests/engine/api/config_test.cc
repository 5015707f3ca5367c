#include "brook/config.h"

#include <gtest/gtest.h>

#include <fstream>

namespace brook {
namespace {

StreamsConfig valid() {
  return StreamsConfig{{"application.id", "app"}, {"bootstrap.servers", "localhost:9092"}};
}

TEST(StreamsConfig, AcceptsKafkaStreamsKeysAndLibrdkafkaPassThroughs) {
  StreamsConfig c = valid();
  c.set("processing.guarantee", "exactly_once_v2")
      .set("commit.interval.ms", "250")
      .set("num.stream.threads", "3")
      .set("cache.max.bytes.buffering", "0")
      .set("security.protocol", "plaintext")
      .set("consumer.session.timeout.ms", "6000")
      .set("producer.linger.ms", "5");
  ASSERT_TRUE(c.validate()) << c.validate().message();
  EXPECT_EQ(c.processing_guarantee(), ProcessingGuarantee::kExactlyOnceV2);
  EXPECT_EQ(c.commit_interval_ms(), 250);
  EXPECT_EQ(c.num_stream_threads(), 3);
  auto consumer = c.client_properties(true);
  EXPECT_EQ(consumer["session.timeout.ms"], "6000");
  EXPECT_EQ(consumer["security.protocol"], "plaintext");
  EXPECT_EQ(consumer.count("linger.ms"), 0u);
  EXPECT_EQ(consumer.count("commit.interval.ms"), 0u) << "brook keys stay out of librdkafka";
  EXPECT_EQ(c.client_properties(false)["linger.ms"], "5");
}

TEST(StreamsConfig, StaticMembershipAndShutdownKeys) {
  StreamsConfig c = valid();
  EXPECT_EQ(c.group_instance_id(), "");
  EXPECT_EQ(c.shutdown_timeout_ms(), 25000);
  c.set("group.instance.id", "worker-1.a_b").set("shutdown.timeout.ms", "5000");
  ASSERT_TRUE(c.validate()) << c.validate().message();
  EXPECT_EQ(c.group_instance_id(), "worker-1.a_b");
  EXPECT_EQ(c.shutdown_timeout_ms(), 5000);
  EXPECT_EQ(c.client_properties(true).count("group.instance.id"), 0u)
      << "not every client of the process is a member: the stream threads set their own";
}

TEST(StreamsConfig, UsesKafkaStreamsDefaults) {
  StreamsConfig c = valid();
  EXPECT_EQ(c.commit_interval_ms(), 30000);
  c.set("processing.guarantee", "exactly_once_v2");
  EXPECT_EQ(c.commit_interval_ms(), 100);
  EXPECT_EQ(c.cache_max_bytes_buffering(), 10485760);
  EXPECT_EQ(c.num_stream_threads(), 1);
}

TEST(StreamsConfig, NamesTheKeyOfAnUnknownOrInvalidValue) {
  auto message = [](const std::string& k, const std::string& v) {
    StreamsConfig c = valid();
    c.set(k, v);
    Status s = c.validate();
    EXPECT_FALSE(s) << k << "=" << v;
    return s.message();
  };
  EXPECT_NE(message("processing.guarantee", "twice").find("'processing.guarantee'"),
            std::string::npos);
  EXPECT_NE(message("commit.interval.ms", "-1").find("'commit.interval.ms'"), std::string::npos);
  EXPECT_NE(message("num.stream.threads", "zero").find("'num.stream.threads'"), std::string::npos);
  EXPECT_NE(message("no.such.key", "1").find("'no.such.key'"), std::string::npos);
  EXPECT_NE(message("consumer.no.such", "1").find("'consumer.no.such'"), std::string::npos);
  EXPECT_NE(message("compression.type", "bogus").find("'compression.type'"), std::string::npos);
  EXPECT_NE(message("group.id", "other").find("'group.id'"), std::string::npos);
  EXPECT_NE(message("num.standby.replicas", "-1").find("'num.standby.replicas'"),
            std::string::npos);
  EXPECT_NE(message("group.instance.id", "a b").find("'group.instance.id'"), std::string::npos);
  EXPECT_NE(message("consumer.group.instance.id", "a").find("'consumer.group.instance.id'"),
            std::string::npos)
      << "each thread's id is brook's to set";
  EXPECT_NE(message("shutdown.timeout.ms", "0").find("'shutdown.timeout.ms'"), std::string::npos);
  StreamsConfig missing{{"bootstrap.servers", "x:1"}};
  EXPECT_NE(missing.validate().message().find("'application.id'"), std::string::npos);
}

TEST(StreamsConfig, LoadsPropertiesFilesAndEnvironment) {
  std::string path = ::testing::TempDir() + "/brook-config-test.properties";
  {
    std::ofstream out(path);
    out << "# comment\napplication.id = from-file\n\ncommit.interval.ms=500\n";
  }
  StreamsConfig c;
  ASSERT_TRUE(c.load_properties_file(path));
  EXPECT_EQ(c.application_id(), "from-file");
  std::string a = "BROOK_APPLICATION_ID=from-env", b = "BROOK_CONSUMER_SESSION_TIMEOUT_MS=7000",
              t = "BROOK_TEST_BOOTSTRAP_SERVERS=ignored", o = "PATH=/bin";
  char* env[] = {a.data(), b.data(), t.data(), o.data(), nullptr};
  c.load_environment(env);
  EXPECT_EQ(c.application_id(), "from-env");
  EXPECT_EQ(c.get("consumer.session.timeout.ms"), "7000");
  EXPECT_FALSE(c.contains("test.bootstrap.servers"));
  EXPECT_EQ(c.commit_interval_ms(), 500);
  EXPECT_FALSE(StreamsConfig().load_properties_file("/no/such/file"));
}

}  // namespace
}  // namespace brook
