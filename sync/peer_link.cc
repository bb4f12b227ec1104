#include "sync/peer_link.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <vector>

#include "eventstore/keys.h"
#include "sync/sync_keys.h"
#include "sync/sync_manager.h"

namespace holdfast {
namespace {

struct WriteRequest {
  uv_write_t req;
  std::string bytes;
};

}  // namespace

capnp::ReaderOptions PeerLink::WireReaderOptions() {
  capnp::ReaderOptions options;
  options.traversalLimitInWords = kMaxFrameBytes / sizeof(capnp::word) * 2;
  options.nestingLimit = 32;
  return options;
}

// Keepalive probes after this long idle, so a link whose peer vanished (host crash, cut
// network) does not linger and, being kept over a new link, shut its peer out.
constexpr unsigned kKeepAliveSeconds = 30;

// Half the frame limit: the batch's list and envelope add a little to its events' size.
constexpr size_t kMaxBatchBytes = PeerLink::kMaxFrameBytes / 2;

struct PeerLink::ReadWork {
  uv_work_t req;
  PeerLink* link;
  uint64_t after;
  uint32_t max;
  VersionVector held;
  PeerFilter filter;
  uint64_t basis = 0;
  std::vector<Event> events;
  std::vector<SeqClaim> skipped;
  uint64_t through = 0, last = 0;
  Status status;
};

struct PeerLink::InsertWork {
  uv_work_t req;
  uv_timer_t retry;  // while the store takes no writes
  PeerLink* link;
  PeerBatch batch;
  size_t inserted = 0;
  bool held = false;  // not tried: the store took no writes
  Status status;
  std::vector<SeqConflict> conflicts;  // the batch was refused for these
};

struct PeerLink::ClaimsWork {
  uv_work_t req;
  PeerLink* link;
  std::vector<SeqClaim> claims;
  Result<std::vector<SeqConflict>> conflicts = std::vector<SeqConflict>();
};

// How long a batch waits before it is offered to a store that took no writes (a full disk)
// again.
constexpr uint64_t kInsertRetryMs = 1000;

PeerLink::PeerLink(LinkOwner* owner, const LinkNode& node, bool outbound, std::string expected_peer)
    : owner_(owner), node_(node), outbound_(outbound), expected_peer_(std::move(expected_peer)) {
  uv_tcp_init(node_.loop, &tcp_);
  tcp_.data = this;
}

void PeerLink::Begin() {
  began_ms_ = uv_now(node_.loop);
  tls_ = std::make_unique<TlsChannel>(*node_.tls, !outbound_);
  Status s = tls_->Start();
  if (!s.ok()) return Close(s.message());
  Flush();
  uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), OnAlloc, OnRead);
}

void PeerLink::OnAlloc(uv_handle_t* handle, size_t, uv_buf_t* buf) {
  auto* link = static_cast<PeerLink*>(handle->data);
  *buf = uv_buf_init(link->buffer_, sizeof link->buffer_);
}

void PeerLink::OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* link = static_cast<PeerLink*>(stream->data);
  if (nread == 0 || link->closing_) return;
  if (link->refusing_) {  // told why it is refused: nothing more of its is read
    if (nread < 0) link->EndRefusal();
    return;
  }
  if (nread < 0)
    return link->Close(nread == UV_EOF ? "connection closed by peer"
                                       : uv_strerror(static_cast<int>(nread)));
  if (!link->peer_.empty()) {
    LinkProgress progress;
    progress.bytes_in = static_cast<uint64_t>(nread);
    progress.heard = true;
    link->owner_->OnProgress(link->peer_, progress);
  }
  std::string plaintext;
  const bool was_done = link->tls_->handshake_done();
  Status s = link->tls_->Feed(buf->base, static_cast<size_t>(nread), &plaintext);
  link->Flush();
  if (!s.ok()) return link->Close(s.message());
  if (!was_done && link->tls_->handshake_done()) {
    link->OnEstablished();
    if (link->closing_ || link->refusing_) return;
  }
  if (plaintext.empty()) return;
  s = link->decoder_.Feed(plaintext.data(), plaintext.size());
  if (!s.ok()) return link->Close(s.message());
  for (auto words = link->decoder_.Next(); words.size() > 0 && !link->closing_;
       words = link->decoder_.Next()) {
    try {
      capnp::FlatArrayMessageReader reader(words.asPtr(), WireReaderOptions());
      if (link->session_ == nullptr) return link->Close("protocol: message before TLS finished");
      link->session_->OnMessage(reader.getRoot<wire::Message>());
      if (!link->counted_linked_ && link->session_->linked()) {
        // Only a peer that answered our hello counts as connected, and only then does the
        // redial backoff start over (a peer refusing us after TLS keeps backing off).
        link->counted_linked_ = true;
        SyncSession* session = link->session_.get();
        LinkProgress progress;  // what the hello said of the peer's log
        progress.behind_in = session->peer_last() > session->checkpoint()
                                 ? session->peer_last() - session->checkpoint()
                                 : 0;
        link->owner_->OnProgress(link->peer_, progress);
        link->owner_->OnLinked(link->peer_);
      }
    } catch (const kj::Exception& ex) {
      return link->Close(std::string("malformed message: ") + ex.getDescription().cStr());
    }
  }
}

