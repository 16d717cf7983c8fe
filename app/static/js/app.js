/* funnelChat browser behaviour: idle sign-out warning, realtime connection, charts, toasts.
   No inline scripts anywhere (the CSP forbids them); pages opt in through data- attributes. */
(function () {
  "use strict";

  function toast(text) {
    var box = document.getElementById("toasts");
    if (!box) return;
    var el = document.createElement("div");
    el.className = "toast";
    el.textContent = text;
    box.appendChild(el);
    setTimeout(function () { el.remove(); }, 6000);
  }
  window.funnelChat = { toast: toast };

  /* Idle timeout: warn two minutes before the server ends the session, keep it alive on request. */
  function initIdle(body) {
    var minutes = parseInt(body.dataset.idleMinutes || "0", 10);
    if (!minutes) return;
    var dialog = document.getElementById("idle-dialog");
    var countdown = document.getElementById("idle-countdown");
    var idleMs = minutes * 60 * 1000, warnMs = idleMs - 2 * 60 * 1000;
    var last = Date.now(), timer = null;

    function reset() { last = Date.now(); if (dialog && dialog.open) dialog.close(); }
    function keepalive() {
      var token = JSON.parse(body.getAttribute("hx-headers") || "{}")["X-CSRFToken"];
      fetch(body.dataset.keepaliveUrl, { method: "POST", headers: { "X-CSRFToken": token }, credentials: "same-origin" })
        .then(function (r) { if (r.status === 401) { window.location = body.dataset.loginUrl; } else { reset(); } });
    }
    function tick() {
      var idle = Date.now() - last;
      if (idle >= idleMs) { window.location = body.dataset.loginUrl; return; }
      if (idle >= warnMs && dialog) {
        if (!dialog.open) dialog.showModal();
        var left = Math.max(0, Math.round((idleMs - idle) / 1000));
        countdown.textContent = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
      }
    }
    ["click", "keydown"].forEach(function (evt) {
      document.addEventListener(evt, function () { if (!(dialog && dialog.open)) last = Date.now(); }, { passive: true });
    });
    document.body.addEventListener("htmx:afterRequest", function () { last = Date.now(); });
    var button = document.getElementById("idle-continue");
    if (button) button.addEventListener("click", keepalive);
    timer = setInterval(tick, 1000);
  }

  /* Realtime: one Socket.IO connection per page; pages listen for the events they render. */
  function initRealtime(body) {
    if (body.dataset.realtime !== "on" || typeof io === "undefined") return;
    var socket = io({ transports: ["websocket", "polling"] });
    window.funnelChat.socket = socket;
    socket.on("notification.created", onNotification);
  }

  /* Charts: <canvas data-chart="doughnut" data-chart-labels='[..]' data-chart-values='[..]'> */
  var PALETTE = ["#2e7d32", "#a84300", "#c62828", "#1565c0", "#6a1b9a", "#00695c", "#616161", "#0d47a1"];
  function initCharts(root) {
    if (typeof Chart === "undefined") return;
    root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      if (canvas.dataset.chartReady) return;
      canvas.dataset.chartReady = "1";
      var labels = JSON.parse(canvas.dataset.chartLabels || "[]");
      var values = JSON.parse(canvas.dataset.chartValues || "[]");
      var colors = JSON.parse(canvas.dataset.chartColors || "null") || PALETTE.slice(0, values.length);
      new Chart(canvas, {
        type: canvas.dataset.chart,
        data: { labels: labels, datasets: [{ data: values, backgroundColor: colors, borderWidth: 1 }] },
        options: { responsive: true, maintainAspectRatio: false, animation: false,
                   plugins: { legend: { position: "bottom", labels: { color: "#212121" } } } }
      });
    });
  }

  /* Swapped-in content marks the field to focus with data-autofocus rather than autofocus: the browser's own
     autofocus pass for inserted nodes can run a frame later and take focus back from a field the user is in. */
  function focusMarked(root) {
    if (!root || !root.querySelector) return;
    var target = root.matches && root.matches("[data-autofocus]") ? root : root.querySelector("[data-autofocus]");
    if (target) target.focus();
  }

  /* Close open menus on Escape and on outside click (keyboard users get the same as mouse users). */
  function initMenus() {
    document.addEventListener("keydown", function (e) {
      if (e.key !== "Escape") return;
      document.querySelectorAll("details.menu[open]").forEach(function (d) { d.open = false; d.querySelector("summary").focus(); });
    });
    document.addEventListener("click", function (e) {
      document.querySelectorAll("details.menu[open]").forEach(function (d) { if (!d.contains(e.target)) d.open = false; });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var body = document.body;
    initIdle(body);
    initRealtime(body);
    initCharts(document);
    initMenus();
    body.addEventListener("htmx:afterSwap", function (e) { initCharts(e.target); });
    focusMarked(document);
    body.addEventListener("htmx:load", function (e) { focusMarked(e.detail.elt); });
    body.addEventListener("htmx:responseError", function (e) {
      toast(e.detail.xhr.status === 429 ? "Too many requests: wait a moment and try again." : "That did not work. Please try again.");
    });
  });

  /* Notifications and availability: the bell's badge and list, a toast per new notification, a browser notification
     while the tab is hidden (only once the person allowed it from the menu, never asked on load), availability shown
     live, and "away" after five minutes without input ("online" again on the next input). */
  var AVAILABILITY = { online: "Online", away: "Away", offline: "Offline" };
  var IDLE_AWAY_MS = 5 * 60 * 1000;

  function setUnread(count) {
    var badge = document.getElementById("notification-count");
    var label = document.getElementById("notification-count-label");
    if (badge) { badge.hidden = count < 1; badge.textContent = count > 99 ? "99+" : String(count); }
    if (label) label.textContent = "Notifications" + (count > 0 ? ", " + count + " unread" : "");
  }

  function currentUnread() {
    var badge = document.getElementById("notification-count");
    return badge && !badge.hidden ? (parseInt(badge.textContent, 10) || 0) : 0;
  }

  /* Only our own paths become links (never another site or a script URL). */
  function ownPath(link) {
    var own = typeof link === "string" && link.charAt(0) === "/" && link.charAt(1) !== "/" && link.charAt(1) !== "\\";
    return own ? link : null;
  }

  function notificationToast(payload) {
    var box = document.getElementById("toasts");
    if (!box) return;
    var link = ownPath(payload.link);
    var el = document.createElement("div");
    el.className = "toast toast-notification";
    var title = document.createElement(link ? "a" : "strong");
    title.textContent = payload.title;
    if (link) title.href = link;
    el.appendChild(title);
    if (payload.body) {
      var text = document.createElement("span");
      text.textContent = payload.body;
      el.appendChild(text);
    }
    box.appendChild(el);
    setTimeout(function () { el.remove(); }, 8000);
  }

  function browserNotify(payload) {
    var menu = document.getElementById("notifications-menu");
    if (!document.hidden || !menu || menu.dataset.browserNotifications !== "on") return;
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    var shown = new Notification(payload.title, { body: payload.body || "", tag: payload.id || undefined });
    shown.onclick = function () {
      window.focus();
      if (ownPath(payload.link)) window.location = ownPath(payload.link);
      shown.close();
    };
  }

  function onNotification(payload) {
    if (!payload || !payload.title) return;
    setUnread(typeof payload.unread === "number" ? payload.unread : currentUnread() + 1);
    notificationToast(payload);
    browserNotify(payload);
    var menu = document.getElementById("notifications-menu");
    if (menu && menu.open) menu.dispatchEvent(new CustomEvent("notifications-open"));
  }

  /* The list loads when the menu opens (htmx listens for "notifications-open" on the menu). */
  function initNotificationMenu() {
    var menu = document.getElementById("notifications-menu");
    if (!menu) return;
    menu.addEventListener("toggle", function () {
      if (menu.open) menu.dispatchEvent(new CustomEvent("notifications-open"));
    });
  }

  function initBrowserPermission() {
    var menu = document.getElementById("notifications-menu");
    var button = document.getElementById("browser-notifications-enable");
    var state = document.getElementById("browser-notifications-state");
    if (!menu || !button || !state || menu.dataset.browserNotifications !== "on" || !("Notification" in window)) return;
    function show() {
      var permission = Notification.permission;
      button.hidden = permission !== "default";
      state.hidden = permission === "default";
      state.textContent = permission === "granted" ? "Browser notifications are on while this tab is in the background."
        : "Browser notifications are blocked for this site in your browser's settings.";
    }
    button.addEventListener("click", function () {
      var asked = Notification.requestPermission(show);
      if (asked && asked.then) asked.then(show);
    });
    show();
  }

  /* Elements with data-presence-for="<user id>" show that person's availability (the top bar, the team table). */
  function showAvailability(userId, state) {
    if (!AVAILABILITY[state]) return;
    document.querySelectorAll('[data-presence-for="' + userId + '"]').forEach(function (el) {
      el.dataset.availability = state;
      el.querySelectorAll("[data-presence-dot]").forEach(function (dot) { dot.className = "status-dot dot-" + state; });
      el.querySelectorAll("[data-presence-text]").forEach(function (text) { text.textContent = AVAILABILITY[state]; });
      el.querySelectorAll('button[name="availability"]').forEach(function (b) {
        b.setAttribute("aria-pressed", String(b.value === state));
      });
    });
    document.querySelectorAll("[data-presence-scope]").forEach(function (scope) {
      scope.querySelectorAll("[data-presence-count]").forEach(function (count) {
        var selector = '[data-presence-for][data-availability="' + count.dataset.presenceCount + '"]';
        count.textContent = String(scope.querySelectorAll(selector).length);
      });
    });
  }

  function initIdlePresence(socket) {
    if (!document.getElementById("availability-menu")) return;
    var last = Date.now(), wentAway = false;
    function input() {
      last = Date.now();
      if (wentAway) { wentAway = false; socket.emit("presence", { state: "online" }); }
    }
    ["mousemove", "mousedown", "keydown", "wheel", "touchstart", "scroll"].forEach(function (evt) {
      document.addEventListener(evt, input, { passive: true, capture: true });
    });
    setInterval(function () {
      var mine = document.getElementById("availability-menu");
      if (!wentAway && mine && mine.dataset.availability === "online" && Date.now() - last >= IDLE_AWAY_MS) {
        wentAway = true;
        socket.emit("presence", { state: "away" });
      }
    }, 10000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    initNotificationMenu();
    initBrowserPermission();
    var socket = window.funnelChat && window.funnelChat.socket;
    if (!socket) return;
    socket.on("presence.update", function (payload) {
      if (payload && payload.userId) showAvailability(payload.userId, payload.availability);
    });
    initIdlePresence(socket);
  });
})();
