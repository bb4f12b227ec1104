#include "sync/sync_manager.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <random>

namespace holdfast {
namespace {

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool SplitAddress(const std::string& address, std::string* host, int* port) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  *host = address.substr(0, colon);
  try {
    *port = std::stoi(address.substr(colon + 1));
  } catch (...) {
    return false;
  }
  return *port >= 0 && *port <= 65535;
}

struct DialRequest {
  uv_connect_t req;
  SyncManager* manager;
  PeerLink* link;
  std::string peer;
};

}  // namespace

SyncManager::SyncManager(uv_loop_t* loop, EventStore* store, std::unique_ptr<TlsContext> tls,
                         std::function<void()> on_inserted)
    : loop_(loop), store_(store), tls_(std::move(tls)), on_inserted_(std::move(on_inserted)) {
  uv_async_init(loop_, &append_async_, [](uv_async_t* a) {
    auto* self = static_cast<SyncManager*>(a->data);
    for (PeerLink* link : self->links_) link->NotifyAppend();
  });
  append_async_.data = this;
  ++open_handles_;
  uv_timer_init(loop_, &sweep_);
  sweep_.data = this;
  ++open_handles_;
  uv_timer_start(
      &sweep_, [](uv_timer_t* t) { static_cast<SyncManager*>(t->data)->SweepHandshakes(); }, 1000,
      1000);
  uv_unref(reinterpret_cast<uv_handle_t*>(&sweep_));  // it alone does not keep the loop up
  certificates_checked_ms_ = uv_now(loop_);           // the daemon logs them as it starts
}

SyncManager::~SyncManager() = default;

holdfast::Status SyncManager::Listen(const std::string& address) {
  std::string host;
  int port = 0;
  if (!SplitAddress(address, &host, &port)) {
    return Status::InvalidArgument("sync.listen: expected HOST:PORT, got \"" + address + "\"");
  }
  sockaddr_storage addr{};
  if (uv_ip4_addr(host.c_str(), port, reinterpret_cast<sockaddr_in*>(&addr)) != 0 &&
      uv_ip6_addr(host.c_str(), port, reinterpret_cast<sockaddr_in6*>(&addr)) != 0) {
    return Status::InvalidArgument("sync.listen: \"" + host + "\" is not an IP address");
  }
  uv_tcp_init(loop_, &listener_);
  listener_.data = this;
  ++open_handles_;
  int rc = uv_tcp_bind(&listener_, reinterpret_cast<sockaddr*>(&addr), 0);
  if (rc == 0) {
    rc = uv_listen(reinterpret_cast<uv_stream_t*>(&listener_), 64,
                   [](uv_stream_t* server, int status) {
                     auto* self = static_cast<SyncManager*>(server->data);
                     if (status < 0 || self->stopping_) return;
                     auto* link = new PeerLink(self, self->Node(), /*outbound=*/false, "");
                     if (uv_accept(server, reinterpret_cast<uv_stream_t*>(link->tcp())) != 0) {
                       link->Close("accept failed");
                       return;
                     }
                     self->MakeRoomForHandshake();
                     self->links_.insert(link);
                     link->Begin();
                   });
  }
  if (rc != 0) {
    return Status::IoError("cannot listen for peers on " + address + ": " + uv_strerror(rc));
  }
  listening_ = true;
  sockaddr_storage bound{};
  int len = sizeof bound;
  uv_tcp_getsockname(&listener_, reinterpret_cast<sockaddr*>(&bound), &len);
  port_ = ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  spdlog::info("sync: listening for peers on {}:{}", host, port_);
  return Status::Ok();
}

