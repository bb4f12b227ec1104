#include "daemon/http_routes.h"

#include <capnp/message.h>
#include <simdjson.h>

#include <chrono>
#include <cstring>

#include "daemon/handler.h"
#include "daemon/safe_text.h"
#include "daemon/triage.h"
#include "eventstore/event_json.h"
#include "eventstore/ids.h"

namespace holdfast {
namespace {

Status Bad(const std::string& field, const std::string& what) {
  return Status::InvalidArgument(field + ": " + what);
}

// Query values: a whole number of at most `max`.
Status QueryNumber(const HttpCall& c, const char* name, uint64_t max, uint64_t* out) {
  auto it = c.query.find(name);
  if (it == c.query.end()) return Status::Ok();
  const std::string& v = it->second;
  if (v.empty() || v.size() > 19 || v.find_first_not_of("0123456789") != std::string::npos ||
      std::stoull(v) > max) {
    return Bad(name, "\"" + v + "\" is not a whole number from 0 to " + std::to_string(max));
  }
  *out = std::stoull(v);
  return Status::Ok();
}

Status QueryTime(const HttpCall& c, const char* name, int64_t* out) {
  auto it = c.query.find(name);
  if (it == c.query.end()) return Status::Ok();
  auto t = ParseDateOrTime(it->second);
  if (!t) {
    return Bad(name, "\"" + it->second +
                         "\" is not a date (YYYY-MM-DD) or an RFC 3339 time "
                         "(2025-03-04T18:00:00Z; percent-encode a + as %2B)");
  }
  *out = *t;
  return Status::Ok();
}

Status QueryBool(const HttpCall& c, const char* name, bool* out) {
  auto it = c.query.find(name);
  if (it == c.query.end()) return Status::Ok();
  if (it->second == "true" || it->second.empty()) {
    *out = true;
  } else if (it->second == "false") {
    *out = false;
  } else {
    return Bad(name, "\"" + it->second + "\" is not true or false");
  }
  return Status::Ok();
}

std::string QueryText(const HttpCall& c, const char* name) {
  auto it = c.query.find(name);
  return it == c.query.end() ? "" : it->second;
}

// Listings answer one page: at most this many items, 100 unless `limit` says.
constexpr uint64_t kMaxLimit = 1000;
constexpr uint64_t kDefaultLimit = 100;

Status Limit(const HttpCall& c, uint32_t* out) {
  uint64_t limit = kDefaultLimit;
  HOLDFAST_RETURN_IF_ERROR(QueryNumber(c, "limit", kMaxLimit, &limit));
  if (limit == 0) return Bad("limit", "must be 1 to " + std::to_string(kMaxLimit));
  *out = static_cast<uint32_t>(limit);
  return Status::Ok();
}

// The events of POST /v1/events: JSON Lines (or one JSON object), each as `holdfast import`
// takes them (docs/json.md); the daemon sets each author.
Status BuildAppend(const HttpCall& c, api::Request::Builder r) {
  std::vector<Event> events;
  std::vector<std::string> labels;
  size_t begin = 0, line = 0;
  while (begin < c.body.size()) {
    size_t end = c.body.find('\n', begin);
    if (end == std::string::npos) end = c.body.size();
    std::string_view text(c.body.data() + begin, end - begin);
    begin = end + 1;
    ++line;
    if (text.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    if (events.size() >= RequestHandler::kMaxEventsPerRequest) {
      return Bad("body", "more than " + std::to_string(RequestHandler::kMaxEventsPerRequest) +
                             " events: send them in several requests");
    }
    auto event = EventFromJson(text);
    if (!event.ok()) {
      // "line 4 data.outcome: ..." names the line and the field in it.
      const std::string& m = event.status().message();
      const size_t colon = m.find(':');
      const std::string field = colon == std::string::npos ? "" : " " + m.substr(0, colon);
      return Bad("line " + std::to_string(line) + field,
                 colon == std::string::npos ? m : m.substr(colon + 2));
    }
    events.push_back(std::move(event).value());
    labels.push_back("line " + std::to_string(line));
  }
  if (events.empty()) return Bad("body", "no events: send one JSON object per line");
  auto append = r.initAppend();
  auto list = append.initEvents(static_cast<unsigned>(events.size()));
  auto names = append.initLabels(static_cast<unsigned>(labels.size()));
  for (size_t i = 0; i < events.size(); ++i) {
    list.setWithCaveats(static_cast<unsigned>(i), events[i].reader());
    names.set(static_cast<unsigned>(i), labels[i]);
  }
  bool unlisted = false;
  HOLDFAST_RETURN_IF_ERROR(QueryBool(c, "unlisted_session", &unlisted));
  append.setUnlistedSession(unlisted);
  return Status::Ok();
}

// The string members of a JSON object body, each a name of `allowed` (comma separated); an
// empty body is an empty object. InvalidArgument naming the member (or "body") otherwise.
// simdjson reads it, as EventFromJson reads events: Cap'n Proto's JSON codec misreads \u
// escapes (their hex digits a-f) and cuts a string at \u0000.
Status BodyStrings(const std::string& body, const std::string& allowed,
                   std::map<std::string, std::string>* out) {
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) return Status::Ok();
  simdjson::dom::parser parser;
  simdjson::dom::element value;
  if (const auto error = parser.parse(body).get(value); error != simdjson::SUCCESS) {
    if (error == simdjson::UTF8_ERROR || error == simdjson::STRING_ERROR ||
        error == simdjson::UNESCAPED_CHARS) {
      // simdjson does not say where: the event parser names the member ("data.note: ...").
      auto diagnosed = EventFromJson(
          "{\"id\":\"00000000-0000-4000-8000-000000000000\",\"type\":\"alert.acknowledged\","
          "\"occurred_at\":\"2025-01-01T00:00:00Z\",\"author\":{\"user\":\"-\",\"role\":"
          "\"police\",\"agency\":\"-\"},\"data\":" +
          body + "}");
      const std::string m = diagnosed.ok() ? "" : diagnosed.status().message();
      if (m.rfind("data.", 0) == 0) return Status::InvalidArgument(m.substr(5));
    }
    return Bad("body", "not JSON: send an object such as {\"note\": \"...\"}");
  }
  simdjson::dom::object object;
  if (value.get_object().get(object) != simdjson::SUCCESS) {
    return Bad("body", "not a JSON object: send {\"name\": \"value\", ...}");
  }
  const std::string list = "," + allowed + ",";
  for (auto [key, member] : object) {
    const std::string name(key);
    if (list.find("," + name + ",") == std::string::npos) {
      return Bad(name, "unknown field (this route takes " + allowed + ")");
    }
    std::string_view text;
    if (member.get_string().get(text) != simdjson::SUCCESS)
      return Bad(name, "must be a JSON string");
    if (out->count(name)) return Bad(name, "given twice");
    (*out)[name] = std::string(text);
  }
  return Status::Ok();
}

std::string NowRfc3339() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return FormatRfc3339(std::chrono::duration_cast<std::chrono::seconds>(now).count() *
                       1000000000LL);
}

// The alert.* event of an action on the alert `alert`, built as `holdfast alerts ack|resolve|
// assign` builds it (cli/event_verbs.cc): its JSON form through the import parser, so the API
// and the CLI accept and refuse the same things. `fields` are the body's (`event_id` and `at`
// are the event's id and time, as the CLI's --id and --at; the rest go into its data).
Result<Event> AlertActionEvent(EventType type, const std::string& alert,
                               const std::map<std::string, std::string>& fields) {
  std::string data = "\"alert\":" + JsonString(alert);
  for (const auto& [name, value] : fields) {
    if (name == "event_id" || name == "at") continue;
    data += "," + JsonString(name) + ":" + JsonString(value, InvalidUtf8::kKeep);
  }
  auto given = [&](const char* name, std::string otherwise) {
    auto it = fields.find(name);
    return it == fields.end() ? otherwise : it->second;
  };
  // The author is the daemon's to set (the token's user): this is a placeholder it replaces.
  const std::string json =
      "{\"id\":" + JsonString(given("event_id", FormatUuid(RandomUuid())), InvalidUtf8::kKeep) +
      ",\"type\":" + JsonString(std::string(EventTypeName(type))) +
      ",\"occurred_at\":" + JsonString(given("at", NowRfc3339()), InvalidUtf8::kKeep) +
      ",\"author\":{\"user\":\"-\",\"role\":\"police\",\"agency\":\"-\"},\"data\":{" + data + "}}";
  auto event = EventFromJson(json);
  if (event.ok()) return event;
  // "data.action: missing (required) (in alert.resolved)" -> "action: missing (required)"
  std::string m = event.status().message();
  if (m.rfind("data.", 0) == 0) {
    m = m.substr(5);
  } else if (m.rfind("id:", 0) == 0) {
    m = "event_id:" + m.substr(3);
  } else if (m.rfind("occurred_at:", 0) == 0) {
    m = "at:" + m.substr(12);
  }
  if (size_t in = m.find(" (in "); in != std::string::npos) m.erase(in);
  return Status::InvalidArgument(m);
}

// POST /v1/alerts/{id}/ack|resolve|assign: the body's fields (`takes`, comma separated, then
// event_id and at) into the event, checked before the alert's prefix is looked up, so a bad
// body reaches nothing; then the alert.* event appended as the CLI appends it.
Status BuildAlertAction(const HttpCall& c, EventType type, const std::string& takes,
                        api::Request::Builder r) {
  std::map<std::string, std::string> fields;
  HOLDFAST_RETURN_IF_ERROR(BodyStrings(c.body, takes + ",event_id,at", &fields));
  auto checked = AlertActionEvent(type, "00000000-0000-4000-8000-000000000000", fields);
  if (!checked.ok()) return checked.status();
  std::string alert = c.params[0];
  if (!ParseUuid(alert)) {
    // Too short to look up, as the CLI refuses it before asking the daemon.
    size_t digits = 0;
    for (char ch : alert) digits += ch != '-';
    if (digits < kMinAlertPrefix) {
      return Bad("id", "give at least " + std::to_string(kMinAlertPrefix) +
                           " characters of the alert id (\"" + alert + "\" has " +
                           std::to_string(digits) + ")");
    }
    auto whole = c.whole_alert_id(alert);
    if (!whole.ok()) return whole.status();
    alert = *whole;
  }
  auto event = AlertActionEvent(type, alert, fields);
  if (!event.ok()) return event.status();
  r.initAppend().initEvents(1).setWithCaveats(0, event->reader());
  return Status::Ok();
}

// One route: a method and a path pattern ({id}: one path segment), the query parameters it
// takes, and how it builds its api::Request. A new route is one line here.

}  // namespace

