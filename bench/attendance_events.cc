#include "bench/attendance_events.h"

#include <capnp/message.h>
#include <capnp/serialize.h>

#include <string>

#include "eventstore/ids.h"

namespace holdfast::bench {
namespace {

// 2025-03-04T18:00:00Z, the SPEC's example instant.
constexpr int64_t kFirstSessionNanos = 1741111200LL * 1000000000LL;
constexpr int64_t kWeekNanos = 7LL * 24 * 3600 * 1000000000LL;

const char* const kFacilitators[] = {"jsmith", "akhan", "mbrown", "lwilliams", "rpatel"};
const char* const kAgencies[] = {"provider-a", "provider-b", "probation-north"};
const char* const kGroups[] = {"grpA", "grpB", "grpC", "grpD"};
const char* const kReasons[] = {"no contact", "said he was ill, no note", "phone switched off",
                                "arrived 25 minutes late"};

// "0042" for Padded(42, 4).
std::string Padded(size_t n, size_t width) {
  std::string s = std::to_string(n);
  return s.size() >= width ? s : std::string(width - s.size(), '0') + s;
}

}  // namespace

AttendanceEvents::AttendanceEvents(size_t cases, uint64_t seed) : cases_(cases), rng_(seed) {}

Event AttendanceEvents::Next() {
  using Outcome = schema::AttendanceOutcome;
  const size_t c = rng_() % cases_ + 1;
  const size_t week = rng_() % 26;
  const unsigned roll = rng_() % 100;
  const Outcome outcome = roll < 70   ? Outcome::ATTENDED
                          : roll < 78 ? Outcome::LATE
                          : roll < 82 ? Outcome::LEFT_EARLY
                          : roll < 90 ? Outcome::ABSENT_ACCEPTABLE
                                      : Outcome::ABSENT_UNACCEPTABLE;

  Event e;
  auto b = e.builder();
  SetUuid(b.initId(), RandomUuid());
  b.initOccurredAt().setUnixNanos(kFirstSessionNanos + static_cast<int64_t>(week) * kWeekNanos);
  auto author = b.initAuthor();
  author.setUser(kFacilitators[c % 5]);
  author.setRole(schema::Role::FACILITATOR);
  author.setAgency(kAgencies[c % 3]);

  auto d = b.initAttendanceRecorded();
  // C-0042, its intervention I-0042-1 and a weekly group session S-2025-W12-grpC.
  const std::string case_number = Padded(c, 4);
  d.setCaseId("C-" + case_number);
  d.setIntervention("I-" + case_number + "-" + std::to_string(c % 2 + 1));
  d.setSession("S-2025-W" + Padded(week + 10, 2) + "-" + kGroups[c % 4]);
  d.setOutcome(outcome);
  if (outcome != Outcome::ATTENDED) d.setReason(kReasons[rng_() % 4]);
  if (outcome == Outcome::ABSENT_UNACCEPTABLE) d.setConcern(true);
  return e;
}

std::string StampedBytes(const Event& event, const std::string& origin, uint64_t seq,
                         uint64_t recorded_at) {
  // Not Event::CopyOf: it leaves the empty root of its constructor behind in the message
  // (56 bytes), so its bytes would be longer than the store's.
  capnp::MallocMessageBuilder message(64);
  message.setRoot(event.reader());
  auto p = message.getRoot<schema::Event>().initProvenance();
  p.setOrigin(origin);
  p.setSeq(seq);
  p.initRecordedAt().setValue(recorded_at);
  auto words = capnp::messageToFlatArray(message);
  auto bytes = words.asBytes();
  return std::string(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
}

}  // namespace holdfast::bench
