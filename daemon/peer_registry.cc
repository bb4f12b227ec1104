#include "daemon/peer_registry.h"

#include <spdlog/spdlog.h>

#include <sstream>

#include "eventstore/keys.h"
#include "eventstore/validate.h"

namespace holdfast {

LoopExecutor::LoopExecutor(uv_loop_t* loop) {
  uv_async_init(loop, &async_, [](uv_async_t* a) {
    auto* self = static_cast<LoopExecutor*>(a->data);
    std::deque<Task*> tasks;
    {
      std::lock_guard<std::mutex> l(self->mu_);
      tasks.swap(self->queue_);
    }
    for (Task* t : tasks) {
      Status s = t->fn();
      std::lock_guard<std::mutex> l(self->mu_);
      t->result = s;
      t->done = true;
    }
    self->cv_.notify_all();
  });
  async_.data = this;
}

Status LoopExecutor::Run(std::function<Status()> fn) {
  Task task{std::move(fn), Status::Ok(), false};
  std::unique_lock<std::mutex> l(mu_);
  if (closed_) return Status::Unavailable("the node is stopping");
  queue_.push_back(&task);
  uv_async_send(&async_);
  cv_.wait(l, [&] { return task.done; });
  return task.result;
}

void LoopExecutor::Close() {
  std::deque<Task*> orphans;
  {
    std::lock_guard<std::mutex> l(mu_);
    closed_ = true;
    orphans.swap(queue_);
    for (Task* t : orphans) {
      t->result = Status::Unavailable("the node is stopping");
      t->done = true;
    }
  }
  cv_.notify_all();
  uv_close(reinterpret_cast<uv_handle_t*>(&async_), nullptr);
}

Result<PeerConfig> ParsePeerLine(const std::string& line, bool stored) {
  std::istringstream words(line);
  PeerConfig p;
  std::string address, filter;
  words >> p.id >> address;
  std::getline(words, filter);  // the agreement may be written with spaces after commas
  if (!IsIdentifier(p.id)) return Status::InvalidArgument("peer \"" + line + "\": bad node id");
  if (address.empty()) return Status::InvalidArgument("peer \"" + line + "\": no address");
  p.address = address == "-" ? "" : address;
  if (stored) {
    p.send = PeerFilter::Stored(filter);
    return p;
  }
  auto send = PeerFilter::Parse(filter);
  if (!send.ok())
    return Status::InvalidArgument("peer \"" + line + "\": " + send.status().message());
  p.send = *send;
  return p;
}

PeerRegistry::PeerRegistry(uv_loop_t* loop, EventStore* store, SyncManager* manager)
    : store_(store), manager_(manager), executor_(loop), unsent_(store) {
  if (manager_ != nullptr) {
    manager_->SetChangeListener([this] {
      {
        std::lock_guard<std::mutex> l(change_mu_);
        ++changes_;
      }
      change_cv_.notify_all();
    });
  }
}

Status PeerRegistry::NotInConfig(const std::string& id, const std::string& what_to_do) const {
  for (const auto& c : config_peers_) {
    if (c.id == id) {
      return Status::InvalidArgument("peer " + id + " is declared in holdfast.conf; " + what_to_do);
    }
  }
  return Status::Ok();
}

Status PeerRegistry::RequireSync() const {
  if (manager_ != nullptr) return Status::Ok();
  return Status::Unavailable(
      "sync is not configured on this node: set listen, ca, cert and key in the [sync] section "
      "of holdfast.conf (make them with ops/make-ca and ops/make-node-cert), then restart "
      "holdfastd");
}

Status PeerRegistry::Start(const std::vector<std::string>& config_peers) {
  auto table = store_->Table(keys::kPeersFamily);
  if (!table.ok()) return table.status();
  table_ = *table;
  HOLDFAST_RETURN_IF_ERROR(table_.Scan("", [&](std::string_view id, std::string_view rest) {
    auto p = ParsePeerLine(std::string(id) + " " + std::string(rest), /*stored=*/true);
    if (p.ok()) added_peers_.push_back(*p);
    return true;
  }));
  ReloadConfig(config_peers);
  return Status::Ok();
}

void PeerRegistry::ReloadConfig(const std::vector<std::string>& config_peers) {
  config_peers_.clear();
  for (const auto& line : config_peers) {
    auto p = ParsePeerLine(line);  // LoadConfig has checked the lines
    if (p.ok()) config_peers_.push_back(*p);
  }
  Apply();
}

void PeerRegistry::Apply() {
  if (manager_ == nullptr) return;
  std::vector<PeerConfig> all = config_peers_;
  for (const auto& p : added_peers_) {
    bool shadowed = false;
    for (const auto& c : config_peers_) shadowed = shadowed || c.id == p.id;
    if (!shadowed) all.push_back(p);
  }
  WarnOfAgreements(all);
  manager_->SetPeers(all);
}

void PeerRegistry::WarnOfAgreements(const std::vector<PeerConfig>& peers) {
  std::map<std::string, std::string> now;
  for (const auto& p : peers) {
    now[p.id] = p.send.agreement();
    auto it = warned_.find(p.id);
    if (it != warned_.end() && it->second == p.send.agreement()) continue;
    const std::string note = p.send.AlertNote(p.id);
    if (!note.empty()) spdlog::warn("sync: peer {}: {}", p.id, note);
  }
  warned_ = std::move(now);
}

Result<std::vector<PeerView>> PeerRegistry::ListPeers(bool behind_out) {
  std::vector<PeerView> out;
  Status s = executor_.Run([&] {
    std::map<std::string, PeerStatus> live;
    if (manager_ != nullptr) {
      for (const auto& st : manager_->Peers()) live[st.config.id] = st;
    }
    for (const auto& list : {&config_peers_, &added_peers_}) {
      for (const auto& p : *list) {
        if (list == &added_peers_ &&
            std::any_of(config_peers_.begin(), config_peers_.end(),
                        [&](const PeerConfig& c) { return c.id == p.id; })) {
          continue;
        }
        PeerView v;
        v.status = live.count(p.id) ? live[p.id] : PeerStatus{};
        v.status.config = p;
        v.source = list == &config_peers_ ? "config" : "added";
        v.note = p.send.AlertNote(p.id);
        out.push_back(std::move(v));
      }
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  if (behind_out) {  // here, on the caller's thread: it reads the log
    std::vector<PeerStatus*> statuses;
    for (auto& v : out) statuses.push_back(&v.status);
    HOLDFAST_RETURN_IF_ERROR(unsent_.Count(std::move(statuses)));
  }
  return out;
}

Status PeerRegistry::AddPeer(const PeerConfig& peer) {
  HOLDFAST_RETURN_IF_ERROR(RequireSync());
  if (!IsIdentifier(peer.id)) return Status::InvalidArgument("--id: a node id without spaces");
  if (peer.id == store_->node_id()) return Status::InvalidArgument("--id: that is this node");
  std::lock_guard<std::mutex> in_turn(changing_);
  HOLDFAST_RETURN_IF_ERROR(executor_.Run([&] { return NotInConfig(peer.id, "change it there"); }));
  if (peer.send.receives_nothing()) {
    return Status::InvalidArgument("--send: name what the peer may receive: " +
                                   PeerFilter::Choices());
  }
  // Written here, on the caller's pool thread: a synced write may wait on the disk.
  const std::string value =
      (peer.address.empty() ? "-" : peer.address) + " " + peer.send.agreement();
  SideBatch batch;
  batch.Put(table_, peer.id, value);
  HOLDFAST_RETURN_IF_ERROR(store_->Write(batch, /*sync=*/true));
  return executor_.Run([&] {
    added_peers_.erase(std::remove_if(added_peers_.begin(), added_peers_.end(),
                                      [&](const PeerConfig& p) { return p.id == peer.id; }),
                       added_peers_.end());
    added_peers_.push_back(peer);
    Apply();
    return Status::Ok();
  });
}

Status PeerRegistry::RemovePeer(const std::string& id) {
  HOLDFAST_RETURN_IF_ERROR(RequireSync());
  std::lock_guard<std::mutex> in_turn(changing_);
  HOLDFAST_RETURN_IF_ERROR(executor_.Run([&] {
    HOLDFAST_RETURN_IF_ERROR(NotInConfig(id, "remove it there"));
    if (std::none_of(added_peers_.begin(), added_peers_.end(),
                     [&](const PeerConfig& p) { return p.id == id; })) {
      return Status::NotFound("no peer " + id + ": see `holdfast peers list`");
    }
    return Status::Ok();
  }));
  SideBatch batch;
  batch.Delete(table_, id);
  HOLDFAST_RETURN_IF_ERROR(store_->Write(batch, /*sync=*/true));
  return executor_.Run([&] {
    added_peers_.erase(std::remove_if(added_peers_.begin(), added_peers_.end(),
                                      [&](const PeerConfig& p) { return p.id == id; }),
                       added_peers_.end());
    Apply();
    return Status::Ok();
  });
}

Status PeerRegistry::SyncNow(const std::string& id) {
  HOLDFAST_RETURN_IF_ERROR(RequireSync());
  return executor_.Run([&] { return manager_->SyncNow(id); });
}

Result<std::vector<SyncReport>> PeerRegistry::SyncAndReport(const std::string& id,
                                                            std::chrono::milliseconds limit) {
  HOLDFAST_RETURN_IF_ERROR(RequireSync());
  const auto deadline = std::chrono::steady_clock::now() + limit;
  // The peers asked for as they were, and this node's log length, when asked.
  std::map<std::string, PeerStatus> before;
  uint64_t last = 0;
  auto take = [&](std::map<std::string, PeerStatus>* into) {  // on the loop
    into->clear();
    for (auto& p : manager_->Peers()) {
      if (id.empty() || p.config.id == id) into->emplace(p.config.id, std::move(p));
    }
  };
  auto snapshot = [&](std::map<std::string, PeerStatus>* into) {
    return executor_.Run([&] {
      take(into);
      return Status::Ok();
    });
  };
  uint64_t seen = 0;
  {
    std::lock_guard<std::mutex> l(change_mu_);
    seen = changes_;
  }
  // As they were, then the dials, in one turn of the loop: no change falls between them.
  HOLDFAST_RETURN_IF_ERROR(executor_.Run([&] {
    take(&before);
    HOLDFAST_RETURN_IF_ERROR(manager_->SyncNow(id));
    last = store_->LastPosition();
    return Status::Ok();
  }));
  std::map<std::string, SyncReport> done;
  std::map<std::string, PeerStatus> now = before;
  while (true) {
    for (const auto& [peer, st] : now) {
      if (done.count(peer)) continue;
      const PeerStatus& was = before[peer];
      SyncReport r;
      r.peer = peer;
      r.sent = st.events_out - std::min(st.events_out, was.events_out);
      r.received = st.events_in - std::min(st.events_in, was.events_in);
      if (st.connected) {
        // Caught up: this node has pulled all of the peer's log it last heard of, and the
        // peer has pulled this node's log as far as it went when asked.
        if (st.behind_in == 0 && st.served.basis == st.basis && st.served.after >= last) {
          r.reached = r.caught_up = true;
          done[peer] = r;
        }
      } else if (st.config.address.empty()) {
        r.error = "not connected, and this node has no address for it (it dials this node)";
        done[peer] = r;
      } else if (st.links_failed > was.links_failed) {
        r.error = st.links_up > was.links_up || was.connected
                      ? "the link closed before it caught up: " + st.last_error
                      : "could not reach it at " + st.config.address + ": " + st.last_error;
        done[peer] = r;
      }
    }
    if (done.size() == now.size()) break;
    std::unique_lock<std::mutex> l(change_mu_);
    if (!change_cv_.wait_until(l, deadline, [&] { return changes_ != seen; })) break;
    seen = changes_;
    l.unlock();
    HOLDFAST_RETURN_IF_ERROR(snapshot(&now));
  }
  std::vector<SyncReport> out;
  for (const auto& [peer, st] : now) {
    if (done.count(peer)) {
      out.push_back(done[peer]);
      continue;
    }
    const PeerStatus& was = before[peer];
    SyncReport r;
    r.peer = peer;
    r.sent = st.events_out - std::min(st.events_out, was.events_out);
    r.received = st.events_in - std::min(st.events_in, was.events_in);
    r.reached = st.connected;
    if (!r.reached) {
      r.error = "no link within " + std::to_string(limit.count() / 1000) + " s" +
                (st.last_error.empty() ? "" : " (last error: " + st.last_error + ")");
    }
    out.push_back(r);
  }
  if (!id.empty() && out.empty()) {
    return Status::NotFound("no peer " + id + ": see `holdfast peers list`");
  }
  return out;
}

}  // namespace holdfast
