/* Stage scenes (duels.show) on /stage/<cid> and /screen/<key>: follows the competition's
 * event stream and swaps in the scene the host picked.
 * scene  -> fetch the scene fragment (versions only grow; older ones are ignored)
 * tally  -> update the shown duel's bars in place
 * duel   -> refetch when it is the shown duel (closed, revealed); bracket likewise for
 *           the bracket, ranking and champion scenes; resync -> ask scene.json again
 * On load it asks scene.json once (a change between render and connect). The stream and
 * its reconnects are event_stream.js's (loaded before this file).
 * Bars grow from 0 in the reveal scene (CSSOM widths, allowed by the CSP); with
 * prefers-reduced-motion they are set at once. */
(function () {
  "use strict";

  var root = document.getElementById("stage");
  if (!root || !window.EventSource || !window.fetch || !window.followEvents) {
    return;
  }
  var legacy = root.hasAttribute("data-legacy");
  var lang = root.getAttribute("data-lang") || "de";
  var wanted = number(root.getAttribute("data-version"));
  var loading = false;
  var ticker = null;
  var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  function number(value) {
    var parsed = parseInt(value, 10);
    return isNaN(parsed) ? 0 : parsed;
  }

  function scene() {
    return root.querySelector(".stage-scene");
  }

  function shownVersion() {
    var node = scene();
    return node ? number(node.getAttribute("data-version")) : 0;
  }

  function attr(name) {
    var node = scene();
    return node ? node.getAttribute(name) || "" : "";
  }

  function want(version) {
    if (version > wanted) {
      wanted = version;
    }
    if (wanted > shownVersion() || (legacy && wanted > 0)) {
      load();
    }
  }

  function load() {
    if (legacy) {
      window.location.reload(); // the venue screen leaves its duel list for the scenes
      return;
    }
    if (loading) {
      return;
    }
    loading = true;
    fetch(root.getAttribute("data-scene-html"), { cache: "no-store", credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("scene " + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        root.innerHTML = html; // same-origin HTML from our autoescaping templates
        setUp();
      })
      .catch(function () {
        window.setTimeout(load, 3000);
      })
      .then(function () {
        loading = false;
        if (wanted > shownVersion()) {
          load();
        }
      });
  }

  function setBars(animate) {
    root.querySelectorAll("[data-bar]").forEach(function (bar) {
      var width = number(bar.getAttribute("data-share")) + "%";
      if (!animate || still) {
        bar.style.width = width;
        return;
      }
      bar.style.width = "0%";
      void bar.offsetWidth; // start from 0 so the transition runs
      window.requestAnimationFrame(function () {
        bar.style.width = width;
      });
    });
  }

  function countdown() {
    window.clearInterval(ticker);
    var node = root.querySelector("[data-closes-at]");
    if (!node) {
      return;
    }
    var ends = parseFloat(node.getAttribute("data-closes-at")) * 1000;
    var text = node.querySelector("[data-countdown-text]");
    function tick() {
      var left = Math.max(0, Math.round((ends - Date.now()) / 1000));
      var seconds = String(left % 60);
      text.textContent = Math.floor(left / 60) + ":" + (seconds.length < 2 ? "0" : "") + seconds;
    }
    tick();
    ticker = window.setInterval(tick, 1000);
  }

  function fit() {
    // Long German compounds: hyphens: auto where the browser knows German; else shrink
    // the name until it fits rather than break it mid-word.
    root.querySelectorAll(".stage-title, .stage-big-name, .stage-team-name").forEach(function (node) {
      var size = parseFloat(window.getComputedStyle(node).fontSize);
      while (node.scrollWidth > node.clientWidth + 1 && size > 10) {
        size *= 0.92;
        node.style.fontSize = size + "px";
      }
    });
  }

  function setUp() {
    var node = scene();
    root.setAttribute("data-scene", node ? node.getAttribute("data-scene") : "");
    setBars(root.querySelector(".stage-animate") !== null);
    countdown();
    fit();
  }

  function applyTally(event) {
    if (!event || event.hidden || event.duel !== attr("data-duel")) {
      return;
    }
    var bars = root.querySelector("[data-bars]");
    var voting = attr("data-status") === "voting";
    var counts = voting && event.provisional ? event.provisional : event.counts;
    if (!bars || !counts || typeof counts !== "object") {
      return;
    }
    var home = number(counts[bars.getAttribute("data-home")]);
    var away = number(counts[bars.getAttribute("data-away")]);
    var total = home + away;
    var share = total ? Math.round((100 * home) / total) : 0;
    var values = { home: [home, share], away: [away, total ? 100 - share : 0] };
    ["home", "away"].forEach(function (side) {
      var count = bars.querySelector('[data-count="' + side + '"]');
      var text = bars.querySelector('[data-share-text="' + side + '"]');
      var bar = bars.querySelector('[data-bar="' + side + '"]');
      if (count) {
        count.textContent = values[side][0].toLocaleString(lang);
      }
      if (text) {
        text.textContent = String(values[side][1]);
      }
      if (bar) {
        bar.setAttribute("data-share", String(values[side][1]));
        bar.style.width = values[side][1] + "%";
      }
    });
  }

  function askScene() {
    fetch(root.getAttribute("data-scene-json"), { cache: "no-store", credentials: "same-origin" })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (data) {
        if (data) {
          want(number(data.version));
        }
      })
      .catch(function () {
        return null;
      });
  }

  var handlers = {
    scene: function (event) {
      if (event) {
        want(number(event.version));
      }
    },
    tally: applyTally,
    duel: function (event) {
      if (!legacy && event && event.duel === attr("data-duel")) {
        wanted = Math.max(wanted, shownVersion());
        refresh();
      }
    },
    bracket: function () {
      if (!legacy && /^(bracket|leaderboard|champion|winner)$/.test(attr("data-scene"))) {
        refresh();
      }
    },
    resync: askScene,
  };

  function refresh() {
    // The same scene with new data (a duel closed or revealed, the bracket moved on).
    if (loading) {
      return;
    }
    window.setTimeout(load, 100 + Math.random() * 600);
  }

  if (!legacy) {
    setUp();
  }
  askScene();
  window.followEvents(
    root.getAttribute("data-events"), root.getAttribute("data-last-event-id") || "", handlers
  );
})();
