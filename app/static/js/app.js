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
    socket.on("notification.created", function (payload) {
      var badge = document.getElementById("notification-count");
      if (badge) { badge.hidden = false; badge.textContent = String((parseInt(badge.textContent, 10) || 0) + 1); }
      if (payload && payload.title) toast(payload.title);
    });
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
    body.addEventListener("htmx:responseError", function (e) {
      toast(e.detail.xhr.status === 429 ? "Too many requests: wait a moment and try again." : "That did not work. Please try again.");
    });
  });
})();
