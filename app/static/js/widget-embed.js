/* funnelChat web chat for a business's own site (served as /widget.js):

     <script src="https://YOUR-FUNNELCHAT-HOST/widget.js" data-business="BUSINESS-ID" async></script>

   Adds a "Chat with us" button that opens the chat frame (/widget?business=...). The frame asks to minimise or close
   through postMessage; only messages from this script's own origin and from the frame's window are obeyed.
   Options on the tag: data-label (the button's text), data-launcher="off" (no floating button: the page's own
   elements marked data-funnelchat-open open the chat instead, as the debtor portal does).
   Styles are set through the style object, which a site's Content-Security-Policy allows.
   The chat's session: browsers give a frame from another site no cookie and often no storage, so the frame hands its
   signed session token to this page, which keeps it in the tab's sessionStorage (this site's own) and gives it back
   to the frame it opens on the site's next page; the token expires after 30 idle minutes. */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || window.funnelChatWidget) return;
  var origin = new URL(script.src, window.location.href).origin;
  var business = script.getAttribute("data-business") || "";
  var label = script.getAttribute("data-label") || "Chat with us";
  var withLauncher = script.getAttribute("data-launcher") !== "off";
  var frame = null, launcher = null, badge = null, opener = null;
  var storeKey = "funnelchat:widget:" + business;

  function kept() {
    try { return window.sessionStorage.getItem(storeKey); } catch (e) { return null; }
  }
  function keep(token) {
    try {
      if (token) window.sessionStorage.setItem(storeKey, token); else window.sessionStorage.removeItem(storeKey);
    } catch (e) { /* storage blocked: the debtor confirms who they are on each page */ }
  }

  function css(el, props) {
    Object.keys(props).forEach(function (name) { el.style.setProperty(name, props[name]); });
  }
  function narrow() { return window.matchMedia("(max-width: 480px)").matches; }

  function place() {
    if (!frame) return;
    if (narrow()) {
      css(frame, { top: "0", left: "0", right: "0", bottom: "0", width: "100%", height: "100%", "border-radius": "0" });
    } else {
      css(frame, { top: "auto", left: "auto", right: "20px", bottom: withLauncher ? "88px" : "20px", width: "400px",
                   height: "min(600px, calc(100vh - 108px))", "border-radius": "12px" });
    }
  }

  function createFrame() {
    frame = document.createElement("iframe");
    frame.src = origin + "/widget?business=" + encodeURIComponent(business);
    frame.title = label;
    frame.setAttribute("data-funnelchat-frame", "");
    css(frame, { position: "fixed", border: "0", "box-shadow": "0 4px 12px rgba(0,0,0,.15)", "z-index": "2147483000",
                 background: "#fff", "max-width": "100vw", "max-height": "100vh", display: "none" });
    place();
    /* The frame learns this page's origin (the browser vouches for it) and the kept session, if any. */
    frame.addEventListener("load", function () {
      if (frame) frame.contentWindow.postMessage({ type: "funnelchat:hello", token: kept() }, origin);
    });
    document.body.appendChild(frame);
  }

  function setExpanded(value) {
    if (launcher) launcher.setAttribute("aria-expanded", value ? "true" : "false");
    document.querySelectorAll("[data-funnelchat-open]").forEach(function (el) {
      el.setAttribute("aria-expanded", value ? "true" : "false");
    });
  }

  function open(trigger) {
    opener = trigger || launcher;
    if (!frame) createFrame();
    frame.style.display = "block";
    if (launcher && narrow()) launcher.style.display = "none";
    if (badge) badge.style.display = "none";
    setExpanded(true);
    frame.focus();
  }

  function minimise() {
    if (!frame) return;
    frame.style.display = "none";
    if (launcher) launcher.style.display = "inline-flex";
    setExpanded(false);
    if (opener) opener.focus();
  }

  function close() {
    if (!frame) return;
    frame.remove();  /* ends the frame's connection; opening again starts a fresh frame with the same chat */
    frame = null;
    if (launcher) launcher.style.display = "inline-flex";
    setExpanded(false);
    if (opener) opener.focus();
  }

  function createLauncher() {
    launcher = document.createElement("button");
    launcher.type = "button";
    launcher.textContent = label;
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("data-funnelchat-launcher", "");
    css(launcher, { position: "fixed", right: "20px", bottom: "20px", "z-index": "2147483000", display: "inline-flex",
                    "align-items": "center", gap: "8px", "min-height": "48px", padding: "12px 20px", border: "0",
                    "border-radius": "24px", background: "#0d47a1", color: "#fff", cursor: "pointer",
                    font: "500 15px/1 system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif",
                    "box-shadow": "0 4px 12px rgba(0,0,0,.2)" });
    badge = document.createElement("span");
    badge.setAttribute("aria-hidden", "true");
    css(badge, { display: "none", width: "10px", height: "10px", "border-radius": "50%", background: "#ffca28" });
    launcher.appendChild(badge);
    launcher.addEventListener("click", function () {
      if (frame && frame.style.display !== "none") minimise(); else open(launcher);
    });
    document.body.appendChild(launcher);
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== origin || !frame || event.source !== frame.contentWindow) return;
    var type = event.data && event.data.type;
    if (type === "funnelchat:minimise") minimise();
    else if (type === "funnelchat:close") close();
    else if (type === "funnelchat:session") keep(typeof event.data.token === "string" ? event.data.token : null);
    else if (type === "funnelchat:message" && frame.style.display === "none" && badge) badge.style.display = "inline-block";
  });
  window.addEventListener("resize", place);

  function start() {
    if (withLauncher) createLauncher();
    document.addEventListener("click", function (e) {
      var trigger = e.target.closest && e.target.closest("[data-funnelchat-open]");
      if (!trigger) return;
      e.preventDefault();
      open(trigger);
    });
  }

  window.funnelChatWidget = { open: open, minimise: minimise, close: close };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
