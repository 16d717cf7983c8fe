/* The card field of the portal's pay and plan pages: Stripe.js's card element with the portal's style. A test
   stand-in for Stripe.js that mounts plain inputs (localstripe) gets the page's labels, short visible hints,
   autocomplete hints and numeric keyboards, since Stripe's own iframe brings its labels and the stand-in none. */
(function () {
  "use strict";

  function labelPlainInputs(cardBox) {
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

  /* (stripe, card) mounted in cardBox, or null when Stripe.js did not load. */
  function mount(cardBox, publishableKey, locale) {
    if (typeof window.Stripe !== "function") return null;
    var stripe = window.Stripe(publishableKey, { locale: locale });
    var card = stripe.elements({ locale: locale }).create("card", {
      hidePostalCode: false,
      style: { base: { fontSize: "16px", color: "#212121", fontFamily: "Roboto, system-ui, sans-serif" },
               invalid: { color: "#c62828" } }
    });
    card.mount(cardBox);
    labelPlainInputs(cardBox);
    return { stripe: stripe, card: card };
  }

  window.PortalCard = { mount: mount };
})();