void PeerLink::OnEstablished() {
  peer_ = tls_->PeerName();
  if (outbound_ && peer_ != expected_peer_) {
    const std::string named = peer_;
    peer_.clear();
    return Close("certificate names node \"" + named + "\", not the peer dialled (" +
                 expected_peer_ + ")");
  }
  if (!owner_->IsPeer(peer_)) {
    const std::string named = peer_;
    peer_.clear();
    // The peer's certificate is good, so it is a node of the partnership that lists this
    // one: its operator learns why it gets nothing from its own `sync status`.
    return Refuse("certificate names node \"" + named + "\", which is not a configured peer",
                  node_.store->node_id() + " does not list " + named +
                      " as a peer: its operator must add it (holdfast peers add --id " + named +
                      " --send AGREEMENT)");
  }
  if (!owner_->Admit(this)) return;  // one link per peer
  uv_tcp_keepalive(&tcp_, 1, kKeepAliveSeconds);
  uv_os_fd_t fd;
  if (uv_fileno(reinterpret_cast<uv_handle_t*>(&tcp_), &fd) == 0) {
    const int interval = 10, probes = 3;  // so: gone after about a minute without answer
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &probes, sizeof probes);
  }
  // The checkpoint and quarantine stored with the peer's last batch (sync_keys.h).
  auto stored = node_.store->GetMeta(CheckpointKey(peer_));
  const Checkpoint checkpoint = stored.ok() ? DecodeCheckpoint(*stored) : Checkpoint();
  auto quarantine = node_.store->GetMeta(QuarantineKey(peer_));
  session_ = std::make_unique<SyncSession>(
      node_.store->node_id(), peer_, checkpoint.through, this, checkpoint.basis,
      quarantine.ok() ? DecodeQuarantine(*quarantine) : Quarantine());
  spdlog::info("sync: linked with {} ({})", peer_, outbound_ ? "dialled" : "accepted");
  session_->Start(node_.store->ContiguousMarks(), node_.store->LastPosition(),
                  owner_->BasisFor(peer_));
}

void PeerLink::Send(capnp::MessageBuilder& message) {
  if (closing_) return;
  const std::string frame = EncodeFrame(message);
  Status s = tls_->Write(frame);
  if (!s.ok()) return Close(s.message());
  if (!peer_.empty()) {
    LinkProgress progress;
    progress.bytes_out = frame.size();
    owner_->OnProgress(peer_, progress);
  }
  Flush();
}

void PeerLink::Flush() {
  std::string out = tls_->TakeOutgoing();
  if (out.empty() || handle_closed_) return;
  auto* w = new WriteRequest();
  w->bytes = std::move(out);
  w->req.data = w;
  uv_buf_t buf = uv_buf_init(w->bytes.data(), static_cast<unsigned>(w->bytes.size()));
  if (uv_write(&w->req, reinterpret_cast<uv_stream_t*>(&tcp_), &buf, 1,
               [](uv_write_t* req, int) { delete static_cast<WriteRequest*>(req->data); }) != 0) {
    delete w;
  }
}

