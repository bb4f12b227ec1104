// The HTTPS API's routes (docs/http-api.md): from a request's method, path, query string and
// body to the api::Request the request table answers. Plain code, no sockets: the server
// (daemon/http_server.cc) calls it for each /v1/ request, and a fuzz target
// (tests/fuzz/fuzz_http_request.cc) feeds it arbitrary bytes.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/api.capnp.h"
#include "eventstore/status.h"

namespace holdfast {

// A request as a route's builder sees it.
struct HttpCall {
  std::vector<std::string> params;           // the route's {id}s, in order
  std::map<std::string, std::string> query;  // decoded
  std::string body;
  // The whole id of the alert `given` names (a whole id, or a unique prefix of 8 or more
  // characters): the request table's resolveAlert, asked as the caller and audited as the
  // CLI's is. On a refusal, the server answers the table's error (404, 400, 403).
  std::function<Result<std::string>(const std::string& given)> whole_alert_id;
};

// An error the server answers itself, before or after the request table.
struct HttpError {
  int status = 400;
  std::string code;   // invalid_argument, unauthorized, ...
  std::string field;  // the query parameter, body line or header at fault; may be empty
  std::string message;
};

// One route: a method, a path pattern ("/v1/cases/{id}"), the query parameters it takes
// (comma separated), and how it builds its request.
struct Route {
  const char* method;
  const char* pattern;
  const char* query;  // the parameters it takes, comma separated
  Status (*build)(const HttpCall& call, api::Request::Builder request);
};

// Every /v1/ route but the feed, each one line (http_routes.cc).
const std::vector<Route>& Routes();

inline constexpr const char* kFeedPath = "/v1/alerts/feed";

// The path's segments, split at '/' ("" for an empty one), undecoded.
std::vector<std::string> Segments(std::string_view path);
// Whether `path` matches `pattern`, with the {id} segments into `params`. A parameter must be
// a plain segment: letters, digits and ._-:@ only, so nothing is ever decoded or resolved.
bool Match(const char* pattern, const std::vector<std::string>& path,
           std::vector<std::string>* params);
// A query or form component %-decoded: nullopt for a '%' not followed by two hex digits. A
// '+' is a space in a form (application/x-www-form-urlencoded, `plus_is_space`) and itself
// in the API's query strings.
std::optional<std::string> PercentDecode(std::string_view s, bool plus_is_space);
// The query string's parameters, %-decoded; InvalidArgument naming one `allowed` (comma
// separated) does not list, one given twice, or one that does not decode.
Result<std::map<std::string, std::string>> ParseQuery(std::string_view query,
                                                      const std::string& allowed);
// The field a refusal's message names ("--status: ..." -> "status"), or "".
std::string FieldOf(const std::string& message);

}  // namespace holdfast
