#include "tests/support/subprocess.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace holdfast::testing {
namespace {

[[noreturn]] void Fail(const std::string& what) { throw std::runtime_error(what); }

std::string ErrnoText(const std::string& what) { return what + ": " + std::strerror(errno); }

// The children alive now, for KillChildrenOnExit.
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

int ExitCodeOf(int wait_status) {
  return WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128 + WTERMSIG(wait_status);
}

std::vector<char*> NullTerminated(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (auto& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

// The child's end of one of its standard streams, and this process's end (-1 if none).
struct Stream {
  int child = -1;
  int parent = -1;
};

Stream OutputStream(const std::string& path) {
  Stream s;
  if (path.empty()) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) Fail(ErrnoText("pipe2"));
    s.parent = fds[0];
    s.child = fds[1];
  } else {
    s.child = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (s.child < 0) Fail(ErrnoText("open " + path));
  }
  return s;
}

Stream InputStream(const std::string& data) {
  Stream s;
  if (data.empty()) {
    s.child = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (s.child < 0) Fail(ErrnoText("open /dev/null"));
  } else {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) Fail(ErrnoText("pipe2"));
    s.child = fds[0];
    s.parent = fds[1];
    ::fcntl(s.parent, F_SETFL, ::fcntl(s.parent, F_GETFL) | O_NONBLOCK);
  }
  return s;
}

// posix_spawn: the child's streams are `io`, SIGPIPE is at its default, nothing is blocked.
int Spawn(pid_t* pid, char* const argv[], char* const envp[], const Stream io[3]) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  for (int fd = 0; fd < 3; ++fd) posix_spawn_file_actions_adddup2(&actions, io[fd].child, fd);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, pipe_default;
  sigemptyset(&none);
  sigemptyset(&pipe_default);
  sigaddset(&pipe_default, SIGPIPE);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &pipe_default);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  const int rc = posix_spawn(pid, argv[0], &actions, &attr, argv, envp);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  return rc;
}

// For a forked child that cannot go on: says why on stderr and exits. Async-signal-safe; a
// failed write is let go, there being nobody else to tell.
[[noreturn]] void ChildFail(const char* message, int code) {
  (void)!::write(2, message, std::strlen(message));
  ::_exit(code);
}

// fork and exec as `uid`: the same child as Spawn's, with only async-signal-safe calls
// after the fork. A child that cannot switch user exits 126, one that cannot exec 127.
int SpawnAs(uid_t uid, pid_t* pid, char* const argv[], char* const envp[], const Stream io[3]) {
  struct passwd* pw = ::getpwuid(uid);
  const gid_t gid = pw != nullptr ? pw->pw_gid : static_cast<gid_t>(uid);
  *pid = ::fork();
  if (*pid < 0) return errno;
  if (*pid > 0) return 0;
  ::signal(SIGPIPE, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int fd = 0; fd < 3; ++fd) ::dup2(io[fd].child, fd);
  if (::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0) {
    ChildFail("subprocess: cannot switch user\n", 126);
  }
  ::execve(argv[0], argv, envp);
  ChildFail("subprocess: exec failed\n", 127);
}

}  // namespace

std::vector<std::string> ChildEnvironment(const std::vector<std::string>& extra) {
  std::set<std::string> replaced;
  for (const auto& e : extra) replaced.insert(e.substr(0, e.find('=')));
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "HOLDFAST_", 9) == 0) continue;
    const char* eq = std::strchr(*e, '=');
    if (eq != nullptr && replaced.count(std::string(*e, static_cast<size_t>(eq - *e)))) continue;
    env.emplace_back(*e);
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

void KillChildrenOnExit() {
  static std::once_flag once;
  std::call_once(once, [] {
    std::atexit(KillLiveChildren);
    ::signal(SIGINT, OnFatalSignal);
    ::signal(SIGTERM, OnFatalSignal);
    ::signal(SIGPIPE, SIG_IGN);
  });
}

Subprocess::Subprocess(const std::vector<std::string>& argv, const SpawnOptions& options) {
  if (argv.empty()) Fail("Subprocess: no program");
  name_ = argv[0].substr(argv[0].rfind('/') + 1);
  for (size_t i = 1; i < argv.size() && i < 3; ++i) name_ += " " + argv[i];

  std::vector<std::string> env = ChildEnvironment(options.env);
  std::vector<std::string> args = argv;
  std::vector<char*> envp = NullTerminated(env), argp = NullTerminated(args);

  Stream io[3];
  int rc = 0;
  try {
    io[0] = InputStream(options.stdin_data);
    io[1] = OutputStream(options.stdout_path);
    io[2] = OutputStream(options.stderr_path);
  } catch (...) {
    for (const Stream& s : io) {
      for (int fd : {s.child, s.parent}) {
        if (fd >= 0) ::close(fd);
      }
    }
    throw;
  }
  {
    std::lock_guard<std::mutex> l(LiveMutex());
    started_ = Clock::now();
    rc = options.as_uid ? SpawnAs(*options.as_uid, &pid_, argp.data(), envp.data(), io)
                        : Spawn(&pid_, argp.data(), envp.data(), io);
    if (rc == 0) Live().insert(pid_);
  }
  for (const Stream& s : io) ::close(s.child);
  in_fd_ = io[0].parent;
  out_fd_ = io[1].parent;
  err_fd_ = io[2].parent;
  stdin_data_ = options.stdin_data;
  if (rc != 0) {
    for (int fd : {in_fd_, out_fd_, err_fd_}) {
      if (fd >= 0) ::close(fd);
    }
    pid_ = -1;
    Fail("cannot start " + argv[0] + ": " + std::strerror(rc));
  }
}

