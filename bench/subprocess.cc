#include "bench/subprocess.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

namespace holdfast::bench {

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

void Die(const std::string& message) {
  std::fprintf(stderr, "holdfast_system_bench: %s\n", message.c_str());
  std::exit(1);
}

RunResult Run(const std::vector<std::string>& argv, const std::vector<std::string>& env,
              double timeout_seconds) {
  SpawnOptions options;
  options.env = env;
  Subprocess child(argv, options);
  RunResult result;
  // Read while it runs, so a chatty child never blocks on a full pipe; then reap it.
  const auto deadline = child.started() + std::chrono::duration_cast<Clock::duration>(
                                              std::chrono::duration<double>(timeout_seconds));
  std::optional<int> code;
  if (child.Collect(deadline, &result.out, &result.err)) code = child.Wait(deadline);
  if (!code) Die(child.name() + " did not finish within " + std::to_string(timeout_seconds) + " s");
  result.exit_code = *code;
  result.seconds = Seconds(child.exited() - child.started());
  return result;
}

uint64_t PeakResidentBytes(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmHWM:", 0) == 0) return std::strtoull(line.c_str() + 6, nullptr, 10) * 1024;
  }
  return 0;
}

int FreeLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    Die("cannot find a free loopback port: " + std::string(std::strerror(errno)));
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace holdfast::bench
