/* Vote page: turn into the result by itself when the host closes, reveals or decides
   the duel (or another duel opens). Listens to the competition's event stream; when the
   stream is refused or drops (a venue's many phones behind one address), it polls the
   result box with backoff instead. Without this script the page shows the state it was
   loaded in. */
(function () {
  "use strict";

  var root = document.getElementById("vote");
  if (!root || !window.fetch || !root.dataset.result) { return; }
  var MAX_POLL_MS = 30000;
  var pollMs = 3000;
  var pending = null;
  var polling = false;

  function box() { return document.getElementById("vote-outcome"); }

  function ended(status) { return status === "closed" || status === "decided"; }

  function apply(html) {
    var holder = document.createElement("div");
    holder.innerHTML = html;
    var fresh = holder.querySelector("#vote-outcome");
    var current = box();
    if (!fresh || !current) { return; }
    var before = current.dataset.status;
    var after = fresh.dataset.status;
    if (after === "voting" && before !== "voting") {
      window.location.reload(); // opened (again): the page fetches its vote challenge anew
      return;
    }
    current.parentNode.replaceChild(fresh, current);
    if (ended(after)) {
      Array.prototype.forEach.call(root.querySelectorAll("button[name=team_id]"), function (b) {
        b.disabled = true;
      });
      // The result box shows the score now; the bars under the teams would only repeat it.
      Array.prototype.forEach.call(root.querySelectorAll(".admission-form, .vote-result"), function (el) {
        el.hidden = true;
      });
      var status = document.getElementById("vote-status");
      if (status && !/\bok\b/.test(status.className)) { status.hidden = true; }
    }
  }

  function refresh() {
    return fetch(root.dataset.result, {
      credentials: "same-origin", headers: { "Accept": "text/html" }, cache: "no-store"
    }).then(function (response) {
      if (!response.ok) { throw new Error("result " + response.status); }
      return response.text();
    }).then(apply);
  }

  /* Many phones get the same event at once: spread their requests over a second. */
  function scheduleRefresh() {
    if (pending) { return; }
    pending = window.setTimeout(function () {
      pending = null;
      refresh().catch(function () {});
    }, 200 + Math.random() * 1000);
  }

  function poll() {
    refresh().then(function () {
      pollMs = Math.min(MAX_POLL_MS, pollMs * 1.5);
    }, function () {
      pollMs = Math.min(MAX_POLL_MS, pollMs * 2);
    }).then(function () {
      var status = box() ? box().dataset.status : "";
      if (status === "decided") { return; } // nothing changes any more
      window.setTimeout(poll, pollMs / 2 + Math.random() * (pollMs / 2));
    });
  }

  function startPolling() {
    if (polling) { return; }
    polling = true;
    window.setTimeout(poll, pollMs);
  }

  if (!window.EventSource || !root.dataset.events) {
    startPolling();
    return;
  }
  var source = new EventSource(root.dataset.events);
  source.addEventListener("error", function () {
    source.close();
    startPolling();
  });
  ["duel", "bracket", "resync"].forEach(function (kind) {
    source.addEventListener(kind, scheduleRefresh);
  });
})();
