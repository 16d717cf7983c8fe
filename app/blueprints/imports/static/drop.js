/* The upload form accepts a CSV dropped anywhere on it, and names the chosen file. */
(function () {
  "use strict";
  function init(form) {
    var input = form.querySelector('input[type="file"]');
    var name = form.querySelector("[data-drop-name]");
    if (!input) { return; }
    function show() {
      if (name) { name.textContent = input.files && input.files.length ? "Selected: " + input.files[0].name : ""; }
    }
    input.addEventListener("change", show);
    form.addEventListener("dragover", function (e) { e.preventDefault(); e.dataTransfer.dropEffect = "copy"; });
    form.addEventListener("drop", function (e) {
      if (e.target === input || !e.dataTransfer || !e.dataTransfer.files.length) { return; }
      e.preventDefault();
      input.files = e.dataTransfer.files;
      show();
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-drop-zone]"), init);
  });
}());
