#include "bench/county.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <set>

#include "eventstore/event_json.h"
#include "eventstore/ids.h"

namespace holdfast::bench {
namespace {

// holdfast-sample's county runs 546 days from 2025-01-06.
constexpr int64_t kCountyStart = 1736121600;  // 2025-01-06T00:00:00Z
constexpr int64_t kCountyDays = 546;

// The string value of `"field":"..."` in a JSON line ("" when absent).
std::string FieldOf(const std::string& line, const std::string& field) {
  const std::string key = "\"" + field + "\":\"";
  const size_t at = line.find(key);
  if (at == std::string::npos) return "";
  const size_t from = at + key.size();
  return line.substr(from, line.find('"', from) - from);
}

std::string Padded(int n, size_t width) {
  std::string s = std::to_string(n);
  return s.size() >= width ? s : std::string(width - s.size(), '0') + s;
}

std::string Line(const std::string& type, const std::string& occurred_at, const std::string& user,
                 const std::string& role, const std::string& agency, const std::string& data) {
  return "{\"id\":\"" + FormatUuid(RandomUuid()) + "\",\"occurred_at\":\"" + occurred_at +
         "\",\"author\":{\"user\":\"" + user + "\",\"role\":\"" + role + "\",\"agency\":\"" +
         agency + "\"},\"type\":\"" + type + "\",\"data\":{" + data + "}}";
}

// Seconds since the epoch of an RFC 3339 time in a JSON line's occurred_at.
int64_t OccurredAt(const std::string& line) {
  auto t = ParseRfc3339(FieldOf(line, "occurred_at"));
  return t ? *t / 1000000000LL : 0;
}

bool IsType(const std::string& line, const char* type) {
  return line.find(std::string("\"type\":\"") + type + "\"") != std::string::npos;
}

County Scan(const std::string& file) {
  County county;
  county.file = file;
  std::ifstream in(file);
  if (!in) Die("cannot read " + file);
  std::map<std::pair<std::string, std::string>, std::pair<int64_t, int64_t>> active;
  std::set<std::string> closed;
  for (std::string line; std::getline(in, line);) {
    ++county.events;
    county.bytes += line.size() + 1;
    const std::pair<std::string, std::string> key(FieldOf(line, "case"),
                                                  FieldOf(line, "intervention"));
    if (IsType(line, "intervention.started")) {
      county.interventions.push_back(key);
      active.emplace(key, std::make_pair(OccurredAt(line), kCountyStart + kCountyDays * 86400));
    } else if (IsType(line, "intervention.completed") || IsType(line, "intervention.exited")) {
      auto it = active.find(key);
      if (it != active.end()) it->second.second = std::min(it->second.second, OccurredAt(line));
    } else if (IsType(line, "case.closed")) {
      closed.insert(key.first);
    }
  }
  if (county.interventions.empty()) Die(file + " starts no intervention");
  for (const auto& [key, window] : active) {
    if (closed.count(key.first) == 0 && window.first < window.second) {
      county.open.push_back({key.first, key.second, window.first, window.second});
    }
  }
  if (county.open.empty()) Die(file + " has no open case with an active intervention");
  return county;
}

}  // namespace

County MakeCounty(const Programs& programs, uint64_t target_events, uint64_t seed,
                  const std::string& file) {
  SpawnOptions options;
  options.stdout_path = file;
  Subprocess sample({programs.sample, "--events-target", std::to_string(target_events), "--seed",
                     std::to_string(seed)},
                    options);
  std::string out, err;
  sample.Collect(Clock::now() + std::chrono::minutes(5), &out, &err);
  if (sample.Wait(std::chrono::seconds(300)).value_or(-1) != 0)
    Die("holdfast-sample failed: " + err);
  return Scan(file);
}

County HeadOf(const County& county, uint64_t events, const std::string& file) {
  std::ifstream in(county.file);
  std::ofstream out(file);
  std::string line;
  for (uint64_t n = 0; n < events && std::getline(in, line); ++n) out << line << '\n';
  if (!out.flush()) Die("cannot write " + file);
  return Scan(file);
}

AttendanceSource::AttendanceSource(const County& county, std::string session_prefix, uint64_t seed)
    : county_(county), prefix_(std::move(session_prefix)), rng_(seed) {}

AttendanceSource::Record AttendanceSource::NextRecord() {
  const auto& [case_id, intervention] =
      county_.interventions[rng_() % county_.interventions.size()];
  const int64_t at = kCountyStart + static_cast<int64_t>(rng_() % (kCountyDays * 24)) * 3600;
  return {case_id, intervention, prefix_ + "-" + std::to_string(++n_),
          FormatRfc3339(at * 1000000000LL)};
}

std::string AttendanceSource::NextJson() {
  const Record r = NextRecord();
  return Line("attendance.recorded", r.occurred_at, "fac-bench", "facilitator", "provider-ce",
              "\"case\":\"" + r.case_id + "\",\"intervention\":\"" + r.intervention +
                  "\",\"session\":\"" + r.session + "\",\"outcome\":\"attended\"");
}

Event AttendanceSource::Next() {
  auto event = EventFromJson(NextJson());
  if (!event.ok()) Die("a benchmark attendance event: " + event.status().ToString());
  return std::move(event).value();
}

std::vector<std::string> AttendanceSource::NextCliArgs() {
  const County::Open& o = county_.open[rng_() % county_.open.size()];
  const int64_t at = o.from + static_cast<int64_t>(rng_() % static_cast<uint64_t>(o.to - o.from));
  const Record r{o.case_id, o.intervention, prefix_ + "-" + std::to_string(++n_),
                 FormatRfc3339(at * 1000000000LL)};
  return {"attendance", "record", "--case", r.case_id, "--intervention", r.intervention,
          "--session", r.session, "--outcome", "attended", "--at", r.occurred_at,
          // The county's sessions are not logged: the checks at entry would refuse them.
          "--unlisted-session"};
}

std::string AlertCaseId(int n) { return "C-BENCH-" + Padded(n, 4); }

void WriteAlertSetup(int cases, const std::string& file) {
  std::ofstream out(file);
  for (int n = 1; n <= cases; ++n) {
    const std::string c = AlertCaseId(n), i = "I-BENCH-" + Padded(n, 4) + "-1";
    const std::string case_field = "\"case\":\"" + c + "\"";
    out << Line("case.opened", "2025-02-03T09:00:00Z", "po-bench", "probation", "probation-ce",
                case_field + ",\"subject\":\"P-BENCH-" + Padded(n, 4) +
                    "\",\"order\":\"community_order\",\"risk\":\"medium\","
                    "\"lead_agency\":\"probation-ce\"")
        << '\n'
        << Line("intervention.referred", "2025-02-03T09:30:00Z", "po-bench", "probation",
                "probation-ce",
                case_field + ",\"intervention\":\"" + i +
                    "\",\"programme\":\"building_choices\",\"provider\":\"provider-ce\"")
        << '\n'
        << Line("intervention.started", "2025-02-10T18:00:00Z", "fac-bench", "facilitator",
                "provider-ce", case_field + ",\"intervention\":\"" + i + "\"")
        << '\n'
        << Line("attendance.recorded", "2025-02-17T18:00:00Z", "fac-bench", "facilitator",
                "provider-ce",
                case_field + ",\"intervention\":\"" + i + "\",\"session\":\"S-BENCH-" +
                    Padded(n, 4) +
                    "-1\",\"outcome\":\"absent_unacceptable\",\"reason\":\"no contact\"")
        << '\n';
  }
  if (!out.flush()) Die("cannot write " + file);
}

std::vector<std::string> AlertTriggerArgs(int n) {
  return {"attendance",
          "record",
          "--case",
          AlertCaseId(n),
          "--intervention",
          "I-BENCH-" + Padded(n, 4) + "-1",
          "--session",
          "S-BENCH-" + Padded(n, 4) + "-2",
          "--outcome",
          "absent_unacceptable",
          "--reason",
          "no contact",
          "--at",
          "2025-02-24T18:00:00Z",
          "--unlisted-session"};
}

}  // namespace holdfast::bench