void SyncManager::SetPeers(const std::vector<PeerConfig>& peers) {
  std::set<std::string> wanted;
  for (const auto& p : peers) {
    wanted.insert(p.id);
    auto& state = peers_[p.id];
    if (!state) {
      state = std::make_unique<PeerState>();
      state->manager = this;
      state->id = p.id;
      uv_timer_init(loop_, &state->redial);
      state->redial.data = state.get();
      ++open_handles_;
      auto quarantine = store_->GetMeta(QuarantineKey(p.id));
      if (quarantine.ok()) state->status.quarantine = DecodeQuarantine(*quarantine);
      auto served = store_->GetMeta(ServedKey(p.id));
      if (served.ok()) state->status.served = DecodeServed(*served);
    }
    const bool address_changed = state->status.config.address != p.address;
    const uint64_t basis_before = BasisFor(p.id);
    state->status.config = p;
    if (BasisFor(p.id) != basis_before) {
      // A new data-sharing agreement: a pull held open must learn of it now (a wider
      // filter sends the peer what the narrower one held back).
      for (PeerLink* link : links_) {
        if (link->peer() == p.id) link->NotifyAppend();
      }
    }
    if (!p.address.empty() && state->established == 0 && (address_changed || !state->dialing)) {
      state->attempts = 0;
      Dial(p.id);
    }
  }
  for (auto it = peers_.begin(); it != peers_.end();) {
    if (wanted.count(it->first)) {
      ++it;
      continue;
    }
    const std::string id = it->first;
    std::vector<PeerLink*> doomed;
    for (PeerLink* link : links_) {
      if (link->peer() == id || link->expected_peer() == id) doomed.push_back(link);
    }
    for (PeerLink* link : doomed) link->Close("peer removed");
    if (!it->second->status.quarantine.empty()) {
      // Forgotten with the peer: if it is added again, its log is pulled from the start
      // and checked afresh.
      it->second->status.quarantine.clear();
      WriteMeta({{QuarantineKey(id), ""}, {CheckpointKey(id), ""}});
    }
    // The state's timer is closed; the state itself lives on (as a tombstone) only while
    // links still reference it by id, so keep it but mark it unconfigured.
    it->second->status.config.address.clear();
    uv_timer_stop(&it->second->redial);
    it->second->status.config.id.clear();
    ++it;
  }
}

SyncManager::PeerState* SyncManager::StateOf(const std::string& id) {
  auto it = peers_.find(id);
  return it == peers_.end() ? nullptr : it->second.get();
}

bool SyncManager::IsPeer(const std::string& id) const {
  auto it = peers_.find(id);
  return it != peers_.end() && !it->second->status.config.id.empty();
}

const PeerFilter& SyncManager::FilterOf(const std::string& id) const {
  static const PeerFilter kNothing = PeerFilter::Nothing();  // a removed peer gets nothing
  auto it = peers_.find(id);
  if (it == peers_.end() || it->second->status.config.id.empty()) return kNothing;
  return it->second->status.config.send;
}

PeerFilter SyncManager::FilterFor(const std::string& id) const { return FilterOf(id); }

uint64_t SyncManager::BasisFor(const std::string& id) const {
  // The filter in a canonical form (prefixes sorted, once each), so reordering it in the
  // config, or naming an agreement instead of its prefixes, does not count as a change.
  // The log is named by this node's origin, which a restore from a backup changes (the
  // log's positions then mean other events: the peer must pull it again from 0).
  std::string text = store_->origin();
  const PeerFilter& filter = FilterOf(id);
  if (!filter.receives_all()) {
    // "v2": since sharing agreements, every filter lets erasures (and voids with their
    // events) through, so a filtered peer pulls once more from the start to get those the
    // filter held back before. A peer that receives everything keeps its checkpoint.
    text += "\nv2\n" + filter.Canonical();
  }
  uint64_t h = 14695981039346656037ull;  // FNV-1a, 64 bits
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h == 0 ? 1 : h;
}

