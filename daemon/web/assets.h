// PLACEHOLDER until helper "assets" lands the embedded assets.
#pragma once
#include <string_view>
namespace holdfast::web {
struct WebAsset {
  std::string_view path, content_type, body, etag;
};
const WebAsset* FindWebAsset(std::string_view path);
}  // namespace holdfast::web
