// PLACEHOLDER until helper "assets" lands the embedded assets.
#include "daemon/web/assets.h"
namespace holdfast::web {
const WebAsset* FindWebAsset(std::string_view) { return nullptr; }
}  // namespace holdfast::web