void SyncManager::Dial(const std::string& id) {
  auto it = peers_.find(id);
  if (it == peers_.end() || stopping_) return;
  PeerState* state = it->second.get();
  const std::string address = state->status.config.address;
  std::string host;
  int port = 0;
  sockaddr_storage addr{};
  if (!SplitAddress(address, &host, &port) ||
      (uv_ip4_addr(host.c_str(), port, reinterpret_cast<sockaddr_in*>(&addr)) != 0 &&
       uv_ip6_addr(host.c_str(), port, reinterpret_cast<sockaddr_in6*>(&addr)) != 0)) {
    state->status.last_error = "address \"" + address + "\" is not IP:PORT";
    state->error_is_waiting = false;
    ++state->status.links_failed;
    Changed();
    return;
  }
  state->dialing = true;
  auto* dial = new DialRequest{{}, this, new PeerLink(this, Node(), /*outbound=*/true, id), id};
  dial->req.data = dial;
  links_.insert(dial->link);
  int rc = uv_tcp_connect(&dial->req, dial->link->tcp(), reinterpret_cast<sockaddr*>(&addr),
                          [](uv_connect_t* req, int status) {
                            std::unique_ptr<DialRequest> d(static_cast<DialRequest*>(req->data));
                            auto it = d->manager->peers_.find(d->peer);
                            if (it != d->manager->peers_.end()) it->second->dialing = false;
                            if (status != 0) {
                              d->link->Close(std::string("connect: ") + uv_strerror(status));
                              return;
                            }
                            d->link->Begin();
                          });
  if (rc != 0) {
    state->dialing = false;
    dial->link->Close(std::string("connect: ") + uv_strerror(rc));
    delete dial;
  }
}

void SyncManager::ScheduleRedial(PeerState* state) {
  if (stopping_ || state->status.config.address.empty() || state->dialing ||
      state->established > 0) {
    return;
  }
  // Exponential backoff from 250 ms to 30 s, with jitter so peers do not stampede.
  static thread_local std::mt19937 rng{std::random_device{}()};
  const double base =
      std::min(30000.0, 250.0 * static_cast<double>(1u << std::min(state->attempts, 7)));
  const auto delay =
      static_cast<uint64_t>(base * (0.5 + std::uniform_real_distribution<double>(0, 0.5)(rng)));
  ++state->attempts;
  uv_timer_stop(&state->redial);
  uv_timer_start(
      &state->redial,
      [](uv_timer_t* t) {
        auto* peer = static_cast<PeerState*>(t->data);
        // The peer may have dialled us meanwhile: one link is enough.
        if (peer->established == 0) peer->manager->Dial(peer->id);
      },
      delay, 0);
}

void SyncManager::MakeRoomForHandshake() {
  PeerLink* oldest = nullptr;
  size_t handshaking = 0;
  for (PeerLink* link : links_) {
    if (link->outbound() || !link->handshaking()) continue;
    ++handshaking;
    if (oldest == nullptr || link->began_ms() < oldest->began_ms()) oldest = link;
  }
  if (handshaking >= kMaxHandshaking) {
    oldest->Drop("closed unauthenticated: " + std::to_string(kMaxHandshaking) +
                 " connections were already in their TLS handshake");
  }
}

void SyncManager::SweepHandshakes() {
  const uint64_t now = uv_now(loop_);
  std::vector<PeerLink*> late;
  for (PeerLink* link : links_) {
    if (link->handshaking() && now - link->began_ms() >= kHandshakeTimeoutMs) late.push_back(link);
  }
  const std::string why =
      "TLS handshake not finished within " + std::to_string(kHandshakeTimeoutMs / 1000) + " s";
  for (PeerLink* link : links_) {
    if (link->refusing() && now - link->refused_ms() >= PeerLink::kRefusalLingerMs) {
      late.push_back(link);
    }
  }
  for (PeerLink* link : late) {
    if (link->refusing()) {
      link->EndRefusal();  // the refused peer has not hung up: enough waiting
    } else if (link->outbound()) {
      link->Close(why);  // a peer we dialled: its failure is logged and redialled as usual
    } else {
      link->Drop("closed unauthenticated: " + why);
    }
  }
  if (dropped_ > 0 && now - dropped_logged_ms_ >= 10000) NoteDropped("");
  // A node runs for months: a certificate nearing its end is named again every day.
  if (now - certificates_checked_ms_ >= 24 * 3600 * 1000) {
    certificates_checked_ms_ = now;
    for (const auto& notice : tls_->ExpiryNotices(TlsContext::CurrentUnixSeconds())) {
      spdlog::warn("sync: {}", notice);
    }
  }
}

