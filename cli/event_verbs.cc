// The case-work verbs that record one event each. Their options come from the event's
// body struct in eventstore/event.capnp: every field is an option named after its JSON
// name (lead_agency -> --lead-agency), Bool fields are switches, and fields without
// $optional are required. The event is then built through the same JSON parser as
// `import`, so the CLI and import accept and refuse exactly the same things.
#include <capnp/schema.h>

#include <cctype>
#include <chrono>
#include <iostream>

#include "cli/cli.h"
#include "eventstore/event_json.h"
#include "eventstore/validate.h"

namespace holdfast::cli {
namespace {

struct EventVerbSpec {
  const char* name;
  EventType type;
  const char* summary;
  const char* example;
};

const EventVerbSpec kEventVerbs[] = {
    {"case open", EventType::CASE_OPENED,
     "Open a case when a court order or licence requires a programme",
     "holdfast case open --case C-0042 --subject P-17 --order community_order --risk high "
     "--lead-agency probation-ce"},
    {"case risk", EventType::CASE_RISK_CHANGED, "Record a new risk level (and MARAC referral)",
     "holdfast case risk --case C-0042 --risk very_high --marac"},
    {"case close", EventType::CASE_CLOSED, "Close a case",
     "holdfast case close --case C-0042 --reason order_ended"},
    {"intervention refer", EventType::INTERVENTION_REFERRED, "Refer the person to a programme",
     "holdfast intervention refer --case C-0042 --intervention I-0042-1 --programme "
     "building_choices --provider provider-ce"},
    {"intervention start", EventType::INTERVENTION_STARTED, "Record that a programme started",
     "holdfast intervention start --case C-0042 --intervention I-0042-1 --at 2025-03-04T18:00:00Z"},
    {"intervention complete", EventType::INTERVENTION_COMPLETED,
     "Record that a programme was completed",
     "holdfast intervention complete --case C-0042 --intervention I-0042-1"},
    {"intervention exit", EventType::INTERVENTION_EXITED,
     "Record that the person left a programme early, and why",
     "holdfast intervention exit --case C-0042 --intervention I-0042-1 --reason non_compliance"},
    {"session log", EventType::SESSION_HELD, "Log a group or one-to-one session held",
     "holdfast session log --session S-2025-03-04-grpA --group grpA --module \"Module 3\" "
     "--facilitator f-ali --at 2025-03-04T18:00:00Z"},
    {"attendance record", EventType::ATTENDANCE_RECORDED,
     "Record an attendee's outcome at a session (a later record for the same session corrects "
     "it)",
     "holdfast attendance record --case C-0042 --intervention I-0042-1 --session "
     "S-2025-03-04-grpA --outcome absent_unacceptable --reason \"no contact\""},
    {"breach report", EventType::BREACH_REPORTED, "Report a breach of an order",
     "holdfast breach report --case C-0042 --kind failure_to_comply --detail \"missed 3 "
     "appointments\""},
    {"incident report", EventType::INCIDENT_REPORTED,
     "Report a new incident involving a known subject",
     "holdfast incident report --subject P-17 --incident INC-2025-0001 --category "
     "domestic_abuse --crime"},
    {"record void", EventType::RECORD_VOIDED,
     "Void a mistaken record: every rule, list and report then treats it as absent",
     "holdfast record void --event 7f0c2a4e-5d1b-4c8e-9a51-2f7b9d0e6c13 --reason \"recorded "
     "against the wrong session\""},
    {"alerts ack", EventType::ALERT_ACKNOWLEDGED, "Acknowledge an alert, with a note",
     "holdfast alerts ack --alert 0b5a3c1e-2f4d-5e6f-8a9b-0c1d2e3f4a5b --note \"called the "
     "officer in charge\""},
    {"alerts resolve", EventType::ALERT_RESOLVED, "Resolve an alert, recording the action taken",
     "holdfast alerts resolve --alert 0b5a3c1e-2f4d-5e6f-8a9b-0c1d2e3f4a5b --action \"home "
     "visit made\""},
    {"alerts assign", EventType::ALERT_ASSIGNED,
     "Assign an alert to a person (the latest assignment stands)",
     "holdfast alerts assign --alert 0b5a3c1e --to pc-1 --note \"knows the family\""},
};

bool TakesAlertId(EventType type) {
  return type == EventType::ALERT_ACKNOWLEDGED || type == EventType::ALERT_RESOLVED ||
         type == EventType::ALERT_ASSIGNED;
}

// The whole id of the alert `given` names: itself when it is a whole id, else the one alert
// the daemon finds it a unique prefix of (8 or more characters; daemon/triage.h). The
// daemon checks the prefix, so the HTTPS API and the CLI refuse the same ones.
std::string WholeAlertId(Context& ctx, const std::string& given) {
  if (ParseUuid(given)) return given;
  size_t digits = 0;
  for (char c : given) digits += c != '-';
  if (digits < 8) {
    throw CliError{kExitUsage, "--alert: give at least 8 characters of the alert id (\"" + given +
                                   "\" has " + std::to_string(digits) + ")"};
  }
  capnp::MallocMessageBuilder message;
  NewRequest(message, ctx).setResolveAlert(given);
  auto reply = ctx.Call(message);
  auto response = reply->root<api::Response>();
  if (!response.isAlert()) throw CliError{kExitFailed, "unexpected response from holdfastd"};
  return response.getAlert().getAlert();
}

capnp::StructSchema BodySchema(EventType type) {
  for (auto f : capnp::Schema::from<schema::Event>().getUnionFields()) {
    if (static_cast<EventType>(f.getProto().getDiscriminantValue()) == type) {
      return f.getType().asStruct();
    }
  }
  throw CliError{kExitFailed, "event type missing from the schema"};
}

std::string OptionName(const std::string& json_name) {
  std::string o = json_name;
  for (char& c : o) {
    if (c == '_') c = '-';
  }
  return o;
}

void AddBodyOptions(EventType type, po::options_description& d) {
  for (auto field : BodySchema(type).getNonUnionFields()) {
    const std::string name = OptionName(JsonNameOf(field));
    const bool optional = IsOptionalField(field);
    auto t = field.getType();
    std::string help;
    if (t.isEnum()) {
      help = "one of: " + AllowedValues(t.asEnum());
    } else if (t.isStruct()) {
      help = TakesAlertId(type) && name == "alert"
                 ? "the alert's id, or its first 8 or more characters"
                 : "a UUID";
    } else if (IsFreeTextField(field)) {
      help = "free text";
    } else {
      help = "an id (no spaces)";
    }
    if (t.isBool()) {
      // A switch is never required: left out, it records false (as import reads a missing
      // Bool), so its help must not say "(required)" even where the field has no $optional.
      d.add_options()(name.c_str(), po::bool_switch(),
                      "a switch: give it for yes, leave it out for no");
    } else {
      d.add_options()(name.c_str(), po::value<std::string>(),
                      (help + (optional ? "" : " (required)")).c_str());
    }
  }
  d.add_options()("at", po::value<std::string>(),
                  "when it happened: a local time in the node's time zone, e.g. \"2025-03-04 "
                  "18:00\", or RFC 3339 UTC, e.g. 2025-03-04T18:00:00Z (default: now)")(
      "id", po::value<std::string>(),
      "the event's UUID (default: a new one; give one to make a script safe to re-run)");
}

// "data.lead_agency: missing (required) (in case.opened)" -> "--lead-agency: missing (required)"
std::string AsOptionError(const std::string& message) {
  std::string m = message;
  if (m.rfind("data.", 0) == 0) {
    size_t colon = m.find(':');
    m = "--" + OptionName(m.substr(5, colon - 5)) + m.substr(colon);
  } else if (m.rfind("occurred_at:", 0) == 0) {
    m = "--at:" + m.substr(12);
  } else if (m.rfind("author.user:", 0) == 0) {
    m = "--user:" + m.substr(12);
  }
  size_t in = m.find(" (in ");
  if (in != std::string::npos) m.erase(in);
  return m;
}

std::string NowRfc3339() {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now).count();
  return FormatRfc3339(seconds * 1000000000LL);
}

int RunEventVerb(const EventVerbSpec& spec, Context& ctx) {
  const auto& vm = ctx.vm;
  std::string data;
  for (auto field : BodySchema(spec.type).getNonUnionFields()) {
    const std::string json = JsonNameOf(field);
    const std::string name = OptionName(json);
    std::string value;
    if (field.getType().isBool()) {
      if (!vm[name].as<bool>()) {
        if (IsOptionalField(field)) continue;
        value = "false";
      } else {
        value = "true";
      }
    } else if (vm.count(name) && name == "alert" && TakesAlertId(spec.type)) {
      value = JsonString(WholeAlertId(ctx, vm[name].as<std::string>()), InvalidUtf8::kKeep);
    } else if (vm.count(name)) {
      value = JsonString(vm[name].as<std::string>(), InvalidUtf8::kKeep);
    } else if (IsOptionalField(field)) {
      continue;
    } else {
      throw CliError{kExitUsage, "--" + name + " is required (see holdfast help " +
                                     std::string(spec.name) + ")"};
    }
    data += (data.empty() ? "" : ",") + JsonString(json) + ":" + value;
  }
  const std::string id = vm.count("id") ? vm["id"].as<std::string>() : FormatUuid(RandomUuid());
  const std::string at = vm.count("at") ? FormatRfc3339(TimeOption(ctx, "at")) : NowRfc3339();
  // The author is the daemon's to set: the user it identified, that user's role and its own
  // agency. What the CLI puts here is a placeholder it overwrites.
  const std::string json =
      "{\"id\":" + JsonString(id, InvalidUtf8::kKeep) +
      ",\"type\":" + JsonString(std::string(EventTypeName(spec.type))) +
      ",\"occurred_at\":" + JsonString(at, InvalidUtf8::kKeep) +
      ",\"author\":{\"user\":\"-\",\"role\":\"probation\",\"agency\":\"-\"},\"data\":{" + data +
      "}}";
  auto event = EventFromJson(json);
  if (!event.ok()) {
    const std::string& m = event.status().message();
    if (m.rfind("id:", 0) == 0) throw CliError{kExitUsage, "--id:" + m.substr(3)};
    throw CliError{kExitUsage, AsOptionError(m)};
  }
  capnp::MallocMessageBuilder message;
  auto request = NewRequest(message, ctx);
  auto append = request.initAppend();
  append.initEvents(1).setWithCaveats(0, event->reader());
  if (spec.type == EventType::ATTENDANCE_RECORDED) {
    append.setUnlistedSession(vm["unlisted-session"].as<bool>());
  }
  // The request may be in the daemon's socket when the CLI gives up, and be recorded when
  // the daemon runs again. The same id and time make a re-run the same event, recorded once
  // (a later default --at would make it a different event under the same id: a conflict).
  ctx.timeout_note = "the append's outcome is unknown: re-running with --id " + id + " --at " + at +
                     " is safe (the event is recorded once)";
  auto reply = ctx.Call(message);
  auto appended = reply->root<api::Response>().getAppended();
  if (appended.size() != 1) throw CliError{kExitFailed, "unexpected response from holdfastd"};
  const uint64_t position = appended[0].getPosition();
  const bool duplicate = appended[0].getDuplicate();
  // Accepted with something to say (an incident for a subject no case names; a void of an
  // event already voided, for which nothing was written): stderr, so stdout stays the result.
  if (appended[0].hasWarning())
    std::cerr << "holdfast: " << appended[0].getWarning().cStr() << "\n";
  if (ctx.format == "table") {
    if (duplicate && position == 0) {
      std::cout << "nothing written for " << EventTypeName(spec.type) << " " << id << "\n";
    } else {
      std::cout << (duplicate ? "already recorded " : "recorded ") << EventTypeName(spec.type)
                << " " << id << " at position " << position << "\n";
    }
  } else {
    Table t({"id", "type", "position", "duplicate"}, {false, false, true, false});
    t.Add({id, std::string(EventTypeName(spec.type)), std::to_string(position),
           duplicate ? "true" : "false"});
    t.Print(ctx.format, std::cout);
  }
  return 0;
}

}  // namespace

