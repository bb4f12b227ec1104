// What PeerRegistry answers on a node whose sync is not configured, for tests and fuzz
// targets that drive the request handler without a libuv loop (PeerRegistry needs one to
// run its calls on). Header-only.
#pragma once

#include <string>
#include <vector>

#include "daemon/peer_registry.h"

namespace holdfast::testing {

class SyncNotConfigured : public SyncControl {
 public:
  Result<std::vector<PeerView>> ListPeers(bool = false) override { return std::vector<PeerView>{}; }
  Status AddPeer(const PeerConfig&) override { return Unconfigured(); }
  Status RemovePeer(const std::string&) override { return Unconfigured(); }
  Status SyncNow(const std::string&) override { return Unconfigured(); }
  Result<std::vector<SyncReport>> SyncAndReport(const std::string&,
                                                std::chrono::milliseconds) override {
    return Unconfigured();
  }

 private:
  static Status Unconfigured() { return Status::Unavailable("sync is not configured"); }
};

}  // namespace holdfast::testing
