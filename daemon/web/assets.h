// The web front end's static files, embedded into holdfastd at build time, so a node serves
// its pages with nothing fetched at run time (a laptop node works offline). The build
// (daemon/web/assets.cmake) takes them from node_modules/, exactly the versions
// package-lock.json pins, and from daemon/web/static/:
//
//   /assets/govuk-frontend.min.css, /assets/govuk-frontend.min.js   GOV.UK Frontend
//   /assets/fonts/..., /assets/images/..., /assets/manifest.json     GOV.UK Frontend's assets/
//                                                                    (where its CSS looks)
//   /assets/moj/moj-frontend.min.css, /assets/moj/moj-frontend.min.js  MOJ Frontend
//   /assets/images/...                                               MOJ Frontend's assets/
//                                                                    (its CSS looks there too)
//   /assets/holdfast/...                                             daemon/web/static/
//
// Two files wanting one path fail the build; so does a file type with no content type.
#pragma once

#include <string_view>

namespace holdfast {

struct WebAsset {
  std::string_view path;          // "/assets/govuk-frontend.min.css"
  std::string_view content_type;  // "text/css; charset=utf-8"
  std::string_view body;          // the file's bytes, in the binary's read-only data
  std::string_view etag;          // a hash of the body, quoted: "\"3f2a...\"" (an ETag header)
};

// The asset served at `path` (the URL path, without a query string), or null if none. The
// result lives as long as the program; safe from any thread.
const WebAsset* FindWebAsset(std::string_view path);

}  // namespace holdfast