void SyncManager::NoteDropped(const std::string& why) {
  if (!why.empty()) {
    ++dropped_;
    dropped_last_why_ = why;
  }
  const uint64_t now = uv_now(loop_);
  if (dropped_ == 0 || (dropped_logged_ms_ != 0 && now - dropped_logged_ms_ < 10000)) return;
  spdlog::warn("sync: closed {} connection(s) on the peer port that had not authenticated ({})",
               dropped_, dropped_last_why_);
  dropped_ = 0;
  dropped_logged_ms_ = now;
}

bool SyncManager::Admit(PeerLink* link) {
  // When both nodes dial each other (or a peer redials while an old link of its is still
  // open here), two links would pull the same log twice over. Of two links dialled by
  // different nodes, both ends keep the one dialled by the lower node id; of two dialled by
  // the same node, the newer (the older is likely half-open).
  const std::string& peer = link->peer();
  const std::string self = store_->node_id();
  const std::string dialer = link->outbound() ? self : peer;
  const std::string keeper = std::min(self, peer);
  for (PeerLink* other : std::vector<PeerLink*>(links_.begin(), links_.end())) {
    if (other == link || other->peer() != peer || !other->established()) continue;
    const std::string other_dialer = other->outbound() ? self : peer;
    if (other_dialer != dialer && dialer != keeper) {
      link->Supersede("a link with " + peer + " dialled by " + keeper + " is up");
      return false;
    }
    other->Supersede(other_dialer == dialer
                         ? "superseded by a newer link with " + peer
                         : "a link with " + peer + " dialled by " + keeper + " is up");
  }
  if (PeerState* state = StateOf(peer)) {
    ++state->established;
    state->status.last_contact = NowNanos();
  }
  return true;
}

void SyncManager::OnLinked(const std::string& peer) {
  if (PeerState* state = StateOf(peer)) {
    state->attempts = 0;
    state->status.connected = true;
    // The link is up: why an earlier one failed is no longer the news.
    state->status.last_error.clear();
    state->error_is_waiting = false;
    ++state->status.links_up;
    Changed();
  }
}

void SyncManager::OnProgress(const std::string& peer, const LinkProgress& progress) {
  PeerState* state = StateOf(peer);
  if (state == nullptr) return;
  PeerStatus& status = state->status;
  status.bytes_in += progress.bytes_in;
  status.bytes_out += progress.bytes_out;
  status.events_in += progress.events_in;
  status.events_out += progress.events_out;
  if (progress.behind_in) status.behind_in = *progress.behind_in;
  if (progress.heard) status.last_contact = NowNanos();
  if (!progress.waiting.empty()) {
    status.last_error = progress.waiting;
    state->error_is_waiting = true;
  } else if (progress.stored && state->error_is_waiting) {
    status.last_error.clear();  // the store takes the peer's events again
    state->error_is_waiting = false;
  }
  if (progress.served && !(*progress.served == status.served)) {
    status.served = std::move(*progress.served);
    state->served_unwritten = true;
    KeepServed(state, /*soon=*/true);
  }
  if (progress.events_in > 0) NotifyAppend();  // pass them on to the other peers
  if (progress.events_in > 0 || progress.events_out > 0 || progress.behind_in || progress.served ||
      progress.stored) {
    Changed();
  }
}

void SyncManager::KeepServed(PeerState* state, bool soon) {
  const uint64_t now = uv_now(loop_);
  if (!state->served_unwritten || state->status.config.id.empty()) return;
  if (soon && state->served_written_ms != 0 && now - state->served_written_ms < 1000) return;
  state->served_unwritten = false;
  state->served_written_ms = now;
  WriteMeta({{ServedKey(state->id), EncodeServed(state->status.served)}});
}

