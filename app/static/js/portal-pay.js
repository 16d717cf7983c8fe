/* The portal's pay page: the card is collected by Stripe.js (a SetupIntent confirmed in the browser), the charge is
   made by our server, and a 3-D Secure step the bank asks for is handed back to Stripe.js. The card number never
   reaches our server. Also the receipt page's print button. No inline scripts: the page opts in with data- attributes. */
(function () {
  "use strict";

  var AMOUNT_RE = /^\$?\s*([0-9]{1,3}(?:,[0-9]{3})+|[0-9]*)(?:\.([0-9]{0,2}))?$/;

  /* Whole cents from what the debtor typed ("$1,250.5" -> 125050), or null when it is not an amount. */
  function toCents(text) {
    var match = AMOUNT_RE.exec((text || "").trim());
    if (!match || !(match[1] || match[2])) return null;
    var whole = parseInt((match[1] || "0").replace(/,/g, ""), 10);
    var frac = ((match[2] || "") + "00").slice(0, 2);
    return whole * 100 + parseInt(frac, 10);
  }

  function usd(cents) {
    var whole = Math.floor(cents / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return "$" + whole + "." + String(cents % 100).padStart(2, "0");
  }

  function initPrint() {
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
  }

  function initPay(form) {
    var data = form.dataset;
    var amount = form.querySelector("#amount");
    var amountError = form.querySelector("#amount-error");
    var formError = form.querySelector("#pay-error");
    var cardError = form.querySelector("#card-error");
    var cardBox = form.querySelector("#card-element");
    var button = form.querySelector("#pay-button");
    var label = button.querySelector(".pay-button-label");
    var spinner = button.querySelector(".spinner");
    var status = document.getElementById("pay-status");
    var csrf = form.querySelector("input[name='csrf_token']");
    var receipt = form.querySelector("#receipt"); /* offered only under a cease: the debtor's request for a receipt */
    var maxCents = parseInt(data.maxCents, 10), minCents = parseInt(data.minCents, 10);
    var busy = false;

    if (typeof window.Stripe !== "function") {
      showError(formError, data.msgUnavailable);
      return;
    }
    var stripe = window.Stripe(data.publishableKey, { locale: data.locale });
    var card = stripe.elements({ locale: data.locale }).create("card", {
      hidePostalCode: false,
      style: { base: { fontSize: "16px", color: "#212121", fontFamily: "Roboto, system-ui, sans-serif" },
               invalid: { color: "#c62828" } }
    });
    card.mount(cardBox);
    labelPlainCardInputs();
    var cardComplete = false;
    card.on("change", function (event) {
      if (event && typeof event.complete === "boolean") cardComplete = event.complete;
      else cardComplete = plainInputsFilled();
      if (event && event.error) showError(cardError, event.error.message);
      else hideError(cardError);
    });

    function plainInputsFilled() {
      var inputs = cardBox.querySelectorAll("input");
      return inputs.length > 0 && Array.prototype.every.call(inputs, function (input) { return input.value.trim(); });
    }

    /* Stripe's own card element is an iframe with its own labels; a test stand-in that mounts plain inputs gets
       the page's labels, short visible hints, autocomplete hints and numeric keyboards here. */
    function labelPlainCardInputs() {
      var names = ["Number", "ExpMonth", "ExpYear", "Cvc", "Postal"];
      var autocomplete = ["cc-number", "cc-exp-month", "cc-exp-year", "cc-csc", "postal-code"];
      cardBox.querySelectorAll("input").forEach(function (input, index) {
        if (index >= names.length) return;
        input.setAttribute("aria-label", cardBox.dataset["label" + names[index]]);
        input.setAttribute("placeholder", cardBox.dataset["hint" + names[index]]);
        input.setAttribute("autocomplete", autocomplete[index]);
        input.setAttribute("inputmode", "numeric");
      });
      cardBox.querySelectorAll("span").forEach(function (span) {
        if (!span.children.length) span.setAttribute("aria-hidden", "true");
      });
      if (cardBox.querySelector("input")) cardBox.classList.add("card-element-plain");
    }

    function clearCard() {
      if (typeof card.clear === "function") card.clear();
      else cardBox.querySelectorAll("input").forEach(function (input) { input.value = ""; });
      cardComplete = false;
    }

    /* Stripe.js's answer when the card could not be set up: a decline in the page's sentence, Stripe's own
       wording for what the card element checks, and a plain request to check the card for anything else. */
    function cardSetupMessage(error) {
      if (error.code === "card_declined") return data.msgDeclined.replace("{reason}", data.msgReasonDeclined);
      if (error.type === "card_error") {
        return data.msgDeclined.replace("{reason}", error.message || data.msgReasonUnknown);
      }
      if (error.type === "validation_error" && error.message) return error.message;
      return data.msgCardCheck;
    }

    function showError(box, text) {
      if (!box) return;
      box.textContent = text;
      box.hidden = false;
    }
    function hideError(box) {
      if (!box) return;
      box.textContent = "";
      box.hidden = true;
    }

    function setAmountError(text) {
      var described = ["amount-hint"];
      if (text) {
        showError(amountError, text);
        amount.setAttribute("aria-invalid", "true");
        described.push("amount-error");
      } else {
        hideError(amountError);
        amount.removeAttribute("aria-invalid");
      }
      amount.setAttribute("aria-describedby", described.join(" "));
    }

    /* The same rule the server applies ($1 to the amount available now), with the server's wording. */
    function amountProblem() {
      var text = amount.value.trim();
      if (!text) return data.msgMissing;
      var cents = toCents(text);
      if (cents === null || cents < minCents || cents > maxCents) return data.msgRange;
      return null;
    }

    function updateLabel() {
      if (busy) return;
      var cents = toCents(amount.value);
      label.textContent = (cents !== null && cents >= minCents && cents <= maxCents)
        ? data.labelPay.replace("{amount}", usd(cents)) : data.labelPlain;
    }

    function setBusy(on, text) {
      busy = on;
      button.disabled = on;
      button.setAttribute("aria-busy", on ? "true" : "false");
      spinner.hidden = !on;
      amount.readOnly = on;
      form.querySelectorAll("[data-amount]").forEach(function (b) { b.disabled = on; });
      if (receipt) receipt.disabled = on;
      if (on) {
        label.textContent = text || data.labelWorking;
        status.textContent = label.textContent;
      } else {
        status.textContent = "";
        updateLabel();
      }
    }

    function post(url, fields) {
      var body = new URLSearchParams();
      body.append("csrf_token", csrf ? csrf.value : "");
      Object.keys(fields).forEach(function (key) { body.append(key, fields[key]); });
      return fetch(url, {
        method: "POST", credentials: "same-origin", body: body,
        headers: { "Accept": "application/json", "X-CSRFToken": csrf ? csrf.value : "" }
      }).then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (type.indexOf("application/json") === -1) {
          /* Not our JSON: the portal session ended (a redirect to the sign-in page) or the server failed. */
          if (response.redirected) { window.location = response.url; return new Promise(function () {}); }
          throw new Error("unexpected response " + response.status);
        }
        return response.json();
      });
    }

    function fail(text, options) {
      setBusy(false);
      if (options && options.field === "amount") {
        setAmountError(text);
        amount.focus();
        return;
      }
      if (options && options.clearCard) clearCard();
      showError(formError, text);
      formError.focus();
    }

    /* What the server answered ({success, data} or {success: false, error}) to a charge, or to its completion
       after the bank's 3-D Secure step. */
    function handle(answer, afterAuthentication) {
      if (!answer.success) {
        var problem = answer.error || {};
        fail(problem.message || data.msgError,
             { field: problem.field, clearCard: problem.code === "PAYMENT_FAILED" });
        return;
      }
      var result = answer.data;
      if (result.redirect) {
        window.location = result.redirect;
        return;
      }
      if (result.status === "requires_action" && result.clientSecret && !afterAuthentication) {
        setBusy(true, data.labelAuthenticating);
        return stripe.confirmCardPayment(result.clientSecret).then(function () {
          /* Whatever the bank said, the server asks Stripe for the PaymentIntent's real state. */
          setBusy(true, data.labelWorking);
          return post(result.completeUrl, {}).then(function (next) { return handle(next, true); });
        });
      }
      fail(data.msgError);
    }

    amount.addEventListener("input", function () {
      if (amount.getAttribute("aria-invalid") === "true" && !amountProblem()) setAmountError(null);
      updateLabel();
    });
    amount.addEventListener("blur", function () {
      if (amount.value.trim()) setAmountError(amountProblem());
    });
    form.querySelectorAll("[data-amount]").forEach(function (choice) {
      choice.addEventListener("click", function () {
        amount.value = choice.dataset.amount;
        setAmountError(null);
        updateLabel();
      });
    });

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (busy) return;
      hideError(formError);
      var problem = amountProblem();
      if (problem) { fail(problem, { field: "amount" }); return; }
      setAmountError(null);
      if (!cardComplete) {
        showError(cardError, data.msgNeedsCard);
        var first = cardBox.querySelector("input");
        if (first) first.focus(); else card.focus();
        return;
      }
      var value = amount.value.trim();
      setBusy(true);
      post(data.setupUrl, { amount: value }).then(function (setup) {
        if (!setup.success) { handle(setup); return; }
        var collect = stripe.confirmCardSetup(setup.data.clientSecret, { payment_method: { card: card } });
        return collect.then(function (result) {
          if (result.error) {
            var declined = result.error.code === "card_declined" || result.error.type === "card_error";
            fail(cardSetupMessage(result.error), { clearCard: declined });
            return;
          }
          var method = result.setupIntent.payment_method;
          return post(form.action, { amount: value, method: "card",
                                     payment_method_id: typeof method === "string" ? method : method.id,
                                     receipt: receipt && receipt.checked ? "yes" : "" })
            .then(function (answer) { return handle(answer, false); });
        });
      }).catch(function () {
        fail(data.msgOffline);
      });
    });

    button.disabled = false;
    updateLabel();
  }

  document.addEventListener("DOMContentLoaded", function () {
    initPrint();
    var form = document.getElementById("pay-form");
    if (form) initPay(form);
  });
})();
