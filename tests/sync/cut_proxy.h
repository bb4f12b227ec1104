// CutProxy: a TCP relay on loopback, in a thread of the test, between a node that dials and
// the node it dials. It passes bytes both ways untouched, and can cut one connection after
// exactly N bytes (both directions counted together), the way a flaky link drops mid-stream:
// mid-handshake, mid-frame, between frames; or partition the link, cutting every
// connection and refusing new ones until it heals.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace holdfast::synctest {

class CutProxy {
 public:
  // Relays each connection accepted on a free loopback port to 127.0.0.1:target_port.
  explicit CutProxy(int target_port);
  ~CutProxy();
  CutProxy(const CutProxy&) = delete;
  CutProxy& operator=(const CutProxy&) = delete;

  int port() const { return port_; }
  // The next connection accepted is cut after `bytes` bytes; the ones after it pass whole.
  void CutNextAfter(uint64_t bytes);
  // Closes every connection open now (both sides at once).
  void DropAll();
  // While on, connections are accepted (and made to the target) but no bytes pass either
  // way: a dial stays in flight, its TLS handshake unfinished, until Hold(false).
  void Hold(bool on);
  // While on, the link is down: every connection open when it begins is closed (both sides
  // at once), and each new one is closed as soon as it is accepted, before a byte passes.
  // Partition(false) heals it: connections are relayed again.
  void Partition(bool on);

  struct Stats {
    int accepted = 0;
    int cut = 0;                  // connections cut at their byte limit
    uint64_t last_cut_total = 0;  // bytes the last cut connection had moved
    int refused = 0;              // connections closed at once during a partition
  };
  Stats stats();

 private:
  struct Pair {
    int a = -1, b = -1;  // the dialer's side, the target's side
    std::optional<uint64_t> limit;
    uint64_t moved = 0;
  };
  void Loop();
  void Wake();
  void ClosePair(Pair* p);

  int target_port_;
  int port_ = 0;
  int listener_ = -1;
  int wake_[2] = {-1, -1};
  std::thread thread_;
  std::mutex mu_;
  bool stop_ = false;
  bool drop_all_ = false;
  bool hold_ = false;
  bool partitioned_ = false;
  std::optional<uint64_t> next_limit_;
  Stats stats_;
  std::vector<Pair> pairs_;  // the relay thread's own
};

}  // namespace holdfast::synctest
