#include "bench/subprocess.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

extern char** environ;

namespace holdfast::bench {
namespace {

// The children alive now, killed on any exit of the benchmark.
std::mutex& LiveMutex() {
  static std::mutex mu;
  return mu;
}
std::set<pid_t>& Live() {
  static auto* pids = new std::set<pid_t>;  // never destroyed: the atexit handler reads it
  return *pids;
}

void KillLiveChildren() {
  // No lock: also called from a signal handler, after which the process ends at once.
  for (pid_t pid : Live()) ::kill(pid, SIGKILL);
}

void OnFatalSignal(int signal) {
  KillLiveChildren();
  ::_exit(128 + signal);
}

void InstallCleanup() {
  static std::once_flag once;
  std::call_once(once, [] {
    std::atexit(KillLiveChildren);
    ::signal(SIGINT, OnFatalSignal);
    ::signal(SIGTERM, OnFatalSignal);
    ::signal(SIGPIPE, SIG_IGN);
  });
}

int MakePipe(int fds[2]) { return ::pipe2(fds, O_CLOEXEC); }

}  // namespace

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

void Die(const std::string& message) {
  std::fprintf(stderr, "holdfast_system_bench: %s\n", message.c_str());
  std::exit(1);
}

Subprocess::Subprocess(const std::vector<std::string>& argv, const SpawnOptions& options) {
  InstallCleanup();
  name_ = argv.at(0).substr(argv[0].rfind('/') + 1);
  for (size_t i = 1; i < argv.size() && i < 3; ++i) name_ += " " + argv[i];

  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "HOLDFAST_", 9) != 0) env.emplace_back(*e);
  }
  env.insert(env.end(), options.env.begin(), options.env.end());
  std::vector<char*> envp, args;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_copy = argv;
  for (auto& a : argv_copy) args.push_back(a.data());
  args.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
  auto redirect = [&](int target, bool piped, int pipe_fds[2], const std::string& file) {
    if (piped) {
      if (MakePipe(pipe_fds) != 0) Die("pipe: " + std::string(std::strerror(errno)));
      posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], target);
    } else {
      posix_spawn_file_actions_addopen(&actions, target, file.empty() ? "/dev/null" : file.c_str(),
                                       O_WRONLY | O_CREAT | O_APPEND, 0644);
    }
  };
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  redirect(1, options.pipe_stdout, out_pipe, options.stdout_file);
  redirect(2, options.pipe_stderr, err_pipe, options.stderr_file);

  std::lock_guard<std::mutex> l(LiveMutex());
  started_ = Clock::now();
  const int rc = posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  for (int fd : {out_pipe[1], err_pipe[1]}) {
    if (fd >= 0) ::close(fd);
  }
  out_fd_ = out_pipe[0];
  err_fd_ = err_pipe[0];
  if (rc != 0) Die("cannot start " + argv[0] + ": " + std::strerror(rc));
  Live().insert(pid_);
}

Subprocess::~Subprocess() {
  if (!reaped_) {
    ::kill(pid_, SIGKILL);
    Wait(10);
  }
  for (int fd : {out_fd_, err_fd_}) {
    if (fd >= 0) ::close(fd);
  }
}

bool Subprocess::FillLine(std::string* line) {
  const size_t newline = out_buffer_.find('\n');
  if (newline == std::string::npos) return false;
  line->assign(out_buffer_, 0, newline);
  out_buffer_.erase(0, newline + 1);
  return true;
}

bool Subprocess::ReadLine(Clock::time_point deadline, std::string* line) {
  if (out_fd_ < 0) Die(name_ + ": stdout is not piped");
  while (!FillLine(line)) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    pollfd p{out_fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(std::max<int64_t>(0, left.count())));
    if (ready <= 0) {
      if (Clock::now() >= deadline) return false;
      continue;
    }
    char buf[4096];
    const ssize_t n = ::read(out_fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    out_buffer_.append(buf, static_cast<size_t>(n));
  }
  return true;
}

bool Subprocess::Drain(Clock::time_point deadline, std::string* out, std::string* err) {
  out->swap(out_buffer_);
  out_buffer_.clear();
  std::vector<pollfd> fds;
  for (int fd : {out_fd_, err_fd_}) {
    if (fd >= 0) fds.push_back({fd, POLLIN, 0});
  }
  while (!fds.empty()) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    if (::poll(fds.data(), fds.size(), static_cast<int>(left.count()) + 1) <= 0) continue;
    for (size_t i = 0; i < fds.size();) {
      if (fds[i].revents == 0) {
        ++i;
        continue;
      }
      char buf[65536];
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        (fds[i].fd == out_fd_ ? out : err)->append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        fds.erase(fds.begin() + static_cast<long>(i));
        continue;
      }
      ++i;
    }
  }
  return true;
}

void Subprocess::Signal(int signal) {
  if (!reaped_) ::kill(pid_, signal);
}

std::optional<int> Subprocess::Wait(double timeout_seconds) {
  if (reaped_) return std::nullopt;
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(timeout_seconds));
  auto pause = std::chrono::microseconds(50);
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exited_ = Clock::now();
      reaped_ = true;
      std::lock_guard<std::mutex> l(LiveMutex());
      Live().erase(pid_);
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return exit_code_;
    }
    if (r < 0 && errno != EINTR) Die("waitpid: " + std::string(std::strerror(errno)));
    if (Clock::now() >= deadline) return std::nullopt;
    // Poll finely at first (a CLI call takes milliseconds), then back off.
    std::this_thread::sleep_for(pause);
    pause = std::min<std::chrono::microseconds>(pause * 2, std::chrono::milliseconds(20));
  }
}

RunResult Run(const std::vector<std::string>& argv, const std::vector<std::string>& env,
              double timeout_seconds) {
  SpawnOptions options;
  options.env = env;
  options.pipe_stdout = true;
  options.pipe_stderr = true;
  Subprocess child(argv, options);
  RunResult result;
  // Read while it runs, so a chatty child never blocks on a full pipe; then reap it.
  const auto deadline = child.started() + std::chrono::duration_cast<Clock::duration>(
                                              std::chrono::duration<double>(timeout_seconds));
  std::optional<int> code;
  if (child.Drain(deadline, &result.out, &result.err)) code = child.Wait(timeout_seconds);
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
