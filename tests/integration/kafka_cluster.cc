#include "tests/integration/kafka_cluster.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace brook::testing {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

bool KafkaCluster::start(int brokers, std::string* failure) {
  char out_template[] = "/tmp/brook-kafka-cluster-out.XXXXXX";
  int fd = ::mkstemp(out_template);
  if (fd < 0) throw std::runtime_error("mkstemp failed");
  std::string out_path = out_template;
  script_ = ::fork();
  if (script_ == 0) {
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::setpgid(0, 0);
    std::string n = std::to_string(brokers);
    ::execl(BROOK_KAFKA_SCRIPT, BROOK_KAFKA_SCRIPT, "--brokers", n.c_str(), "--heap", "384m",
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(fd);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(180);
  std::string out;
  while (std::chrono::steady_clock::now() < deadline) {
    out = read_file(out_path);
    if (count_of(out, "kafka.broker.") == static_cast<size_t>(brokers)) break;
    int status = 0;
    if (::waitpid(script_, &status, WNOHANG) == script_) {
      script_ = -1;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ::unlink(out_path.c_str());
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("bootstrap.servers=", 0) == 0) bootstrap_ = line.substr(18);
    if (line.rfind("kafka.dir=", 0) == 0) dir_ = line.substr(10);
    if (line.rfind("kafka.broker.", 0) == 0)
      pids_.push_back(std::stoi(line.substr(line.find('=') + 1)));
  }
  if (bootstrap_.empty() || static_cast<int>(pids_.size()) != brokers) {
    if (script_ > 0) {
      ::kill(-script_, SIGKILL);
      int status = 0;
      ::waitpid(script_, &status, 0);
    }
    script_ = -1;
    bootstrap_.clear();
    dir_.clear();
    pids_.clear();
    *failure = out;
    return false;
  }
  return true;
}

KafkaCluster::KafkaCluster(int brokers) {
  // A cluster that does not come up (seen once in CI: three brokers silent
  // for two minutes on a loaded machine) is started once more, on new ports,
  // before the test fails: what the test is about comes after.
  std::string failure;
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (start(brokers, &failure)) return;
  }
  throw std::runtime_error("scripts/kafka.sh --brokers " + std::to_string(brokers) +
                           " did not start (twice):\n" + failure);
}

KafkaCluster::~KafkaCluster() {
  if (script_ <= 0) return;
  for (int n = 1; n <= brokers(); ++n) resume_broker(n);
  ::kill(script_, SIGTERM);
  int status = 0;
  ::waitpid(script_, &status, 0);
}

pid_t KafkaCluster::pid(int n) const {
  std::string text = read_file(dir_ + "/broker-" + std::to_string(n) + "/pid");
  return text.empty() ? pids_.at(n - 1) : std::stoi(text);
}

std::string KafkaCluster::address(int n) const {
  // The script lists the brokers in order.
  std::istringstream list(bootstrap_);
  std::string one;
  for (int i = 0; i < n && std::getline(list, one, ','); ++i) {
  }
  return one;
}

void KafkaCluster::kill_broker(int n) {
  pid_t p = pid(n);
  ::kill(p, SIGKILL);
  // The broker is the script's grandchild: wait until it is gone.
  for (int i = 0; i < 100 && ::kill(p, 0) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

void KafkaCluster::pause_broker(int n) { ::kill(pid(n), SIGSTOP); }

void KafkaCluster::resume_broker(int n) { ::kill(pid(n), SIGCONT); }

void KafkaCluster::restart_broker(int n) {
  std::string b = dir_ + "/broker-" + std::to_string(n);
  size_t started = count_of(read_file(b + "/broker.log"), "Kafka Server started");
  std::string start = b + "/start";
  if (std::system(start.c_str()) != 0) throw std::runtime_error(start + " failed");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline) {
    if (count_of(read_file(b + "/broker.log"), "Kafka Server started") > started) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  throw std::runtime_error("broker " + std::to_string(n) + " did not restart:\n" +
                           read_file(b + "/broker.log"));
}

}  // namespace brook::testing
