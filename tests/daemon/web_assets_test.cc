// The web front end's embedded assets (daemon/web/assets.h): GOV.UK and MOJ Frontend's files
// from node_modules/ and our own from daemon/web/static/, found at the paths their CSS asks
// for, with the bytes of the files they were built from.
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "daemon/web/assets.h"

namespace holdfast {
namespace {

std::string ReadSourceFile(const std::string& relative) {
  std::ifstream in(std::string(HOLDFAST_SOURCE_DIR) + "/" + relative, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Every url(...) in a style sheet, without quotes; data: URIs left out.
std::vector<std::string> CssUrls(std::string_view css) {
  std::vector<std::string> urls;
  for (size_t at = css.find("url("); at != std::string_view::npos; at = css.find("url(", at)) {
    at += 4;
    const size_t close = css.find(')', at);
    if (close == std::string_view::npos) break;
    std::string url(css.substr(at, close - at));
    while (!url.empty() && (url.front() == ' ' || url.front() == '"' || url.front() == '\'')) {
      url.erase(0, 1);
    }
    while (!url.empty() && (url.back() == ' ' || url.back() == '"' || url.back() == '\'')) {
      url.pop_back();
    }
    if (url.rfind("data:", 0) != 0) urls.push_back(url);
  }
  return urls;
}

// A url() of a style sheet served at `sheet_path`, as the URL path a browser asks for.
std::string ResolveCssUrl(const std::string& sheet_path, std::string url) {
  url = url.substr(0, url.find_first_of("?#"));
  if (!url.empty() && url.front() == '/') return url;
  return sheet_path.substr(0, sheet_path.rfind('/') + 1) + url;
}

const WebAsset& Found(const std::string& path) {
  const WebAsset* asset = FindWebAsset(path);
  INFO(path);
  REQUIRE(asset != nullptr);
  CHECK(asset->path == path);
  CHECK(!asset->body.empty());
  CHECK(asset->etag.size() > 2);
  CHECK(asset->etag.front() == '"');
  CHECK(asset->etag.back() == '"');
  return *asset;
}

TEST_CASE("web assets: GOV.UK and MOJ Frontend's CSS and JavaScript, with their content types",
          "[web][assets]") {
  CHECK(Found("/assets/govuk-frontend.min.css").content_type == "text/css; charset=utf-8");
  CHECK(Found("/assets/govuk-frontend.min.js").content_type == "text/javascript; charset=utf-8");
  CHECK(Found("/assets/moj/moj-frontend.min.css").content_type == "text/css; charset=utf-8");
  CHECK(Found("/assets/moj/moj-frontend.min.js").content_type == "text/javascript; charset=utf-8");
  CHECK(Found("/assets/manifest.json").content_type == "application/manifest+json");
  CHECK(Found("/assets/images/favicon.ico").content_type == "image/x-icon");
  CHECK(Found("/assets/images/favicon.svg").content_type == "image/svg+xml");
}

TEST_CASE("web assets: the bodies are the bytes of the files npm installed", "[web][assets]") {
  const std::string css =
      ReadSourceFile("node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.css");
  REQUIRE(!css.empty());
  CHECK(Found("/assets/govuk-frontend.min.css").body == css);
  const std::string js =
      ReadSourceFile("node_modules/@ministryofjustice/frontend/moj/moj-frontend.min.js");
  REQUIRE(!js.empty());
  CHECK(Found("/assets/moj/moj-frontend.min.js").body == js);
  // Different bodies, different ETags.
  CHECK(Found("/assets/govuk-frontend.min.css").etag !=
        Found("/assets/moj/moj-frontend.min.css").etag);
}

TEST_CASE("web assets: our own files from daemon/web/static", "[web][assets]") {
  const WebAsset& css = Found("/assets/holdfast/holdfast.css");
  CHECK(css.content_type == "text/css; charset=utf-8");
  CHECK(css.body == ReadSourceFile("daemon/web/static/holdfast.css"));
  CHECK(Found("/assets/holdfast/holdfast.js").content_type == "text/javascript; charset=utf-8");
}

TEST_CASE("web assets: every url() in the GOV.UK and MOJ style sheets is embedded",
          "[web][assets]") {
  size_t fonts = 0;
  for (const std::string sheet :
       {"/assets/govuk-frontend.min.css", "/assets/moj/moj-frontend.min.css"}) {
    const std::vector<std::string> urls = CssUrls(Found(sheet).body);
    INFO(sheet);
    CHECK(!urls.empty());
    for (const std::string& url : urls) {
      const std::string path = ResolveCssUrl(sheet, url);
      INFO(url << " -> " << path);
      const WebAsset* asset = FindWebAsset(path);
      REQUIRE(asset != nullptr);
      CHECK(!asset->body.empty());
      if (path.size() > 6 && path.compare(path.size() - 6, 6, ".woff2") == 0) {
        CHECK(asset->content_type == "font/woff2");
        ++fonts;
      }
    }
  }
  CHECK(fonts >= 2);  // GOV.UK Frontend's regular and bold
}

TEST_CASE("web assets: an unknown path, a directory or a query string finds nothing",
          "[web][assets]") {
  for (const char* path : {"", "/", "/assets", "/assets/", "/assets/fonts",
                           "/assets/govuk-frontend.min.css?v=1", "/assets/govuk-frontend.min.css/",
                           "/assets/GOVUK-FRONTEND.MIN.CSS", "/assets/../assets/manifest.json",
                           "/assets/govuk-frontend.min.css.map", "/assets/holdfast/nope.css"}) {
    INFO(path);
    CHECK(FindWebAsset(path) == nullptr);
  }
}

}  // namespace
}  // namespace holdfast
