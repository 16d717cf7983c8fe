/* The chat widget's frame (templates/widget/frame.html): the debtor's side of web chat.

   - Live: one Socket.IO connection with the portal session cookie (the server puts it in the debtor's portal room);
     the business's messages and typing arrive there.
   - Sent messages carry an id made here, are shown at once as pending, and are posted again after a lost connection
     until the server answers; the server stores one message per id, and a bubble is never drawn twice.
   - After any (re)connection the page fetches what appeared after its last message and asks the socket for the
     events it missed (`resume`), so nothing sent while the network was down is lost.
   - Inside a site's frame, minimise and close ask the embedding page (widget-embed.js) to act.
   - On a business's own site the browser sends this frame no cookie (and may deny it storage): the identity step
     answers with a signed token, kept here, sent on every request and in the socket's auth, and renewed by each
     answer. It is handed to the embedding page (only once that page has said hello, so its origin is the one the
     browser reports) to keep for the site's next page, which hands it back and the chat opens without asking again. */
(function () {
  "use strict";

  var framed = window.parent !== window;
  /* The embedding page's origin where the browser tells it (the referrer is this frame's own page after the identity
     step); the messages carry no data, only "minimise", "close" and "message". */
  var ancestors = window.location.ancestorOrigins;
  var parentOrigin = ancestors && ancestors.length ? ancestors[0] : "*";
  var hostOrigin = null;    /* the embedding page's origin as its hello message proved it */

  function tell(type) {
    if (framed) window.parent.postMessage({ type: "funnelchat:" + type }, parentOrigin);
  }

  function initControls() {
    var controls = document.getElementById("widget-controls");
    if (!framed || !controls) return;
    controls.hidden = false;
    controls.addEventListener("click", function (e) {
      var button = e.target.closest("[data-widget-action]");
      if (button) tell(button.getAttribute("data-widget-action"));
    });
    document.addEventListener("keydown", function (e) { if (e.key === "Escape") tell("minimise"); });
  }

  var body = document.body;
  var TOKEN_HEADER = "X-Widget-Token";
  var storeKey = "funnelchat:widget:" + (body.getAttribute("data-business") || "");
  var token = null;

  function stored() {
    try { return window.sessionStorage.getItem(storeKey); } catch (e) { return null; }
  }
  function handOver() {
    if (framed && hostOrigin) window.parent.postMessage({ type: "funnelchat:session", token: token }, hostOrigin);
  }
  function forget() {
    token = null;
    try { window.sessionStorage.removeItem(storeKey); } catch (e) { /* storage blocked: memory only */ }
    handOver();
  }
  function withToken(headers) {
    if (token) headers[TOKEN_HEADER] = token;
    return headers;
  }
  function noteToken(response) {
    var fresh = response.headers.get(TOKEN_HEADER);
    if (fresh && fresh !== token) {
      token = fresh;
      try { window.sessionStorage.setItem(storeKey, fresh); } catch (e) { /* storage blocked: memory only */ }
      handOver();
    }
    return response;
  }

  /* The chat in place of the identity step (after it passed, or resumed with a kept token). */
  function showChat(html) {
    var main = document.getElementById("main");
    main.innerHTML = html;
    body.setAttribute("data-widget", "chat");
    initChat();
    var input = document.getElementById("chat-input");
    if (input) input.focus();
  }

  /* The identity step with a kept token: the chat instead, or the form again when the token no longer holds. */
  function resume(saved) {
    var step = document.getElementById("widget-identify-step");
    var resuming = document.getElementById("widget-resuming");
    if (!saved || !step || !resuming || !resuming.hidden || body.getAttribute("data-widget") !== "identify") return;
    token = saved;
    step.hidden = true;
    resuming.hidden = false;
    fetch(body.getAttribute("data-chat-url"), { headers: withToken({ "HX-Request": "true" }), credentials: "same-origin" })
      .then(function (r) {
        if (r.status === 401) forget();
        if (!r.ok) throw new Error("status " + r.status);
        noteToken(r);
        return r.text().then(showChat);
      })
      .catch(function () { step.hidden = false; resuming.hidden = true; });
  }

  function initIdentify() {
    var step = document.getElementById("widget-identify-step");
    if (!step) return;
    var form = document.getElementById("identity-form");
    resume(token || stored());
    if (!form) return;
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var button = form.querySelector("button[type=submit]");
      var problem = document.getElementById("identity-network");
      button.disabled = true;
      problem.textContent = "";
      fetch(form.action, {
        method: "POST", credentials: "same-origin", body: new URLSearchParams(new FormData(form)),
        headers: { "HX-Request": "true", "Content-Type": "application/x-www-form-urlencoded" }
      }).then(function (r) {
        return r.text().then(function (html) {
          if (r.ok && r.headers.get(TOKEN_HEADER)) { noteToken(r); showChat(html); return; }
          if (r.status !== 422) throw new Error("status " + r.status);
          var holder = document.getElementById("widget-identify");
          holder.outerHTML = html;
          initIdentify();
          var first = document.querySelector("#widget-identify [role=alert]:not(:empty), #widget-identify [aria-invalid=true]");
          if (first) { if (!first.hasAttribute("tabindex") && !/INPUT|SELECT|TEXTAREA/.test(first.tagName)) first.setAttribute("tabindex", "-1"); first.focus(); }
        });
      }).catch(function () {
        button.disabled = false;
        problem.textContent = form.getAttribute("data-network-error");
      });
    });
  }

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function initChat() {
    var log = document.getElementById("chat-log");
    if (!log) return;
    var list = document.getElementById("chat-list");
    var empty = document.getElementById("chat-empty");
    var typing = document.querySelector("#chat-typing span");
    var status = document.getElementById("widget-status");
    var form = document.getElementById("chat-composer");
    var input = document.getElementById("chat-input");
    var errorLine = document.getElementById("chat-error");
    var texts = document.getElementById("chat-texts").dataset;
    var csrf = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"];
    var room = log.dataset.room;
    var messagesUrl = log.dataset.messagesUrl;
    var lastEventId = null;
    var pending = [];          /* {clientId, body, el, inFlight} in the order written */
    var socket = null;
    var typingSentAt = 0, typingStop = null, typingHide = null;

    function lastMessageId() {
      var items = list.querySelectorAll("li[data-message-id]");
      return items.length ? items[items.length - 1].getAttribute("data-message-id") : "";
    }
    function nearBottom() { return log.scrollHeight - log.scrollTop - log.clientHeight < 80; }
    function scrollDown() { log.scrollTop = log.scrollHeight; }
    function localTime(iso) {
      var d = new Date(iso);
      if (isNaN(d.getTime())) return "";
      return d.toLocaleTimeString(texts.lang === "es" ? "es-US" : "en-US", { hour: "numeric", minute: "2-digit" });
    }
    function byClientId(clientId) {
      for (var i = 0; i < pending.length; i++) if (pending[i].clientId === clientId) return pending[i];
      return null;
    }
    function dropPending(clientId) {
      pending = pending.filter(function (item) { return item.clientId !== clientId; });
    }

    /* Add a confirmed bubble in place of its pending copy, or at the end; never a second copy of a message. */
    function place(el) {
      var id = el.getAttribute("data-message-id");
      var clientId = el.getAttribute("data-client-id");
      if (id && document.getElementById("msg-" + id)) {
        var stale = clientId && byClientId(clientId);
        if (stale && stale.el.parentNode) stale.el.remove();
        if (clientId) dropPending(clientId);
        return false;
      }
      var stick = nearBottom();
      var waiting = clientId && byClientId(clientId);
      if (waiting && waiting.el.parentNode) {
        list.replaceChild(el, waiting.el);
        dropPending(clientId);
      } else {
        list.appendChild(el);
      }
      empty.hidden = true;
      if (stick || waiting) scrollDown();
      return true;
    }

    /* The message text with its web addresses as links (the server does the same for the bubbles it renders). */
    function fillText(el, text) {
      var pattern = /https?:\/\/[^\s<>"']+/g, last = 0, match;
      el.textContent = "";
      while ((match = pattern.exec(text)) !== null) {
        var url = match[0].replace(/[.,;:!?)]+$/, "");
        el.appendChild(document.createTextNode(text.slice(last, match.index)));
        var a = document.createElement("a");
        a.href = url;
        a.textContent = url;
        a.target = "_blank";
        a.rel = "noopener noreferrer";
        el.appendChild(a);
        last = match.index + url.length;
        pattern.lastIndex = last;
      }
      el.appendChild(document.createTextNode(text.slice(last)));
    }
    /* Times in the device's own zone, whichever way the bubble arrived. */
    function localise(root) {
      Array.prototype.forEach.call(root.querySelectorAll("time[datetime]"), function (time) {
        var text = localTime(time.getAttribute("datetime"));
        if (text) time.textContent = text;
      });
    }

    function fromTemplate(mine) {
      return document.getElementById(mine ? "bubble-mine" : "bubble-theirs").content.firstElementChild.cloneNode(true);
    }
    function fromData(data) {
      var el = fromTemplate(data.direction === "inbound");
      el.id = "msg-" + data.id;
      el.setAttribute("data-message-id", data.id);
      if (data.clientMessageId) el.setAttribute("data-client-id", data.clientMessageId);
      fillText(el.querySelector(".chat-text"), data.content || "");
      var time = el.querySelector("time");
      time.setAttribute("datetime", data.createdAt || "");
      time.textContent = localTime(data.createdAt);
      return el;
    }
    function insertHtml(html) {
      var holder = document.createElement("template");
      holder.innerHTML = html;
      Array.prototype.forEach.call(holder.content.querySelectorAll("li.chat-bubble"), function (li) {
        localise(li);
        if (place(li) && li.classList.contains("chat-theirs")) tell("message");
      });
    }

    function remember(data) {
      if (data && data.room === room && data.eventId) lastEventId = data.eventId;
    }
    function onMessage(data) {
      remember(data);
      if (!data || !data.id) return;
      if (place(fromData(data)) && data.direction !== "inbound") {
        showTyping(false);
        tell("message");
      }
    }
    function showTyping(on) {
      typing.hidden = !on;
      clearTimeout(typingHide);
      if (on) typingHide = setTimeout(function () { typing.hidden = true; }, 8000);
    }

    function ended() { forget(); window.location.assign(log.dataset.endedUrl); }

    /* What appeared while this page was not listening: the bubbles after the last one, then the missed events. */
    function catchUp() {
      var url = messagesUrl + "?after=" + encodeURIComponent(lastMessageId());
      return fetch(url, { headers: withToken({ "HX-Request": "true" }), credentials: "same-origin" })
        .then(function (r) {
          noteToken(r);
          if (r.status === 401) { ended(); return ""; }
          return r.ok ? r.text() : "";
        })
        .then(function (html) { if (html) insertHtml(html); })
        .then(function () {
          if (!lastEventId || !socket) return;
          var since = {};
          since[room] = lastEventId;
          socket.emit("resume", { since: since }, function (answer) {
            ((answer && answer.events) || []).forEach(function (e) {
              if (e.event === "message.created") onMessage(e.data); else remember(e.data);
            });
          });
        })
        .catch(function () { /* still offline: the next connection tries again */ });
    }

    function setState(item, text, waiting) {
      item.el.querySelector(".chat-state").textContent = text;
      item.el.classList.toggle("chat-waiting", !!waiting);
    }
    function sendOne(item) {
      if (item.inFlight) return Promise.resolve();
      item.inFlight = true;
      setState(item, texts.sending, false);
      var data = new URLSearchParams();
      data.set("body", item.body);
      data.set("client_message_id", item.clientId);
      return fetch(form.action, {
        method: "POST", credentials: "same-origin", body: data,
        headers: withToken({ "X-CSRFToken": csrf, "HX-Request": "true", "Content-Type": "application/x-www-form-urlencoded" })
      }).then(function (r) {
        item.inFlight = false;
        noteToken(r);
        if (r.status === 401) { ended(); return; }
        if (r.status === 422) {
          return r.text().then(function (html) {
            var holder = document.createElement("template");
            holder.innerHTML = html;
            errorLine.textContent = holder.content.textContent.trim();
            item.el.remove();
            dropPending(item.clientId);
            if (!input.value) input.value = item.body;
            input.focus();
          });
        }
        if (!r.ok) throw new Error("status " + r.status);
        return r.text().then(insertHtml);
      }).catch(function () {
        item.inFlight = false;
        setState(item, texts.notSent, true);
      });
    }
    function flushPending() {
      return pending.slice().reduce(function (chain, item) {
        return chain.then(function () { return byClientId(item.clientId) ? sendOne(item) : null; });
      }, Promise.resolve());
    }

    function stopTyping() {
      clearTimeout(typingStop);
      if (typingSentAt && socket && socket.connected) socket.emit("typing", { typing: false });
      typingSentAt = 0;
    }
    input.addEventListener("input", function () {
      if (!socket || !socket.connected) return;
      if (!input.value.trim()) { stopTyping(); return; }
      var now = Date.now();
      if (now - typingSentAt > 3000) {
        socket.emit("typing", { typing: true });
        typingSentAt = now;
      }
      clearTimeout(typingStop);
      typingStop = setTimeout(stopTyping, 4000);
    });
    input.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        form.requestSubmit();
      }
    });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var text = input.value.trim();
      errorLine.textContent = "";
      if (!text) { input.focus(); return; }
      var item = { clientId: newId(), body: text, el: fromTemplate(true), inFlight: false };
      item.el.setAttribute("data-client-id", item.clientId);
      item.el.setAttribute("data-pending", "1");
      item.el.querySelector(".chat-text").textContent = text;
      pending.push(item);
      list.appendChild(item.el);
      empty.hidden = true;
      scrollDown();
      input.value = "";
      stopTyping();
      if (socket && !socket.connected) setState(item, texts.notSent, true);
      else sendOne(item);
    });

    localise(list);
    scrollDown();
    if (typeof io === "undefined") return;
    socket = io({
      transports: ["websocket", "polling"],
      auth: function (answer) { answer(token ? { widgetToken: token } : {}); }
    });
    socket.on("connect", function () {
      status.hidden = true;
      catchUp().then(flushPending);
    });
    socket.on("disconnect", function () {
      status.hidden = false;
      showTyping(false);
    });
    socket.on("connect_error", function () {
      status.hidden = false;
      /* Refused by the server: the portal session ended (once: a page opened as "ended" keeps trying quietly). */
      if (!socket.active && !/[?&]ended=1/.test(window.location.search)) ended();
    });
    socket.on("message.created", onMessage);
    socket.on("typing", function (data) {
      remember(data);
      if (data && data.from === "agent") showTyping(!!data.typing);
    });
    /* The browser knows the network is gone before the socket's heartbeat does. */
    window.addEventListener("offline", function () { status.hidden = false; socket.disconnect(); });
    window.addEventListener("online", function () { if (!socket.connected) socket.connect(); });
  }

  window.addEventListener("message", function (event) {
    if (!framed || event.source !== window.parent || !event.data || event.data.type !== "funnelchat:hello") return;
    hostOrigin = event.origin;
    parentOrigin = event.origin;
    if (token) handOver();
    else if (typeof event.data.token === "string") resume(event.data.token);
  });

  document.addEventListener("DOMContentLoaded", function () {
    initControls();
    initIdentify();
    initChat();
  });
})();