Subprocess::~Subprocess() {
  if (pid_ > 0 && !exit_code_) Kill();
  for (int fd : {in_fd_, out_fd_, err_fd_}) {
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
  while (!FillLine(line)) {
    if (out_fd_ < 0) return false;
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
    if (n <= 0) {
      ::close(out_fd_);
      out_fd_ = -1;
      out_ended_ = true;
      return false;
    }
    out_buffer_.append(buf, static_cast<size_t>(n));
  }
  return true;
}

bool Subprocess::Collect(Clock::time_point deadline, std::string* out, std::string* err) {
  out->append(out_buffer_);
  out_buffer_.clear();
  char buf[65536];
  // A deadline already passed still takes what has arrived: the last pass polls without
  // waiting.
  for (bool last = false; !last;) {
    std::vector<pollfd> fds;
    if (in_fd_ >= 0) fds.push_back({in_fd_, POLLOUT, 0});
    if (out_fd_ >= 0) fds.push_back({out_fd_, POLLIN, 0});
    if (err_fd_ >= 0) fds.push_back({err_fd_, POLLIN, 0});
    if (fds.empty()) return true;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    last = left.count() <= 0;
    if (::poll(fds.data(), fds.size(), last ? 0 : static_cast<int>(left.count()) + 1) <= 0) {
      continue;
    }
    for (const pollfd& p : fds) {
      if (p.revents == 0) continue;
      if (p.fd == in_fd_) {
        const ssize_t n = ::write(in_fd_, stdin_data_.data() + stdin_written_,
                                  stdin_data_.size() - stdin_written_);
        if (n > 0) stdin_written_ += static_cast<size_t>(n);
        if ((n < 0 && errno != EAGAIN && errno != EINTR) || stdin_written_ == stdin_data_.size()) {
          ::close(in_fd_);
          in_fd_ = -1;
        }
        continue;
      }
      const ssize_t n = ::read(p.fd, buf, sizeof buf);
      if (n > 0) {
        (p.fd == out_fd_ ? out : err)->append(buf, static_cast<size_t>(n));
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        int& fd = p.fd == out_fd_ ? out_fd_ : err_fd_;
        if (&fd == &out_fd_) out_ended_ = true;
        ::close(fd);
        fd = -1;
      }
    }
  }
  return in_fd_ < 0 && out_fd_ < 0 && err_fd_ < 0;
}

void Subprocess::Signal(int signal) {
  if (!exit_code_) ::kill(pid_, signal);
}

bool Subprocess::TryReap() {
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == 0) return false;
    if (r < 0) {
      if (errno == EINTR) continue;
      Fail(ErrnoText("waitpid " + name_));
    }
    exited_ = Clock::now();
    exit_code_ = ExitCodeOf(status);
    std::lock_guard<std::mutex> l(LiveMutex());
    Live().erase(pid_);
    return true;
  }
}

bool Subprocess::Running() { return !exit_code_ && !TryReap(); }

std::optional<int> Subprocess::Wait(Clock::time_point deadline) {
  if (exit_code_) return std::nullopt;
  auto pause = std::chrono::microseconds(50);
  for (;;) {
    if (TryReap()) return exit_code_;
    if (Clock::now() >= deadline) return std::nullopt;
    // Poll finely at first (a CLI call takes milliseconds), then back off.
    std::this_thread::sleep_for(pause);
    pause = std::min<std::chrono::microseconds>(pause * 2, std::chrono::milliseconds(20));
  }
}

std::optional<int> Subprocess::Wait(std::chrono::duration<double> timeout) {
  return Wait(Clock::now() + std::chrono::duration_cast<Clock::duration>(timeout));
}

int Subprocess::Kill() {
  if (exit_code_) return *exit_code_;
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  exited_ = Clock::now();
  exit_code_ = ExitCodeOf(status);
  std::lock_guard<std::mutex> l(LiveMutex());
  Live().erase(pid_);
  return *exit_code_;
}

}  // namespace holdfast::testing
