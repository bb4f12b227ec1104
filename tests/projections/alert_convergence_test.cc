// Alert convergence between deriving nodes (issue 19; docs/alert-lifecycle.md): once two
// deriving nodes and a police node hold the same events, each shows every alert in the
// same state, the one the rules compute from the non-derived events, whatever order the
// events came in, wherever a node's fold stood when the next events were stored, and
// across restarts. Real stores and projectors; "sync" is EventStore::Insert of another
// node's log, as the sync session does, so every interleaving can be forced.
//
// The story (the issue's): deriving node A holds a case whose no_contact deadline has
// passed and raises the alert; then A receives the positive contact that came 18 seconds
// before the deadline, and withdraws it. Deriving node B holds the case without the
// contact and raises the alert itself, later by the clock than A's withdrawal. The
// condition never held: from scratch, nothing is raised.
#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <sstream>

#include "tests/projections/projector_node.h"

using namespace holdfast;

namespace {

constexpr int64_t kSecond = 1000000000LL;
constexpr int64_t kDay = 86400 * kSecond;
constexpr int64_t kT0 = 1735689600LL * kSecond;  // 2025-01-01T00:00:00Z
constexpr int64_t kStart = kT0 + kDay;
constexpr int64_t kNow = kT0 + 200 * kDay;  // every node's evaluation time

// The sanitizer build runs every test several times slower: the exhaustive and random
// tests take a sample of their cases there.
#ifdef HOLDFAST_TEST_SANITIZED
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif

// 0xPPPPPPPP-0000-4000-8000-NNNNNNNNNNNN
Uuid TestUuid(uint32_t prefix, uint64_t n) {
  return Uuid{(uint64_t{prefix} << 32) | 0x4000, 0x8000000000000000ULL | n};
}

Event At(Event e, int64_t t, uint32_t n) {
  auto b = e.builder();
  b.getOccurredAt().setUnixNanos(t);
  return testing::WithId(std::move(e), TestUuid(0xc0, n));
}

// The case, without the contact: opened, referred and started, then completed on day 22
// of the programme (so after the contact no later no_contact deadline falls while active).
std::vector<Event> CaseEvents() {
  std::vector<Event> out;
  out.push_back(At(testing::MakeCaseOpened("C-1", "P-1"), kT0, 1));
  out.push_back(At(testing::MakeReferred("C-1", "I-1"), kT0, 2));
  out.push_back(At(testing::MakeStarted("C-1", "I-1"), kStart, 3));
  out.push_back(At(testing::MakeCompleted("C-1", "I-1"), kStart + 22 * kDay, 4));
  return out;
}

Event Contact() {
  return At(testing::MakeAttendance("C-1", "I-1", "S-1", schema::AttendanceOutcome::ATTENDED),
            kStart + 21 * kDay - 18 * kSecond, 5);
}

std::vector<Event> One(Event e) {
  std::vector<Event> out;
  out.push_back(std::move(e));
  return out;
}

// `n` events of another case, with nothing to raise: a node's unrelated evidence.
std::vector<Event> Padding(uint32_t prefix, size_t n) {
  std::vector<Event> out;
  for (size_t i = 0; i < n; ++i) {
    Event e = testing::MakeReferred("PAD-" + std::to_string(prefix), "I-" + std::to_string(i));
    e.builder().getOccurredAt().setUnixNanos(kT0);
    out.push_back(testing::WithId(std::move(e), TestUuid(prefix, i + 1)));
  }
  return out;
}

// A node of the story: every node evaluates at kNow.
class Node : public testing::ProjectorNode {
 public:
  Node(std::string id, bool derive) : ProjectorNode(std::move(id), derive, kNow) {}
};

std::string Show(const std::map<std::string, std::string>& alerts) {
  std::ostringstream out;
  for (const auto& [id, what] : alerts) out << "  " << id << " " << what << "\n";
  return out.str();
}

// What the rules compute from the non-derived events alone: the case and the contact,
// on a fresh deriving node.
std::map<std::string, std::string> FromScratch() {
  static const std::map<std::string, std::string> answer = [] {
    Node fresh("fresh-1", true);
    auto events = CaseEvents();
    events.push_back(Contact());
    fresh.Append(std::move(events));
    fresh.CatchUp();
    return fresh.Alerts();
  }();
  return answer;
}

// A's part of the story: padding, the case (raised), the contact (withdrawn).
void PlayA(Node* a, size_t padding) {
  if (padding > 0) a->Append(Padding(0xa1, padding));
  a->Append(CaseEvents());
  a->CatchUp();
  REQUIRE(a->Alerts().size() == 1);
  REQUIRE(a->Alerts().begin()->second.rfind("open", 0) == 0);
  a->Append(One(Contact()));
  a->CatchUp();
  REQUIRE(a->Alerts().begin()->second.rfind("withdrawn", 0) == 0);
}

// B's: padding, the case without the contact (raised).
void PlayB(Node* b, size_t padding) {
  if (padding > 0) b->Append(Padding(0xb1, padding));
  b->Append(CaseEvents());
  b->CatchUp();
  REQUIRE(b->Alerts().size() == 1);
  REQUIRE(b->Alerts().begin()->second.rfind("open", 0) == 0);
}

// Exchanges whole logs until nothing new moves, then checks the three nodes agree and match
// the rules' answer.
void SettleAndCheck(Node* a, Node* b, Node* police) {
  for (int round = 0; round < 4; ++round) {
    a->ReceiveAll(*b);
    a->CatchUp();
    b->ReceiveAll(*a);
    b->CatchUp();
  }
  police->ReceiveAll(*b);
  police->ReceiveAll(*a);
  police->CatchUp();
  const auto on_a = a->Alerts(), on_b = b->Alerts(), on_police = police->Alerts();
  INFO("A:\n" << Show(on_a) << "B:\n" << Show(on_b) << "police:\n" << Show(on_police));
  CHECK(on_a == on_b);
  CHECK(on_police == on_a);
  CHECK(a->Standing() == FromScratch());
  CHECK(b->Standing() == FromScratch());
  REQUIRE(on_a.size() == 1);
  CHECK(on_a.begin()->second.rfind("withdrawn", 0) == 0);
}

}  // namespace

