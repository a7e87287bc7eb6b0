/* Stage screen (venue admission): keeps the rotating QR codes current.
 * Fetches codes.json right after each rotation (and at least every 10 s, to notice
 * duels opening or closing), swaps a code's image once the new one has loaded, runs
 * the countdown bar, and reloads the page when the set of duels changed or the key
 * was revoked. Without it, the page's <noscript> refresh does the same, coarser.
 * No inline styles: the bar moves through the CSSOM (allowed by the CSP). */
(function () {
  "use strict";

  var root = document.getElementById("screen");
  if (!root || !window.fetch) {
    return;
  }
  var codesUrl = root.getAttribute("data-codes");
  var shown = root.getAttribute("data-duels") || "";
  var timer = null;
  var MAX_WAIT = 10;

  root.classList.add("screen-live");

  function number(value, fallback) {
    var parsed = parseFloat(value);
    return isNaN(parsed) ? fallback : parsed;
  }

  function countdown(nextIn, rotate) {
    var fills = root.querySelectorAll("[data-countdown]");
    Array.prototype.forEach.call(fills, function (fill) {
      fill.style.transition = "none";
      fill.style.transform = "scaleX(" + Math.max(0, Math.min(1, nextIn / rotate)) + ")";
      void fill.offsetWidth; // apply the start before the transition
      fill.style.transition = "transform " + nextIn + "s linear";
      fill.style.transform = "scaleX(0)";
    });
  }

  function schedule(seconds) {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, Math.max(0.5, seconds) * 1000);
  }

  function signature(duels) {
    return duels
      .map(function (duel) {
        return duel.duel + ":" + duel.admission;
      })
      .join(" ");
  }

  function swap(img, path) {
    if (img.getAttribute("src") === path) {
      return;
    }
    var next = new Image();
    next.onload = function () {
      img.setAttribute("src", path);
    };
    next.src = path;
  }

  function apply(data) {
    if (!data || !Array.isArray(data.duels)) {
      schedule(2);
      return;
    }
    if (signature(data.duels) !== shown) {
      window.location.reload();
      return;
    }
    var images = root.querySelectorAll("img[data-qr]");
    data.duels.forEach(function (duel) {
      Array.prototype.forEach.call(images, function (img) {
        if (img.getAttribute("data-qr") === duel.duel) {
          swap(img, duel.qr_svg_path);
        }
      });
    });
    var nextIn = number(data.next_in, 1);
    countdown(nextIn, number(data.rotate_seconds, 20));
    // Just after the rotation, so the new code is there.
    schedule(Math.min(nextIn + 0.25, MAX_WAIT));
  }

  function refresh() {
    fetch(codesUrl, { cache: "no-store", credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 404) {
          window.location.reload(); // revoked: the page says so
          return null;
        }
        if (!response.ok) {
          throw new Error("codes " + response.status);
        }
        return response.json().then(apply);
      })
      .catch(function () {
        schedule(2);
      });
  }

  var nextIn = number(root.getAttribute("data-next-in"), 1);
  countdown(nextIn, number(root.getAttribute("data-rotate"), 20));
  schedule(Math.min(nextIn + 0.25, MAX_WAIT));
})();
