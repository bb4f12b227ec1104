// holdfast-sample's county: deterministic, valid against the event store's reader, covering
// the vocabulary, coherent as a story, and scalable to a target size.
#include <catch2/catch.hpp>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "eventstore/event.h"
#include "eventstore/event_json.h"
#include "ops/sample/county.h"

using namespace holdfast;
using sample::CountyOptions;

namespace {

constexpr int64_t kSecond = 1000000000;
constexpr int64_t kDay = 86400 * kSecond;

CountyOptions Options(uint64_t seed, int64_t cases) {
  CountyOptions options;
  options.seed = seed;
  options.cases = cases;
  return options;
}

// The fields the story checks read, whatever the event's type.
struct Parsed {
  std::string type;
  int64_t at = 0;
  std::string case_id;
  std::string intervention;
  std::string session;
  int outcome = -1;
  std::string subject;
};

Parsed Parse(const std::string& line) {
  Result<Event> event = EventFromJson(line);
  INFO(line);
  REQUIRE(event.ok());
  auto r = event->reader();
  Parsed p;
  p.type = std::string(EventTypeName(r.which()));
  p.at = r.getOccurredAt().getUnixNanos();
  switch (r.which()) {
    case schema::Event::CASE_OPENED:
      p.case_id = r.getCaseOpened().getCaseId();
      p.subject = r.getCaseOpened().getSubject();
      break;
    case schema::Event::CASE_CLOSED:
      p.case_id = r.getCaseClosed().getCaseId();
      break;
    case schema::Event::INTERVENTION_STARTED:
      p.intervention = r.getInterventionStarted().getIntervention();
      break;
    case schema::Event::INTERVENTION_COMPLETED:
      p.intervention = r.getInterventionCompleted().getIntervention();
      break;
    case schema::Event::INTERVENTION_EXITED:
      p.intervention = r.getInterventionExited().getIntervention();
      break;
    case schema::Event::SESSION_HELD:
      p.session = r.getSessionHeld().getSession();
      break;
    case schema::Event::ATTENDANCE_RECORDED: {
      auto a = r.getAttendanceRecorded();
      p.case_id = a.getCaseId();
      p.intervention = a.getIntervention();
      p.session = a.getSession();
      p.outcome = static_cast<int>(a.getOutcome());
      break;
    }
    case schema::Event::INCIDENT_REPORTED:
      p.subject = r.getIncidentReported().getSubject();
      break;
    default:
      break;
  }
  return p;
}

const std::vector<std::string>& DefaultCountyLines() {
  static const std::vector<std::string> lines = sample::GenerateCountyLines(CountyOptions{});
  return lines;
}

const std::vector<Parsed>& DefaultCounty() {
  static const std::vector<Parsed> parsed = [] {
    std::vector<Parsed> out;
    for (const std::string& line : DefaultCountyLines()) out.push_back(Parse(line));
    return out;
  }();
  return parsed;
}

uint64_t CountEvents(const CountyOptions& options) {
  return sample::GenerateCounty(options, [](const sample::SampleLine&) { return true; });
}

}  // namespace

TEST_CASE("the same seed gives the same lines, byte for byte", "[sample]") {
  const auto first = sample::GenerateCountyLines(Options(7, 80));
  REQUIRE(first.size() > 1000);
  CHECK(sample::GenerateCountyLines(Options(7, 80)) == first);
}

TEST_CASE("a different seed gives a different county", "[sample]") {
  const auto a = sample::GenerateCountyLines(Options(7, 80));
  const auto b = sample::GenerateCountyLines(Options(8, 80));
  CHECK(a != b);
  // Not only the ids: the stories themselves differ.
  std::set<std::string> a_bodies, b_bodies;
  for (const auto& line : a) a_bodies.insert(line.substr(line.find("\"occurred_at\"")));
  for (const auto& line : b) b_bodies.insert(line.substr(line.find("\"occurred_at\"")));
  CHECK(a_bodies != b_bodies);
}

TEST_CASE("every line parses with the event store's reader, and ids are unique", "[sample]") {
  const auto& lines = DefaultCountyLines();
  std::set<std::pair<uint64_t, uint64_t>> ids;
  for (size_t i = 0; i < lines.size(); ++i) {
    Result<Event> event = EventFromJson(lines[i]);
    INFO("line " << i + 1 << ": " << lines[i]);
    REQUIRE(event.ok());
    auto id = event->reader().getId();
    ids.emplace(id.getHi(), id.getLo());
  }
  CHECK(ids.size() == lines.size());
}