TEST_CASE(
    "the issue's interleaving: B derives from the contact's batch while A's withdrawal "
    "is stored and not yet folded",
    "[projections][convergence]") {
  // A's log padded so that the contact ends a sync batch of 2,000 and the withdrawal opens
  // the next one.
  Node a("probation-1", true), b("partnership-1", true), police("police-1", false);
  PlayA(&a, 1994);
  PlayB(&b, 0);
  const uint64_t contact = a.PositionOf(TestUuid(0xc0, 5));
  REQUIRE(contact == 2000);
  b.Receive(a, 0, contact);         // the contact's batch: stored...
  b.Receive(a, contact, a.Last());  // ...and the withdrawal's, before the first is folded
  b.CatchUpThrough(b.PositionOf(TestUuid(0xc0, 5)));  // B derives from the contact's batch
  b.CatchUp();
  SettleAndCheck(&a, &b, &police);
}

TEST_CASE(
    "every split of A's log into two batches, every fold point, with and without a "
    "restart, converges to the rules' answer",
    "[projections][convergence]") {
  const auto answer = FromScratch();
  REQUIRE(answer.empty());  // the condition never held
  for (size_t b_padding : {size_t{0}, size_t{40}}) {
    // With padding B's raise outranks A's withdrawal (B had more evidence overall), so B
    // must withdraw its own raise once it holds the contact.
    Node source_a("probation-1", true);
    PlayA(&source_a, 3);
    const uint64_t n = source_a.Last();
    for (uint64_t split = 0; split <= n; split += kSanitized ? 2 : 1) {
      for (uint64_t fold = 0; fold <= split;
           fold += kSanitized ? std::max<uint64_t>(split / 2, 1) : (fold + 1 == split ? 1 : 2)) {
        for (bool restart : {false, true}) {
          INFO("B padding " << b_padding << ", split after " << split << ", fold through " << fold
                            << (restart ? ", restart" : ""));
          Node a("probation-1", true), b("partnership-1", true), police("police-1", false);
          PlayA(&a, 3);
          PlayB(&b, b_padding);
          const uint64_t before = b.Last();
          b.Receive(a, 0, split);
          b.Receive(a, split, a.Last());
          b.CatchUpThrough(std::min(before + fold, b.Last()));
          if (restart) b.Restart();
          b.CatchUp();
          SettleAndCheck(&a, &b, &police);
        }
      }
    }
  }
}

TEST_CASE("a raise that arrives after the withdrawal, later by the clock, does not stand",
          "[projections][convergence]") {
  for (size_t b_padding : {size_t{0}, size_t{3000}}) {
    INFO("B padding " << b_padding);
    Node a("probation-1", true), b("partnership-1", true), police("police-1", false);
    PlayA(&a, 10);
    PlayB(&b, b_padding);  // B's raise: recorded after A's withdrawal
    // Police hear A first, then B's raise, while B is cut off from A.
    police.ReceiveAll(a);
    police.CatchUp();
    police.ReceiveAll(b);
    police.CatchUp();
    if (b_padding == 0) {
      // A derived from more evidence: its withdrawal stands, whatever the clocks say.
      CHECK(police.Alerts().begin()->second.rfind("withdrawn", 0) == 0);
    }
    SettleAndCheck(&a, &b, &police);
  }
}

TEST_CASE(
    "a deriving node restarted between storing another node's withdrawal and folding "
    "it converges",
    "[projections][convergence]") {
  Node a("probation-1", true), b("partnership-1", true), police("police-1", false);
  PlayA(&a, 5);
  PlayB(&b, 0);
  b.ReceiveAll(a);  // stored, not folded
  b.Restart();
  b.CatchUp();
  SettleAndCheck(&a, &b, &police);
}

