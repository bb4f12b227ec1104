// The HTTPS API's routes (daemon/http_routes.h) on arbitrary requests: what the server does
// with a /v1/ request's method, path, query string and body before the request table answers
// it. H2O has parsed the HTTP by then; everything after is ours.
//
// The input: the method, a newline, the path with its query string, a newline, the body.
//
// Promises checked beyond "no crash, no leak, no undefined behaviour":
// - a path parameter that matched is a plain segment (letters, digits, ._-:@): nothing is
//   decoded or resolved, so no path reaches outside the routes;
// - a refused query or body is InvalidArgument with a one-line message, and the field it
//   names (FieldOf) is printable.
#include <capnp/message.h>

#include <cstdint>
#include <string>

#include "daemon/http_routes.h"
#include "daemon/safe_text.h"
#include "tests/fuzz/fuzz_support.h"

using namespace holdfast;

namespace {

void RequireOneLine(const Status& s, const char* what) {
  fuzz::Require(s.code() == Status::Code::kInvalidArgument,
                std::string(what) + " refused with another code: " + s.ToString());
  fuzz::Require(s.message().find('\n') == std::string::npos,
                std::string(what) + " refused in more than one line: " + s.message());
  fuzz::Require(IsPrintableUtf8(FieldOf(s.message())),
                std::string(what) + " refused naming an unprintable field");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t first = input.find('\n');
  if (first == std::string_view::npos) return 0;
  const size_t second = input.find('\n', first + 1);
  if (second == std::string_view::npos) return 0;
  const std::string method(input.substr(0, first));
  const std::string_view target = input.substr(first + 1, second - first - 1);
  const size_t q = target.find('?');
  const std::string_view path = target.substr(0, q);
  const std::string_view query = q == std::string_view::npos ? "" : target.substr(q + 1);

  const auto segments = Segments(path);
  for (const auto& route : Routes()) {
    std::vector<std::string> params;
    if (!Match(route.pattern, segments, &params) || method != route.method) continue;
    for (const auto& p : params) {
      fuzz::Require(!p.empty() &&
                        p.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN"
                                            "OPQRSTUVWXYZ0123456789._-:@") == std::string::npos &&
                        p != "." && p != "..",
                    "a path parameter that is not a plain segment: " + p);
    }
    auto parsed = ParseQuery(query, route.query);
    if (!parsed.ok()) {
      RequireOneLine(parsed.status(), "a query");
      return 0;
    }
    HttpCall call;
    call.params = std::move(params);
    call.query = std::move(parsed).value();
    call.body = std::string(input.substr(second + 1));
    call.whole_alert_id = [](const std::string& given) -> Result<std::string> {
      if (given.size() < 8) return Status::InvalidArgument("id: give at least 8 characters");
      return std::string("7f0c2a4e-5d1b-4c8e-9a51-2f7b9d0e6c13");
    };
    capnp::MallocMessageBuilder message;
    Status built = route.build(call, message.initRoot<api::Request>());
    if (!built.ok()) RequireOneLine(built, "a request");
    return 0;
  }
  return 0;
}
