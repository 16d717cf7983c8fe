/* The account file's Compliance tab: times typed on a form are read in this browser's zone, and after a form is
   saved (the tab is swapped by HTMX) focus goes to the first field in error, else to the notice. */
(function () {
  "use strict";
  if (window.funnelChatComplianceTab) return;
  window.funnelChatComplianceTab = true;

  function zone() {
    try { return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC"; } catch (e) { return "UTC"; }
  }

  function localNow() {
    var d = new Date();
    d.setMinutes(d.getMinutes() - d.getTimezoneOffset());
    return d.toISOString().slice(0, 16);
  }

  function prepare(root) {
    var tz = zone();
    root.querySelectorAll('#compliance-tab input[type="hidden"][name$="-tz"]').forEach(function (input) {
      input.value = tz;
    });
    root.querySelectorAll('#compliance-tab input[type="datetime-local"]').forEach(function (input) {
      if (!input.value) input.value = localNow();
      var hint = document.getElementById(input.id + "-hint");
      if (hint && !hint.dataset.zoned) { hint.dataset.zoned = "1"; hint.textContent = "In your local time (" + tz + ")."; }
    });
  }

  function focusAfterSwap(tab) {
    var invalid = tab.querySelector('[aria-invalid="true"], .has-error input');
    if (invalid) { invalid.focus(); return; }
    var notice = tab.querySelector("[data-tab-notice]");
    if (notice) notice.focus();
  }

  var submitted = false;
  document.addEventListener("DOMContentLoaded", function () {
    prepare(document);
    document.body.addEventListener("htmx:beforeRequest", function (e) {
      submitted = !!(e.target && e.target.closest && e.target.closest("#compliance-tab"));
    });
    document.body.addEventListener("htmx:afterSettle", function () {
      var tab = document.getElementById("compliance-tab");
      if (!tab) return;
      prepare(document);
      if (submitted) { submitted = false; focusAfterSwap(tab); }
    });
  });
})();
