/* The example page: shows the decision the snippet received under the slot. */
(function () {
  "use strict";
  var shown = document.getElementById("decision-shown");
  if (!shown) return;
  document.addEventListener("lottocrm:decision", function (event) {
    var decision = event.detail;
    var label = decision.kind === "offer" ? shown.dataset.labelOffer : shown.dataset.labelDefault;
    shown.textContent = label + "\n" + JSON.stringify(decision, null, 2);
  });
  document.addEventListener("lottocrm:failed", function (event) {
    shown.textContent = shown.dataset.labelFailed + "\n" + JSON.stringify(event.detail, null, 2);
  });
})();