void AddEventVerbs(std::vector<Verb>* verbs) {
  for (const auto& spec : kEventVerbs) {
    Verb v;
    v.name = spec.name;
    v.summary = spec.summary;
    std::string usage = std::string(spec.name);
    for (auto field : BodySchema(spec.type).getNonUnionFields()) {
      std::string opt = "--" + OptionName(JsonNameOf(field));
      if (!field.getType().isBool()) {
        std::string metavar = JsonNameOf(field);
        for (char& c : metavar) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        opt += " " + metavar;
      }
      const bool optional = IsOptionalField(field) || field.getType().isBool();
      usage += optional ? " [" + opt + "]" : " " + opt;
    }
    v.usage = usage + (spec.type == EventType::ATTENDANCE_RECORDED ? " [--unlisted-session]" : "") +
              " [--at TIME]";
    v.example = spec.example;
    const EventVerbSpec* s = &spec;
    v.add_options = [s](po::options_description& d) {
      AddBodyOptions(s->type, d);
      if (s->type == EventType::ATTENDANCE_RECORDED) {
        d.add_options()("unlisted-session", po::bool_switch(),
                        "the session is not logged on this node (a one-to-one appointment): "
                        "record the attendance anyway");
      }
    };
    v.run = [s](Context& ctx) { return RunEventVerb(*s, ctx); };
    verbs->push_back(std::move(v));
  }
  AddRegisterVerb(verbs);
}

}  // namespace holdfast::cli