void PeerLink::ReadChanges(uint64_t after, uint32_t max_events, const VersionVector& peer_held) {
  auto* work = new ReadWork();
  work->req.data = work;
  work->link = this;
  work->after = after;
  work->max = max_events;
  work->held = peer_held;
  work->filter = owner_->FilterFor(peer_);
  work->basis = owner_->BasisFor(peer_);
  // The peer has what comes before `after`: what `sync status` counts as still to go to it.
  LinkProgress pulled;
  pulled.served = Served{after, work->basis, peer_held};
  owner_->OnProgress(peer_, pulled);
  ++works_;
  uv_queue_work(
      node_.loop, &work->req,
      [](uv_work_t* req) {
        auto* w = static_cast<ReadWork*>(req->data);
        EventStore* s = w->link->node_.store;
        w->last = s->LastPosition();
        w->through = w->after;
        size_t scanned = 0, bytes = 0;
        const HeldTypeFn held_type = HeldTypesIn(s);
        w->status = s->ScanLog(w->after, [&](uint64_t position, schema::Event::Reader e) {
          w->through = position;
          switch (ServingOf(e, w->filter, w->held, held_type)) {
            case Serving::kSend:
              w->events.push_back(Event::CopyOf(e));
              bytes += e.totalSize().wordCount * sizeof(capnp::word);
              break;
            case Serving::kPeerHolds: {
              auto p = e.getProvenance();
              w->skipped.push_back({p.getOrigin(), p.getSeq(), ToUuid(e.getId())});
              break;
            }
            case Serving::kFiltered:
              break;
          }
          // A batch stays well under the frame limit, however large its events.
          return w->events.size() < w->max && bytes < kMaxBatchBytes && ++scanned < 20 * w->max;
        });
      },
      [](uv_work_t* req, int) {
        std::unique_ptr<ReadWork> w(static_cast<ReadWork*>(req->data));
        PeerLink* link = w->link;
        --link->works_;
        if (link->closing_) return link->MaybeDelete();
        if (!w->status.ok()) return link->Close("reading the log: " + w->status.ToString());
        LinkProgress progress;
        progress.events_out = w->events.size();
        link->owner_->OnProgress(link->peer_, progress);
        link->session_->OnChanges(std::move(w->events), w->through, w->last, w->basis,
                                  std::move(w->skipped));
      });
}

void PeerLink::Insert(PeerBatch batch) {
  auto* work = new InsertWork();
  work->req.data = work;
  work->link = this;
  work->batch = std::move(batch);
  QueueInsert(work);
}

void PeerLink::QueueInsert(InsertWork* work) {
  ++works_;
  uv_queue_work(
      node_.loop, &work->req,
      [](uv_work_t* req) {
        auto* w = static_cast<InsertWork*>(req->data);
        EventStore* store = w->link->node_.store;
        PeerBatch& b = w->batch;
        // A store that takes no writes keeps the batch here rather than fail the link: the
        // peer would only send it again, over and over, until the disk has room.
        w->status = store->CanWrite();
        w->held = !w->status.ok();
        if (w->held) return;
        // The events the peer left out as held here must be the ones held here.
        auto skipped = store->FindSeqConflicts(b.skipped);
        if (!skipped.ok() || !skipped->empty()) {
          if (skipped.ok()) w->conflicts = std::move(*skipped);
          if (!skipped.ok()) w->status = skipped.status();
          return;
        }
        // What the events claim, to name a split should the store refuse one (the insert
        // takes the events).
        std::vector<SeqClaim> claims;
        claims.reserve(b.events.size());
        try {  // the peer's events are not validated yet: a malformed one must not throw here
          for (const auto& e : b.events) {
            auto r = e.reader();
            claims.push_back(
                {r.getProvenance().getOrigin(), r.getProvenance().getSeq(), ToUuid(r.getId())});
          }
        } catch (const kj::Exception& ex) {
          w->status = Status::InvalidArgument(std::string("malformed event: ") +
                                              ex.getDescription().cStr());
          return;
        }
        const std::string& peer = w->link->peer_;
        auto r = store->Insert(std::move(b.events),
                               {{CheckpointKey(peer), EncodeCheckpoint({b.through, b.basis})},
                                {QuarantineKey(peer), EncodeQuarantine(b.quarantine)}});
        if (!r.ok()) {
          if (r.status().code() == Status::Code::kSeqConflict) {
            auto found = store->FindSeqConflicts(claims);
            if (found.ok() && !found->empty()) {
              w->conflicts = std::move(*found);
              return;
            }
          }
          w->status = r.status();
          return;
        }
        for (const auto& e : r->events) w->inserted += e.duplicate ? 0 : 1;
        if (w->inserted > 0) w->link->owner_->OnPeerEventsStored();
      },
      [](uv_work_t* req, int) {
        std::unique_ptr<InsertWork> w(static_cast<InsertWork*>(req->data));
        PeerLink* link = w->link;
        --link->works_;
        if (link->closing_) return link->MaybeDelete();
        if (!w->conflicts.empty()) return link->session_->OnInsertRefused(w->conflicts);
        LinkProgress progress;
        if (w->held) {
          progress.waiting = "waiting to store the peer's events: " + w->status.message();
          link->owner_->OnProgress(link->peer_, progress);
          w->status = Status::Ok();
          return link->InsertLater(w.release());
        }
        link->session_->OnInserted(w->status, w->batch.through, w->inserted);
        progress.events_in = w->inserted;
        progress.stored = w->status.ok();
        progress.behind_in = link->session_->peer_last() > link->session_->checkpoint()
                                 ? link->session_->peer_last() - link->session_->checkpoint()
                                 : 0;
        link->owner_->OnProgress(link->peer_, progress);
      });
}

