// HTML for the web front end (docs/web.md): a string builder that escapes whatever it is
// given as text, and the GOV.UK Design System's components (GOV.UK Frontend's Nunjucks
// macros, whose markup the embedded govuk-frontend CSS and JS expect) as plain functions.
//
// The one rule: text from a request, an event or a user is only ever added with `Text` (or
// as a component's text argument), which escapes it; `Raw` takes markup this code made. A
// component's argument named `html` is markup; every other string argument is text.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace holdfast::web {

// `text` with &, <, >, " and ' escaped, for element content and quoted attribute values.
std::string Escape(std::string_view text);

class Html {
 public:
  Html& Raw(std::string_view markup) {
    out_.append(markup);
    return *this;
  }
  Html& Text(std::string_view text);
  // <tag attrs>escaped text</tag>; `attrs` is markup (build it with Attr).
  Html& Element(std::string_view tag, std::string_view attrs, std::string_view text);
  const std::string& str() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

// ` name="escaped value"`.
std::string Attr(std::string_view name, std::string_view value);

// A form field's error, for the error summary and the field's own message.
struct FieldError {
  std::string field;  // the input's id (and name): the summary links to #field
  std::string message;
};

// The error summary at the top of a form's page ("There is a problem"), each error linking
// to its field. Empty when there are none.
std::string ErrorSummary(const std::vector<FieldError>& errors);
// The message for `field` among `errors`, or "".
std::string ErrorFor(const std::vector<FieldError>& errors, std::string_view field);

struct SummaryRow {
  std::string key;                       // text
  std::string html;                      // the value, markup
  std::string action_href, action_text;  // optional "Change" link
};
std::string SummaryList(const std::vector<SummaryRow>& rows);

// A table: `headers` are text; each cell of `rows` is markup. `caption` is text ("" none).
// A header starting with '#' is numeric (right-aligned; the '#' is not shown).
std::string Table(std::string_view caption, const std::vector<std::string>& headers,
                  const std::vector<std::vector<std::string>>& rows);

// A status tag: colour is "" (the default dark blue) or grey, green, turquoise, blue,
// light-blue, purple, pink, red, orange, yellow.
std::string Tag(std::string_view text, std::string_view colour = "");

// A notification banner; `success` for the green one with role=alert.
std::string NotificationBanner(std::string_view title, std::string_view html, bool success = false);

std::string InsetText(std::string_view html);
std::string WarningText(std::string_view text);
std::string BackLink(std::string_view href, std::string_view text = "Back");

// The inputs. Each has an id equal to its name, a label (or legend), an optional hint, and
// shows `error` (from ErrorFor) inside its form group.
struct Field {
  Field(std::string name_, std::string label_, std::string value_ = "", std::string error_ = "")
      : name(std::move(name_)),
        label(std::move(label_)),
        value(std::move(value_)),
        error(std::move(error_)) {}
  std::string name;
  std::string label;
  std::string value;
  std::string error;
  std::string hint;
  std::string type = "text";  // text, password, date, datetime-local, number, search
  std::string width;          // "" or a govuk-input--width-N / govuk-!-width-... class
  std::string autocomplete;   // "" none
  bool label_is_heading = false;
};
std::string TextInput(const Field& field);
std::string Textarea(const Field& field, int rows = 4);

struct Option {
  std::string value;
  std::string text;
  std::string hint;  // radios and checkboxes only
};
// `field.value` is the selected option's value.
std::string Select(const Field& field, const std::vector<Option>& options);
// Radios in a fieldset whose legend is field.label; `inline_` lays them in a row.
std::string Radios(const Field& field, const std::vector<Option>& options, bool inline_ = false,
                   bool small = false);
// Checkboxes in a fieldset; `checked` are the values ticked. An empty legend: no fieldset
// (one checkbox on its own).
std::string Checkboxes(const Field& field, const std::vector<Option>& options,
                       const std::vector<std::string>& checked, bool small = false);

// A submit button; `secondary` and `warning` pick its style. `name`/`value` are sent when set.
std::string Button(std::string_view text, std::string_view variant = "", std::string_view name = "",
                   std::string_view value = "");
// A link styled as a button.
std::string ButtonLink(std::string_view text, std::string_view href, std::string_view variant = "");
// A POST form to `action` carrying the CSRF token; `html` is its body.
std::string PostForm(std::string_view action, std::string_view csrf, std::string_view html,
                     std::string_view attrs = "");
// A GET form (search, filters); no token.
std::string GetForm(std::string_view action, std::string_view html);

// <a class="govuk-link" href=...>text</a>
std::string Link(std::string_view href, std::string_view text);

// "Next page" pagination; `next_href` "" for none.
std::string Pagination(std::string_view previous_href, std::string_view next_href);

// A URL's query value, %-encoded (RFC 3986 unreserved kept).
std::string UrlEncode(std::string_view value);

}  // namespace holdfast::web
