// case show and case list: what a probation officer reads about cases.
#include <capnp/dynamic.h>

#include <algorithm>
#include <iostream>
#include <map>

#include "cli/cli.h"
#include "eventstore/event_json.h"
#include "eventstore/validate.h"

namespace holdfast::cli {
namespace {

// "subject=P-17 order=community_order" from an event's body, by its schema (the case id,
// which the reader already knows, is left out).
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

std::string Author(schema::Event::Reader e) {
  auto a = e.getAuthor();
  auto role = capnp::Schema::from<schema::Role>().getEnumerants();
  auto i = static_cast<unsigned>(a.getRole());
  return std::string(a.getUser().cStr()) + "/" + (i < role.size() ? JsonNameOf(role[i]) : "?");
}

// The standing attendance (per session, after corrections) of the timeline shown.
void PrintAttendance(const std::map<std::string, schema::Event::Reader>& standing) {
  std::map<std::string, int> outcomes;
  int positive = 0, counted = 0;
  for (const auto& [session, e] : standing) {
    auto outcome = e.getAttendanceRecorded().getOutcome();
    auto en = capnp::Schema::from<schema::AttendanceOutcome>().getEnumerants();
    ++outcomes[JsonNameOf(en[static_cast<unsigned>(outcome)])];
    using O = schema::AttendanceOutcome;
    if (outcome != O::ABSENT_ACCEPTABLE) ++counted;
    if (outcome == O::ATTENDED || outcome == O::LATE || outcome == O::LEFT_EARLY) ++positive;
  }
  std::cout << "\nAttendance (standing outcomes, after corrections): " << standing.size()
            << " sessions";
  for (const auto& [name, n] : outcomes) std::cout << ", " << name << " " << n;
  if (counted > 0) std::cout << "; attendance rate " << (positive * 100 / counted) << "%";
  std::cout << "\n";
}

// The case's open and acknowledged alerts, as the reader's role may see them.
void PrintOpenAlerts(Context& ctx, const std::string& case_id) {
  std::cout << "\nAlerts (open and acknowledged)\n";
  capnp::MallocMessageBuilder alerts_message;
  auto list = NewRequest(alerts_message, ctx).initListAlerts();
  list.setStatus("all");
  list.setCaseId(case_id);
  Table a({"raised_at", "rule", "severity", "status", "intervention", "alert", "reason"});
  ctx.List(alerts_message, [&](api::Page::Reader page, std::unique_ptr<Frame>&) {
    for (auto info : page.getAlerts()) {
      const std::string status = info.getStatus();
      if (status != "open" && status != "acknowledged") continue;
      a.Add({FormatRfc3339(info.getRaisedAt()), info.getRule(), info.getSeverity(), status,
             info.getIntervention(), info.getAlert(), info.getReason()},
            {false, false, false, false, false, false, !info.hasReason()});
    }
  });
  if (a.size() == 0) {
    std::cout << "none\n";
  } else {
    a.Print("table", std::cout);
  }
}

int CaseShow(Context& ctx) {
  if (!ctx.vm.count("case"))
    throw CliError{kExitUsage, "--case is required (see holdfast help case show)"};
  const std::string case_id = ctx.vm["case"].as<std::string>();
  capnp::MallocMessageBuilder message;
  NewRequest(message, ctx).setReadStream("case/" + case_id);
  // The timeline is sorted by when things happened, so the whole case is held here (one
  // case's history, however long, is far from a node's); its pages keep it off one frame.
  std::vector<std::unique_ptr<Frame>> pages;
  std::vector<api::PositionedEvent::Reader> timeline;
  std::vector<std::string>
      withheld;  // what the reader's role is not shown (the same on every page)
  ctx.List(message, [&](api::Page::Reader page, std::unique_ptr<Frame>& frame) {
    for (auto item : page.getEvents()) timeline.push_back(item);
    withheld.clear();
    for (auto field : page.getWithheld()) withheld.emplace_back(field.cStr());
    pages.push_back(std::move(frame));
  });
  bool opened = false;
  for (auto item : timeline) opened = opened || item.getEvent().isCaseOpened();
  if (timeline.empty() || !opened) {
    throw CliError{kExitFailed, "case " + case_id +
                                    " is not known on this node: check the id with `holdfast "
                                    "case list`"};
  }
  // Timeline in the order things happened (then recorded), not the order they arrived.
  std::stable_sort(timeline.begin(), timeline.end(), [](auto a, auto b) {
    auto ea = a.getEvent(), eb = b.getEvent();
    if (ea.getOccurredAt().getUnixNanos() != eb.getOccurredAt().getUnixNanos()) {
      return ea.getOccurredAt().getUnixNanos() < eb.getOccurredAt().getUnixNanos();
    }
    return ea.getProvenance().getRecordedAt().getValue() <
           eb.getProvenance().getRecordedAt().getValue();
  });
  if (ctx.format == "json") {
    std::cout << "[";
    for (size_t i = 0; i < timeline.size(); ++i) {
      std::cout << (i ? ",\n " : "")
                << EventToJson(timeline[i].getEvent(), timeline[i].getPosition());
    }
    std::cout << "]\n";
    return 0;
  }
  Table t({"when", "what", "by", "details", "position"}, {false, false, false, false, true});
  // Standing attendance: per session, the record with the latest recorded_at, then id.
  std::map<std::string, schema::Event::Reader> standing;
  for (auto item : timeline) {
    auto e = item.getEvent();
    t.Add({FormatRfc3339(e.getOccurredAt().getUnixNanos()), std::string(EventTypeName(e.which())),
           Author(e), DescribeBody(e), std::to_string(item.getPosition())});
    if (e.isAttendanceRecorded()) {
      std::string session = e.getAttendanceRecorded().getSession();
      auto it = standing.find(session);
      auto key = [](schema::Event::Reader x) {
        return std::make_pair(x.getProvenance().getRecordedAt().getValue(), ToUuid(x.getId()));
      };
      if (it == standing.end() || key(it->second) < key(e)) standing.insert_or_assign(session, e);
    }
  }
  if (ctx.format == "csv") {
    t.Print("csv", std::cout);
    return 0;
  }
  std::cout << "Case " << case_id << "\n\nTimeline\n";
  t.Print("table", std::cout);
  if (!withheld.empty()) {
    std::cout << "\nNot shown to your role:";
    for (size_t i = 0; i < withheld.size(); ++i) std::cout << (i ? ", " : " ") << withheld[i];
    std::cout << "\n";
  }
  if (std::find(withheld.begin(), withheld.end(), "attendance.recorded") != withheld.end()) {
    std::cout << "\nAttendance: not shown to your role\n";
  } else {
    PrintAttendance(standing);
  }
  PrintOpenAlerts(ctx, case_id);
  return 0;
}

int CaseList(Context& ctx) {
  capnp::MallocMessageBuilder message;
  auto list = NewRequest(message, ctx).initListCases();
  list.setOpenOnly(ctx.vm["open"].as<bool>());
  if (ctx.vm.count("agency")) list.setAgency(ctx.vm["agency"].as<std::string>());
  if (ctx.vm.count("after")) list.setAfter(ctx.vm["after"].as<std::string>());
  list.setLimit(ctx.vm["limit"].as<uint32_t>());
  RowWriter t({"case", "subject", "order", "risk", "lead_agency", "opened", "status", "events"},
              {false, false, false, false, false, false, false, true}, ctx.format, std::cout);
  auto orders = capnp::Schema::from<schema::OrderKind>().getEnumerants();
  auto risks = capnp::Schema::from<schema::RiskLevel>().getEnumerants();
  const std::string next = ctx.List(message, [&](api::Page::Reader page, std::unique_ptr<Frame>&) {
    // A field the reader's role is not shown (the count of a case's events, to a role that
    // may not see them all).
    bool events_withheld = false;
    for (auto field : page.getWithheld()) events_withheld = events_withheld || field == "events";
    for (auto c : page.getCases()) {
      t.Add({c.getCaseId(), c.getSubject(), JsonNameOf(orders[static_cast<unsigned>(c.getOrder())]),
             JsonNameOf(risks[static_cast<unsigned>(c.getRisk())]), c.getLeadAgency(),
             ShowTime(ctx, c.getOpenedAt()), c.getClosed() ? "closed" : "open",
             std::to_string(c.getEvents())},
            {false, false, false, false, false, false, false, events_withheld});
    }
  });
  t.Finish();
  PrintNextPage("--after", next);
  return 0;
}

}  // namespace

void AddReadVerbs(std::vector<Verb>* verbs) {
  Verb show;
  show.name = "case show";
  show.summary = "Show a case's timeline, attendance summary and alerts";
  show.usage = "case show --case ID";
  show.example = "holdfast case show --case C-0042";
  show.add_options = [](po::options_description& d) {
    d.add_options()("case", po::value<std::string>(), "the case id (required)");
  };
  show.run = CaseShow;
  verbs->push_back(std::move(show));

  Verb list;
  list.name = "case list";
  list.summary = "List the cases this node holds";
  list.usage = "case list [--open] [--agency ID] [--limit N] [--after CURSOR]";
  list.example = "holdfast case list --open --agency probation-ce --format csv";
  list.add_options = [](po::options_description& d) {
    d.add_options()("open", po::bool_switch(), "only cases not closed")(
        "agency", po::value<std::string>(), "only cases led by this agency")(
        "limit", po::value<uint32_t>()->default_value(0),
        "at most this many cases (0: all); the next page's cursor goes to stderr")(
        "after", po::value<std::string>(), "the cases after this cursor (a case id)");
  };
  list.run = CaseList;
  verbs->push_back(std::move(list));
}

}  // namespace holdfast::cli