const std::vector<Route>& Routes() {
  using B = api::Request::Builder;
  using C = const HttpCall&;
  static const std::vector<Route> routes = {
      {"GET", "/v1/cases", "open,agency,after,limit",
       [](C c, B r) {
         auto list = r.initListCases();
         bool open = false;
         HOLDFAST_RETURN_IF_ERROR(QueryBool(c, "open", &open));
         list.setOpenOnly(open);
         list.setAgency(QueryText(c, "agency"));
         list.setAfter(QueryText(c, "after"));
         uint32_t limit = 0;
         HOLDFAST_RETURN_IF_ERROR(Limit(c, &limit));
         list.setLimit(limit);
         return Status::Ok();
       }},
      {"GET", "/v1/cases/{id}", "",
       [](C c, B r) {
         r.setCaseShow(c.params[0]);
         return Status::Ok();
       }},
      {"GET", "/v1/subjects/{id}", "",
       [](C c, B r) {
         r.setSubjectShow(c.params[0]);
         return Status::Ok();
       }},
      {"GET", "/v1/alerts", "status,rule,case,as_of,severity,since,subject,mine,after,limit",
       [](C c, B r) {
         auto list = r.initListAlerts();
         list.setStatus(QueryText(c, "status"));
         list.setRule(QueryText(c, "rule"));
         list.setCaseId(QueryText(c, "case"));
         list.setAfter(QueryText(c, "after"));
         int64_t as_of = 0;
         HOLDFAST_RETURN_IF_ERROR(QueryTime(c, "as_of", &as_of));
         list.setAsOf(as_of);
         list.setSeverity(QueryText(c, "severity"));
         list.setSubject(QueryText(c, "subject"));
         if (c.query.count("since")) {
           int64_t since = 0;
           HOLDFAST_RETURN_IF_ERROR(QueryTime(c, "since", &since));
           list.setSince(since);
           list.setHasSince(true);
         }
         bool mine = false;
         HOLDFAST_RETURN_IF_ERROR(QueryBool(c, "mine", &mine));
         list.setMine(mine);
         uint32_t limit = 0;
         HOLDFAST_RETURN_IF_ERROR(Limit(c, &limit));
         list.setLimit(limit);
         return Status::Ok();
       }},
      {"GET", "/v1/alerts/{id}", "",
       [](C c, B r) {
         r.setResolveAlert(c.params[0]);
         return Status::Ok();
       }},
      {"POST", "/v1/alerts/{id}/ack", "",
       [](C c, B r) { return BuildAlertAction(c, EventType::ALERT_ACKNOWLEDGED, "note", r); }},
      {"POST", "/v1/alerts/{id}/resolve", "",
       [](C c, B r) { return BuildAlertAction(c, EventType::ALERT_RESOLVED, "action", r); }},
      {"POST", "/v1/alerts/{id}/assign", "",
       [](C c, B r) { return BuildAlertAction(c, EventType::ALERT_ASSIGNED, "to,note", r); }},
      {"POST", "/v1/events", "unlisted_session", BuildAppend},
      {"GET", "/v1/sync/status", "",
       [](C, B r) {
         r.setSyncStatus();
         return Status::Ok();
       }},
      {"GET", "/v1/reports/indicators", "from,to",
       [](C c, B r) {
         auto ind = r.initIndicators();
         if (!c.query.count("from")) return Bad("from", "required: a date or RFC 3339 time");
         if (!c.query.count("to")) return Bad("to", "required: a date or RFC 3339 time");
         int64_t from = 0, to = 0;
         HOLDFAST_RETURN_IF_ERROR(QueryTime(c, "from", &from));
         HOLDFAST_RETURN_IF_ERROR(QueryTime(c, "to", &to));
         ind.setFrom(from);
         ind.setTo(to);
         ind.setFormat("json");
         return Status::Ok();
       }},
  };
  return routes;
}

