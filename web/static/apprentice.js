/* Vote page (#19): after a vote sent by vote.js (no page load), show the teams'
   "Ausbildung bei <Firma>" cards from /vote/<id>/ausbildung. A page loaded after the vote,
   or showing the result, has them already; without this script they come with the next
   page load. */
(function () {
  "use strict";

  var root = document.getElementById("vote");
  var slot = root && root.querySelector(".apprentice-slot[data-apprentice]");
  var status = document.getElementById("vote-status");
  if (!root || !slot || !status || !window.fetch || !window.MutationObserver) { return; }
  var loading = false;

  function inResult() {
    var box = document.getElementById("vote-outcome");
    return box && box.querySelector(".apprentice-cards");
  }

  function load() {
    if (loading || inResult()) { return; }
    loading = true;
    fetch(slot.dataset.apprentice, {
      credentials: "same-origin", headers: { "Accept": "text/html" }
    }).then(function (response) {
      if (!response.ok) { throw new Error("cards " + response.status); }
      return response.text();
    }).then(function (html) {
      if (inResult()) { return; }
      slot.innerHTML = html;
      slot.hidden = false;
    }).catch(function () { loading = false; });
  }

  var watcher = new MutationObserver(function () {
    if (inResult()) { // the result box brought its own cards
      // Only when there is something to change: every change is observed again.
      if (slot.firstChild || !slot.hidden) {
        slot.innerHTML = "";
        slot.hidden = true;
      }
      return;
    }
    var text = status.textContent.trim();
    if (!status.hidden && (text === root.dataset.msgCounted || text === root.dataset.msgAlreadyVoted)) {
      load();
    }
  });
  watcher.observe(root, { attributes: true, attributeFilter: ["class", "hidden"], childList: true, subtree: true });
})();