TEST_CASE("converged nodes append nothing more: no deriving node re-asserts forever",
          "[projections][convergence]") {
  Node a("probation-1", true), b("partnership-1", true), police("police-1", false);
  PlayA(&a, 5);
  PlayB(&b, 2000);
  SettleAndCheck(&a, &b, &police);
  const size_t on_a = a.LifecycleEvents(), on_b = b.LifecycleEvents();
  a.ReceiveAll(b);
  b.ReceiveAll(a);
  a.CatchUp();
  b.CatchUp();
  a.Restart();
  b.Restart();
  a.CatchUp();
  b.CatchUp();
  CHECK(a.LifecycleEvents() == on_a);
  CHECK(b.LifecycleEvents() == on_b);
  CHECK(on_a == on_b);
}

TEST_CASE("random arrival orders between three deriving nodes and police converge",
          "[projections][convergence]") {
  std::mt19937_64 rng(19);
  for (int trial = 0; trial < (kSanitized ? 10 : 30); ++trial) {
    INFO("trial " << trial);
    Node nodes[3] = {{"probation-1", true}, {"partnership-1", true}, {"probation-2", true}};
    Node police("police-1", false);
    // Each deriving node holds the case; one or two of them the contact; random padding.
    const int with_contact = static_cast<int>(rng() % 3);
    for (int i = 0; i < 3; ++i) {
      const size_t padding = rng() % 50;
      if (padding > 0) nodes[i].Append(Padding(0xd0 + i, padding));
      nodes[i].Append(CaseEvents());
      if (i == with_contact || rng() % 3 == 0) nodes[i].Append(One(Contact()));
      nodes[i].CatchUp();
    }
    // Random partial exchanges, folding at random points.
    for (int step = 0; step < 12; ++step) {
      Node& to = nodes[rng() % 3];
      Node& from = nodes[rng() % 3];
      if (&to == &from) continue;
      const uint64_t before = to.Last();
      to.Receive(from, 0, 1 + rng() % from.Last());
      if (rng() % 2) {
        to.CatchUpThrough(before + rng() % (to.Last() - before + 1));
      }
      if (rng() % 4 == 0) to.Restart();
      to.CatchUp();
      if (rng() % 2) {
        police.Receive(from, 0, 1 + rng() % from.Last());
        police.CatchUp();
      }
    }
    for (int round = 0; round < 4; ++round) {
      for (auto& to : nodes) {
        for (auto& from : nodes) {
          if (&to != &from) to.ReceiveAll(from);
        }
        to.CatchUp();
      }
    }
    for (auto& from : nodes) police.ReceiveAll(from);
    police.CatchUp();
    const auto answer = FromScratch();
    for (auto& n : nodes) {
      INFO("node:\n" << Show(n.Alerts()) << "first:\n" << Show(nodes[0].Alerts()));
      CHECK(n.Alerts() == nodes[0].Alerts());
      CHECK(n.Standing() == answer);
    }
    CHECK(police.Alerts() == nodes[0].Alerts());
  }
}

TEST_CASE(
    "an acknowledgement made on one deriving node is kept when the alert is withdrawn "
    "by the other's evidence",
    "[projections][convergence]") {
  Node a("probation-1", true), b("partnership-1", true), police("police-1", false);
  PlayA(&a, 3);
  PlayB(&b, 3000);  // B's raise outranks A's withdrawal until B withdraws it itself
  const std::string alert = b.Alerts().begin()->first;
  b.Append(One(testing::MakeAlertAcknowledged(*ParseUuid(alert))));
  b.CatchUp();
  CHECK(b.Alerts().begin()->second.rfind("acknowledged", 0) == 0);
  SettleAndCheck(&a, &b, &police);
  for (Node* n : {&a, &b, &police}) {
    // Withdrawn, and the acknowledgement still there (SPEC "Late evidence").
    CHECK(n->Acknowledged(alert));
  }
}

TEST_CASE("a correction that brings a withdrawn alert back re-raises it on every node",
          "[projections][convergence]") {
  Node a("probation-1", true), b("partnership-1", true), police("police-1", false);
  PlayA(&a, 3);
  PlayB(&b, 0);
  SettleAndCheck(&a, &b, &police);
  // The contact was recorded wrongly: a later record of the same session, absent.
  Event correction =
      testing::MakeAttendance("C-1", "I-1", "S-1", schema::AttendanceOutcome::ABSENT_UNACCEPTABLE);
  correction.builder().getOccurredAt().setUnixNanos(kStart + 21 * kDay - 18 * kSecond);
  b.Append(One(testing::WithId(std::move(correction), TestUuid(0xc0, 6))));
  b.CatchUp();
  REQUIRE(b.Alerts().begin()->second.rfind("open", 0) == 0);
  for (int round = 0; round < 3; ++round) {
    a.ReceiveAll(b);
    a.CatchUp();
    b.ReceiveAll(a);
    b.CatchUp();
  }
  police.ReceiveAll(a);
  police.ReceiveAll(b);
  police.CatchUp();
  const auto on_a = a.Alerts();
  INFO("A:\n" << Show(on_a) << "B:\n" << Show(b.Alerts()) << "police:\n" << Show(police.Alerts()));
  REQUIRE(on_a.size() == 1);
  CHECK(on_a.begin()->second == "open " + std::to_string(kStart + 21 * kDay));
  CHECK(b.Alerts() == on_a);
  CHECK(police.Alerts() == on_a);
}