// The routes the server answers itself (not through the request table).

std::vector<std::string> Segments(std::string_view path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    size_t end = path.find('/', i);
    if (end == std::string_view::npos) end = path.size();
    out.emplace_back(path.substr(i, end - i));
    i = end;
  }
  return out;
}

namespace {

// A path segment that may name a resource: ids are letters, digits and . _ - : @ (never "."
// or ".."). Anything else (%2e%2e, a backslash) names nothing here.
bool IsPlainSegment(const std::string& s) {
  if (s.empty() || s == "." || s == "..") return false;
  for (char ch : s) {
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '.' && ch != '_' && ch != '-' &&
        ch != ':' && ch != '@') {
      return false;
    }
  }
  return true;
}

}  // namespace

// Whether `path` matches `pattern`, with the {id}s into params.
bool Match(const char* pattern, const std::vector<std::string>& path,
           std::vector<std::string>* params) {
  const auto want = Segments(pattern);
  if (want.size() != path.size()) return false;
  std::vector<std::string> found;
  for (size_t i = 0; i < want.size(); ++i) {
    if (want[i] == "{id}") {
      if (!IsPlainSegment(path[i])) return false;
      found.push_back(path[i]);
    } else if (want[i] != path[i]) {
      return false;
    }
  }
  *params = std::move(found);
  return true;
}

