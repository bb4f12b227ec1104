// `holdfast session register`: a session and every attendee's outcome in one atomic append
// (SPEC "Sessions, registers and people"). The attendees come from a CSV file (columns
// case,intervention,outcome,reason,concern, with a header row) or from --attendee values.
// Each row becomes an attendance.recorded built through the same JSON parser as `import`, so
// a register accepts and refuses what the single verbs do; the daemon then checks every row
// at entry and writes all of them or none, naming each bad row by the label sent with it.
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "cli/cli.h"
#include "cli/register_file.h"
#include "eventstore/event_json.h"
#include "eventstore/validate.h"

namespace holdfast::cli {
namespace {

// The attendees of a register file; every bad row is named in the one error.
Result<std::vector<Attendee>> AttendeesFromCsv(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("--file: cannot read " + path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return ParseRegister(buffer.str(), path);
}

// --attendee CASE:INTERVENTION:OUTCOME[:REASON] (the reason may hold colons).
Result<Attendee> AttendeeFromOption(const std::string& text, size_t n) {
  Attendee a;
  a.label = "--attendee " + std::to_string(n);
  std::vector<std::string> parts;
  size_t start = 0;
  while (parts.size() < 3) {
    const size_t colon = text.find(':', start);
    if (colon == std::string::npos) break;
    parts.push_back(text.substr(start, colon - start));
    start = colon + 1;
  }
  parts.push_back(text.substr(start));
  if (parts.size() < 3 || parts[0].empty() || parts[1].empty() || parts[2].empty()) {
    return Status::InvalidArgument(a.label + ": \"" + text +
                                   "\" is not CASE:INTERVENTION:OUTCOME[:REASON]");
  }
  a.case_id = parts[0];
  a.intervention = parts[1];
  a.outcome = parts[2];
  if (parts.size() == 4) a.reason = parts[3];
  return a;
}

// "data.outcome: "x" is not one of ... (in attendance.recorded)" -> "outcome: "x" is ..."
std::string AsColumnError(std::string m) {
  if (m.rfind("data.", 0) == 0) m = m.substr(5);
  const size_t in = m.find(" (in ");
  if (in != std::string::npos) m.erase(in);
  return m;
}

std::string EventJson(const Uuid& id, EventType type, const std::string& at,
                      const std::string& data) {
  // The author is the daemon's to set (the user it identified); this is a placeholder.
  return "{\"id\":" + JsonString(FormatUuid(id)) +
         ",\"type\":" + JsonString(std::string(EventTypeName(type))) +
         ",\"occurred_at\":" + JsonString(at) +
         ",\"author\":{\"user\":\"-\",\"role\":\"probation\",\"agency\":\"-\"},\"data\":{" + data +
         "}}";
}

std::string Member(const char* name, const std::string& value) {
  return JsonString(name) + ":" + JsonString(value, InvalidUtf8::kKeep);
}

// The namespace of attendance ids in a register: NameUuid(kRegisterNamespace, session
// event id + case + intervention). A register re-run with the same --id and --at is the
// same events, recorded once.
constexpr Uuid kRegisterNamespace{0x2d7c1e5a9b3f4c60ULL, 0x8a4e6b2d1c9f7e35ULL};

int RunRegister(Context& ctx) {
  const auto& vm = ctx.vm;
  for (const char* required : {"session", "group", "module", "facilitator"}) {
    if (!vm.count(required)) {
      throw CliError{kExitUsage, std::string("--") + required +
                                     " is required (see holdfast help session register)"};
    }
  }
  const bool from_file = vm.count("file") > 0;
  const bool from_options = vm.count("attendee") > 0;
  if (from_file == from_options) {
    throw CliError{kExitUsage,
                   "give the attendees either with --file REGISTER.csv or with --attendee "
                   "CASE:INTERVENTION:OUTCOME[:REASON] (repeated), not " +
                       std::string(from_file ? "both" : "neither")};
  }
  std::vector<Attendee> attendees;
  if (from_file) {
    auto read = AttendeesFromCsv(vm["file"].as<std::string>());
    if (!read.ok()) throw CliError{kExitFailed, "--file " + read.status().message()};
    attendees = std::move(*read);
  } else {
    const auto& values = vm["attendee"].as<std::vector<std::string>>();
    for (size_t n = 0; n < values.size(); ++n) {
      auto a = AttendeeFromOption(values[n], n + 1);
      if (!a.ok()) throw CliError{kExitUsage, a.status().message()};
      attendees.push_back(std::move(*a));
    }
  }

  std::string session_id_text;
  Uuid session_event;
  if (vm.count("id")) {
    auto parsed = ParseUuid(vm["id"].as<std::string>());
    if (!parsed) throw CliError{kExitUsage, "--id: not a UUID"};
    session_event = *parsed;
  } else {
    session_event = RandomUuid();
  }
  int64_t at_nanos;
  if (vm.count("at")) {
    at_nanos = TimeOption(ctx, "at");
  } else {
    auto now = std::chrono::system_clock::now().time_since_epoch();
    at_nanos = std::chrono::duration_cast<std::chrono::seconds>(now).count() * 1000000000LL;
  }
  const std::string at = FormatRfc3339(at_nanos);
  const std::string session = vm["session"].as<std::string>();

  std::string data = Member("session", session) + "," +
                     Member("group", vm["group"].as<std::string>()) + "," +
                     Member("module", vm["module"].as<std::string>()) + "," +
                     Member("facilitator", vm["facilitator"].as<std::string>());
  if (vm.count("notes")) data += "," + Member("notes", vm["notes"].as<std::string>());
  std::vector<Event> events;
  std::vector<std::string> labels;
  auto held = EventFromJson(EventJson(session_event, EventType::SESSION_HELD, at, data));
  if (!held.ok()) {
    std::string m = held.status().message();
    if (m.rfind("data.", 0) == 0) m = "--" + AsColumnError(m);
    throw CliError{kExitUsage, m};
  }
  events.push_back(std::move(*held));
  labels.push_back("the session");

  // Every row is built before anything is sent, and every bad row named at once.
  std::string problems;
  size_t bad = 0;
  std::map<std::pair<std::string, std::string>, std::string> seen;
  for (const Attendee& a : attendees) {
    std::string problem = a.problem;
    auto earlier = seen.find({a.case_id, a.intervention});
    if (!problem.empty()) {
      // a row the file could not give (named below)
    } else if (earlier != seen.end()) {
      problem = "case " + a.case_id + " intervention " + a.intervention + " is also on " +
                earlier->second + "; one row per attendee";
    } else {
      seen.emplace(std::make_pair(a.case_id, a.intervention), a.label);
      std::string row = Member("case", a.case_id) + "," + Member("intervention", a.intervention) +
                        "," + Member("session", session) + "," + Member("outcome", a.outcome);
      if (!a.reason.empty()) row += "," + Member("reason", a.reason);
      if (a.concern) row += ",\"concern\":true";
      const Uuid id =
          NameUuid(kRegisterNamespace,
                   JoinNameParts({FormatUuid(session_event), a.case_id, a.intervention}));
      auto e = EventFromJson(EventJson(id, EventType::ATTENDANCE_RECORDED, at, row));
      if (!e.ok()) {
        problem = AsColumnError(e.status().message());
      } else {
        events.push_back(std::move(*e));
        labels.push_back(a.label);
      }
    }
    if (!problem.empty()) problems += (bad++ ? "; " : "") + a.label + ": " + problem;
  }
  if (bad != 0) {
    throw CliError{kExitFailed, "nothing was written: " + std::to_string(bad) + " bad row" +
                                    (bad == 1 ? "" : "s") + ": " + problems};
  }

  capnp::MallocMessageBuilder message;
  auto request = NewRequest(message, ctx);
  auto append = request.initAppend();
  auto list = append.initEvents(static_cast<unsigned>(events.size()));
  auto names = append.initLabels(static_cast<unsigned>(labels.size()));
  for (unsigned i = 0; i < events.size(); ++i) {
    list.setWithCaveats(i, events[i].reader());
    names.set(i, labels[i]);
  }
  ctx.timeout_note = "the register's outcome is unknown: re-running it with --id " +
                     FormatUuid(session_event) + " --at " + at +
                     " is safe (each record is recorded once)";
  auto reply = ctx.Call(message);
  auto appended = reply->root<api::Response>().getAppended();
  if (appended.size() != events.size()) {
    throw CliError{kExitFailed, "unexpected response from holdfastd"};
  }
  size_t duplicates = 0;
  for (auto a : appended) duplicates += a.getDuplicate() ? 1 : 0;
  if (ctx.format == "table") {
    std::cout << (duplicates == events.size() ? "already recorded" : "recorded") << " session "
              << session << " (" << FormatUuid(session_event) << ") with " << attendees.size()
              << " attendee" << (attendees.size() == 1 ? "" : "s") << " at " << at << "\n";
    return 0;
  }
  Table t({"label", "id", "type", "position", "duplicate"}, {false, false, false, true, false});
  for (unsigned i = 0; i < events.size(); ++i) {
    auto r = events[i].reader();
    t.Add({labels[i], FormatUuid(ToUuid(r.getId())), std::string(EventTypeName(r.which())),
           std::to_string(appended[i].getPosition()),
           appended[i].getDuplicate() ? "true" : "false"});
  }
  t.Print(ctx.format, std::cout);
  return 0;
}

}  // namespace

void AddRegisterVerb(std::vector<Verb>* verbs) {
  verbs->push_back(MakeVerb(
      "session register",
      "Record a session and every attendee's outcome at once (all rows or none)",
      "session register --session SESSION --group GROUP --module MODULE --facilitator "
      "FACILITATOR [--notes NOTES] [--at TIME] (--file REGISTER.csv | --attendee "
      "CASE:INTERVENTION:OUTCOME[:REASON] ...)",
      "holdfast session register --session S-2025-03-04-grpA --group grpA --module \"Module 3\" "
      "--facilitator f-ali --at 2025-03-04T18:00:00Z --file register.csv",
      [](po::options_description& d) {
        d.add_options()("session", po::value<std::string>(), "the session's id (required)")(
            "group", po::value<std::string>(), "the programme group (required)")(
            "module", po::value<std::string>(), "free text: the module delivered (required)")(
            "facilitator", po::value<std::string>(), "who ran it (required)")(
            "notes", po::value<std::string>(), "free text: the session's notes")(
            "at", po::value<std::string>(),
            "when the session was held: a local time in the node's time zone, e.g. "
            "\"2025-03-04 18:00\", or RFC 3339 UTC (default: now)")(
            "file", po::value<std::string>(),
            "a CSV register: a header row case,intervention,outcome,reason,concern and a row "
            "per attendee")("attendee", po::value<std::vector<std::string>>(),
                            "CASE:INTERVENTION:OUTCOME[:REASON], once per attendee")(
            "id", po::value<std::string>(),
            "the session.held event's UUID (default: a new one; the attendance ids follow "
            "from it, so a re-run with the same --id and --at records nothing twice)");
      },
      RunRegister));
}

}  // namespace holdfast::cli
