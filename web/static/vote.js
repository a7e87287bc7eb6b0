/* Vote page: solve the proof-of-work in the background, send the vote as JSON,
   show the answer in place. Without this script the form posts normally. */
(function () {
  "use strict";

  var printLink = document.getElementById("poster-print");
  if (printLink) {
    printLink.addEventListener("click", function (event) { event.preventDefault(); window.print(); });
  }

  var root = document.getElementById("vote");
  var form = document.getElementById("vote-form");
  if (!root || !form || !window.fetch || !window.MachMalSha256) { return; }
  var duel = root.dataset.duel;
  var statusBox = document.getElementById("vote-status");
  var buttons = Array.prototype.slice.call(form.querySelectorAll("button[name=team_id]"));
  var lib = window.MachMalSha256;
  var solution = null;   // {challenge, nonce} once solved
  var solving = null;    // Promise of the current solution

  function show(text, kind) {
    statusBox.textContent = text;
    statusBox.className = "notice vote-status " + (kind || "");
    statusBox.hidden = false;
  }

  function setButtons(enabled) {
    buttons.forEach(function (button) { button.disabled = !enabled; });
  }

  /* Find the nonce in slices so the page stays responsive on slow phones. */
  function solve(challenge) {
    if (!challenge.difficulty) {
      return Promise.resolve({ challenge: challenge.challenge, nonce: "0" });
    }
    return new Promise(function (resolve) {
      var nonce = 0;
      function slice() {
        var end = nonce + 2000;
        for (; nonce < end; nonce++) {
          var digest = lib.sha256(challenge.challenge + ":" + nonce);
          if (lib.leadingZeroBits(digest) >= challenge.difficulty) {
            resolve({ challenge: challenge.challenge, nonce: String(nonce) });
            return;
          }
        }
        setTimeout(slice, 0);
      }
      slice();
    });
  }

  function prepare(challenge) {
    solution = null;
    solving = solve(challenge).then(function (solved) { solution = solved; return solved; });
    return solving;
  }

  function fetchChallenge() {
    return fetch("/api/duels/" + encodeURIComponent(duel) + "/challenge", {
      credentials: "same-origin", headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) { throw new Error("challenge " + response.status); }
      return response.json();
    }).then(prepare);
  }

  function showCounts(counts) {
    if (!counts || root.dataset.showResults !== "1") { return; }
    var total = 0;
    Object.keys(counts).forEach(function (team) { total += counts[team]; });
    Array.prototype.forEach.call(root.querySelectorAll(".vote-result"), function (box) {
      var count = counts[box.dataset.team] || 0;
      var bar = box.querySelector("progress");
      var label = box.querySelector(".vote-count");
      bar.max = total || 1;
      bar.value = count;
      var form = count === 1 ? label.dataset.one : label.dataset.other;
      label.textContent = form ? form.replace("{count}", String(count)) : String(count);
      box.hidden = false;
    });
  }

  function send(teamId, attempt) {
    var body = { team_id: teamId };
    if (solution) { body.pow = solution; }
    solution = null; // each challenge is good for one vote
    solving = null;
    return fetch("/api/duels/" + encodeURIComponent(duel) + "/votes", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        var detail = data.detail || {};
        if (response.status === 202) {
          show(root.dataset.msgCounted, "ok");
          showCounts(data.counts);
          return;
        }
        if (response.status === 403 && detail.challenge && attempt < 3) {
          show(root.dataset.msgPow, "");
          return prepare(detail.challenge).then(function () { return send(teamId, attempt + 1); });
        }
        if (response.status === 429) {
          var seconds = response.headers.get("Retry-After") || "1";
          show(root.dataset.msgThrottled.replace("{seconds}", seconds), "warn");
          setButtons(true);
          fetchChallenge().catch(function () {});
          return;
        }
        if (detail.code === "already_voted") { show(root.dataset.msgAlreadyVoted, "ok"); return; }
        if (detail.code === "voting_closed") { show(root.dataset.msgVotingClosed, "warn"); return; }
        if (detail.code === "presence_required") { show(root.dataset.msgPresenceRequired, "warn"); return; }
        if (detail.code === "code_required") { show(root.dataset.msgCodeRequired, "warn"); return; }
        if (detail.code === "email_required") { show(root.dataset.msgEmailRequired, "warn"); return; }
        if (response.status === 401 || detail.code === "voter_token_invalid") {
          window.location.reload();
          return;
        }
        show(detail.message || root.dataset.msgError, "bad");
        setButtons(true);
      });
    });
  }

  form.addEventListener("submit", function (event) {
    var button = event.submitter || document.activeElement;
    if (!button || button.name !== "team_id") { return; }
    event.preventDefault();
    setButtons(false);
    show(solution ? root.dataset.msgSending : root.dataset.msgPow, "");
    var ready = solution ? Promise.resolve(solution) : (solving || fetchChallenge());
    ready.catch(function () { return null; }).then(function () {
      return send(button.value, 0);
    }).catch(function () {
      show(root.dataset.msgError, "bad");
      setButtons(true);
    });
  });

  if (root.dataset.canVote === "1") {
    // The page says what to solve ("" = nothing: the vote goes without a proof, and a
    // 403 would bring a challenge); a page without the attribute asks for one.
    var given = root.dataset.challenge;
    if (given === undefined) {
      fetchChallenge().catch(function () { solving = null; });
    } else if (given) {
      try { prepare(JSON.parse(given)).catch(function () { solving = null; }); } catch (e) { solving = null; }
    }
  }
})();