void SyncManager::OnQuarantineChanged(const std::string& peer, const Quarantine& quarantine) {
  if (PeerState* state = StateOf(peer)) state->status.quarantine = quarantine;
  // Kept at once, so `sync status` and `store verify` show it after a restart too (every
  // insert from the peer stores it again with the checkpoint).
  WriteMeta({{QuarantineKey(peer), EncodeQuarantine(quarantine)}});
}

void SyncManager::OnPeerEventsStored() {
  if (on_inserted_) on_inserted_();
}

void SyncManager::OnLinkClosed(PeerLink* link, const std::string& why) {
  links_.erase(link);
  if (link->dropped()) return NoteDropped(why);
  const std::string id = !link->peer().empty() ? link->peer() : link->expected_peer();
  auto it = peers_.find(id);
  if (it == peers_.end()) {
    spdlog::warn("sync: refused a connection: {}", why);
    return;
  }
  PeerState* state = it->second.get();
  if (link->session() != nullptr) {
    state->established = std::max(0, state->established - 1);
    if (state->established == 0) state->status.connected = false;
    KeepServed(state, /*soon=*/false);
  }
  if (link->superseded()) {
    spdlog::info("sync: one of two links with {} closed: {}", id, why);
    Changed();
    return;
  }
  state->status.last_error = why;
  state->error_is_waiting = false;
  ++state->status.links_failed;
  Changed();
  if (link->session() != nullptr) {
    spdlog::info("sync: link with {} closed: {}", id, why);
  } else {
    spdlog::warn("sync: connection for {} failed: {}", id, why);
  }
  ScheduleRedial(state);
}

std::vector<PeerStatus> SyncManager::Peers() const {
  std::string certificate;
  for (const auto& notice : tls_->ExpiryNotices(TlsContext::CurrentUnixSeconds())) {
    certificate += (certificate.empty() ? "" : "; ") + notice;
  }
  std::vector<PeerStatus> out;
  for (const auto& [id, state] : peers_) {
    if (state->status.config.id.empty()) continue;
    out.push_back(state->status);
    out.back().certificate = certificate;
    out.back().basis = BasisFor(id);
  }
  return out;
}

holdfast::Status SyncManager::SyncNow(const std::string& peer) {
  bool found = false;
  for (auto& [id, state] : peers_) {
    if (state->status.config.id.empty() || (!peer.empty() && id != peer)) continue;
    found = true;
    if (state->established == 0 && !state->dialing && !state->status.config.address.empty()) {
      uv_timer_stop(&state->redial);
      state->attempts = 0;
      Dial(id);
    }
  }
  NotifyAppend();
  if (!peer.empty() && !found) {
    return Status::NotFound("no peer " + peer + ": see `holdfast peers list`");
  }
  return Status::Ok();
}

void SyncManager::NotifyAppend() { uv_async_send(&append_async_); }

void SyncManager::Shutdown(std::function<void()> done) {
  stopping_ = true;
  on_stopped_ = std::move(done);
  // Every handle's data leads back here: the listener and async hold `this`, the timers
  // their PeerState.
  if (listener_.loop != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(&listener_), [](uv_handle_t* h) {
      auto* self = static_cast<SyncManager*>(h->data);
      --self->open_handles_;
      self->MaybeFinish();
    });
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&append_async_), [](uv_handle_t* h) {
    auto* self = static_cast<SyncManager*>(h->data);
    --self->open_handles_;
    self->MaybeFinish();
  });
  uv_timer_stop(&sweep_);
  uv_close(reinterpret_cast<uv_handle_t*>(&sweep_), [](uv_handle_t* h) {
    auto* self = static_cast<SyncManager*>(h->data);
    --self->open_handles_;
    self->MaybeFinish();
  });
  for (auto& [id, state] : peers_) {
    uv_timer_stop(&state->redial);
    uv_close(reinterpret_cast<uv_handle_t*>(&state->redial), [](uv_handle_t* h) {
      auto* self = static_cast<PeerState*>(h->data)->manager;
      --self->open_handles_;
      self->MaybeFinish();
    });
  }
  std::vector<PeerLink*> all(links_.begin(), links_.end());
  for (PeerLink* link : all) link->Close("node stopping");
  MaybeFinish();
}

