/* Live board: keeps the server-rendered board current from the event stream.
 * tally  -> update that duel's bars and the leaderboard votes in place (no fetch)
 * duel, bracket, resync -> refetch the board fragment (jittered, so a room full
 *   of screens does not hit the server in the same millisecond)
 * The stream and its reconnects are event_stream.js's (loaded before this file).
 * No third-party code; no inline styles (widths are set through the CSSOM). */
(function () {
  "use strict";

  var root = document.getElementById("live-board");
  if (!root || !window.EventSource || !window.fetch || !window.followEvents) {
    return; // the <noscript> refresh and the server-rendered page still work
  }
  var content = document.getElementById("live-content");
  var status = root.querySelector("[data-live-status]");
  var lang = root.getAttribute("data-lang") || "de";
  var refreshTimer = null;
  var refreshing = false;

  function selectorValue(value) {
    return window.CSS && CSS.escape ? CSS.escape(value) : value.replace(/["\\]/g, "\\$&");
  }

  function number(value) {
    var parsed = parseInt(value, 10);
    return isNaN(parsed) ? 0 : parsed;
  }

  function setText(card, selector, value) {
    var node = card.querySelector(selector);
    if (node) {
      node.textContent = value;
    }
  }

  function countsFor(card, event) {
    // Running duels show the provisional counts (the official ones lag behind).
    var running = card.getAttribute("data-status") === "voting";
    if (running && event.provisional && typeof event.provisional === "object") {
      return event.provisional;
    }
    return event.counts && typeof event.counts === "object" ? event.counts : null;
  }

  function applyTally(event) {
    if (!event || !event.duel || event.hidden) {
      return;
    }
    var cards = root.querySelectorAll('[data-duel="' + selectorValue(String(event.duel)) + '"]');
    if (!cards.length && root.querySelector('[data-legs~="' + selectorValue(String(event.duel)) + '"]')) {
      // A challenge of a best-of-N duel: the card sums all challenges, the server adds up.
      scheduleRefresh();
      return;
    }
    Array.prototype.forEach.call(cards, function (card) {
      var counts = countsFor(card, event);
      if (!counts || card.classList.contains("counts-hidden")) {
        return;
      }
      var home = number(counts[card.getAttribute("data-home")]);
      var away = number(counts[card.getAttribute("data-away")]);
      var total = home + away;
      var homeShare = total ? Math.round((100 * home) / total) : 0;
      var values = { home: [home, homeShare], away: [away, total ? 100 - homeShare : 0] };
      card.setAttribute("data-home-votes", String(home));
      card.setAttribute("data-away-votes", String(away));
      ["home", "away"].forEach(function (side) {
        setText(card, '[data-count="' + side + '"]', values[side][0].toLocaleString(lang));
        setText(card, '[data-share="' + side + '"]', String(values[side][1]));
        var unit = card.querySelector('[data-unit="' + side + '"]');
        if (unit) {
          unit.textContent = values[side][0] === 1 ? unit.dataset.one : unit.dataset.other;
        }
        var bar = card.querySelector('[data-bar="' + side + '"]');
        if (bar) {
          bar.style.width = values[side][1] + "%"; // CSSOM, allowed by the CSP
        }
      });
    });
    updateLeaderboard();
  }

  function updateLeaderboard() {
    var body = root.querySelector("[data-leaderboard]");
    if (!body) {
      return;
    }
    var votes = {};
    // Each duel counts once: the bracket holds every duel (the running list repeats some).
    root.querySelectorAll(".bracket [data-duel]").forEach(function (card) {
      ["home", "away"].forEach(function (side) {
        var company = card.getAttribute("data-" + side + "-company");
        if (company) {
          votes[company] = (votes[company] || 0) + number(card.getAttribute("data-" + side + "-votes"));
        }
      });
    });
    var rows = Array.prototype.slice.call(body.querySelectorAll("tr[data-company]"));
    rows.forEach(function (row) {
      var total = votes[row.getAttribute("data-company")] || 0;
      row.setAttribute("data-votes", String(total));
      setText(row, "[data-votes-cell]", total.toLocaleString(lang));
    });
    rows.sort(function (a, b) {
      return (
        number(b.getAttribute("data-wins")) - number(a.getAttribute("data-wins")) ||
        number(b.getAttribute("data-votes")) - number(a.getAttribute("data-votes")) ||
        a.getAttribute("data-name").localeCompare(b.getAttribute("data-name"), lang)
      );
    });
    rows.forEach(function (row, index) {
      setText(row, ".rank", String(index + 1));
      body.appendChild(row);
    });
  }

  function scheduleRefresh() {
    if (refreshTimer !== null) {
      return;
    }
    refreshTimer = window.setTimeout(refresh, 150 + Math.random() * 1200);
  }

  function refresh() {
    refreshTimer = null;
    if (refreshing) {
      scheduleRefresh();
      return;
    }
    refreshing = true;
    fetch(root.getAttribute("data-board"), { headers: { Accept: "text/html" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("board " + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        // Same-origin HTML rendered by our own autoescaping templates.
        content.innerHTML = html;
        initialiseBars();
      })
      .catch(function () {
        window.setTimeout(scheduleRefresh, 3000);
      })
      .then(function () {
        refreshing = false;
      });
  }

  function initialiseBars() {
    // Server markup carries 5 % width classes; set exact widths so bars animate from here.
    root.querySelectorAll("[data-duel]").forEach(function (card) {
      ["home", "away"].forEach(function (side) {
        var share = card.querySelector('[data-share="' + side + '"]');
        var bar = card.querySelector('[data-bar="' + side + '"]');
        if (share && bar) {
          bar.style.width = number(share.textContent) + "%";
        }
      });
    });
  }

  function refreshOnAny() {
    scheduleRefresh();
  }

  initialiseBars();
  window.followEvents(
    root.getAttribute("data-events"),
    root.getAttribute("data-last-event-id") || "",
    { tally: applyTally, duel: refreshOnAny, bracket: refreshOnAny, resync: refreshOnAny },
    function (open) {
      if (status) {
        status.hidden = open;
      }
    }
  );
})();
