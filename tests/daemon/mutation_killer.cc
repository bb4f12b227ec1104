#include "tests/daemon/mutation_killer.h"

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace holdfast::test {
namespace {

#if defined(__x86_64__)
constexpr uint32_t kAuditArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr uint32_t kAuditArch = AUDIT_ARCH_AARCH64;
#else
#error "mutation_killer: add this architecture's AUDIT_ARCH"
#endif
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "reads the low half of an argument");

constexpr uint32_t kWritingOpen = O_WRONLY | O_RDWR | O_CREAT | O_TRUNC;

// Calls that change the file system whatever their arguments.
std::vector<uint32_t> AlwaysMutating() {
  std::vector<uint32_t> calls = {SYS_mkdirat,   SYS_renameat,  SYS_renameat2,
                                 SYS_unlinkat,  SYS_linkat,    SYS_copy_file_range,
                                 SYS_ftruncate, SYS_fallocate, SYS_truncate};
#ifdef SYS_mkdir
  calls.insert(calls.end(), {SYS_mkdir, SYS_rmdir, SYS_rename, SYS_unlink, SYS_link, SYS_creat});
#endif
  return calls;
}

// A seccomp filter: stop (for the tracer) at every mutating call, allow everything else.
std::vector<sock_filter> MutationFilter() {
  auto arg_low = [](int i) {
    return static_cast<uint32_t>(offsetof(seccomp_data, args) + sizeof(uint64_t) * i);
  };
  std::vector<sock_filter> f;
  auto stmt = [&](uint16_t code, uint32_t k) { f.push_back(BPF_STMT(code, k)); };
  auto jump = [&](uint16_t code, uint32_t k, uint8_t jt, uint8_t jf) {
    f.push_back(BPF_JUMP(code, k, jt, jf));
  };
  const auto always = AlwaysMutating();
  // Layout: [arch check][nr loaded][one JEQ per always-mutating call][openat? open?]
  //         [ALLOW][openat flags][open flags][TRACE][ALLOW]
  stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch));
  jump(BPF_JMP | BPF_JEQ | BPF_K, kAuditArch, 1, 0);
  stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr));
#ifdef SYS_open
  const size_t opens = 2;
#else
  const size_t opens = 1;
#endif
  // From the instruction after each JEQ: the rest of the JEQs, the open JEQs, ALLOW, the
  // open checks (2 instructions each), then TRACE.
  for (size_t i = 0; i < always.size(); ++i) {
    const size_t to_trace = (always.size() - i - 1) + opens + 1 + 2 * opens;
    jump(BPF_JMP | BPF_JEQ | BPF_K, always[i], static_cast<uint8_t>(to_trace), 0);
  }
  jump(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat, static_cast<uint8_t>(opens - 1 + 1), 0);
#ifdef SYS_open
  jump(BPF_JMP | BPF_JEQ | BPF_K, SYS_open, 1 + 2, 0);
#endif
  stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  // openat(dirfd, path, flags, mode)
  stmt(BPF_LD | BPF_W | BPF_ABS, arg_low(2));
  jump(BPF_JMP | BPF_JSET | BPF_K, kWritingOpen, static_cast<uint8_t>(2 * opens - 2),
       static_cast<uint8_t>(2 * opens - 2 + 1));
#ifdef SYS_open
  // open(path, flags, mode)
  stmt(BPF_LD | BPF_W | BPF_ABS, arg_low(1));
  jump(BPF_JMP | BPF_JSET | BPF_K, kWritingOpen, 0, 1);
#endif
  stmt(BPF_RET | BPF_K, SECCOMP_RET_TRACE);
  stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  return f;
}

[[noreturn]] void ChildFail(const char* what) {
  const std::string line =
      std::string("mutation_killer: ") + what + ": " + std::strerror(errno) + "\n";
  (void)!::write(STDERR_FILENO, line.data(), line.size());
  ::_exit(127);
}

}  // namespace

