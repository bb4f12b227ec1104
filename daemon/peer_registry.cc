#include "daemon/peer_registry.h"

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

Result<PeerConfig> ParsePeerLine(const std::string& line) {
  std::istringstream words(line);
  PeerConfig p;
  std::string address, filter;
  words >> p.id >> address >> filter;
  if (!IsIdentifier(p.id)) return Status::InvalidArgument("peer \"" + line + "\": bad node id");
  if (address.empty()) return Status::InvalidArgument("peer \"" + line + "\": no address");
  p.address = address == "-" ? "" : address;
  p.send = PeerFilter::Parse(filter);
  return p;
}

PeerRegistry::PeerRegistry(uv_loop_t* loop, EventStore* store, SyncManager* manager)
    : store_(store), manager_(manager), executor_(loop) {}

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
    auto p = ParsePeerLine(std::string(id) + " " + std::string(rest));
    if (p.ok()) added_peers_.push_back(*p);
    return true;
  }));
  ReloadConfig(config_peers);
  return Status::Ok();
}

void PeerRegistry::ReloadConfig(const std::vector<std::string>& config_peers) {
  config_peers_.clear();
  for (const auto& line : config_peers) {
    auto p = ParsePeerLine(line);
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
  manager_->SetPeers(all);
}

Result<std::vector<PeerView>> PeerRegistry::ListPeers() {
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
        out.push_back(std::move(v));
      }
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Status PeerRegistry::AddPeer(const PeerConfig& peer) {
  HOLDFAST_RETURN_IF_ERROR(RequireSync());
  if (!IsIdentifier(peer.id)) return Status::InvalidArgument("--id: a node id without spaces");
  if (peer.id == store_->node_id()) return Status::InvalidArgument("--id: that is this node");
  std::lock_guard<std::mutex> in_turn(changing_);
  HOLDFAST_RETURN_IF_ERROR(executor_.Run([&] { return NotInConfig(peer.id, "change it there"); }));
  // Written here, on the caller's pool thread: a synced write may wait on the disk.
  const std::string value =
      (peer.address.empty() ? "-" : peer.address) + " " + peer.send.ToString();
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

}  // namespace holdfast
