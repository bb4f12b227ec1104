// crash_child: the process crash_test kills. It opens the store in <dir> and appends from
// <threads> threads until it is killed, mixing single events and small batches of every
// event type.
//
//   crash_child <dir> <node-id> <threads> <seed>
//
// Protocol on stdout (a pipe to the parent), one line each:
//   "open"        the store is open (Open returned OK);
//   "<uuid>"      an event whose Append returned OK. The lines of one Append are written
//                 with one write(2) after Append returns, so the parent only ever hears of
//                 an event the store has acknowledged.
// Any failure is printed on stderr and ends the process with a non-zero status, which the
// parent reports (it expects the child to die of SIGKILL and of nothing else).
#include <signal.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "eventstore/event_store.h"
#include "tests/eventstore/test_events.h"

namespace {

using holdfast::Event;
using holdfast::EventStore;
using holdfast::testing::IdOf;
using holdfast::testing::MakeEventOfType;

std::mutex stdout_mu;

void Report(const std::string& lines) {
  std::lock_guard<std::mutex> l(stdout_mu);
  size_t done = 0;
  while (done < lines.size()) {
    ssize_t n = ::write(STDOUT_FILENO, lines.data() + done, lines.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) std::_Exit(4);  // the parent is gone
    done += static_cast<size_t>(n);
  }
}

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "crash_child: %s\n", what.c_str());
  std::_Exit(3);
}

void AppendForever(EventStore* store, unsigned seed, int thread) {
  std::mt19937 rng(seed);
  const auto& types = holdfast::AllEventTypes();
  std::uniform_int_distribution<size_t> pick_type(0, types.size() - 1);
  std::uniform_int_distribution<int> pick_size(1, 4);
  std::uniform_int_distribution<int> pick_case(0, 7);
  for (;;) {
    // About half the appends are single events, the rest batches of 2 to 4.
    const int size = rng() % 2 == 0 ? 1 : pick_size(rng);
    std::vector<Event> batch;
    std::string lines;
    for (int i = 0; i < size; ++i) {
      const std::string case_id =
          "C-" + std::to_string(thread) + "-" + std::to_string(pick_case(rng));
      batch.push_back(MakeEventOfType(types[pick_type(rng)], case_id));
      lines += holdfast::FormatUuid(IdOf(batch.back())) + "\n";
    }
    auto result = store->Append(std::move(batch));
    if (!result.ok()) Fail("append: " + result.status().ToString());
    Report(lines);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: crash_child <dir> <node-id> <threads> <seed>\n");
    return 2;
  }
#ifdef __linux__
  prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive a test that died
#endif
  alarm(60);  // nor run on if the parent forgets to kill it

  holdfast::StoreOptions options;
  options.node_id = argv[2];
  auto store = EventStore::Open(argv[1], options);
  if (!store.ok()) Fail("open: " + store.status().ToString());
  Report("open\n");

  const int threads = std::atoi(argv[3]);
  const unsigned seed = static_cast<unsigned>(std::strtoul(argv[4], nullptr, 10));
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back(AppendForever, store->get(), seed * 31 + t, t);
  }
  for (auto& w : workers) w.join();
  return 0;
}