std::optional<std::string> PercentDecode(std::string_view s, bool plus_is_space) {
  auto hex = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+' && plus_is_space) {
      out += ' ';
    } else if (s[i] != '%') {
      out += s[i];
    } else {
      const int hi = i + 2 < s.size() ? hex(s[i + 1]) : -1;
      const int lo = i + 2 < s.size() ? hex(s[i + 2]) : -1;
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    }
  }
  return out;
}

// Parses `query` (after '?') against the route's parameters.
Result<std::map<std::string, std::string>> ParseQuery(std::string_view query,
                                                      const std::string& allowed) {
  std::map<std::string, std::string> out;
  const std::string list = "," + allowed + ",";
  size_t i = 0;
  while (i <= query.size() && !query.empty()) {
    size_t end = query.find('&', i);
    if (end == std::string_view::npos) end = query.size();
    std::string_view pair = query.substr(i, end - i);
    i = end + 1;
    if (!pair.empty()) {
      size_t eq = pair.find('=');
      auto name = PercentDecode(pair.substr(0, eq), false);
      auto value = PercentDecode(eq == std::string_view::npos ? "" : pair.substr(eq + 1), false);
      if (!name) return Bad("query", "malformed percent-encoding");
      if (!value) return Bad(*name, "malformed percent-encoding");
      if (name->empty()) return Bad("query", "a parameter with no name (\"=...\")");
      if (list.find("," + *name + ",") == std::string::npos) {
        return Bad(*name, allowed.empty()
                              ? "this route takes no query parameters"
                              : "unknown query parameter (this route takes " + allowed + ")");
      }
      if (out.count(*name)) return Bad(*name, "given twice");
      if (!IsValidUtf8(*value)) return Bad(*name, "not valid UTF-8");
      // No value here is free text; and the request table's text ends at a NUL (a case of
      // "%00C-1" would be no case at all).
      for (unsigned char ch : *value) {
        if (ch < 0x20 || ch == 0x7f)
          return Bad(*name, "holds a control character (such as %00 or %0A)");
      }
      out[*name] = *value;
    }
    if (end == query.size()) break;
  }
  return out;
}

// "--status: ..." (the socket's messages name CLI flags) -> "status".
std::string FieldOf(const std::string& message) {
  size_t colon = message.find(':');
  if (colon == std::string::npos || colon == 0 || colon > 40) return "";
  std::string field = message.substr(0, colon);
  if (field.rfind("--", 0) == 0) field = field.substr(2);
  for (char& ch : field) {
    if (ch == '-') ch = '_';
  }
  if (field == "case") return "case";
  for (char ch : field) {
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_' && ch != '.' && ch != ' ') {
      return "";
    }
  }
  return field;
}
}  // namespace holdfast