MutationRun RunKilledAtMutation(const std::vector<std::string>& args, const Env& env, uint64_t nth,
                                milliseconds timeout) {
  char output_path[] = "/tmp/hfd-mutation-XXXXXX";
  const int output_fd = ::mkstemp(output_path);
  if (output_fd < 0) throw std::runtime_error("mkstemp: " + std::string(std::strerror(errno)));
  ::unlink(output_path);

  // Everything the child needs, built before fork.
  const std::vector<sock_filter> filter = MutationFilter();
  const sock_fprog program{static_cast<unsigned short>(filter.size()),
                           const_cast<sock_filter*>(filter.data())};
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> extra;
  for (const auto& [name, value] : env) extra.push_back(name + "=" + value);
  const std::vector<std::string> environment = testing::ChildEnvironment(extra);
  std::vector<char*> envp;
  for (const auto& e : environment) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  const pid_t child = ::fork();
  if (child < 0) throw std::runtime_error("fork: " + std::string(std::strerror(errno)));
  if (child == 0) {
    ::dup2(output_fd, STDOUT_FILENO);
    ::dup2(output_fd, STDERR_FILENO);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::ptrace(PTRACE_TRACEME, 0, nullptr, nullptr) != 0) ChildFail("PTRACE_TRACEME");
    ::raise(SIGSTOP);  // the tracer sets its options
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) ChildFail("PR_SET_NO_NEW_PRIVS");
    if (::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0) ChildFail("seccomp");
    ::execve(argv[0], argv.data(), envp.data());
    ChildFail("execve");
  }

  MutationRun run;
  auto fail = [&](const std::string& what) {
    ::kill(child, SIGKILL);
    while (::waitpid(child, nullptr, __WALL) > 0 || errno == EINTR) {
    }
    ::close(output_fd);
    throw std::runtime_error("mutation_killer: " + what);
  };
  int status = 0;
  if (::waitpid(child, &status, __WALL) != child || !WIFSTOPPED(status))
    fail("the child did not stop for tracing");
  const long options = PTRACE_O_TRACESECCOMP | PTRACE_O_TRACECLONE | PTRACE_O_EXITKILL;
  if (::ptrace(PTRACE_SETOPTIONS, child, nullptr, options) != 0)
    fail("PTRACE_SETOPTIONS: " + std::string(std::strerror(errno)));
  ::ptrace(PTRACE_CONT, child, nullptr, nullptr);

  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (std::chrono::steady_clock::now() > deadline) fail("the child ran past its time limit");
    const pid_t tid = ::waitpid(-1, &status, __WALL);
    if (tid < 0) {
      if (errno == EINTR) continue;
      fail("waitpid: " + std::string(std::strerror(errno)));
    }
    if (WIFEXITED(status) || WIFSIGNALED(status)) {
      if (tid != child) continue;  // one of its threads
      run.exit = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      break;
    }
    if (!WIFSTOPPED(status)) continue;
    const int event = status >> 16;
    int deliver = 0;
    if (event == PTRACE_EVENT_SECCOMP) {
      if (++run.mutations == nth) {
        run.killed = true;
        ::kill(child, SIGKILL);  // the call it is stopped at is never made
        continue;
      }
    } else if (event == 0 && WSTOPSIG(status) != SIGSTOP && WSTOPSIG(status) != SIGTRAP) {
      deliver = WSTOPSIG(status);  // a real signal for the child
    }
    ::ptrace(PTRACE_CONT, tid, nullptr, reinterpret_cast<void*>(static_cast<long>(deliver)));
  }
  ::lseek(output_fd, 0, SEEK_SET);
  char buf[4096];
  for (ssize_t n; (n = ::read(output_fd, buf, sizeof buf)) > 0;)
    run.output.append(buf, static_cast<size_t>(n));
  ::close(output_fd);
  return run;
}

}  // namespace holdfast::test
