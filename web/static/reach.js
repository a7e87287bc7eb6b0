/* Reach figures without tracking (voting/reach.py): tell the server, at most once per page
   view and video, that a team's video started ("play") and was watched to the end ("end":
   the ended event, or 95 % of it). No id of its own: the voter cookie the page already set
   says who, and the server counts each voter once a day. Nothing else is sent. */
(function () {
  "use strict";

  var root = document.getElementById("vote");
  if (!root || !root.dataset.reach) { return; }
  var url = root.dataset.reach;
  var sent = {};

  function send(event, team) {
    var key = event + " " + team;
    if (sent[key]) { return; }
    sent[key] = true;
    var body = JSON.stringify({ event: event, team: team });
    try {
      if (navigator.sendBeacon && navigator.sendBeacon(url, body)) { return; }
    } catch (e) { /* fall back to fetch */ }
    if (window.fetch) {
      fetch(url, {
        method: "POST", body: body, credentials: "same-origin", keepalive: true,
        headers: { "Content-Type": "text/plain;charset=UTF-8" }
      }).catch(function () {});
    }
  }

  Array.prototype.forEach.call(root.querySelectorAll("video[data-team]"), function (video) {
    var team = video.dataset.team;
    video.addEventListener("play", function () { send("play", team); });
    video.addEventListener("ended", function () { send("end", team); });
    video.addEventListener("timeupdate", function () {
      var duration = video.duration;
      if (duration && isFinite(duration) && video.currentTime >= 0.95 * duration) {
        send("end", team);
      }
    });
  });
})();
