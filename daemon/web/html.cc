#include "daemon/web/html.h"

#include <cstdio>

namespace holdfast::web {

namespace {
// An error message as a sentence starts with a capital (the daemon's one-line refusals start
// in lower case, as command-line tools' do).
std::string Sentence(std::string_view text) {
  std::string out(text);
  if (!out.empty() && out[0] >= 'a' && out[0] <= 'z') out[0] = static_cast<char>(out[0] - 32);
  return out;
}
}  // namespace

std::string Escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

Html& Html::Text(std::string_view text) {
  out_ += Escape(text);
  return *this;
}

Html& Html::Element(std::string_view tag, std::string_view attrs, std::string_view text) {
  out_.append("<").append(tag).append(attrs).append(">");
  out_ += Escape(text);
  out_.append("</").append(tag).append(">");
  return *this;
}

std::string Attr(std::string_view name, std::string_view value) {
  std::string out = " ";
  out.append(name).append("=\"").append(Escape(value)).append("\"");
  return out;
}

std::string ErrorSummary(const std::vector<FieldError>& errors) {
  if (errors.empty()) return "";
  Html h;
  h.Raw(
      "<div class=\"govuk-error-summary\" data-module=\"govuk-error-summary\"><div role=\"alert\">"
      "<h2 class=\"govuk-error-summary__title\">There is a problem</h2>"
      "<div class=\"govuk-error-summary__body\"><ul class=\"govuk-list "
      "govuk-error-summary__list\">");
  for (const auto& e : errors) {
    h.Raw("<li>");
    if (e.field.empty()) {
      h.Text(Sentence(e.message));
    } else {
      h.Element("a", Attr("href", "#" + e.field), Sentence(e.message));
    }
    h.Raw("</li>");
  }
  h.Raw("</ul></div></div></div>");
  return h.Take();
}

std::string ErrorFor(const std::vector<FieldError>& errors, std::string_view field) {
  for (const auto& e : errors) {
    if (e.field == field) return e.message;
  }
  return "";
}

std::string SummaryList(const std::vector<SummaryRow>& rows) {
  bool any_action = false;
  for (const auto& r : rows) any_action = any_action || !r.action_href.empty();
  Html h;
  h.Raw("<dl class=\"govuk-summary-list\">");
  for (const auto& r : rows) {
    h.Raw(any_action && r.action_href.empty()
              ? "<div class=\"govuk-summary-list__row govuk-summary-list__row--no-actions\">"
              : "<div class=\"govuk-summary-list__row\">");
    h.Element("dt", " class=\"govuk-summary-list__key\"", r.key);
    h.Raw("<dd class=\"govuk-summary-list__value\">").Raw(r.html).Raw("</dd>");
    if (!r.action_href.empty()) {
      h.Raw("<dd class=\"govuk-summary-list__actions\"><a class=\"govuk-link\"")
          .Raw(Attr("href", r.action_href))
          .Raw(">")
          .Text(r.action_text)
          .Raw("<span class=\"govuk-visually-hidden\"> ")
          .Text(r.key)
          .Raw("</span></a></dd>");
    }
    h.Raw("</div>");
  }
  h.Raw("</dl>");
  return h.Take();
}

std::string Table(std::string_view caption, const std::vector<std::string>& headers,
                  const std::vector<std::vector<std::string>>& rows) {
  Html h;
  h.Raw("<table class=\"govuk-table\">");
  if (!caption.empty()) {
    h.Element("caption", " class=\"govuk-table__caption govuk-table__caption--m\"", caption);
  }
  std::vector<bool> numeric;
  h.Raw("<thead class=\"govuk-table__head\"><tr class=\"govuk-table__row\">");
  for (const auto& header : headers) {
    const bool n = !header.empty() && header[0] == '#';
    numeric.push_back(n);
    h.Element("th",
              n ? " scope=\"col\" class=\"govuk-table__header govuk-table__header--numeric\""
                : " scope=\"col\" class=\"govuk-table__header\"",
              n ? std::string_view(header).substr(1) : std::string_view(header));
  }
  h.Raw("</tr></thead><tbody class=\"govuk-table__body\">");
  for (const auto& row : rows) {
    h.Raw("<tr class=\"govuk-table__row\">");
    for (size_t i = 0; i < row.size(); ++i) {
      const bool n = i < numeric.size() && numeric[i];
      h.Raw(n ? "<td class=\"govuk-table__cell govuk-table__cell--numeric\">"
              : "<td class=\"govuk-table__cell\">")
          .Raw(row[i])
          .Raw("</td>");
    }
    h.Raw("</tr>");
  }
  h.Raw("</tbody></table>");
  return h.Take();
}

std::string Tag(std::string_view text, std::string_view colour) {
  std::string cls = "govuk-tag";
  if (!colour.empty()) cls.append(" govuk-tag--").append(colour);
  return Html().Element("strong", Attr("class", cls), text).Take();
}

std::string NotificationBanner(std::string_view title, std::string_view html, bool success) {
  Html h;
  h.Raw(success ? "<div class=\"govuk-notification-banner govuk-notification-banner--success\" "
                  "role=\"alert\""
                : "<div class=\"govuk-notification-banner\" role=\"region\"");
  h.Raw(
      " aria-labelledby=\"govuk-notification-banner-title\" "
      "data-module=\"govuk-notification-banner\"><div class=\"govuk-notification-banner__header\">"
      "<h2 class=\"govuk-notification-banner__title\" id=\"govuk-notification-banner-title\">");
  h.Text(title).Raw("</h2></div><div class=\"govuk-notification-banner__content\">");
  h.Raw(html).Raw("</div></div>");
  return h.Take();
}

std::string InsetText(std::string_view html) {
  return "<div class=\"govuk-inset-text\">" + std::string(html) + "</div>";
}

std::string WarningText(std::string_view text) {
  return Html()
      .Raw(
          "<div class=\"govuk-warning-text\"><span class=\"govuk-warning-text__icon\" "
          "aria-hidden=\"true\">!</span><strong class=\"govuk-warning-text__text\"><span "
          "class=\"govuk-visually-hidden\">Warning</span>")
      .Text(text)
      .Raw("</strong></div>")
      .Take();
}

std::string BackLink(std::string_view href, std::string_view text) {
  return Html().Element("a", Attr("href", href) + " class=\"govuk-back-link\"", text).Take();
}

namespace {

// The parts every input shares: the group's opening tag, label or legend, hint and error.
struct Described {
  std::string ids;  // aria-describedby
};

void OpenGroup(Html& h, const Field& f) {
  h.Raw(f.error.empty() ? "<div class=\"govuk-form-group\">"
                        : "<div class=\"govuk-form-group govuk-form-group--error\">");
}

Described HintAndError(Html& h, const Field& f) {
  Described d;
  if (!f.hint.empty()) {
    h.Element("div", Attr("id", f.name + "-hint") + " class=\"govuk-hint\"", f.hint);
    d.ids = f.name + "-hint";
  }
  if (!f.error.empty()) {
    h.Raw("<p").Raw(Attr("id", f.name + "-error"));
    h.Raw(" class=\"govuk-error-message\"><span class=\"govuk-visually-hidden\">Error:</span> ");
    h.Text(Sentence(f.error)).Raw("</p>");
    d.ids += (d.ids.empty() ? "" : " ") + f.name + "-error";
  }
  return d;
}

void Label(Html& h, const Field& f) {
  if (f.label_is_heading) {
    h.Raw("<h1 class=\"govuk-label-wrapper\"><label class=\"govuk-label govuk-label--l\"")
        .Raw(Attr("for", f.name))
        .Raw(">")
        .Text(f.label)
        .Raw("</label></h1>");
  } else {
    h.Element("label", " class=\"govuk-label\"" + Attr("for", f.name), f.label);
  }
}

void OpenFieldset(Html& h, const Field& f, const Described& d) {
  h.Raw("<fieldset class=\"govuk-fieldset\"");
  if (!d.ids.empty()) h.Raw(Attr("aria-describedby", d.ids));
  h.Raw("><legend class=\"govuk-fieldset__legend govuk-fieldset__legend--s\">")
      .Text(f.label)
      .Raw("</legend>");
}

std::string ItemId(const Field& f, size_t i) {
  return i == 0 ? f.name : f.name + "-" + std::to_string(i + 1);
}

}  // namespace

std::string TextInput(const Field& f) {
  Html h;
  OpenGroup(h, f);
  Label(h, f);
  const Described d = HintAndError(h, f);
  std::string cls = "govuk-input";
  if (!f.width.empty()) cls += " " + f.width;
  if (!f.error.empty()) cls += " govuk-input--error";
  h.Raw("<input").Raw(Attr("class", cls)).Raw(Attr("id", f.name)).Raw(Attr("name", f.name));
  h.Raw(Attr("type", f.type)).Raw(Attr("value", f.value));
  if (!d.ids.empty()) h.Raw(Attr("aria-describedby", d.ids));
  if (!f.autocomplete.empty()) h.Raw(Attr("autocomplete", f.autocomplete));
  if (f.type == "text" || f.type == "password") h.Raw(" spellcheck=\"false\"");
  h.Raw("></div>");
  return h.Take();
}

std::string Textarea(const Field& f, int rows) {
  Html h;
  OpenGroup(h, f);
  Label(h, f);
  const Described d = HintAndError(h, f);
  h.Raw("<textarea")
      .Raw(Attr("class",
                f.error.empty() ? "govuk-textarea" : "govuk-textarea govuk-textarea--error"))
      .Raw(Attr("id", f.name))
      .Raw(Attr("name", f.name))
      .Raw(Attr("rows", std::to_string(rows)));
  if (!d.ids.empty()) h.Raw(Attr("aria-describedby", d.ids));
  h.Raw(">").Text(f.value).Raw("</textarea></div>");
  return h.Take();
}

std::string Select(const Field& f, const std::vector<Option>& options) {
  Html h;
  OpenGroup(h, f);
  Label(h, f);
  const Described d = HintAndError(h, f);
  h.Raw("<select")
      .Raw(Attr("class", f.error.empty() ? "govuk-select" : "govuk-select govuk-select--error"))
      .Raw(Attr("id", f.name))
      .Raw(Attr("name", f.name));
  if (!d.ids.empty()) h.Raw(Attr("aria-describedby", d.ids));
  h.Raw(">");
  for (const auto& o : options) {
    h.Raw("<option").Raw(Attr("value", o.value));
    if (o.value == f.value) h.Raw(" selected");
    h.Raw(">").Text(o.text).Raw("</option>");
  }
  h.Raw("</select></div>");
  return h.Take();
}

namespace {

std::string Choices(const Field& f, const std::vector<Option>& options,
                    const std::vector<std::string>& checked, const char* kind, bool inline_,
                    bool small) {
  const std::string k = kind;  // radios | checkboxes
  Html h;
  OpenGroup(h, f);
  Described d;
  const bool fieldset = !f.label.empty();
  if (fieldset) {
    // The hint and error go inside the fieldset, after the legend.
    Html inner;
    d = HintAndError(inner, f);
    OpenFieldset(h, f, d);
    h.Raw(inner.str());
  } else {
    d = HintAndError(h, f);
  }
  std::string cls = "govuk-" + k;
  if (inline_) cls += " govuk-" + k + "--inline";
  if (small) cls += " govuk-" + k + "--small";
  h.Raw("<div").Raw(Attr("class", cls)).Raw(Attr("data-module", "govuk-" + k)).Raw(">");
  for (size_t i = 0; i < options.size(); ++i) {
    const auto& o = options[i];
    const std::string id = ItemId(f, i);
    h.Raw("<div class=\"govuk-" + k + "__item\"><input class=\"govuk-" + k + "__input\"");
    h.Raw(Attr("id", id)).Raw(Attr("name", f.name));
    h.Raw(k == "radios" ? " type=\"radio\"" : " type=\"checkbox\"").Raw(Attr("value", o.value));
    for (const auto& c : checked) {
      if (c == o.value) {
        h.Raw(" checked");
        break;
      }
    }
    if (!o.hint.empty()) h.Raw(Attr("aria-describedby", id + "-item-hint"));
    h.Raw("><label class=\"govuk-label govuk-" + k + "__label\"").Raw(Attr("for", id)).Raw(">");
    h.Text(o.text).Raw("</label>");
    if (!o.hint.empty()) {
      h.Element("div",
                Attr("id", id + "-item-hint") + " class=\"govuk-hint govuk-" + k + "__hint\"",
                o.hint);
    }
    h.Raw("</div>");
  }
  h.Raw("</div>");
  if (fieldset) h.Raw("</fieldset>");
  h.Raw("</div>");
  return h.Take();
}

}  // namespace

std::string Radios(const Field& f, const std::vector<Option>& options, bool inline_, bool small) {
  return Choices(f, options, {f.value}, "radios", inline_, small);
}

std::string Checkboxes(const Field& f, const std::vector<Option>& options,
                       const std::vector<std::string>& checked, bool small) {
  return Choices(f, options, checked, "checkboxes", false, small);
}

std::string Button(std::string_view text, std::string_view variant, std::string_view name,
                   std::string_view value) {
  std::string cls = "govuk-button";
  if (!variant.empty()) cls.append(" govuk-button--").append(variant);
  Html h;
  h.Raw("<button type=\"submit\"").Raw(Attr("class", cls));
  if (!name.empty()) h.Raw(Attr("name", name)).Raw(Attr("value", value));
  h.Raw(" data-module=\"govuk-button\">").Text(text).Raw("</button>");
  return h.Take();
}

std::string ButtonLink(std::string_view text, std::string_view href, std::string_view variant) {
  std::string cls = "govuk-button";
  if (!variant.empty()) cls.append(" govuk-button--").append(variant);
  return Html()
      .Element("a",
               Attr("href", href) + " role=\"button\" draggable=\"false\"" + Attr("class", cls) +
                   " data-module=\"govuk-button\"",
               text)
      .Take();
}

std::string PostForm(std::string_view action, std::string_view csrf, std::string_view html,
                     std::string_view attrs) {
  Html h;
  h.Raw("<form method=\"post\" novalidate").Raw(Attr("action", action)).Raw(attrs).Raw(">");
  h.Raw("<input type=\"hidden\" name=\"csrf\"").Raw(Attr("value", csrf)).Raw(">");
  h.Raw(html).Raw("</form>");
  return h.Take();
}

std::string GetForm(std::string_view action, std::string_view html) {
  Html h;
  h.Raw("<form method=\"get\" novalidate").Raw(Attr("action", action)).Raw(">");
  h.Raw(html).Raw("</form>");
  return h.Take();
}

std::string Link(std::string_view href, std::string_view text) {
  return Html().Element("a", " class=\"govuk-link\"" + Attr("href", href), text).Take();
}

std::string Pagination(std::string_view previous_href, std::string_view next_href) {
  if (previous_href.empty() && next_href.empty()) return "";
  Html h;
  h.Raw("<nav class=\"govuk-pagination\" aria-label=\"Pagination\">");
  if (!previous_href.empty()) {
    h.Raw("<div class=\"govuk-pagination__prev\"><a class=\"govuk-link govuk-pagination__link\"")
        .Raw(Attr("href", previous_href))
        .Raw(
            " rel=\"prev\"><svg class=\"govuk-pagination__icon govuk-pagination__icon--prev\" "
            "xmlns=\"http://www.w3.org/2000/svg\" height=\"13\" width=\"15\" aria-hidden=\"true\" "
            "focusable=\"false\" viewBox=\"0 0 15 13\"><path d=\"m6.5938-0.0078125-6.7266 "
            "6.7266 6.7441 6.4062 1.377-1.449-4.1856-3.9768h12.896v-2h-12.984l4.2931-4.293-"
            "1.414-1.414z\"></path></svg><span class=\"govuk-pagination__link-title\">Previous"
            "<span class=\"govuk-visually-hidden\"> page</span></span></a></div>");
  }
  if (!next_href.empty()) {
    h.Raw("<div class=\"govuk-pagination__next\"><a class=\"govuk-link govuk-pagination__link\"")
        .Raw(Attr("href", next_href))
        .Raw(
            " rel=\"next\"><span class=\"govuk-pagination__link-title\">Next<span "
            "class=\"govuk-visually-hidden\"> page</span></span><svg "
            "class=\"govuk-pagination__icon "
            "govuk-pagination__icon--next\" xmlns=\"http://www.w3.org/2000/svg\" height=\"13\" "
            "width=\"15\" aria-hidden=\"true\" focusable=\"false\" viewBox=\"0 0 15 13\"><path "
            "d=\"m8.107-0.0078125-1.4136 1.414 4.2926 4.293h-12.986v2h12.896l-4.1855 3.9766 "
            "1.377 1.4492 6.7441-6.4062-6.7246-6.7266z\"></path></svg></a></div>");
  }
  h.Raw("</nav>");
  return h.Take();
}

std::string UrlEncode(std::string_view value) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace holdfast::web
