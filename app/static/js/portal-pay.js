/* The portal's pay page: the card is collected by Stripe.js (a SetupIntent confirmed in the browser), the charge is
   made by our server, and a 3-D Secure step the bank asks for is handed back to Stripe.js. The card number never
   reaches our server. Where the page offers "Bank account (ACH)", the account is checked here the way the server
   checks it (the routing number's ABA check digit, the account number typed twice, the authorization ticked) and
   posted with the form's one-time token, so a second click pays once; Stripe.js is not needed for it. Also the
   receipt page's print button. No inline scripts: the page opts in with data- attributes. */
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

  /* The ABA check digit: the nine digits weighted 3, 7, 1, 3, 7, 1, 3, 7, 1 add up to a multiple of 10. */
  function routingValid(digits) {
    if (!/^[0-9]{9}$/.test(digits)) return false;
    var weights = [3, 7, 1, 3, 7, 1, 3, 7, 1], total = 0;
    for (var i = 0; i < 9; i++) total += parseInt(digits.charAt(i), 10) * weights[i];
    return total % 10 === 0;
  }

  /* Digits typed with or without spaces and dashes, or null when anything else is there. */
  function digitsOf(text) {
    var raw = (text || "").replace(/[\s-]/g, "");
    return /^[0-9]+$/.test(raw) ? raw : null;
  }

  /* A fresh one-time token for the next bank payment (the server accepts 16-64 URL-safe characters). */
  function newSubmission() {
    var bytes = new Uint8Array(18);
    window.crypto.getRandomValues(bytes);
    return btoa(String.fromCharCode.apply(null, bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
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
    var bankSection = form.querySelector("#ach-section"); /* only where the processor debits bank accounts */
    var cardSection = form.querySelector("#card-section");
    var mandate = form.querySelector("#mandate-text");
    var submission = form.querySelector("#submission");
    var bankInputs = ["holder_name", "routing_number", "account_number", "account_number_confirm"].map(function (id) {
      return form.querySelector("#" + id);
    });
    var authorize = form.querySelector("#authorize");

    var stripe = null, card = null, cardComplete = false;
    var mounted = window.PortalCard ? window.PortalCard.mount(cardBox, data.publishableKey, data.locale) : null;
    if (mounted) {
      stripe = mounted.stripe;
      card = mounted.card;
      card.on("change", function (event) {
        if (event && typeof event.complete === "boolean") cardComplete = event.complete;
        else cardComplete = plainInputsFilled();
        if (event && event.error) showError(cardError, event.error.message);
        else hideError(cardError);
      });
    } else if (!bankSection) {
      showError(formError, data.msgUnavailable);
      return;
    }

    function plainInputsFilled() {
      var inputs = cardBox.querySelectorAll("input");
      return inputs.length > 0 && Array.prototype.every.call(inputs, function (input) { return input.value.trim(); });
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
      var valid = cents !== null && cents >= minCents && cents <= maxCents;
      label.textContent = valid ? data.labelPay.replace("{amount}", usd(cents)) : data.labelPlain;
      /* The authorization names the amount that will be debited. */
      if (mandate) {
        mandate.textContent = mandate.dataset.template.replace("{amount}",
                                                               valid ? usd(cents) : mandate.dataset.amountUnknown);
      }
    }

    function method() {
      var chosen = form.querySelector("input[name='method']:checked");
      return chosen ? chosen.value : "card";
    }

    /* The chosen method's fields are shown; the button works for a bank account, and for a card once Stripe.js
       is there (without it the page says the card form could not load). */
    function syncMethod() {
      var bank = method() === "ach";
      if (bankSection) bankSection.hidden = !bank;
      cardSection.hidden = bank;
      if (!stripe && !bank) showError(formError, data.msgUnavailable);
      else if (!stripe && formError.textContent === data.msgUnavailable) hideError(formError);
      if (!busy) button.disabled = !bank && !stripe;
    }

    function setFieldError(input, text) {
      var box = form.querySelector("#" + input.id.replace(/^account-type-.*/, "account_type") + "-error");
      var hint = form.querySelector("#" + input.id + "-hint");
      var described = hint ? [hint.id] : [];
      if (text) {
        showError(box, text);
        input.setAttribute("aria-invalid", "true");
        described.push(box.id);
      } else {
        hideError(box);
        input.removeAttribute("aria-invalid");
      }
      if (described.length) input.setAttribute("aria-describedby", described.join(" "));
      else input.removeAttribute("aria-describedby");
    }

    function bankField(name) {
      if (name === "account_type") return form.querySelector("input[name='account_type']:checked")
        || form.querySelector("#account-type-checking");
      return form.querySelector("#" + name);
    }

    /* The server's rules, with its wording: {field: message} for every field with a problem. */
    function bankProblems() {
      var problems = {};
      var name = bankField("holder_name").value.trim().replace(/\s+/g, " ");
      if (!name) problems.holder_name = data.msgHolderMissing;
      else if (name.length > 100) problems.holder_name = data.msgHolderLong;
      var routing = digitsOf(bankField("routing_number").value);
      if (routing === null || routing.length !== 9) problems.routing_number = data.msgRoutingFormat;
      else if (!routingValid(routing)) problems.routing_number = data.msgRoutingChecksum;
      var account = digitsOf(bankField("account_number").value);
      if (account === null || account.length < 4 || account.length > 17) problems.account_number = data.msgAccountFormat;
      else if (digitsOf(bankField("account_number_confirm").value) !== account) {
        problems.account_number_confirm = data.msgAccountMismatch;
      }
      if (!form.querySelector("input[name='account_type']:checked")) problems.account_type = data.msgAccountType;
      if (!authorize.checked) problems.authorize = data.msgAuthorize;
      return problems;
    }

    var BANK_ORDER = ["holder_name", "routing_number", "account_number", "account_number_confirm", "account_type",
                      "authorize"];

    /* Each field's message on it (and cleared where there is none); the first field with a problem gets the focus. */
    function showBankProblems(problems, focus) {
      var first = null;
      BANK_ORDER.forEach(function (name) {
        var input = bankField(name);
        setFieldError(input, problems[name] || null);
        if (problems[name] && !first) first = input;
      });
      if (focus && first) first.focus();
      return first;
    }

    /* One field checked as the debtor leaves it, once there is something in it. */
    function checkOnBlur(name) {
      var input = bankField(name);
      input.addEventListener("blur", function () {
        if (!input.value.trim()) return;
        setFieldError(input, bankProblems()[name] || null);
      });
      input.addEventListener("input", function () {
        if (input.getAttribute("aria-invalid") === "true" && !bankProblems()[name]) setFieldError(input, null);
      });
    }

    function clearBankNumbers() {
      bankInputs.slice(1).forEach(function (input) { input.value = ""; });
      authorize.checked = false;
    }

    function setBusy(on, text) {
      busy = on;
      button.disabled = on;
      button.setAttribute("aria-busy", on ? "true" : "false");
      spinner.hidden = !on;
      amount.readOnly = on;
      form.querySelectorAll("[data-amount]").forEach(function (b) { b.disabled = on; });
      form.querySelectorAll("input[name='method'], input[name='account_type']").forEach(function (r) {
        r.disabled = on;
      });
      bankInputs.forEach(function (input) { if (input) input.readOnly = on; });
      if (authorize) authorize.disabled = on;
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

    /* The server's answer to a bank payment: the receipt (or the verification step) on success; field problems on
       their fields; anything else above the form. A payment that failed used this form's token, so the next try
       gets a new one, with the account numbers to type again (and a new one after the token was refused for another
       amount). */
    function handleBank(answer) {
      if (answer.success && answer.data.redirect) {
        window.location = answer.data.redirect;
        return;
      }
      var problem = answer.error || {};
      setBusy(false);
      if (problem.fields) {
        var amountText = problem.fields.amount;
        setAmountError(amountText || null);
        var first = showBankProblems(problem.fields, !amountText);
        if (amountText) amount.focus();
        else if (!first) formError.focus();
        return;
      }
      if (problem.field === "amount") { fail(problem.message, { field: "amount" }); return; }
      if (problem.code === "PAYMENT_FAILED") {
        submission.value = newSubmission();
        clearBankNumbers();
      } else if (problem.code === "CONFLICT") {
        submission.value = newSubmission(); /* this form's token went to a payment of another amount */
      }
      fail(problem.message || data.msgError);
    }

    function submitBank() {
      var amountText = amountProblem();
      var problems = bankProblems();
      setAmountError(amountText);
      var first = showBankProblems(problems, !amountText);
      if (amountText) { amount.focus(); return; }
      if (first) return;
      var value = amount.value.trim();
      var fields = { amount: value, method: "ach", account_type: bankField("account_type").value, authorize: "y",
                     submission: submission.value, receipt: receipt && receipt.checked ? "yes" : "" };
      bankInputs.forEach(function (input) { fields[input.name] = input.value; });
      setBusy(true);
      post(form.action, fields).then(handleBank).catch(function () {
        /* The answer was lost: the token stays, so sending again finds the payment instead of making another. */
        fail(data.msgOffline);
      });
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
      if (method() === "ach") { submitBank(); return; }
      if (!stripe) { showError(formError, data.msgUnavailable); return; }
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

    if (bankSection) {
      form.querySelectorAll("input[name='method']").forEach(function (radio) {
        radio.addEventListener("change", syncMethod);
      });
      ["holder_name", "routing_number", "account_number", "account_number_confirm"].forEach(checkOnBlur);
      authorize.addEventListener("change", function () {
        if (authorize.checked) setFieldError(authorize, null);
      });
      syncMethod();
    } else {
      button.disabled = false;
    }
    updateLabel();
  }

  document.addEventListener("DOMContentLoaded", function () {
    initPrint();
    var form = document.getElementById("pay-form");
    if (form) initPay(form);
  });
})();