TEST_CASE("lines are in the form the store exports them, less provenance", "[sample]") {
  // So an import followed by an export can be compared with the sample line by line.
  for (const std::string& line : DefaultCountyLines()) {
    Result<Event> event = EventFromJson(line);
    REQUIRE(event.ok());
    REQUIRE(EventToJson(event->reader()) == line);
  }
}

TEST_CASE("the default county uses every event type except alerts, erasure and voids", "[sample]") {
  std::map<std::string, int> counts;
  for (const Parsed& p : DefaultCounty()) ++counts[p.type];
  for (EventType type : AllEventTypes()) {
    const std::string name(EventTypeName(type));
    INFO(name);
    if (name.rfind("alert.", 0) == 0 || name == "subject.erased" || name == "record.voided") {
      CHECK(counts[name] == 0);
    } else {
      CHECK(counts[name] > 0);
    }
  }
}

TEST_CASE("attendance names held sessions, inside its intervention's active interval", "[sample]") {
  std::set<std::string> sessions;
  std::map<std::string, int64_t> started, ended;
  for (const Parsed& p : DefaultCounty()) {
    if (p.type == "session.held") CHECK(sessions.insert(p.session).second);
    if (p.type == "intervention.started") started[p.intervention] = p.at;
    if (p.type == "intervention.completed" || p.type == "intervention.exited") {
      ended[p.intervention] = p.at;
    }
  }
  int records = 0;
  for (const Parsed& p : DefaultCounty()) {
    if (p.type != "attendance.recorded") continue;
    ++records;
    INFO(p.case_id << " " << p.session);
    CHECK(sessions.count(p.session) == 1);
    REQUIRE(started.count(p.intervention) == 1);
    CHECK(p.at >= started[p.intervention]);
    if (ended.count(p.intervention)) CHECK(p.at < ended[p.intervention]);
  }
  CHECK(records > 3000);
}

TEST_CASE("some attendance is corrected later with another outcome", "[sample]") {
  std::map<std::pair<std::string, std::string>, std::vector<const Parsed*>> by_case_session;
  for (const Parsed& p : DefaultCounty()) {
    if (p.type == "attendance.recorded") by_case_session[{p.case_id, p.session}].push_back(&p);
  }
  int corrections = 0;
  for (const auto& [key, records] : by_case_session) {
    if (records.size() < 2) continue;
    REQUIRE(records.size() == 2);
    CHECK(records[1]->at > records[0]->at);
    CHECK(records[1]->outcome != records[0]->outcome);
    ++corrections;
  }
  CHECK(corrections >= 3);
}

TEST_CASE("cases close after their last event, and incidents follow some closures by over a year",
          "[sample]") {
  std::map<std::string, int64_t> closed;
  std::map<std::string, std::string> case_of_subject;
  for (const Parsed& p : DefaultCounty()) {
    if (p.type == "case.closed") closed[p.case_id] = p.at;
    if (p.type == "case.opened") case_of_subject[p.subject] = p.case_id;
  }
  CHECK(closed.size() > 50);
  int beyond_window = 0;
  for (const Parsed& p : DefaultCounty()) {
    if (!p.case_id.empty() && closed.count(p.case_id) && p.type != "case.closed") {
      CHECK(p.at < closed[p.case_id]);
    }
    if (p.type == "incident.reported" && case_of_subject.count(p.subject)) {
      auto it = closed.find(case_of_subject[p.subject]);
      if (it != closed.end() && p.at > it->second + 365 * kDay) ++beyond_window;
    }
  }
  CHECK(beyond_window >= 1);
}

TEST_CASE("the event count follows --events-target", "[sample]") {
  int64_t previous_cases = 0;
  for (int64_t target : {5000, 20000, 80000}) {
    INFO("target " << target);
    CountyOptions options = Options(3, 0);
    options.cases = sample::CasesForEventTarget(options, target);
    CHECK(options.cases > previous_cases);
    previous_cases = options.cases;
    const double events = static_cast<double>(CountEvents(options));
    CHECK(events > 0.9 * static_cast<double>(target));
    CHECK(events < 1.1 * static_cast<double>(target));
  }
}

TEST_CASE("the sink can stop the generation early", "[sample]") {
  int seen = 0;
  const uint64_t emitted =
      sample::GenerateCounty(Options(1, 50), [&seen](const auto&) { return ++seen < 10; });
  CHECK(emitted == 10);
  CHECK(seen == 10);
}
