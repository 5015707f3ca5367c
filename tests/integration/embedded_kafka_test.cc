// The local Kafka behaves like a real broker where it matters to timing: its
// connections have Nagle's algorithm off (TCP_NODELAY), as Kafka brokers do.
#include "brook/testing/embedded_kafka.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

namespace brook {
namespace {

// This process's connected (not listening) TCP socket whose local port is
// `port` and whose peer is `peer_port`, or -1.
int accepted_socket(int port, int peer_port) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    int fd = std::atoi(entry.path().filename().c_str());
    sockaddr_in local{}, peer{};
    socklen_t len = sizeof local;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) != 0) continue;
    len = sizeof peer;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) != 0) continue;
    if (local.sin_family == AF_INET && ntohs(local.sin_port) == port &&
        ntohs(peer.sin_port) == peer_port) {
      return fd;
    }
  }
  return -1;
}

TEST(EmbeddedKafka, AcceptsConnectionsWithNagleOff) {
  std::unique_ptr<EmbeddedKafka> kafka;
  Status s = EmbeddedKafka::start(1, &kafka);
  ASSERT_TRUE(s) << s.message();
  const std::string& bootstrap = kafka->bootstrap_servers();
  int port = std::atoi(bootstrap.c_str() + bootstrap.rfind(':') + 1);

  int client = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(client, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  sockaddr_in mine{};
  socklen_t len = sizeof mine;
  ASSERT_EQ(getsockname(client, reinterpret_cast<sockaddr*>(&mine), &len), 0);

  // The local Kafka's thread accepts the connection in this process.
  int server = -1;
  for (int i = 0; i < 500 && server < 0; ++i) {
    server = accepted_socket(port, ntohs(mine.sin_port));
    if (server < 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_GE(server, 0) << "the local Kafka did not accept the connection";
  int nodelay = 0;
  len = sizeof nodelay;
  ASSERT_EQ(getsockopt(server, IPPROTO_TCP, TCP_NODELAY, &nodelay, &len), 0);
  EXPECT_EQ(nodelay, 1);
  close(client);
}

}  // namespace
}  // namespace brook
