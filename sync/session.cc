#include "sync/session.h"

#include <algorithm>
#include <map>
#include <sstream>

namespace holdfast {

Serving ServingOf(schema::Event::Reader e, const PeerFilter& filter, const VersionVector& held,
                  const HeldTypeFn& held_type) {
  if (!filter.Passes(e, held_type)) return Serving::kFiltered;
  auto p = e.getProvenance();
  auto it = held.find(p.getOrigin());
  return it == held.end() || p.getSeq() > it->second ? Serving::kSend : Serving::kPeerHolds;
}

bool ShouldSend(schema::Event::Reader e, const PeerFilter& filter, const VersionVector& held,
                const HeldTypeFn& held_type) {
  return ServingOf(e, filter, held, held_type) == Serving::kSend;
}

std::string DescribeConflict(const SeqConflict& c) {
  return "origin " + c.origin + " seq " + std::to_string(c.seq) + ": " + FormatUuid(c.held) +
         " here, " + FormatUuid(c.offered) + " on the peer";
}

SyncSession::SyncSession(std::string self, std::string expected_peer, uint64_t checkpoint,
                         SessionEffects* effects, uint64_t checkpoint_basis, Quarantine quarantine)
    : self_(std::move(self)),
      expected_peer_(std::move(expected_peer)),
      effects_(effects),
      checkpoint_(checkpoint),
      cursor_(checkpoint),
      basis_(checkpoint_basis),
      quarantine_(std::move(quarantine)) {}

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
  effects_->Close(OneLine(why));  // it may quote the peer (a node id, a goodbye)
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
        // Where the peer found our logs split: each origin checked once per session.
        std::vector<SeqClaim> told;
        for (auto c : pull.getConflicts()) {
          const std::string origin = c.getOrigin();
          if (quarantine_.count(origin) || !told_checked_.insert(origin).second) continue;
          auto seqs = c.getSeqs();
          auto ids = c.getIds();
          if (seqs.size() != ids.size()) return Fail("protocol: conflicts of unequal lengths");
          for (unsigned i = 0; i < seqs.size(); ++i)
            told.push_back({origin, seqs[i], ToUuid(ids[i])});
        }
        if (!told.empty()) effects_->CheckClaims(std::move(told));
        MaybeServe();
        return;
      }
      case wire::Message::BATCH: {
        if (!hello_received_) return Fail("protocol: batch before hello");
        if (!pull_outstanding_) return Fail("protocol: a batch nobody asked for");
        if (discard_next_batch_) {
          // Asked for before an insert was refused: what it holds is pulled again.
          discard_next_batch_ = false;
          pull_outstanding_ = false;
          SendPull();
          return;
        }
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
        std::vector<SeqClaim> skipped;
        for (auto c : batch.getSkipped()) {
          auto seqs = c.getSeqs();
          auto ids = c.getIds();
          if (seqs.size() != ids.size()) return Fail("protocol: skipped lists of unequal lengths");
          if (skipped.size() + seqs.size() > kMaxScanned)
            return Fail("protocol: batch names too many skipped events");
          const std::string origin = c.getOrigin();
          for (unsigned i = 0; i < seqs.size(); ++i)
            skipped.push_back({origin, seqs[i], ToUuid(ids[i])});
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
        HoldBack(&events, &skipped);
        PeerBatch next{std::move(events), std::move(skipped), through, basis_, {}};
        // Two batches overlap: the next is asked for (and read, sent, decrypted) while this
        // one is inserted. At most one waits behind the insert, so memory stays bounded.
        if (inserting_) {
          queued_ = std::move(next);
        } else {
          StartInsert(std::move(next));
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
  if (restart && !quarantine_.empty()) {
    // The peer's log or filter changed and all of it is pulled again: what splits from
    // ours is found afresh.
    quarantine_.clear();
    told_checked_.clear();
    effects_->QuarantineChanged({});
  }
  return restart;
}

bool SyncSession::AddToQuarantine(const std::vector<SeqConflict>& conflicts) {
  std::vector<SeqConflict> added;
  for (const auto& c : conflicts) {
    if (quarantine_.emplace(c.origin, c).second) added.push_back(c);
  }
  if (added.empty()) return false;
  if (queued_) HoldBack(&queued_->events, &queued_->skipped);
  effects_->QuarantineChanged(added);
  return true;
}

void SyncSession::HoldBack(std::vector<Event>* events, std::vector<SeqClaim>* skipped) const {
  if (quarantine_.empty()) return;
  events->erase(
      std::remove_if(events->begin(), events->end(),
                     [&](const Event& e) {
                       return quarantine_.count(e.reader().getProvenance().getOrigin().cStr());
                     }),
      events->end());
  skipped->erase(std::remove_if(skipped->begin(), skipped->end(),
                                [&](const SeqClaim& c) { return quarantine_.count(c.origin); }),
                 skipped->end());
}

void SyncSession::StartInsert(PeerBatch batch) {
  batch.quarantine = quarantine_;
  inserting_seqs_.clear();
  for (const auto& e : batch.events) {
    auto p = e.reader().getProvenance();
    inserting_seqs_[p.getOrigin()].push_back(p.getSeq());
  }
  for (auto& [origin, seqs] : inserting_seqs_) std::sort(seqs.begin(), seqs.end());
  inserting_ = true;
  inserting_basis_ = batch.basis;
  effects_->Insert(std::move(batch));
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
  auto conflicts = pull.initConflicts(static_cast<unsigned>(quarantine_.size()));
  i = 0;
  for (const auto& [origin, c] : quarantine_) {
    conflicts[i].setOrigin(origin);
    conflicts[i].initSeqs(1).set(0, c.seq);
    SetUuid(conflicts[i].initIds(1)[0], c.held);
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
  for (const auto& [origin, seqs] : inserting_seqs_) {
    auto run = echoed_.find(origin);
    for (uint64_t seq : seqs) {
      if (run == echoed_.end()) {
        run = echoed_.emplace(origin, std::make_pair(seq, seq)).first;
      } else if (seq == run->second.second + 1) {
        run->second.second = seq;
      } else if (seq < run->second.first || seq > run->second.second) {
        run->second = {seq, seq};  // a new run: the latest is kept
      }
    }
  }
  inserting_seqs_.clear();
  if (queued_) {
    PeerBatch next = std::move(*queued_);
    queued_.reset();
    StartInsert(std::move(next));
  }
  SendPull();
}

void SyncSession::OnInsertRefused(const std::vector<SeqConflict>& conflicts) {
  if (closed_) return;
  inserting_ = false;
  inserting_seqs_.clear();
  AddToQuarantine(conflicts);
  // (Quarantined already if the peer told of the split while the batch was inserted.)
  const bool held_back =
      !conflicts.empty() && std::all_of(conflicts.begin(), conflicts.end(), [&](const auto& c) {
        return quarantine_.count(c.origin) > 0;
      });
  if (!held_back) return Fail("could not store the peer's events: their seqs split from ours");
  // Nothing of the batch was stored, and its events are gone: pull again from the
  // checkpoint (without the quarantined origins now), giving up what came after it.
  queued_.reset();
  cursor_ = basis_ == inserting_basis_ ? checkpoint_ : 0;
  if (pull_outstanding_) discard_next_batch_ = true;
  SendPull();
}

void SyncSession::OnClaimsChecked(const std::vector<SeqConflict>& conflicts) {
  if (closed_) return;
  AddToQuarantine(conflicts);
}

void SyncSession::MaybeServe() {
  if (closed_ || !pending_pull_ || reading_) return;
  reading_ = true;
  appended_while_reading_ = false;
  effects_->ReadChanges(*pending_pull_, pending_max_, peer_held_);
}

void SyncSession::OnChanges(std::vector<Event> events, uint64_t through, uint64_t server_last,
                            uint64_t basis, std::vector<SeqClaim> skipped) {
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
  // The skipped events but the peer's own echoes, one list per origin in the order met.
  std::vector<std::string> origins;
  std::map<std::string, std::vector<const SeqClaim*>> by_origin;
  for (const auto& c : skipped) {
    auto run = echoed_.find(c.origin);
    if (run != echoed_.end() && c.seq >= run->second.first && c.seq <= run->second.second) {
      continue;
    }
    auto& list = by_origin[c.origin];
    if (list.empty()) origins.push_back(c.origin);
    list.push_back(&c);
  }
  auto claims = batch.initSkipped(static_cast<unsigned>(origins.size()));
  for (unsigned i = 0; i < origins.size(); ++i) {
    const auto& list = by_origin[origins[i]];
    claims[i].setOrigin(origins[i]);
    auto seqs = claims[i].initSeqs(static_cast<unsigned>(list.size()));
    auto ids = claims[i].initIds(static_cast<unsigned>(list.size()));
    for (unsigned j = 0; j < list.size(); ++j) {
      seqs.set(j, list[j]->seq);
      SetUuid(ids[j], list[j]->id);
    }
  }
  announced_basis_ = basis;
  pending_pull_.reset();
  effects_->Send(m);
}

void SyncSession::OnLocalAppend() {
  if (reading_) appended_while_reading_ = true;
  MaybeServe();
}

}  // namespace holdfast
