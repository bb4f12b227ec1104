// holdfast's own JavaScript, served as /assets/holdfast/holdfast.js (embedded at build time,
// daemon/web/assets.cmake). Pages work without it: it only improves them (progressive
// enhancement).
import * as GOVUKFrontend from '/assets/govuk-frontend.min.js';
import * as MOJFrontend from '/assets/moj/moj-frontend.min.js';

if (GOVUKFrontend.isSupported()) {
  GOVUKFrontend.initAll();
  MOJFrontend.initAll();
}

// "Select all" for a table of checkboxes (the alerts inbox): a checkbox with
// data-hf-select-all="NAME" ticks or clears every checkbox named NAME in its form.
for (const all of document.querySelectorAll('[data-hf-select-all]')) {
  all.hidden = false;
  all.closest('[hidden]')?.removeAttribute('hidden');
  all.addEventListener('change', () => {
    const name = all.getAttribute('data-hf-select-all');
    for (const box of all.form.querySelectorAll(`input[type=checkbox][name="${name}"]`)) {
      box.checked = all.checked;
    }
  });
}
