/* The portal's plan page: with "Pay automatically with my card" chosen, the card is collected by Stripe.js (a
   SetupIntent for off-session use, confirmed in the browser) before the form is posted with the PaymentMethod id;
   the card number never reaches our server. The card section shows only while auto-pay is chosen. Without
   JavaScript the page still works for plans paid by the debtor themselves. No inline scripts. */
(function () {
  "use strict";

  function initPlan(form) {
    var data = form.dataset;
    var section = form.querySelector("#plan-card-section");
    var cardBox = form.querySelector("#card-element");
    var cardError = form.querySelector("#card-error");
    var formError = form.querySelector("#plan-error");
    var button = form.querySelector("#plan-submit");
    var methodField = form.querySelector("#payment_method_id");
    var csrf = form.querySelector("input[name='csrf_token']");
    var stripe = null, card = null, busy = false, label = button.textContent;

    function show(box, text) { box.textContent = text; box.hidden = false; }
    function hide(box) { box.textContent = ""; box.hidden = true; }
    function autoPay() {
      var chosen = form.querySelector("input[name='auto_pay']:checked");
      return chosen && chosen.value === "card";
    }

    function mount() {
      if (card || !window.PortalCard) return;
      var mounted = window.PortalCard.mount(cardBox, data.publishableKey, data.locale);
      if (!mounted) return;
      stripe = mounted.stripe;
      card = mounted.card;
      card.on("change", function (event) {
        if (event && event.error) show(cardError, event.error.message);
        else hide(cardError);
      });
    }

    function sync() {
      section.hidden = !autoPay();
      if (autoPay()) mount();
    }

    function setBusy(on) {
      busy = on;
      button.disabled = on;
      button.textContent = on ? data.labelWorking : label;
    }

    function fail(text) {
      setBusy(false);
      show(formError, text);
      formError.focus();
    }

    form.querySelectorAll("input[name='auto_pay']").forEach(function (radio) {
      radio.addEventListener("change", sync);
    });

    form.addEventListener("submit", function (event) {
      if (!autoPay() || methodField.value) return;  /* no card to save, or saved already: a plain post */
      event.preventDefault();
      if (busy) return;
      hide(formError);
      if (!card) { fail(data.msgUnavailable); return; }
      setBusy(true);
      var body = new URLSearchParams();
      body.append("csrf_token", csrf ? csrf.value : "");
      fetch(data.setupUrl, {
        method: "POST", credentials: "same-origin", body: body,
        headers: { "Accept": "application/json", "X-CSRFToken": csrf ? csrf.value : "" }
      }).then(function (response) { return response.json(); }).then(function (setup) {
        if (!setup.success) { fail((setup.error && setup.error.message) || data.msgOffline); return; }
        return stripe.confirmCardSetup(setup.data.clientSecret, { payment_method: { card: card } })
          .then(function (result) {
            if (result.error) {
              fail(result.error.type === "validation_error" && result.error.message ? result.error.message
                                                                                      : data.msgCardCheck);
              return;
            }
            var method = result.setupIntent.payment_method;
            methodField.value = typeof method === "string" ? method : method.id;
            form.submit();
          });
      }).catch(function () { fail(data.msgOffline); });
    });

    sync();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("plan-form");
    if (form) initPlan(form);
  });
})();
