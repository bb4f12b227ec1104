// Alerts and indicators: alerts list and watch, report indicators, projections rebuild.
// (alerts ack and alerts resolve record events: they are in event_verbs.cc.)
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <thread>

#include "cli/cli.h"
#include "daemon/feed_json.h"

namespace holdfast::cli {
namespace {

std::vector<std::string> AlertRow(api::AlertInfo::Reader a) {
  return {a.getAlert(),
          a.getRule(),
          a.getCaseId(),
          a.getSubject(),
          a.getIntervention(),
          a.getSeverity(),
          FormatRfc3339(a.getRaisedAt()),
          a.getStatus(),
          a.getTrigger(),
          a.getReason(),
          a.getAcknowledgedAt() >= 0 ? FormatRfc3339(a.getAcknowledgedAt()) : "",
          a.getAcknowledgedBy(),
          a.getResolvedAt() >= 0 ? FormatRfc3339(a.getResolvedAt()) : "",
          a.getResolvedBy(),
          a.getAction(),
          a.getNote(),
          a.getAssignedTo(),
          a.getAssignedBy(),
          a.getAssignedAt() >= 0 ? FormatRfc3339(a.getAssignedAt()) : "",
          a.getAssignNote(),
          a.getCaseClosed() ? "true" : "false",
          a.getInterventionEnded() ? "true" : "false"};
}

const std::vector<std::string> kAlertColumns = {"alert",
                                                "rule",
                                                "case",
                                                "subject",
                                                "intervention",
                                                "severity",
                                                "raised_at",
                                                "status",
                                                "trigger",
                                                "reason",
                                                "acknowledged_at",
                                                "acknowledged_by",
                                                "resolved_at",
                                                "resolved_by",
                                                "action",
                                                "note",
                                                "assigned_to",
                                                "assigned_by",
                                                "assigned_at",
                                                "assign_note",
                                                "case_closed",
                                                "intervention_ended"};

// JSON numbers (and booleans): the marks.
std::vector<bool> NumericOf(const std::vector<std::string>& columns) {
  std::vector<bool> numeric(columns.size(), false);
  for (size_t c = 0; c < columns.size(); ++c) {
    numeric[c] = columns[c] == "case_closed" || columns[c] == "intervention_ended";
  }
  return numeric;
}

// The columns of `columns` the reader's role may not see of this alert: the free text the
// daemon left unset (api.capnp, AlertInfo).
std::vector<bool> WithheldOf(api::AlertInfo::Reader a, const std::vector<std::string>& columns) {
  std::vector<bool> withheld(columns.size(), false);
  for (size_t c = 0; c < columns.size(); ++c) {
    withheld[c] = (columns[c] == "reason" && !a.hasReason()) ||
                  (columns[c] == "action" && !a.hasAction()) ||
                  (columns[c] == "note" && !a.hasNote()) ||
                  (columns[c] == "assign_note" && !a.hasAssignNote());
  }
  return withheld;
}

int AlertsList(Context& ctx) {
  capnp::MallocMessageBuilder message;
  auto list = NewRequest(message, ctx).initListAlerts();
  list.setStatus(ctx.vm["status"].as<std::string>());
  if (ctx.vm.count("rule")) list.setRule(ctx.vm["rule"].as<std::string>());
  if (ctx.vm.count("case")) list.setCaseId(ctx.vm["case"].as<std::string>());
  if (ctx.vm.count("as-of")) list.setAsOf(TimeOption(ctx, "as-of"));
  if (ctx.vm.count("after")) list.setAfter(ctx.vm["after"].as<std::string>());
  list.setLimit(ctx.vm["limit"].as<uint32_t>());
  if (ctx.vm.count("severity")) list.setSeverity(ctx.vm["severity"].as<std::string>());
  if (ctx.vm.count("since")) {
    list.setSince(TimeOption(ctx, "since"));
    list.setHasSince(true);
  }
  if (ctx.vm.count("subject")) list.setSubject(ctx.vm["subject"].as<std::string>());
  list.setMine(ctx.vm["mine"].as<bool>());
  const bool table = ctx.format == "table";
  // A person reads the essentials; json and csv carry every field.
  const std::vector<std::string> columns =
      table ? std::vector<std::string>{"raised_at", "rule",    "severity",     "status",
                                       "case",      "subject", "intervention", "alert",
                                       "assigned",  "reason",  "note"}
            : kAlertColumns;
  RowWriter t(columns, NumericOf(columns), ctx.format, std::cout);
  const std::string next = ctx.List(message, [&](api::Page::Reader page, std::unique_ptr<Frame>&) {
    for (auto a : page.getAlerts()) {
      if (table) {
        // The marks beside what they mark: "C-0042 (closed)", "I-0042-1 (ended)".
        std::string case_id = a.getCaseId(), intervention = a.getIntervention();
        if (a.getCaseClosed()) case_id += " (closed)";
        if (a.getInterventionEnded()) intervention += " (ended)";
        t.Add({ShowTime(ctx, a.getRaisedAt()), a.getRule(), a.getSeverity(), a.getStatus(), case_id,
               a.getSubject(), intervention, a.getAlert(), a.getAssignedTo(), a.getReason(),
               a.getNote()},
              WithheldOf(a, columns));
      } else {
        t.Add(AlertRow(a), WithheldOf(a, columns));
      }
    }
  });
  t.Finish();
  if (table) std::cout << t.rows() << " alert" << (t.rows() == 1 ? "" : "s") << "\n";
  PrintNextPage("--after", next);
  return 0;
}

// One change as a line for a person: cursor, change, the alert's status, then what it is.
void PrintChange(Context& ctx, api::FeedItem::Reader item) {
  auto a = item.getAlert();
  std::cout << item.getCursor() << "  " << item.getChange().cStr() << "  " << a.getStatus().cStr()
            << "  " << ShowTime(ctx, a.getRaisedAt()) << "  " << a.getRule().cStr() << "  "
            << a.getSeverity().cStr() << "  case " << a.getCaseId().cStr() << "  subject "
            << a.getSubject().cStr()
            << (a.getIntervention().size() ? "  " + std::string(a.getIntervention().cStr()) : "")
            << "  " << a.getAlert().cStr();
  if (item.getChange() == "acknowledged" || item.getChange() == "resolved") {
    const bool ack = item.getChange() == "acknowledged";
    std::cout << "  by " << (ack ? a.getAcknowledgedBy() : a.getResolvedBy()).cStr();
    if (ack ? a.hasNote() : a.hasAction()) {
      std::cout << ": " << (ack ? a.getNote() : a.getAction()).cStr();
    }
  } else if (item.getChange() == "assigned") {
    std::cout << "  to " << a.getAssignedTo().cStr() << " by " << a.getAssignedBy().cStr();
  } else if (item.getChange() == "withdrawn") {
    std::cout << "  " << (a.hasWithdrawReason() ? a.getWithdrawReason().cStr() : "-");
  } else {
    std::cout << "  " << (a.hasReason() ? a.getReason().cStr() : "-");
  }
  std::cout << std::endl;
}

// Follows the alert feed (api watchFeed) from `--since` (or from now), printing each change;
// when holdfastd goes away (a restart) it connects again and resumes after the last change
// it printed, so none is missed or printed twice. Ends on Ctrl-C, or when the daemon
// refuses the watch (the user disabled, say).
int AlertsWatch(Context& ctx) {
  if (ctx.socket.empty()) {
    throw CliError{kExitUsage,
                   "no daemon socket: pass --socket PATH, set HOLDFAST_SOCKET, or give "
                   "--config DIR/holdfast.conf"};
  }
  std::optional<uint64_t> cursor;
  if (ctx.vm.count("since")) {
    const std::string since = ctx.vm["since"].as<std::string>();
    char* end = nullptr;
    errno = 0;
    const unsigned long long n = std::strtoull(since.c_str(), &end, 10);
    if (since.empty() || *end != '\0' || errno != 0 || since[0] == '-') {
      throw CliError{kExitUsage, "--since: \"" + since +
                                     "\" is not a cursor; give the number before a change "
                                     "(0: every change the node holds)"};
    }
    cursor = n;
  }
  const bool json = ctx.format == "json";
  bool connected_once = false, told_lost = false;
  auto backoff = std::chrono::milliseconds(200);
  for (;;) {
    auto client = Client::Connect(ctx.socket, std::chrono::seconds(10));
    Result<std::unique_ptr<Frame>> frame = Status::Unavailable("not connected");
    if (client.ok()) {
      capnp::MallocMessageBuilder message;
      auto watch = NewRequest(message, ctx).initWatchFeed();
      if (cursor) {
        watch.setSince(*cursor);
      } else {
        watch.setFromEnd(true);
      }
      frame = (*client)->Call(message);
    }
    if (!frame.ok()) {
      if (!connected_once) throw CliError{kExitFailed, frame.status().message()};
      if (!told_lost) {
        std::cerr << "holdfast: lost holdfastd (" << frame.status().message() << "); reconnecting"
                  << std::endl;
        told_lost = true;
      }
      std::this_thread::sleep_for(backoff);  // a pause between attempts, not a synchronisation
      backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
      continue;
    }
    (*client)->set_timeout(Client::Timeout(0));  // a quiet feed is what watching looks like
    for (;;) {
      auto response = (*frame)->root<api::Response>();
      if (response.isError()) throw CliError{kExitFailed, response.getError().getMessage()};
      if (response.isFeedItem()) {
        auto item = response.getFeedItem();
        if (item.getChange().size() == 0) {  // where the watch begins
          if (!connected_once && !json && isatty(STDOUT_FILENO)) {
            std::cerr << "watching alert changes from cursor " << item.getCursor()
                      << " (Ctrl-C to stop)\n";
          }
          if (told_lost) std::cerr << "holdfast: watching again" << std::endl;
          connected_once = true;
          told_lost = false;
          backoff = std::chrono::milliseconds(200);
        } else if (json) {
          std::cout << FeedItemJson(item) << std::endl;
        } else {
          PrintChange(ctx, item);
        }
        cursor = item.getCursor();
      }
      frame = (*client)->Next();
      if (!frame.ok()) break;  // the daemon went away: connect again
    }
  }
}

int ReportIndicators(Context& ctx) {
  if (!ctx.vm.count("from") || !ctx.vm.count("to")) {
    throw CliError{kExitUsage,
                   "--from and --to are required (see holdfast help report indicators)"};
  }
  capnp::MallocMessageBuilder message;
  auto req = NewRequest(message, ctx).initIndicators();
  const int64_t from = TimeOption(ctx, "from"), to = TimeOption(ctx, "to");
  req.setFrom(from);
  req.setTo(to);
  req.setFormat(ctx.format);
  auto reply = ctx.Call(message);
  std::string report = reply->root<api::Response>().getReport().cStr();
  if (ctx.format == "table") {
    // holdfastd renders the period in UTC; a table shows it in the node's zone, as every
    // table does. Its first two lines are "from  TIME" and "to    TIME".
    std::istringstream lines(report);
    std::ostringstream out;
    std::string line;
    for (int n = 0; std::getline(lines, line); ++n) {
      if (n < 2) {
        const size_t value = line.find_first_not_of(' ', line.find(' '));
        if (value != std::string::npos) line = line.substr(0, value) + ShowTime(ctx, n ? to : from);
      }
      out << line << "\n";
    }
    report = out.str();
  }
  std::cout << report;
  return 0;
}

int ProjectionsRebuild(Context& ctx) {
  const auto start = std::chrono::steady_clock::now();
  capnp::MallocMessageBuilder message;
  NewRequest(message, ctx).setRebuildProjections();
  const bool tty = isatty(STDERR_FILENO);
  uint64_t total = 0;
  ctx.timeout_note = "whether the rebuild finished is unknown: running it again is safe";
  for (auto frame = ctx.Call(message);; frame = ctx.Next()) {
    auto response = frame->root<api::Response>();
    if (!response.isProgress()) break;
    auto p = response.getProgress();
    total = p.getTotal();
    if (tty) {
      std::fprintf(stderr, "\rrebuilding projections: %5.1f%%  %llu of %llu events   ",
                   p.getTotal() ? 100.0 * static_cast<double>(p.getDone()) /
                                      static_cast<double>(p.getTotal())
                                : 100.0,
                   static_cast<unsigned long long>(p.getDone()),
                   static_cast<unsigned long long>(p.getTotal()));
    }
  }
  if (tty) std::fprintf(stderr, "\r%70s\r", "");
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "projections rebuilt from the whole log"
            << (total ? " (" + std::to_string(total) + " events)" : "") << " in "
            << static_cast<int>(secs * 1000) << " ms\n";
  return 0;
}

}  // namespace

void AddAlertVerbs(std::vector<Verb>* verbs) {
  Verb list;
  list.name = "alerts list";
  list.summary = "List accountability alerts (open ones, as of now, by default)";
  list.usage =
      "alerts list [--status open|acknowledged|resolved|withdrawn|all] [--rule R] [--case ID] "
      "[--subject ID] [--severity low|medium|high,...] [--since TIME] [--mine] [--as-of TIME] "
      "[--limit N] [--after CURSOR]";
  list.example = "holdfast alerts list --severity high --since 2025-06-01 --mine";
  list.add_options = [](po::options_description& d) {
    d.add_options()("status", po::value<std::string>()->default_value("open"),
                    "open, acknowledged, resolved, withdrawn or all")(
        "rule", po::value<std::string>(),
        "non_engagement, no_contact, reoffending, breach, dropout or risk_escalation")(
        "case", po::value<std::string>(), "only this case's alerts")(
        "subject", po::value<std::string>(), "only this subject's alerts")(
        "severity", po::value<std::string>(),
        "only alerts of this severity: low, medium or high, or several with commas")(
        "since", po::value<std::string>(),
        "only alerts raised at or after this time: a local time, a date (its start) or RFC "
        "3339 UTC")("mine", po::bool_switch(),
                    "only the alerts assigned to you (holdfast alerts assign)")(
        "as-of", po::value<std::string>(),
        "as things stood then: a local time (\"2025-06-30 18:00\"), a date (its start) or "
        "RFC 3339 UTC (default: now)")(
        "limit", po::value<uint32_t>()->default_value(0),
        "at most this many alerts (0: all); the next page's cursor goes to stderr")(
        "after", po::value<std::string>(),
        "the alerts after this cursor (printed by an earlier --limit page)");
  };
  list.run = AlertsList;
  verbs->push_back(std::move(list));

  Verb watch;
  watch.name = "alerts watch";
  watch.summary =
      "Print each change of an alert (raised, raise time moved, withdrawn, acknowledged, "
      "resolved, assigned) as it happens, until interrupted; reconnects by itself";
  watch.usage = "alerts watch [--since CURSOR] [--format table|json]";
  watch.example = "holdfast alerts watch --since 0 --format json";
  watch.add_options = [](po::options_description& o) {
    o.add_options()("since", po::value<std::string>(),
                    "the changes after this cursor (each change's first column, or the JSON "
                    "`cursor`); 0: every change the node holds. Without it: from now on");
  };
  watch.run = AlertsWatch;
  watch.formats = {"table", "json"};
  verbs->push_back(std::move(watch));

  Verb report;
  report.name = "report indicators";
  report.summary = "The partnership's indicators for a period [from, to)";
  report.usage = "report indicators --from DATE --to DATE [--format table|json|csv]";
  report.example = "holdfast report indicators --from 2025-04-01 --to 2026-04-01 --format csv";
  report.add_options = [](po::options_description& d) {
    d.add_options()("from", po::value<std::string>(),
                    "start, inclusive: a local date or time, or RFC 3339 UTC (required)")(
        "to", po::value<std::string>(),
        "end, exclusive: a local date or time, or RFC 3339 UTC (required)");
  };
  report.run = ReportIndicators;
  verbs->push_back(std::move(report));

  Verb rebuild;
  rebuild.name = "projections rebuild";
  rebuild.summary = "Recompute every projection (cases, attendance, alerts) from the log";
  rebuild.usage = "projections rebuild";
  rebuild.example = "holdfast projections rebuild";
  rebuild.add_options = [](po::options_description&) {};
  rebuild.run = ProjectionsRebuild;
  rebuild.formats = {"table"};
  verbs->push_back(std::move(rebuild));
}

}  // namespace holdfast::cli
