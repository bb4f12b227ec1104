// PeerRegistry: the node's peers, from holdfast.conf (`[sync] peer = ...`) and from
// `holdfast peers add` (kept in the store's "peers" column family), applied to the
// SyncManager. The request handler calls it from pool threads. It reads and changes the
// peer lists on the loop thread, where the SyncManager lives, but writes the store on the
// caller's thread: a synced write must not hold the loop (and every client and peer with it)
// while the disk takes its time.
//
// The "peers" family (eventstore/keys.h lists the families) holds one row per added peer:
//
//   key:   the peer's node id
//   value: address ("-" for a peer that only dials in) " " its sharing agreement as given,
//          as `[sync] peer = ID ADDRESS AGREEMENT` writes them (PeerConfig, ParsePeerLine).
//          Rows written before agreements were required read as what they sent then: "*"
//          (or nothing) as `all`, prefixes as they were.
#pragma once

#include <uv.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "eventstore/event_store.h"
#include "sync/sync_manager.h"

namespace holdfast {

struct PeerView {
  PeerStatus status;
  std::string source;  // "config" or "added"
  // A warning about its agreement (PeerFilter::AlertNote), empty when there is none.
  std::string note;
};

// What `sync now` did for one peer.
struct SyncReport {
  std::string peer;
  bool reached = false;             // a link with it is up
  bool caught_up = false;           // and both ways hold what the other had when it was asked
  uint64_t sent = 0, received = 0;  // events, meanwhile
  std::string error;                // why it was not reached
};

class SyncControl {
 public:
  virtual ~SyncControl() = default;
  // `behind_out`: count, per peer, the events still to go to it (reads the log).
  virtual Result<std::vector<PeerView>> ListPeers(bool behind_out = false) = 0;
  virtual Status AddPeer(const PeerConfig& peer) = 0;
  virtual Status RemovePeer(const std::string& id) = 0;
  virtual Status SyncNow(const std::string& id) = 0;
  // `sync now`: links the peers not linked (one, or all when `id` is empty) and waits, at
  // most `limit`, until each is linked and caught up both ways, or failed.
  virtual Result<std::vector<SyncReport>> SyncAndReport(const std::string& id,
                                                        std::chrono::milliseconds limit) = 0;
};

// Runs closures on the loop thread for other threads, and waits for them.
class LoopExecutor {
 public:
  explicit LoopExecutor(uv_loop_t* loop);
  // Runs fn on the loop and returns its status; Unavailable once closed.
  Status Run(std::function<Status()> fn);
  void Close();  // on the loop thread

 private:
  struct Task {
    std::function<Status()> fn;
    Status result;
    bool done = false;
  };
  uv_async_t async_{};
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task*> queue_;
  bool closed_ = false;
};

class PeerRegistry : public SyncControl {
 public:
  // `manager` is null when sync is not configured: every call then says how to set it up.
  PeerRegistry(uv_loop_t* loop, EventStore* store, SyncManager* manager);
  // Reads the added peers and applies them with the config's (loop thread).
  Status Start(const std::vector<std::string>& config_peers);
  // SIGHUP: the config's peers may have changed (loop thread).
  void ReloadConfig(const std::vector<std::string>& config_peers);
  void Close() { executor_.Close(); }

  Result<std::vector<PeerView>> ListPeers(bool behind_out = false) override;
  // Each checks the change on the loop, writes it here, then applies it on the loop before
  // it returns; one at a time, so the peers running are always the peers stored, and
  // changes take effect in the order they are written. Not on the loop thread (they wait
  // for it).
  Status AddPeer(const PeerConfig& peer) override;
  Status RemovePeer(const std::string& id) override;
  // Dials the peers not linked now (a nudge: it does not wait).
  Status SyncNow(const std::string& id) override;
  Result<std::vector<SyncReport>> SyncAndReport(const std::string& id,
                                                std::chrono::milliseconds limit) override;

 private:
  void Apply();  // loop thread
  // Logs a warning for each peer whose agreement keeps alert acknowledgements from it, once
  // per agreement (loop thread).
  void WarnOfAgreements(const std::vector<PeerConfig>& peers);
  Status RequireSync() const;
  // InvalidArgument when holdfast.conf declares peer `id` (loop thread).
  Status NotInConfig(const std::string& id, const std::string& what_to_do) const;

  EventStore* store_;
  SyncManager* manager_;
  LoopExecutor executor_;
  SideTable table_;
  std::mutex changing_;  // held by an AddPeer or RemovePeer from its check until applied
  std::vector<PeerConfig> config_peers_, added_peers_;
  std::map<std::string, std::string> warned_;  // peer -> the agreement last warned of
  UnsentCounter unsent_;
  // Bumped (and waiters woken) whenever the SyncManager says a peer's state changed.
  std::mutex change_mu_;
  std::condition_variable change_cv_;
  uint64_t changes_ = 0;
};

// "police-1 127.0.0.1:7402 police" -> PeerConfig ("-" address: none). A config line must
// name its agreement (PeerFilter::Parse); a `stored` row of the peers family reads as what
// it sent when it was written (see above).
Result<PeerConfig> ParsePeerLine(const std::string& line, bool stored = false);

}  // namespace holdfast
