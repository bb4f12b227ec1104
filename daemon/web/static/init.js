// Runs first in <body> (a file, not inline, so the Content-Security-Policy can forbid inline
// scripts): marks the page as having JavaScript, as GOV.UK Frontend's template does.
document.body.className +=
  ' js-enabled' + ('noModule' in HTMLScriptElement.prototype ? ' govuk-frontend-supported' : '');
