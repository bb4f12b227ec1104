// case show, subject show, session roster: the case views the daemon builds
// (daemon/case_views.h), rendered for a person (table), or whole for scripts (json, csv).
// docs/case-views.md has the JSON and CSV shapes.
#include <capnp/dynamic.h>

#include <iostream>
#include <sstream>

#include "cli/cli.h"
#include "eventstore/event_json.h"
#include "eventstore/validate.h"

namespace holdfast::cli {
namespace {

// --- A view as sections of records, from which each format is printed ---------------------

enum Where : unsigned { kTable = 1, kCsv = 2, kJson = 4, kAll = 7, kData = kCsv | kJson };

struct Cell {
  std::string name, value;
  enum Kind { kText, kNumber, kBool, kRawJson, kTextList } kind = kText;
  unsigned where = kAll;
  bool withheld = false;  // not shown to the reader's role: "-", empty in CSV, absent in JSON
  std::vector<std::string> list;  // kTextList
};

struct Record {
  std::vector<Cell> cells;
  Record& Text(std::string name, std::string value, unsigned where = kAll, bool withheld = false) {
    cells.push_back({std::move(name), std::move(value), Cell::kText, where, withheld, {}});
    return *this;
  }
  Record& Number(std::string name, uint64_t value, unsigned where = kAll) {
    cells.push_back({std::move(name), std::to_string(value), Cell::kNumber, where, false, {}});
    return *this;
  }
  Record& Bool(std::string name, bool value, unsigned where = kAll) {
    cells.push_back({std::move(name), value ? "true" : "false", Cell::kBool, where, false, {}});
    return *this;
  }
  Record& Json(std::string name, std::string json) {
    cells.push_back({std::move(name), std::move(json), Cell::kRawJson, kJson, false, {}});
    return *this;
  }
  Record& List(std::string name, std::vector<std::string> values, unsigned where = kAll) {
    std::string joined;
    for (const auto& v : values) joined += (joined.empty() ? "" : " ") + v;
    cells.push_back({std::move(name), joined, Cell::kTextList, where, false, std::move(values)});
    return *this;
  }
};

struct Section {
  std::string name;     // the JSON member and CSV section: "timeline"
  std::string title;    // the table's heading: "Timeline"
  bool single = false;  // one record, a JSON object (the header), shown as "name  value" lines
  std::vector<Record> records;
  std::string empty_text = "none";  // a table's line for a section with no records
};

std::string JsonCell(const Cell& c) {
  switch (c.kind) {
    case Cell::kNumber:
    case Cell::kBool:
    case Cell::kRawJson:
      return c.value;
    case Cell::kTextList: {
      std::string out = "[";
      for (size_t i = 0; i < c.list.size(); ++i) out += (i ? "," : "") + JsonString(c.list[i]);
      return out + "]";
    }
    case Cell::kText:
      break;
  }
  return JsonString(c.value);
}

std::string JsonRecord(const Record& r) {
  std::string out = "{";
  bool first = true;
  for (const Cell& c : r.cells) {
    if (!(c.where & kJson) || c.withheld) continue;
    out += (first ? "" : ",") + JsonString(c.name) + ":" + JsonCell(c);
    first = false;
  }
  return out + "}";
}

// One JSON object: a member per section (an object for a single record, else an array).
void PrintJson(const std::vector<Section>& sections, std::ostream& out) {
  out << "{";
  for (size_t s = 0; s < sections.size(); ++s) {
    const Section& sec = sections[s];
    out << (s ? ",\n " : "") << JsonString(sec.name) << ":";
    if (sec.single) {
      out << (sec.records.empty() ? "null" : JsonRecord(sec.records[0]));
      continue;
    }
    if (sec.name == "withheld") {  // a list of phrases
      out << "[";
      for (size_t i = 0; i < sec.records.size(); ++i) {
        out << (i ? "," : "") << JsonString(sec.records[i].cells[0].value);
      }
      out << "]";
      continue;
    }
    out << "[";
    for (size_t i = 0; i < sec.records.size(); ++i) {
      out << (i ? ",\n  " : "") << JsonRecord(sec.records[i]);
    }
    out << "]";
  }
  out << "}\n";
}

// CSV in long form: one row per field, `section,row,field,value` (row counts from 1 within
// its section), so every section fits one header row.
void PrintCsv(const std::vector<Section>& sections, std::ostream& out) {
  out << "section,row,field,value\n";
  for (const Section& sec : sections) {
    for (size_t i = 0; i < sec.records.size(); ++i) {
      for (const Cell& c : sec.records[i].cells) {
        if (!(c.where & kCsv)) continue;
        out << CsvField(sec.name) << "," << (i + 1) << "," << CsvField(c.name) << ","
            << CsvField(c.withheld ? "" : c.value) << "\n";
      }
    }
  }
}

void PrintTables(const std::vector<Section>& sections, std::ostream& out) {
  for (size_t s = 0; s < sections.size(); ++s) {
    const Section& sec = sections[s];
    if (sec.name == "withheld" && sec.records.empty()) continue;  // a person needs no "nothing"
    out << (s ? "\n" : "") << sec.title << "\n";
    if (sec.records.empty()) {
      out << "  " << sec.empty_text << "\n";
      continue;
    }
    if (sec.name == "withheld") {  // phrases, a line each
      for (const Record& r : sec.records) out << "  " << r.cells[0].value << "\n";
      continue;
    }
    if (sec.single) {
      Table t({"field", "value"});
      for (const Cell& c : sec.records[0].cells) {
        if (c.where & kTable) t.Add({"  " + c.name, c.withheld ? "-" : c.value});
      }
      std::ostringstream text;
      t.Print("table", text);
      std::string lines = text.str();
      // No heading row ("field  value") nor its rule.
      out << lines.substr(lines.find('\n', lines.find('\n') + 1) + 1);
      continue;
    }
    std::vector<std::string> columns;
    for (const Cell& c : sec.records[0].cells) {
      if (c.where & kTable) columns.push_back(c.name);
    }
    Table t(columns);
    for (const Record& r : sec.records) {
      std::vector<std::string> row;
      std::vector<bool> withheld;
      for (const Cell& c : r.cells) {
        if (!(c.where & kTable)) continue;
        row.push_back(c.value);
        withheld.push_back(c.withheld);
      }
      t.Add(row, withheld);
    }
    t.Print("table", out);
  }
}

void Print(const Context& ctx, const std::vector<Section>& sections) {
  if (ctx.format == "json") {
    PrintJson(sections, std::cout);
  } else if (ctx.format == "csv") {
    PrintCsv(sections, std::cout);
  } else {
    PrintTables(sections, std::cout);
  }
}

// --- Fields as people read them ---------------------------------------------------------------

// The zone tables show times in: the node's, set by each verb below for the records it
// builds (the CLI runs one verb, on one thread).
const LocalZone* table_zone = nullptr;

struct TableZone {
  explicit TableZone(const Context& ctx) { table_zone = &ctx.Zone(); }
  ~TableZone() { table_zone = nullptr; }
};

// A time in a table (every table time goes through here), local to the node's zone as every
// table shows times; JSON and CSV carry RFC 3339 UTC. "" for none (-1).
std::string TableTime(int64_t unix_nanos) {
  if (unix_nanos < 0) return "";
  return table_zone != nullptr ? FormatLocalTime(unix_nanos, *table_zone)
                               : FormatRfc3339(unix_nanos);
}
std::string DataTime(int64_t unix_nanos) { return unix_nanos < 0 ? "" : FormatRfc3339(unix_nanos); }

// A time as cells: the table's (local, as the node's tables show times) and the data's
// (RFC 3339 UTC; JSON null and an empty CSV value for none).
void Time(Record& r, const std::string& name, int64_t unix_nanos, unsigned where = kAll) {
  if (where & kTable) r.Text(name, TableTime(unix_nanos), kTable);
  if (unix_nanos >= 0) {
    r.Text(name, DataTime(unix_nanos), where & kData);
    return;
  }
  if (where & kJson) r.cells.push_back({name, "null", Cell::kRawJson, kJson, false, {}});
  if (where & kCsv) r.Text(name, "", kCsv);
}

// "subject=P-17 order=community_order" from an event's body, by its schema (the case id,
// which the reader already knows, is left out; so are fields the reader may not see).
std::string DescribeBody(schema::Event::Reader event) {
  capnp::DynamicStruct::Reader dyn(event);
  std::string out;
  KJ_IF_MAYBE (member, dyn.which()) {
    auto body = dyn.get(*member).as<capnp::DynamicStruct>();
    for (auto field : body.getSchema().getNonUnionFields()) {
      const std::string name = JsonNameOf(field);
      if (name == "case") continue;
      std::string value;
      auto t = field.getType();
      if (t.isText()) {
        value = body.get(field).as<capnp::Text>().cStr();
      } else if (t.isBool()) {
        if (body.get(field).as<bool>()) value = "yes";
      } else if (t.isEnum()) {
        auto e = body.get(field).as<capnp::DynamicEnum>().getEnumerant();
        KJ_IF_MAYBE (en, e) {
          value = JsonNameOf(*en);
        }
      } else if (t.isStruct() && t.asStruct() == capnp::Schema::from<schema::Uuid>() &&
                 body.has(field)) {
        // (An alert lifecycle event's basis is left out: it orders the events, and says
        // nothing about the case; `export` shows it.)
        value = FormatUuid(ToUuid(body.get(field).as<schema::Uuid>()));
      }
      if (value.empty()) continue;
      if (value.find(' ') != std::string::npos) value = "\"" + value + "\"";
      out += (out.empty() ? "" : " ") + name + "=" + value;
    }
  }
  return out;
}

std::string RoleOf(schema::Event::Reader e) {
  auto roles = capnp::Schema::from<schema::Role>().getEnumerants();
  const auto i = static_cast<unsigned>(e.getAuthor().getRole());
  return i < roles.size() ? JsonNameOf(roles[i]) : "?";
}

std::vector<std::string> TextList(capnp::List<capnp::Text>::Reader list) {
  std::vector<std::string> out;
  for (auto t : list) out.emplace_back(t.cStr());
  return out;
}

Record HeaderRecord(api::CaseHeader::Reader h, bool with_case) {
  Record r;
  if (with_case) r.Text("case", h.getCaseId());
  r.Text("subject", h.getSubject());
  r.Text("order", h.getOrder());
  r.Text("risk", std::string(h.getRisk()) + (h.getMarac() ? " (MARAC)" : ""), kTable);
  r.Text("risk", h.getRisk(), kData);
  r.Bool("marac", h.getMarac(), kData);
  r.Text("lead_agency", h.getLeadAgency());
  std::string status = h.getStatus();
  if (status == "closed")
    status += " " + TableTime(h.getClosedAt()) + " (" + h.getCloseReason().cStr() + ")";
  if (status == "open") status += " since " + TableTime(h.getOpenedAt());
  r.Text("status", status, kTable);
  r.Text("status", h.getStatus(), kData);
  Time(r, "opened_at", h.getOpenedAt(), kData);
  Time(r, "closed_at", h.getClosedAt(), kData);
  r.Text("close_reason", h.getCloseReason(), kData);
  return r;
}

Record TimelineRecord(api::TimelineEntry::Reader t) {
  auto e = t.getEvent();
  Record r;
  Time(r, "when", e.getOccurredAt().getUnixNanos());
  r.Text("what", std::string(EventTypeName(e.which())), kTable);
  r.Text("type", std::string(EventTypeName(e.which())), kData);
  r.Text("by", std::string(e.getAuthor().getUser()) + "/" + RoleOf(e), kTable);
  r.Text("author", e.getAuthor().getUser(), kData);
  r.Text("author_role", RoleOf(e), kData);
  r.Text("author_agency", e.getAuthor().getAgency(), kData);
  r.Text("details", DescribeBody(e), kTable | kCsv);
  std::string mark;
  if (t.getVoided()) {
    mark = "VOIDED by " + std::string(t.getVoidedBy()) + " " + TableTime(t.getVoidedAt()) + ": " +
           (t.hasVoidReason() ? t.getVoidReason().cStr() : "-");
  } else if (t.getCorrectedBy().size() > 0) {
    mark = "corrected: replaced by " + std::string(t.getCorrectedBy());
  } else if (t.getReplaces().size() > 0) {
    mark = "correction of " + TextList(t.getReplaces())[0];
    if (t.getReplaces().size() > 1)
      mark += " (and " + std::to_string(t.getReplaces().size() - 1) + " more)";
  }
  r.Text("mark", mark, kTable);
  r.Text("source", t.getSource(), kData);
  r.Text("event", FormatUuid(ToUuid(e.getId())), kData);
  r.Number("position", t.getPosition(), kData);
  r.Bool("voided", t.getVoided(), kData);
  r.Text("void_event", t.getVoidEvent(), kData);
  Time(r, "voided_at", t.getVoidedAt(), kData);
  r.Text("voided_by", t.getVoidedBy(), kData);
  r.Text("void_reason", t.getVoidReason(), kData, t.getVoided() && !t.hasVoidReason());
  r.Text("corrected_by", t.getCorrectedBy(), kData);
  r.List("replaces", TextList(t.getReplaces()), kData);
  r.Json("data", EventToJson(e));
  return r;
}

Record AlertRecord(api::AlertInfo::Reader a) {
  Record r;
  Time(r, "raised_at", a.getRaisedAt());
  r.Text("rule", a.getRule());
  r.Text("severity", a.getSeverity());
  r.Text("status", a.getStatus());
  r.Text("intervention", a.getIntervention());
  r.Text("alert", a.getAlert());
  r.Text("reason", a.getReason(), kAll, !a.hasReason());
  Time(r, "acknowledged_at", a.getAcknowledgedAt(), kData);
  r.Text("acknowledged_by", a.getAcknowledgedBy(), kData);
  r.Text("note", a.getNote(), kAll, !a.hasNote());
  Time(r, "resolved_at", a.getResolvedAt(), kData);
  r.Text("resolved_by", a.getResolvedBy(), kData);
  r.Text("action", a.getAction(), kAll, !a.hasAction());
  r.Text("withdraw_reason", a.getWithdrawReason(), kData, !a.hasWithdrawReason());
  r.Text("assigned_to", a.getAssignedTo());
  r.Text("assigned_by", a.getAssignedBy(), kData);
  Time(r, "assigned_at", a.getAssignedAt(), kData);
  r.Text("assign_note", a.getAssignNote(), kData, !a.hasAssignNote());
  r.Text("case", a.getCaseId(), kData);
  r.Text("subject", a.getSubject(), kData);
  r.Text("trigger", a.getTrigger(), kData);
  return r;
}

Section WithheldSection(capnp::List<capnp::Text>::Reader withheld) {
  Section s{"withheld", "Not shown to your role", false, {}, "nothing: you see the whole record"};
  for (auto w : withheld) s.records.push_back(Record().Text("withheld", w.cStr()));
  return s;
}

int CaseShow(Context& ctx) {
  const TableZone zone(ctx);
  if (!ctx.vm.count("case"))
    throw CliError{kExitUsage, "--case is required (see holdfast help case show)"};
  capnp::MallocMessageBuilder message;
  NewRequest(message, ctx).setCaseShow(ctx.vm["case"].as<std::string>());
  // A long case comes in several frames: the timeline in parts, then the rest.
  Section timeline{
      "timeline", "Timeline (when it happened; VOIDED entries count for nothing)", false, {}};
  std::unique_ptr<Frame> frame;
  api::CaseView::Reader v;
  for (frame = ctx.Call(message);; frame = ctx.Next()) {
    auto response = frame->root<api::Response>();
    if (response.isProgress()) continue;
    if (!response.isCaseView()) throw CliError{kExitFailed, "unexpected response to case show"};
    v = response.getCaseView();
    for (auto t : v.getTimeline()) timeline.records.push_back(TimelineRecord(t));
    if (!v.getMore()) break;
  }
  std::vector<Section> sections;
  Section header{"header", "Case " + std::string(v.getHeader().getCaseId()), true, {}};
  header.records.push_back(HeaderRecord(v.getHeader(), /*with_case=*/false));
  header.records[0].cells.insert(
      header.records[0].cells.begin(),
      Cell{"case", v.getHeader().getCaseId(), Cell::kText, kData, false, {}});
  sections.push_back(std::move(header));

  Section interventions{"interventions", "Interventions", false, {}};
  for (auto i : v.getInterventions()) {
    Record r;
    r.Text("intervention", i.getIntervention());
    r.Text("programme", i.getProgramme());
    r.Text("provider", i.getProvider());
    r.Text("group", i.getGroup());
    r.Text("state", i.getState());
    Time(r, "referred_at", i.getReferredAt());
    Time(r, "started_at", i.getStartedAt());
    Time(r, "ended_at", i.getEndedAt());
    r.Text("exit_reason", i.getExitReason());
    interventions.records.push_back(std::move(r));
  }
  sections.push_back(std::move(interventions));

  sections.push_back(std::move(timeline));

  Section attendance{
      "attendance", "Attendance (standing records, after corrections and voids)", false, {}};
  for (auto a : v.getAttendance()) {
    Record r;
    r.Text("intervention", a.getIntervention());
    r.Number("sessions", a.getSessions());
    r.Number("attended", a.getAttended());
    r.Number("late", a.getLate());
    r.Number("left_early", a.getLeftEarly());
    r.Number("absent_acceptable", a.getAbsentAcceptable());
    r.Number("absent_unacceptable", a.getAbsentUnacceptable());
    // Positive contact among the sessions that count (absent_acceptable does not).
    const uint32_t counted = a.getSessions() - a.getAbsentAcceptable();
    const uint32_t positive = a.getAttended() + a.getLate() + a.getLeftEarly();
    r.Text("rate", counted ? std::to_string(positive * 100 / counted) + "%" : "-", kTable);
    attendance.records.push_back(std::move(r));
  }
  sections.push_back(std::move(attendance));

  Section alerts{"alerts", "Alerts", false, {}};
  for (auto a : v.getAlerts()) alerts.records.push_back(AlertRecord(a));
  sections.push_back(std::move(alerts));
  sections.push_back(WithheldSection(v.getWithheld()));
  Print(ctx, sections);
  return 0;
}

int SubjectShow(Context& ctx) {
  const TableZone zone(ctx);
  if (!ctx.vm.count("subject"))
    throw CliError{kExitUsage, "--subject is required (see holdfast help subject show)"};
  capnp::MallocMessageBuilder message;
  NewRequest(message, ctx).setSubjectShow(ctx.vm["subject"].as<std::string>());
  auto frame = ctx.Call(message);
  auto response = frame->root<api::Response>();
  if (!response.isSubjectView()) throw CliError{kExitFailed, "unexpected response to subject show"};
  auto v = response.getSubjectView();
  std::vector<Section> sections;
  Section subject{"subject", "Subject " + std::string(v.getSubject()), true, {}};
  subject.records.push_back(
      Record().Text("subject", v.getSubject(), kData).Number("cases", v.getCases().size(), kTable));
  sections.push_back(std::move(subject));
  Section cases{"cases", "Cases", false, {}};
  for (auto c : v.getCases()) cases.records.push_back(HeaderRecord(c, /*with_case=*/true));
  sections.push_back(std::move(cases));
  Section incidents{"incidents", "Incidents", false, {}};
  for (auto t : v.getIncidents()) incidents.records.push_back(TimelineRecord(t));
  sections.push_back(std::move(incidents));
  Section alerts{"alerts", "Alerts (across its cases)", false, {}};
  for (auto a : v.getAlerts()) {
    Record r = AlertRecord(a);
    for (auto& c : r.cells) {
      if (c.name == "case") c.where = kAll;
    }
    alerts.records.push_back(std::move(r));
  }
  sections.push_back(std::move(alerts));
  sections.push_back(WithheldSection(v.getWithheld()));
  Print(ctx, sections);
  return 0;
}

int SessionRoster(Context& ctx) {
  const TableZone zone(ctx);
  if (!ctx.vm.count("group"))
    throw CliError{kExitUsage, "--group is required (see holdfast help session roster)"};
  capnp::MallocMessageBuilder message;
  auto req = NewRequest(message, ctx).initSessionRoster();
  req.setGroup(ctx.vm["group"].as<std::string>());
  if (ctx.vm.count("at")) req.setAt(TimeOption(ctx, "at"));
  auto frame = ctx.Call(message);
  auto response = frame->root<api::Response>();
  if (!response.isRoster()) throw CliError{kExitFailed, "unexpected response to session roster"};
  auto v = response.getRoster();
  Section members{"members",
                  "Roster of group " + std::string(v.getGroup()) + " at " + TableTime(v.getAt()),
                  false,
                  {},
                  "nobody: no intervention started in this group is active then"};
  for (auto m : v.getMembers()) {
    Record r;
    r.Text("case", m.getCaseId());
    r.Text("subject", m.getSubject());
    r.Text("intervention", m.getIntervention());
    r.Text("programme", m.getProgramme());
    r.Text("provider", m.getProvider(), kData);
    Time(r, "started_at", m.getStartedAt());
    r.Text("last_outcome", m.getLastOutcome());
    r.Text("last_session", m.getLastSession());
    Time(r, "last_at", m.getLastAt());
    r.Number("unacceptable_absences", m.getUnacceptableAbsences());
    members.records.push_back(std::move(r));
  }
  if (ctx.format == "table") {
    Print(ctx, {members});
    return 0;
  }
  // json: the members as one array, like every listing; csv: one row per member.
  if (ctx.format == "json") {
    std::cout << "[";
    for (size_t i = 0; i < members.records.size(); ++i) {
      std::cout << (i ? ",\n " : "") << JsonRecord(members.records[i]);
    }
    std::cout << "]\n";
    return 0;
  }
  Record columns;  // the CSV's header row, whether or not there are members
  columns.Text("case", "").Text("subject", "").Text("intervention", "").Text("programme", "");
  columns.Text("provider", "").Text("started_at", "").Text("last_outcome", "");
  columns.Text("last_session", "").Text("last_at", "").Text("unacceptable_absences", "");
  std::string line;
  for (const Cell& c : columns.cells) line += (line.empty() ? "" : ",") + c.name;
  std::cout << line << "\n";
  for (const Record& r : members.records) {
    line.clear();
    for (const Cell& c : r.cells) {
      if (c.where & kCsv) line += (line.empty() ? "" : ",") + CsvField(c.value);
    }
    std::cout << line << "\n";
  }
  return 0;
}

}  // namespace

void AddViewVerbs(std::vector<Verb>* verbs) {
  verbs->push_back(MakeVerb(
      "case show",
      "Show a case: its header, timeline (corrections and voids marked, the subject's "
      "incidents, alert notes), attendance summary and alerts",
      "case show --case ID", "holdfast case show --case C-0042 --format json",
      [](po::options_description& d) {
        d.add_options()("case", po::value<std::string>(), "the case id (required)");
      },
      CaseShow));
  verbs->push_back(MakeVerb(
      "subject show", "Show a subject's cases, incidents and alerts across cases",
      "subject show --subject ID", "holdfast subject show --subject P-17",
      [](po::options_description& d) {
        d.add_options()("subject", po::value<std::string>(), "the subject id (required)");
      },
      SubjectShow));
  verbs->push_back(MakeVerb(
      "session roster",
      "List who to mark in a group's session: the cases whose intervention started in the "
      "group and is active then, each with its last outcome and unacceptable absences",
      "session roster --group ID [--at TIME]",
      "holdfast session roster --group grpA --at 2025-03-04T18:00:00Z",
      [](po::options_description& d) {
        d.add_options()("group", po::value<std::string>(), "the programme group (required)")(
            "at", po::value<std::string>(),
            "the session's time: a local time in the node's time zone (\"2025-03-04 18:00\"), "
            "a date (its start) or RFC 3339 UTC (default: now)");
      },
      SessionRoster));
}

}  // namespace holdfast::cli