void SyncManager::WriteMeta(MetaWrites writes) {
  struct Work {
    uv_work_t req;
    EventStore* store;
    MetaWrites writes;
    Status status;
  };
  auto* work = new Work{{}, store_, std::move(writes), {}};
  work->req.data = work;
  uv_queue_work(
      loop_, &work->req,
      [](uv_work_t* req) {
        auto* w = static_cast<Work*>(req->data);
        auto r = w->store->Insert({}, w->writes);
        if (!r.ok()) w->status = r.status();
      },
      [](uv_work_t* req, int) {
        std::unique_ptr<Work> w(static_cast<Work*>(req->data));
        if (!w->status.ok()) spdlog::error("sync: keeping sync state: {}", w->status.ToString());
      });
}

Result<std::vector<std::string>> RecordedSplits(const EventStore& store) {
  std::vector<std::string> out;
  Status s = store.ScanMeta(
      std::string(kQuarantinePrefix), [&](std::string_view peer, std::string_view value) {
        for (const auto& [origin, c] : DecodeQuarantine(value)) {
          out.push_back("sync: peer " + std::string(peer) + " holds another event under origin " +
                        origin + " seq " + std::to_string(c.seq) + " (" + FormatUuid(c.held) +
                        " here, " + FormatUuid(c.offered) +
                        " there): the logs have split, and no more events of origin " + origin +
                        " are taken from it (see docs/sync-integrity.md)");
        }
      });
  if (!s.ok()) return s;
  return out;
}

HeldTypeFn HeldTypesIn(const EventStore* store) {
  return [store](const Uuid& id) -> std::optional<EventType> {
    auto held = store->Get(id);
    if (!held.ok()) return std::nullopt;
    return held->reader().which();
  };
}

Status UnsentCounter::Count(std::vector<PeerStatus*> peers) {
  struct Pending {
    PeerStatus* status;
    Counted* counted;
  };
  std::lock_guard<std::mutex> lock(mu_);
  const uint64_t last = store_->LastPosition();
  std::vector<Pending> pending;
  uint64_t from = last;
  for (PeerStatus* p : peers) {
    Counted& c = counted_[p->config.id];
    const std::string filter = p->config.send.Canonical();
    if (!(c.served == p->served) || c.basis != p->basis || c.filter != filter || c.through > last) {
      // The peer pulled, or its agreement or this log changed: count again from where it
      // stands (from the start when it was served under another basis).
      c = Counted{p->served, p->basis, filter, p->served.basis == p->basis ? p->served.after : 0,
                  0};
    }
    if (c.through < last) {
      pending.push_back({p, &c});
      from = std::min(from, c.through);
    }
  }
  if (!pending.empty()) {
    const HeldTypeFn held_type = HeldTypesIn(store_);
    Status read = store_->ScanLog(from, [&](uint64_t position, schema::Event::Reader e) {
      if (position > last) return false;
      for (Pending& p : pending) {
        if (position <= p.counted->through) continue;
        if (ShouldSend(e, p.status->config.send, p.counted->served.held, held_type)) {
          ++p.counted->count;
        }
      }
      return true;
    });
    if (!read.ok()) {
      for (Pending& p : pending) counted_.erase(p.status->config.id);  // counted in part
      return read;
    }
    for (Pending& p : pending) p.counted->through = last;
  }
  for (PeerStatus* p : peers) p->behind_out = counted_[p->config.id].count;
  return Status::Ok();
}

void SyncManager::MaybeFinish() {
  if (!stopping_ || open_handles_ > 0 || !links_.empty() || !on_stopped_) return;
  auto done = std::move(on_stopped_);
  on_stopped_ = nullptr;
  done();
}

}  // namespace holdfast
