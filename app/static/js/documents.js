/* Account documents: highlight the drop box while files are dragged over it and list the files chosen.
   Dropping and choosing work without this script (a file input accepts drops natively); listeners are
   delegated from the document so they keep working after HTMX swaps the documents fragment. */
(function () {
  "use strict";

  function zoneOf(target) {
    return target && target.closest ? target.closest("[data-dropzone]") : null;
  }

  function sizeText(n) {
    if (n < 1024) return n + " bytes";
    if (n < 1048576) return Math.round(n / 1024) + " KB";
    return (n / 1048576).toFixed(1) + " MB";
  }

  function showChosen(input) {
    var zone = zoneOf(input);
    var list = zone && zone.querySelector(".dropzone-chosen");
    if (!list) return;
    list.textContent = "";
    Array.prototype.forEach.call(input.files || [], function (file) {
      var item = document.createElement("li");
      item.textContent = file.name + " (" + sizeText(file.size) + ")";
      list.appendChild(item);
    });
    list.hidden = !list.children.length;
  }

  ["dragenter", "dragover"].forEach(function (name) {
    document.addEventListener(name, function (e) {
      var zone = zoneOf(e.target);
      if (zone) zone.classList.add("is-dragover");
    });
  });
  ["dragleave", "drop"].forEach(function (name) {
    document.addEventListener(name, function (e) {
      var zone = zoneOf(e.target);
      if (zone && (name === "drop" || !zone.contains(e.relatedTarget))) zone.classList.remove("is-dragover");
    });
  });
  document.addEventListener("change", function (e) {
    if (e.target && e.target.matches && e.target.matches("[data-dropzone] input[type=file]")) showChosen(e.target);
  });
})();
