/* The sandbox simulator page: keep the outbox live. Socket events carry ids and states only; the rendered row is
   fetched over HTMX's conventions (HX-Request) from the server, which also applies the recipient filter. */
(function () {
  "use strict";

  var section, pending = {};

  function rowUrl(id) {
    var url = section.dataset.rowUrl.replace("ROW_ID", encodeURIComponent(id));
    var filter = currentFilter();
    return filter ? url + "?to=" + encodeURIComponent(filter) : url;
  }

  function counter() { return section.querySelector(".outbox-count"); }
  function currentFilter() { var c = counter(); return c ? c.dataset.filter || "" : ""; }
  function currentPage() { var c = counter(); return c ? parseInt(c.dataset.page || "1", 10) : 1; }

  function say(text) {
    var live = document.getElementById("outbox-live");
    if (live) live.textContent = text;
  }

  /* The whole list, as the filter form would fetch it; skipped while someone is writing a reply. */
  function refreshList() {
    if (section.querySelector(".reply-form")) return;
    var filter = currentFilter(), page = currentPage();
    var query = [];
    if (filter) query.push("to=" + encodeURIComponent(filter));
    if (page > 1) query.push("page=" + page);
    htmx.ajax("GET", section.dataset.listUrl + (query.length ? "?" + query.join("&") : ""),
              { target: "#sandbox-outbox", swap: "innerHTML" });
  }

  /* One row: a known one gets its entry replaced (an open reply form stays), a new one goes on top of page 1. */
  function loadRow(id) {
    if (pending[id]) { pending[id] = "again"; return; }
    var existing = document.getElementById("outbox-" + id);
    var list = document.getElementById("outbox-list");
    if (!existing && (!list || currentPage() !== 1)) {
      if (!list && currentPage() === 1) refreshList();
      return;
    }
    pending[id] = "loading";
    fetch(rowUrl(id), { headers: { "HX-Request": "true" }, credentials: "same-origin" })
      .then(function (response) { return response.status === 200 ? response.text() : null; })
      .then(function (html) {
        if (html) place(id, html);
      })
      .catch(function () { /* the next event or a reload shows it */ })
      .then(function () {
        var again = pending[id] === "again";
        delete pending[id];
        if (again) loadRow(id);
      });
  }

  function place(id, html) {
    var template = document.createElement("template");
    template.innerHTML = html.trim();
    var fresh = template.content.querySelector("li.outbox-item");
    if (!fresh) return;
    var existing = document.getElementById("outbox-" + id);
    if (existing) {
      var entry = existing.querySelector(".outbox-entry");
      var newEntry = fresh.querySelector(".outbox-entry");
      if (entry && newEntry && !entry.contains(document.activeElement)) {
        var note = entry.querySelector(".outbox-note");
        var actions = newEntry.querySelector(".outbox-actions");
        if (note && !newEntry.querySelector(".outbox-note")) newEntry.insertBefore(note, actions);
        entry.replaceWith(newEntry);
        htmx.process(newEntry);
      } else if (entry && newEntry) {
        /* Keep the focused button where it is; only the status chip changes under it. */
        var chip = entry.querySelector(".outbox-head .chip[data-status]");
        var newChip = newEntry.querySelector(".outbox-head .chip[data-status]");
        if (chip && newChip) chip.replaceWith(newChip);
      }
      return;
    }
    var list = document.getElementById("outbox-list");
    if (!list) return;
    list.insertBefore(fresh, list.firstChild);
    htmx.process(fresh);
    var total = section.querySelector(".outbox-total");
    if (total) {
      var count = (parseInt(total.dataset.total, 10) || 0) + 1;
      total.dataset.total = String(count);
      total.textContent = count.toLocaleString("en-US") + (count === 1 ? " message" : " messages");
    }
    var to = fresh.querySelector(".outbox-to");
    say("New in the outbox: " + (fresh.querySelector(".chip-channel") || {}).textContent + " to " + (to ? to.textContent : ""));
  }

  function onMessageUpdated(payload) {
    if (!payload || !payload.messageId) return;
    document.querySelectorAll('.outbox-item[data-message-id="' + payload.messageId + '"]').forEach(function (row) {
      loadRow(row.id.replace(/^outbox-/, ""));
    });
  }

  function listen(socket) {
    var connectedBefore = socket.connected;
    socket.on("sandbox.message", function (payload) { if (payload && payload.id) loadRow(payload.id); });
    socket.on("message.updated", onMessageUpdated);
    socket.on("connect", function () {
      if (connectedBefore) refreshList(); /* a reconnect: catch up on what was missed */
      connectedBefore = true;
    });
  }

  /* Reply forms close without a round trip; focus returns to the row's reply button. */
  function initReplySlots() {
    section.addEventListener("click", function (event) {
      var close = event.target.closest("[data-close-reply]");
      if (!close) return;
      event.preventDefault();
      var id = close.dataset.closeReply;
      var slot = document.getElementById("reply-" + id);
      if (slot) slot.innerHTML = "";
      var opener = document.querySelector('#outbox-' + id + ' [aria-controls="reply-' + id + '"]');
      if (opener) opener.focus();
    });
  }

  /* After a report the clicked button may be gone: focus moves to what happened. */
  function initReportFocus() {
    section.addEventListener("htmx:afterSettle", function () {
      var note = section.querySelector(".outbox-note[data-fresh]");
      if (!note) return;
      note.removeAttribute("data-fresh");
      note.focus();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    section = document.getElementById("sandbox-outbox");
    if (!section) return;
    initReplySlots();
    initReportFocus();
    var socket = window.funnelChat && window.funnelChat.socket;
    if (socket) listen(socket);
  });
})();
