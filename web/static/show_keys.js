/* Keyboard shortcuts of the show remote (host/show.html, and /stage/<cid> opened by a
 * host): 1-9 pick a scene, R reveals the chosen duel, N picks the next duel and
 * introduces it, F toggles full screen. On the stage page the remote form is hidden and
 * sent with fetch, so the page stays; the event stream then brings the new scene. */
(function () {
  "use strict";

  var form = document.querySelector("[data-show-remote]");
  if (!form) {
    return;
  }
  var inPlace = form.closest(".stage-host-remote") !== null;

  function press(selector) {
    var button = form.querySelector(selector);
    if (!button || button.disabled) {
      return;
    }
    if (form.requestSubmit) {
      form.requestSubmit(button);
    } else {
      button.click();
    }
  }

  function nextDuel() {
    var select = form.querySelector("[data-show-duel]");
    if (!select || select.options.length === 0) {
      return;
    }
    select.selectedIndex = (select.selectedIndex + 1) % select.options.length;
    press('button[data-scene="duel_intro"]');
  }

  function fullScreen() {
    if (document.fullscreenElement) {
      document.exitFullscreen();
    } else if (document.documentElement.requestFullscreen) {
      document.documentElement.requestFullscreen().catch(function () {
        return null;
      });
    }
  }

  if (inPlace) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var body = new URLSearchParams(new FormData(form));
      if (event.submitter && event.submitter.name) {
        body.set(event.submitter.name, event.submitter.value);
      }
      fetch(form.getAttribute("action"), {
        method: "POST",
        body: body,
        credentials: "same-origin",
      }).catch(function () {
        return null;
      });
    });
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) {
      return;
    }
    if (target && /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName)) {
      return;
    }
    var key = event.key.toLowerCase();
    if (/^[1-9]$/.test(key)) {
      press('button[data-key="' + key + '"]');
    } else if (key === "r") {
      press('button[data-scene="reveal"]');
    } else if (key === "n") {
      nextDuel();
    } else if (key === "f") {
      fullScreen();
    } else {
      return;
    }
    event.preventDefault();
  });
})();
