/* The inbox page: live list and thread over Socket.IO, typing indicators, the composer's canned responses.
   The server renders every row and bubble; this file only decides which ones to fetch (htmx.ajax) and where they
   go. No polling: everything moves on socket events, and after a reconnect the missed events are replayed. */
(function () {
  "use strict";

  var inbox, socket;
  var lastEventIds = {};          /* room -> last event id seen, for `resume` after a reconnect */
  var joinedConversation = null;  /* the conversation room this socket is in */
  var connectedBefore = false;
  var rowTimers = {};
  var typingTimers = {};
  var myTyping = { active: false, timer: null, conversationId: null };
  var TYPING_IDLE_MS = 3000, TYPING_SHOW_MS = 6000;

  function byId(id) { return document.getElementById(id); }
  function openThread() { return byId("thread"); }
  function openConversationId() { var t = openThread(); return t ? t.dataset.conversationId : null; }
  function listArgs() { var input = byId("inbox-list-args"); return input ? input.value : ""; }
  function url(template, conversationId, messageId) {
    return template.replace("CID", conversationId).replace("MID", messageId || "");
  }
  function announce(text) { var box = byId("inbox-announcer"); if (box) { box.textContent = ""; box.textContent = text; } }

  /* -- the list -------------------------------------------------------------------------------------------------- */
  function activityOf(row) { var v = row && row.dataset.activity; return v ? Date.parse(v) : -Infinity; }

  /* Put a row where the list's order (latest activity first) says; a row older than everything loaded while more
     pages remain belongs to a later page and leaves. */
  function placeRow(row) {
    var list = byId("inbox-rows");
    if (!row || !list) return;
    var mine = activityOf(row), more = byId("inbox-more");
    var others = Array.prototype.filter.call(list.querySelectorAll(".inbox-row"), function (r) { return r !== row; });
    for (var i = 0; i < others.length; i++) {
      if (activityOf(others[i]) < mine) { list.insertBefore(row, others[i]); return; }
    }
    if (more) {
      if (others.length && mine < activityOf(others[others.length - 1])) { row.remove(); return; }
      list.insertBefore(row, more);
    } else {
      list.appendChild(row);
    }
  }

  function refreshEmptyState() {
    var empty = byId("inbox-empty"), list = byId("inbox-rows");
    if (empty && list) empty.hidden = list.querySelector(".inbox-row") !== null;
  }

  /* One request at a time per row or bubble: an element replaced while a second request for it waits would take
     that answer into a detached node, so a change that arrives meanwhile fetches again once the first is done. */
  var inflight = {};
  function serialized(key, run) {
    if (inflight[key]) { inflight[key].again = true; return; }
    inflight[key] = { again: false };
    var done = function () {
      var again = inflight[key] && inflight[key].again;
      delete inflight[key];
      if (again) serialized(key, run);
    };
    run().then(done, done);
  }

  /* Fetch one conversation's row as the current filters show it; an empty answer removes it. */
  function refreshRow(conversationId, moved) {
    clearTimeout(rowTimers[conversationId]);
    rowTimers[conversationId] = setTimeout(function () {
      serialized("row:" + conversationId, function () { return fetchRow(conversationId, moved); });
    }, 120);
  }

  function fetchRow(conversationId, moved) {
    var list = byId("inbox-rows");
    if (!list) return Promise.resolve();
    var row = byId("conv-row-" + conversationId);
    if (!row) {
      row = document.createElement("li");
      row.id = "conv-row-" + conversationId;
      row.className = "inbox-row is-placeholder";
      row.hidden = true;
      list.insertBefore(row, list.firstChild);
    }
    var query = listArgs(), open = openConversationId();
    var path = url(inbox.dataset.rowUrl, conversationId) + "?" + query + (open ? (query ? "&" : "") + "open=" + open : "");
    return htmx.ajax("GET", path, { source: row, target: row, swap: "outerHTML" }).then(function () {
      var fresh = byId("conv-row-" + conversationId);
      if (fresh && !fresh.classList.contains("is-placeholder")) {
        placeRow(fresh);
        if (moved) {
          fresh.classList.add("is-new");
          setTimeout(function () { fresh.classList.remove("is-new"); }, 1700);
        }
      }
      refreshEmptyState();
    });
  }

  /* -- the thread ------------------------------------------------------------------------------------------------ */
  function nearBottom(box) { return box.scrollHeight - box.scrollTop - box.clientHeight < 120; }
  function scrollToEnd() { var box = byId("thread-messages"); if (box) box.scrollTop = box.scrollHeight; }

  function upsertBubble(conversationId, messageId) {
    if (!messageId) return;
    serialized("msg:" + messageId, function () { return fetchBubble(conversationId, messageId); });
  }

  function fetchBubble(conversationId, messageId) {
    var box = byId("thread-messages");
    if (!box || openConversationId() !== conversationId) return Promise.resolve();
    var follow = nearBottom(box);
    var bubble = byId("msg-" + messageId);
    if (!bubble) {
      bubble = document.createElement("li");
      bubble.id = "msg-" + messageId;
      bubble.hidden = true;
      box.appendChild(bubble);
    }
    return htmx.ajax("GET", url(inbox.dataset.messageUrl, conversationId, messageId),
                     { source: bubble, target: bubble, swap: "outerHTML" }).then(function () {
      dedupeBubbles();
      if (follow) scrollToEnd();
    });
  }

  /* A bubble can arrive twice (the composer's answer and the socket's event): keep the newest copy. */
  function dedupeBubbles() {
    var box = byId("thread-messages");
    if (!box) return;
    var seen = {};
    var bubbles = box.querySelectorAll("li[id^='msg-']");
    for (var i = bubbles.length - 1; i >= 0; i--) {
      if (seen[bubbles[i].id]) bubbles[i].remove(); else seen[bubbles[i].id] = true;
    }
  }

  function refreshHeader(conversationId) {
    if (openConversationId() !== conversationId || !byId("thread-header")) return;
    var header = byId("thread-header");
    if (header.querySelector("details[open]")) return;  /* never close a form someone is filling in */
    htmx.ajax("GET", url(inbox.dataset.threadUrl, conversationId) + "?" + listArgs(),
              { source: header, target: header, swap: "outerHTML" });
  }

  function markRead(conversationId) {
    if (document.visibilityState !== "visible") return;
    htmx.ajax("POST", url(inbox.dataset.readUrl, conversationId),
              { source: openThread(), swap: "none", values: { listArgs: listArgs() } });
  }

  /* -- typing ---------------------------------------------------------------------------------------------------- */
  function showTyping(data) {
    var line = byId("typing-indicator");
    if (!line || data.conversationId !== openConversationId()) return;
    var key = data.from === "debtor" ? "debtor" : data.userId;
    clearTimeout(typingTimers[key]);
    if (!data.typing) { line.textContent = ""; line.classList.remove("is-collision"); return; }
    var body = byId("composer-body");
    var collision = data.from !== "debtor" && body && (myTyping.active || body.value.trim() !== "");
    if (data.from === "debtor") {
      line.textContent = "The debtor is typing…";
    } else if (collision) {
      line.textContent = (data.name || "Another agent") + " is also writing in this conversation: check before you send.";
    } else {
      line.textContent = (data.name || "Another agent") + " is typing…";
    }
    line.classList.toggle("is-collision", !!collision);
    typingTimers[key] = setTimeout(function () { line.textContent = ""; line.classList.remove("is-collision"); }, TYPING_SHOW_MS);
  }

  function emitTyping(state) {
    var thread = openThread();
    if (!socket || !thread) return;
    myTyping.active = state;
    socket.emit("typing", { conversationId: thread.dataset.conversationId, typing: state,
                            channel: thread.dataset.channel, accountId: thread.dataset.accountId });
  }

  function typed() {
    if (!myTyping.active) emitTyping(true);
    clearTimeout(myTyping.timer);
    myTyping.timer = setTimeout(function () { emitTyping(false); }, TYPING_IDLE_MS);
  }

  function stopTyping() {
    clearTimeout(myTyping.timer);
    if (myTyping.active) emitTyping(false);
  }

  /* -- socket events --------------------------------------------------------------------------------------------- */
  function remember(data) {
    if (data && data.room && data.eventId) lastEventIds[data.room] = data.eventId;
  }

  function handle(event, data) {
    if (!data) return;
    remember(data);
    var room = data.room || "";
    var inConversationRoom = room.indexOf("conversation:") === 0;
    var conversationId = data.conversationId;
    if (event === "message.created") {
      if (inConversationRoom) {
        upsertBubble(conversationId, data.messageId);
        if (data.direction === "inbound" && conversationId === openConversationId()) markRead(conversationId);
      } else if (conversationId) {
        refreshRow(conversationId, true);
      }
    } else if (event === "message.updated") {
      if (inConversationRoom && byId("msg-" + data.messageId)) upsertBubble(conversationId, data.messageId);
    } else if (event === "conversation.updated") {
      if (inConversationRoom) refreshHeader(conversationId); else refreshRow(conversationId, false);
    } else if (event === "conversation.created") {
      if (!inConversationRoom) refreshRow(conversationId, true);
    } else if (event === "typing") {
      showTyping(data);
    }
  }

  function join(then) {
    var conversationId = openConversationId();
    if (!socket || !socket.connected) return;
    if (!conversationId) { joinedConversation = null; if (then) then(); return; }
    socket.emit("join", { conversationId: conversationId }, function (answer) {
      joinedConversation = answer && answer.ok ? conversationId : null;
      if (then) then();
    });
  }

  function resume() {
    socket.emit("resume", { since: lastEventIds }, function (answer) {
      ((answer && answer.events) || []).forEach(function (item) { handle(item.event, item.data); });
    });
  }

  function initSocket() {
    socket = window.funnelChat && window.funnelChat.socket;
    if (!socket) return;
    ["message.created", "message.updated", "conversation.updated", "conversation.created", "typing"].forEach(function (name) {
      socket.on(name, function (data) { handle(name, data); });
    });
    socket.on("connect", function () {
      var again = connectedBefore;
      connectedBefore = true;
      join(again ? resume : null);
    });
    if (socket.connected) { connectedBefore = true; join(null); }
  }

  /* -- the composer's canned responses (type "/") ---------------------------------------------------------------- */
  var canned = { open: false, token: null, active: -1 };

  function cannedList() { return byId("canned-list"); }
  function cannedOptions() {
    var list = cannedList();
    return list ? Array.prototype.filter.call(list.querySelectorAll("[role='option']"), function (o) { return !o.hidden; }) : [];
  }

  function slashToken(body) {
    var before = body.value.slice(0, body.selectionStart);
    var match = /(^|\s)\/([\w-]*)$/.exec(before);
    return match ? { start: before.length - match[2].length - 1, query: match[2].toLowerCase() } : null;
  }

  function setActive(index) {
    var options = cannedOptions(), body = byId("composer-body");
    options.forEach(function (o, i) { o.setAttribute("aria-selected", i === index ? "true" : "false"); });
    canned.active = options.length ? Math.max(0, Math.min(index, options.length - 1)) : -1;
    if (canned.active >= 0) {
      options[canned.active].scrollIntoView({ block: "nearest" });
      body.setAttribute("aria-activedescendant", options[canned.active].id);
    } else {
      body.removeAttribute("aria-activedescendant");
    }
  }

  function closeCanned() {
    var list = cannedList(), body = byId("composer-body");
    if (list) list.hidden = true;
    if (body) body.removeAttribute("aria-activedescendant");
    canned.open = false; canned.token = null; canned.active = -1;
  }

  function updateCanned() {
    var body = byId("composer-body"), list = cannedList();
    if (!body || !list) return;
    var token = slashToken(body);
    if (!token) { if (canned.open) closeCanned(); return; }
    var count = 0;
    list.querySelectorAll("[role='option']").forEach(function (option) {
      var show = option.dataset.name.indexOf(token.query) === 0;
      option.hidden = !show;
      if (show) count += 1;
    });
    canned.token = token;
    if (!count) { closeCanned(); announce("No canned response starts with /" + token.query + "."); return; }
    var wasOpen = canned.open;
    list.hidden = false;
    canned.open = true;
    setActive(0);
    if (!wasOpen) announce(count + (count === 1 ? " canned response" : " canned responses") + ": arrow keys choose, Enter inserts, Escape closes.");
  }

  function chooseCanned(option) {
    var body = byId("composer-body");
    if (!body || !option || !canned.token) return;
    var before = body.value.slice(0, canned.token.start), after = body.value.slice(body.selectionStart);
    var text = option.dataset.text;
    body.value = before + text + after;
    var caret = (before + text).length;
    body.setSelectionRange(caret, caret);
    closeCanned();
    body.focus();
    announce("Inserted /" + option.dataset.name + ".");
    htmx.trigger(body, "canned-inserted");
  }

  function composerKeydown(e) {
    if (e.target.id !== "composer-body") return;
    if ((e.ctrlKey || e.metaKey) && e.key === "Enter") {
      var send = byId("composer-send");
      if (send) { e.preventDefault(); send.click(); }
      return;
    }
    if (!canned.open) return;
    if (e.key === "ArrowDown") { e.preventDefault(); setActive(canned.active + 1); }
    else if (e.key === "ArrowUp") { e.preventDefault(); setActive(canned.active - 1); }
    else if (e.key === "Enter" || e.key === "Tab") {
      var options = cannedOptions();
      if (canned.active >= 0 && options[canned.active]) { e.preventDefault(); chooseCanned(options[canned.active]); }
    } else if (e.key === "Escape") { e.preventDefault(); closeCanned(); }
  }

  /* -- earlier messages ------------------------------------------------------------------------------------------ */
  /* "Show earlier messages" swaps itself for the page of bubbles before the first one shown. They go above what the
     agent is reading, so the bubble that was first stays exactly where it was on screen (the thread scrolls in its
     own box on a desktop, with the page on a phone); focus stays on the button, or goes to the message list once
     the start is reached; a bubble already on the page is never there twice. */
  var earlier = null;  /* {anchor, top, focused, placed} while a page of earlier messages goes in */

  function scrollsItself(box) {
    var overflow = window.getComputedStyle(box).overflowY;
    return (overflow === "auto" || overflow === "scroll") && box.scrollHeight > box.clientHeight;
  }

  function keepAnchor() {
    if (!earlier || !earlier.anchor || !earlier.anchor.isConnected) return;
    var moved = earlier.anchor.getBoundingClientRect().top - earlier.top;
    if (Math.abs(moved) < 1) return;
    var box = byId("thread-messages");
    if (box && scrollsItself(box)) box.scrollTop += moved; else window.scrollBy(0, moved);
  }

  function earlierRequested(button) {
    earlier = { anchor: null, top: 0, focused: document.activeElement === button, placed: false };
  }

  function earlierArriving(item) {  /* measured just before the swap: the agent may have scrolled meanwhile */
    if (!earlier) earlier = { focused: false, placed: false };
    earlier.anchor = item.nextElementSibling;
    earlier.top = earlier.anchor ? earlier.anchor.getBoundingClientRect().top : 0;
  }

  function earlierPlaced() {
    if (!earlier || earlier.placed) return;
    earlier.placed = true;
    dedupeBubbles();
    keepAnchor();
    var box = byId("thread-messages"), next = byId("thread-earlier-button");
    if (earlier.focused) {
      if (next) next.focus({ preventScroll: true }); else if (box) box.focus({ preventScroll: true });
    }
    var added = 0;
    if (earlier.anchor) {
      for (var el = earlier.anchor.previousElementSibling; el; el = el.previousElementSibling) {
        if (/^msg-/.test(el.id || "")) added += 1;
      }
    }
    if (added) {
      announce("Showing " + added + (added === 1 ? " earlier message." : " earlier messages.") +
               (next ? "" : " This is the start of the conversation."));
    }
  }

  function earlierSettled() {
    if (!earlier || !earlier.placed) return;
    keepAnchor();  /* times written in the agent's zone may have changed a bubble's height */
    earlier = null;
  }

  /* -- snoozing until a chosen time ------------------------------------------------------------------------------ */
  /* The date and time picked is read in this browser's zone: the form names the zone and sends it (tz); the picker
     offers the times from now to the limit, and a time outside them is refused next to the field before anything
     is sent (the server checks again and answers the same way). */
  var DAY_MS = 24 * 60 * 60 * 1000;

  function browserZone() {
    try { return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC"; } catch (e) { return "UTC"; }
  }

  function localValue(date) {  /* a Date as a datetime-local value in this browser's time */
    var shifted = new Date(date.getTime() - date.getTimezoneOffset() * 60000);
    return shifted.toISOString().slice(0, 16);
  }

  function maxSnoozeDays(form) { return parseInt(form.dataset.maxDays || "90", 10); }

  function prepareSnooze() {
    var form = byId("snooze-form"), input = byId("snooze-at");
    if (!form || !input) return;
    var zone = browserZone();
    var tz = form.querySelector("[data-browser-zone]"), label = form.querySelector("[data-zone-label]");
    if (tz) tz.value = zone;
    if (label) label.textContent = "(" + zone.replace(/_/g, " ") + ")";
    var now = Date.now();
    input.min = localValue(new Date(now + 60000));
    input.max = localValue(new Date(now + maxSnoozeDays(form) * DAY_MS));
  }

  function snoozeProblem(form) {
    var choice = byId("snooze-until"), input = byId("snooze-at");
    if (!choice || !input || choice.value !== "at") return null;
    if (!input.value) {
      return input.validity && input.validity.badInput ? "Enter the whole date and time." : "Choose the date and time to snooze until.";
    }
    var at = new Date(input.value);  /* a datetime-local value without an offset is local time */
    if (isNaN(at.getTime())) return "Enter the date and time as shown, for example 12/01/2026 09:00 AM.";
    var ahead = at.getTime() - Date.now(), days = maxSnoozeDays(form);
    if (ahead <= 0) return "Choose a time in the future.";
    if (ahead > days * DAY_MS) return "Snooze for at most " + days + " days.";
    return null;
  }

  function showSnoozeProblem(problem) {
    var input = byId("snooze-at"), box = byId("snooze-at-error");
    if (!input || !box) return;
    box.textContent = problem || "";
    box.hidden = !problem;
    var described = (input.getAttribute("aria-describedby") || "").split(" ").filter(function (id) {
      return id && id !== "snooze-at-error";
    });
    if (problem) { input.setAttribute("aria-invalid", "true"); described.push("snooze-at-error"); }
    else input.removeAttribute("aria-invalid");
    input.setAttribute("aria-describedby", described.join(" "));
  }

  function snoozeChanged(e) {
    var form = byId("snooze-form");
    if (!form || !form.contains(e.target)) return;
    if (e.target.id === "snooze-at") showSnoozeProblem(snoozeProblem(form));
    else if (e.target.id === "snooze-until" && e.target.value !== "at") showSnoozeProblem(null);
  }

  function snoozeBeforeRequest(e) {
    var form = e.detail.elt;
    if (!form || form.id !== "snooze-form") return;
    var problem = snoozeProblem(form);
    if (!problem) return;
    e.preventDefault();
    showSnoozeProblem(problem);
    byId("snooze-at").focus();
  }

  /* An open action panel closes on Escape, focus back on its button (as the shell's menus do). */
  function closeActionMenu(e) {
    if (e.key !== "Escape") return;
    var menu = e.target.closest && e.target.closest("details.action-menu[open]");
    if (!menu) return;
    menu.open = false;
    menu.querySelector("summary").focus();
  }

  /* -- page wiring ----------------------------------------------------------------------------------------------- */
  function localizeTimes(root) {
    (root.querySelectorAll ? root : document).querySelectorAll("time[data-local-time]").forEach(function (el) {
      var at = new Date(el.getAttribute("datetime"));
      if (isNaN(at)) return;
      el.title = el.textContent;
      el.textContent = at.toLocaleString([], { month: "short", day: "numeric", hour: "numeric", minute: "2-digit" });
      el.removeAttribute("data-local-time");
    });
  }

  function markSelected() {
    var open = openConversationId();
    document.querySelectorAll(".inbox-row-link").forEach(function (link) {
      var row = link.closest(".inbox-row");
      if (row && row.dataset.conversationId === open) link.setAttribute("aria-current", "true");
      else link.removeAttribute("aria-current");
    });
  }

  function threadChanged() {
    inbox.classList.toggle("has-thread", !!openThread());
    markSelected();
    closeCanned();
    stopTyping();
    var line = byId("typing-indicator");
    if (line) line.textContent = "";
    if (joinedConversation !== openConversationId()) join(null);
    scrollToEnd();
  }

  document.addEventListener("DOMContentLoaded", function () {
    inbox = byId("inbox");
    if (!inbox || typeof htmx === "undefined") return;
    initSocket();
    scrollToEnd();
    htmx.onLoad(localizeTimes);
    htmx.onLoad(function (elt) {  /* the header comes back with the thread, on its own, or out of band */
      if (elt.querySelector && (elt.id === "snooze-form" || elt.querySelector("#snooze-form"))) prepareSnooze();
    });
    prepareSnooze();

    document.body.addEventListener("htmx:afterSwap", function (e) {
      var target = e.detail.target;
      if (!target) return;
      if (target.id === "inbox-thread") threadChanged();
      if (target.id === "inbox-list") { markSelected(); refreshEmptyState(); }
      if (target.id === "composer" || (target.closest && target.closest("#thread"))) dedupeBubbles();
      if (target.id === "thread-earlier") earlierPlaced();
    });
    document.body.addEventListener("htmx:beforeRequest", function (e) {
      if (e.detail.elt && e.detail.elt.id === "thread-earlier-button") earlierRequested(e.detail.elt);
    });
    document.body.addEventListener("htmx:beforeSwap", function (e) {
      if (e.detail.target && e.detail.target.id === "thread-earlier") earlierArriving(e.detail.target);
    });
    document.body.addEventListener("htmx:beforeRequest", snoozeBeforeRequest);
    document.body.addEventListener("htmx:oobAfterSwap", function () { dedupeBubbles(); refreshEmptyState(); });
    document.body.addEventListener("htmx:afterSettle", function (e) {
      if (e.detail.target && e.detail.target.id === "thread-earlier") earlierSettled();
      if (e.detail.target && e.detail.target.id === "composer" && e.detail.xhr && e.detail.xhr.status === 200) {
        scrollToEnd();
        var body = byId("composer-body");
        if (body) body.focus();
      }
    });

    /* A row or bubble that is no longer ours to see (reassigned away, another queue) just leaves; no error toast. */
    inbox.addEventListener("htmx:responseError", function (e) {
      var elt = e.detail.elt;
      if (elt && (elt.classList.contains("inbox-row") || /^msg-/.test(elt.id || ""))) {
        e.stopPropagation();
        if (e.detail.xhr.status === 403 || e.detail.xhr.status === 404) elt.remove();
        refreshEmptyState();
      }
    });

    inbox.addEventListener("keydown", composerKeydown);
    inbox.addEventListener("keydown", closeActionMenu);
    inbox.addEventListener("change", snoozeChanged);
    inbox.addEventListener("toggle", function (e) {
      if (e.target.classList && e.target.classList.contains("snooze-menu") && e.target.open) prepareSnooze();
    }, true);
    inbox.addEventListener("input", function (e) {
      if (e.target.id !== "composer-body") return;
      typed();
      updateCanned();
    });
    inbox.addEventListener("click", function (e) {
      var option = e.target.closest && e.target.closest(".canned-option");
      if (option) { e.preventDefault(); chooseCanned(option); }
    });
    inbox.addEventListener("focusout", function (e) {
      if (e.target.id === "composer-body") setTimeout(function () {
        if (document.activeElement !== byId("composer-body")) closeCanned();
      }, 150);
    });
    inbox.addEventListener("submit", function (e) { if (e.target.id === "composer") stopTyping(); }, true);
    document.body.addEventListener("htmx:beforeRequest", function (e) {
      if (e.detail.elt && e.detail.elt.closest && e.detail.elt.closest("#composer") && e.detail.elt.tagName === "BUTTON") stopTyping();
    });
    document.addEventListener("visibilitychange", function () {
      var thread = openThread();
      if (document.visibilityState === "visible" && thread) {
        var row = byId("conv-row-" + thread.dataset.conversationId);
        if (row && row.classList.contains("is-unread")) markRead(thread.dataset.conversationId);
      }
    });
  });
})();
