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
//   value: address ("-" for a peer that only dials in) " " send prefixes, as
//          `[sync] peer = ID ADDRESS PREFIXES` writes them (PeerConfig, ParsePeerLine)
#pragma once

#include <uv.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "eventstore/event_store.h"
#include "sync/sync_manager.h"

namespace holdfast {

struct PeerView {
  PeerStatus status;
  std::string source;  // "config" or "added"
};

class SyncControl {
 public:
  virtual ~SyncControl() = default;
  virtual Result<std::vector<PeerView>> ListPeers() = 0;
  virtual Status AddPeer(const PeerConfig& peer) = 0;
  virtual Status RemovePeer(const std::string& id) = 0;
  virtual Status SyncNow(const std::string& id) = 0;
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

  Result<std::vector<PeerView>> ListPeers() override;
  // Each checks the change on the loop, writes it here, then applies it on the loop before
  // it returns; one at a time, so the peers running are always the peers stored, and
  // changes take effect in the order they are written. Not on the loop thread (they wait
  // for it).
  Status AddPeer(const PeerConfig& peer) override;
  Status RemovePeer(const std::string& id) override;
  Status SyncNow(const std::string& id) override;

 private:
  void Apply();  // loop thread
  Status RequireSync() const;
  // InvalidArgument when holdfast.conf declares peer `id` (loop thread).
  Status NotInConfig(const std::string& id, const std::string& what_to_do) const;

  EventStore* store_;
  SyncManager* manager_;
  LoopExecutor executor_;
  SideTable table_;
  std::mutex changing_;  // held by an AddPeer or RemovePeer from its check until applied
  std::vector<PeerConfig> config_peers_, added_peers_;
};

// "police-1 127.0.0.1:7402 alert.,breach.,case.opened" -> PeerConfig ("-" address: none).
Result<PeerConfig> ParsePeerLine(const std::string& line);

}  // namespace holdfast
