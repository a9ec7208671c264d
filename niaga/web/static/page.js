// Small behaviours every page shares, bound here so no page needs inline script (CSP).
(function () {
  "use strict";
  // <select data-autosubmit>: submit its form on change.
  document.addEventListener("change", function (event) {
    const field = event.target.closest ? event.target.closest("[data-autosubmit]") : null;
    if (field && field.form) field.form.submit();
  });
  // <form data-confirm="Question?">: ask before submitting.
  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  }, true);
  // <input data-select-on-click>: select the whole value (links to copy).
  document.addEventListener("click", function (event) {
    const field = event.target.closest ? event.target.closest("[data-select-on-click]") : null;
    if (field && field.select) field.select();
  });
})();
