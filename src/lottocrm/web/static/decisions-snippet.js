/* lottocrm banner snippet: fills every element with data-lottocrm-slot="<placement code>" with the banner the
   decision API chooses, and reports a click on an offer's banner.

   <div data-lottocrm-slot="home_top" data-endpoint="https://crm.example/api/v1/decisions"
        data-api-key="<a key with the decisions:ask scope>" data-player-id="123" data-device-id="…">
     …what to show if the CRM does not answer…
   </div>

   data-player-id is the signed-in player (leave it empty for a visitor); data-device-id the browser's id
   (kept in localStorage when the page gives none). data-csrf is for a page of the CRM itself, signed in.
   If the API does not answer, the slot keeps what the page put in it. No dependencies, no inline code. */
(function () {
  "use strict";
  var DEVICE_KEY = "lottocrm_device_id";

  function deviceId(slot) {
    if (slot.dataset.deviceId) return slot.dataset.deviceId;
    try {
      var kept = window.localStorage.getItem(DEVICE_KEY);
      if (!kept) {
        kept = "web-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 10);
        window.localStorage.setItem(DEVICE_KEY, kept);
      }
      return kept;
    } catch (e) {
      return null;
    }
  }

  function headers(slot) {
    var sent = { "Content-Type": "application/json" };
    if (slot.dataset.apiKey) sent["X-API-Key"] = slot.dataset.apiKey;
    if (slot.dataset.csrf) sent["X-CSRF-Token"] = slot.dataset.csrf;
    return sent;
  }

  function element(tag, className, text) {
    var made = document.createElement(tag);
    if (className) made.className = className;
    if (text) made.textContent = text;
    return made;
  }

  function reportClick(slot, decision) {
    var endpoint = slot.dataset.endpoint.replace(/\/$/, "") + "/clicks";
    fetch(endpoint, {
      method: "POST",
      headers: headers(slot),
      body: JSON.stringify({ decision_id: decision.decision_id }),
      keepalive: true,
      credentials: "same-origin"
    }).catch(function () {});
  }

  function show(slot, decision) {
    var banner = decision.banner;
    var link = element("a", "lottocrm-banner lottocrm-banner-" + decision.kind);
    link.href = banner.link_url;
    if (banner.image_url) {
      var image = element("img", "lottocrm-banner-image");
      image.src = banner.image_url;
      image.alt = "";
      link.appendChild(image);
    }
    var words = element("div", "lottocrm-banner-words");
    words.appendChild(element("strong", "lottocrm-banner-title", banner.title));
    words.appendChild(element("span", "lottocrm-banner-text", banner.text));
    link.appendChild(words);
    if (decision.kind === "offer") {
      link.addEventListener("click", function () { reportClick(slot, decision); });
    }
    slot.replaceChildren(link);
    slot.dataset.kind = decision.kind;
    slot.dataset.decisionId = decision.decision_id;
  }

  function fill(slot) {
    var body = { placement: slot.dataset.lottocrmSlot };
    var player = slot.dataset.playerId;
    if (player) body.player_id = parseInt(player, 10);
    var device = deviceId(slot);
    if (device) body.device_id = device;
    return fetch(slot.dataset.endpoint, {
      method: "POST",
      headers: headers(slot),
      body: JSON.stringify(body),
      credentials: "same-origin"
    })
      .then(function (response) {
        return response.json().then(function (answer) {
          if (!response.ok) throw answer;
          return answer;
        });
      })
      .then(function (decision) {
        show(slot, decision);
        slot.dispatchEvent(new CustomEvent("lottocrm:decision", { detail: decision, bubbles: true }));
      })
      .catch(function (problem) {
        slot.dataset.kind = "failed";
        slot.dispatchEvent(new CustomEvent("lottocrm:failed", { detail: problem, bubbles: true }));
      });
  }

  function start() {
    document.querySelectorAll("[data-lottocrm-slot]").forEach(fill);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
