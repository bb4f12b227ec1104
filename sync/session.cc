#include "sync/session.h"

#include <algorithm>
#include <map>

namespace holdfast {

bool PeerFilter::Allows(std::string_view type) const {
  if (prefixes.empty()) return true;
  return std::any_of(prefixes.begin(), prefixes.end(),
                     [&](const std::string& p) { return type.substr(0, p.size()) == p; });
}

PeerFilter PeerFilter::Parse(const std::string& text) {
  PeerFilter f;
  std::string item;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == ',') {
      if (!item.empty() && item != "*") f.prefixes.push_back(item);
      item.clear();
    } else if (text[i] != ' ') {
      item += text[i];
    }
  }
  return f;
}

std::string PeerFilter::ToString() const {
  if (prefixes.empty()) return "*";
  std::string out;
  for (const auto& p : prefixes) out += (out.empty() ? "" : ",") + p;
  return out;
}

bool ShouldSend(schema::Event::Reader e, const PeerFilter& filter, const VersionVector& held) {
  if (!filter.Allows(EventTypeName(e.which()))) return false;
  auto p = e.getProvenance();
  auto it = held.find(p.getOrigin());
  return it == held.end() || p.getSeq() > it->second;
}

SyncSession::SyncSession(std::string self, std::string expected_peer, uint64_t checkpoint,
                         SessionEffects* effects, uint64_t checkpoint_basis)
    : self_(std::move(self)),
      expected_peer_(std::move(expected_peer)),
      effects_(effects),
      checkpoint_(checkpoint),
      cursor_(checkpoint),
      basis_(checkpoint_basis) {}

void SyncSession::Start(const VersionVector& held, uint64_t last_position, uint64_t basis) {
  capnp::MallocMessageBuilder m;
  auto hello = m.initRoot<wire::Message>().initHello();
  hello.setProtocol(wire::PROTOCOL_VERSION);
  hello.setNodeId(self_);
  hello.setLastPosition(last_position);
  hello.setBasis(basis);
  announced_basis_ = basis;
  auto list = hello.initHeld(static_cast<unsigned>(held.size()));
  unsigned i = 0;
  for (const auto& [origin, seq] : held) {
    list[i].setOrigin(origin);
    list[i].setSeq(seq);
    ++i;
  }
  effects_->Send(m);
}

void SyncSession::Fail(const std::string& why) {
  if (closed_) return;
  closed_ = true;
  effects_->Close(why);
}

void SyncSession::OnMessage(wire::Message::Reader message) {
  if (closed_) return;
  try {
    switch (message.which()) {
      case wire::Message::HELLO: {
        if (hello_received_) return Fail("protocol: a second hello");
        auto hello = message.getHello();
        if (hello.getProtocol() != wire::PROTOCOL_VERSION) {
          return Fail("protocol: peer speaks version " + std::to_string(hello.getProtocol()) +
                      ", this node " + std::to_string(wire::PROTOCOL_VERSION));
        }
        if (hello.getNodeId() != expected_peer_) {
          return Fail("hello names node " + std::string(hello.getNodeId().cStr()) +
                      " but its certificate is for " + expected_peer_);
        }
        hello_received_ = true;
        peer_last_ = hello.getLastPosition();
        for (auto h : hello.getHeld()) peer_held_[h.getOrigin()] = h.getSeq();
        if (TakeBasis(hello.getBasis())) checkpoint_ = cursor_ = 0;  // stored with the next batch
        SendPull();
        return;
      }
      case wire::Message::PULL: {
        if (!hello_received_) return Fail("protocol: pull before hello");
        if (pending_pull_ || reading_) return Fail("protocol: a second pull while one is open");
        auto pull = message.getPull();
        pending_pull_ = pull.getAfter();
        peer_after_ = pull.getAfter();
        pending_max_ = std::min(std::max<uint32_t>(pull.getMaxEvents(), 1), kMaxBatch);
        for (auto h : pull.getHeld()) {
          uint64_t& mark = peer_held_[h.getOrigin()];
          mark = std::max(mark, h.getSeq());
        }
        MaybeServe();
        return;
      }
      case wire::Message::BATCH: {
        if (!hello_received_) return Fail("protocol: batch before hello");
        if (!pull_outstanding_) return Fail("protocol: a batch nobody asked for");
        auto batch = message.getBatch();
        if (batch.getThrough() < cursor_) return Fail("protocol: batch goes backwards");
        if (batch.getEvents().size() > kMaxBatch) return Fail("protocol: batch too large");
        std::vector<Event> events;
        events.reserve(batch.getEvents().size());
        std::map<std::string, std::vector<uint64_t>> received;
        for (auto e : batch.getEvents()) {
          if (!e.hasProvenance()) return Fail("protocol: an event without provenance");
          events.push_back(Event::CopyOf(e));
          received[e.getProvenance().getOrigin()].push_back(e.getProvenance().getSeq());
        }
        // The peer holds what it sends: its version vector (which the server side uses)
        // grows by every run of seqs this batch extends, so a held pull of the peer's is
        // not answered with these very events.
        for (auto& [origin, seqs] : received) NoteHeldByPeer(origin, &seqs);
        pull_outstanding_ = false;
        peer_last_ = std::max(peer_last_, batch.getServerLast());
        // Under a new basis the checkpoint means nothing more: keep the events, start over.
        const uint64_t through = TakeBasis(batch.getBasis()) ? 0 : batch.getThrough();
        cursor_ = through;
        // Two batches overlap: the next is asked for (and read, sent, decrypted) while this
        // one is inserted. At most one waits behind the insert, so memory stays bounded.
        if (inserting_) {
          queued_ = Queued{std::move(events), through, basis_};
        } else {
          inserting_ = true;
          effects_->Insert(std::move(events), through, basis_);
        }
        SendPull();
        return;
      }
      case wire::Message::GOODBYE:
        return Fail(std::string("peer closed: ") + message.getGoodbye().cStr());
    }
    return Fail("protocol: unknown message");
  } catch (const kj::Exception& ex) {
    return Fail(std::string("malformed message: ") + ex.getDescription().cStr());
  }
}