void PeerLink::InsertLater(InsertWork* work) {
  ++works_;  // the link outlives the timer: it is closed (and the work freed) first
  uv_timer_init(node_.loop, &work->retry);
  work->retry.data = work;
  uv_timer_start(
      &work->retry,
      [](uv_timer_t* timer) {
        uv_close(reinterpret_cast<uv_handle_t*>(timer), [](uv_handle_t* handle) {
          auto* w = static_cast<InsertWork*>(handle->data);
          PeerLink* link = w->link;
          --link->works_;
          if (link->closing_) {
            delete w;
            return link->MaybeDelete();
          }
          link->QueueInsert(w);
        });
      },
      kInsertRetryMs, 0);
}

void PeerLink::CheckClaims(std::vector<SeqClaim> claims) {
  auto* work = new ClaimsWork();
  work->req.data = work;
  work->link = this;
  work->claims = std::move(claims);
  ++works_;
  uv_queue_work(
      node_.loop, &work->req,
      [](uv_work_t* req) {
        auto* w = static_cast<ClaimsWork*>(req->data);
        w->conflicts = w->link->node_.store->FindSeqConflicts(w->claims);
      },
      [](uv_work_t* req, int) {
        std::unique_ptr<ClaimsWork> w(static_cast<ClaimsWork*>(req->data));
        PeerLink* link = w->link;
        --link->works_;
        if (link->closing_) return link->MaybeDelete();
        if (!w->conflicts.ok()) {
          return link->Close("checking where the peer says our logs split: " +
                             w->conflicts.status().ToString());
        }
        link->session_->OnClaimsChecked(*w->conflicts);
      });
}

void PeerLink::QuarantineChanged(const std::vector<SeqConflict>& added) {
  const Quarantine& quarantine = session_->quarantine();
  if (added.empty()) {
    spdlog::info(
        "sync: {}'s log or filter changed: it is pulled again from its start and "
        "checked afresh for events that split from ours",
        peer_);
  }
  for (const auto& c : added) {
    spdlog::warn(
        "sync: {} and this node hold two different events under origin {} seq {} ({} here, {} "
        "there): the logs have split; no more events of origin {} are taken from {} (see "
        "docs/sync-integrity.md)",
        peer_, c.origin, c.seq, FormatUuid(c.held), FormatUuid(c.offered), c.origin, peer_);
  }
  owner_->OnQuarantineChanged(peer_, quarantine);
}

VersionVector PeerLink::Held() { return node_.store->ContiguousMarks(); }

void PeerLink::NotifyAppend() {
  if (session_ && !closing_) session_->OnLocalAppend();
}

void PeerLink::Close(const std::string& why) {
  if (closing_) return;
  closing_ = true;
  owner_->OnLinkClosed(this, why);
  if (tls_ && tls_->handshake_done()) Flush();
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), [](uv_handle_t* h) {
    auto* link = static_cast<PeerLink*>(h->data);
    link->handle_closed_ = true;
    link->MaybeDelete();
  });
}

void PeerLink::Refuse(const std::string& why, const std::string& tell_peer) {
  capnp::MallocMessageBuilder m;
  m.initRoot<wire::Message>().setGoodbye(tell_peer);
  Send(m);
  if (closing_) return;  // could not even say it
  refusing_ = true;
  refusal_ = why;
  refused_ms_ = uv_now(node_.loop);
}

void PeerLink::EndRefusal() {
  if (refusing_) Close(refusal_);
}

void PeerLink::Drop(const std::string& why) {
  dropped_ = true;
  Close(why);
}

void PeerLink::Supersede(const std::string& why) {
  superseded_ = true;
  if (session_ != nullptr && !closing_) {  // tell the peer why, should it not see the other
    capnp::MallocMessageBuilder m;
    m.initRoot<wire::Message>().setGoodbye(why);
    Send(m);
  }
  Close(why);
}

void PeerLink::MaybeDelete() {
  if (handle_closed_ && works_ == 0) {
    LinkOwner* owner = owner_;
    delete this;
    owner->OnLinkDeleted();
  }
}

}  // namespace holdfast