bool SyncSession::TakeBasis(uint64_t basis) {
  if (basis == 0 || basis == basis_) return false;
  const bool restart = basis_ != 0;
  basis_ = basis;
  return restart;
}

void SyncSession::NoteHeldByPeer(const std::string& origin, std::vector<uint64_t>* seqs) {
  std::sort(seqs->begin(), seqs->end());
  uint64_t& mark = peer_held_[origin];
  for (uint64_t seq : *seqs) {
    if (seq == mark + 1) {
      mark = seq;
    } else if (seq > mark) {
      break;  // a gap: the marks say only what the peer holds without one
    }
  }
}

void SyncSession::SendPull() {
  if (closed_ || pull_outstanding_ || queued_) return;
  capnp::MallocMessageBuilder m;
  auto pull = m.initRoot<wire::Message>().initPull();
  pull.setAfter(cursor_);
  pull.setMaxEvents(kMaxBatch);
  const VersionVector held = effects_->Held();
  auto list = pull.initHeld(static_cast<unsigned>(held.size()));
  unsigned i = 0;
  for (const auto& [origin, seq] : held) {
    list[i].setOrigin(origin);
    list[i].setSeq(seq);
    ++i;
  }
  pull_outstanding_ = true;
  effects_->Send(m);
}

void SyncSession::OnInserted(const Status& status, uint64_t through, size_t) {
  if (closed_) return;
  inserting_ = false;
  if (!status.ok()) return Fail("could not store the peer's events: " + status.ToString());
  checkpoint_ = through;
  if (queued_) {
    Queued next = std::move(*queued_);
    queued_.reset();
    inserting_ = true;
    effects_->Insert(std::move(next.events), next.through, next.basis);
  }
  SendPull();
}

void SyncSession::MaybeServe() {
  if (closed_ || !pending_pull_ || reading_) return;
  reading_ = true;
  appended_while_reading_ = false;
  effects_->ReadChanges(*pending_pull_, pending_max_, peer_held_);
}

void SyncSession::OnChanges(std::vector<Event> events, uint64_t through, uint64_t server_last,
                            uint64_t basis) {
  if (closed_) return;
  reading_ = false;
  if (!pending_pull_) return;
  if (events.empty() && through <= *pending_pull_ && basis == announced_basis_) {
    // Nothing new: hold the pull until something is appended (or was, during the read).
    if (appended_while_reading_) {
      appended_while_reading_ = false;
      MaybeServe();
    }
    return;
  }
  capnp::MallocMessageBuilder m;
  auto batch = m.initRoot<wire::Message>().initBatch();
  auto list = batch.initEvents(static_cast<unsigned>(events.size()));
  for (size_t i = 0; i < events.size(); ++i)
    list.setWithCaveats(static_cast<unsigned>(i), events[i].reader());
  batch.setThrough(through);
  batch.setServerLast(server_last);
  batch.setBasis(basis);
  announced_basis_ = basis;
  pending_pull_.reset();
  effects_->Send(m);
}

void SyncSession::OnLocalAppend() {
  if (reading_) appended_while_reading_ = true;
  MaybeServe();
}

}  // namespace holdfast
