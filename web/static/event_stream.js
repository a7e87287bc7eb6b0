/* One competition event stream (/api/competitions/<cid>/events), shared by the live board
 * (live.js) and the stage (stage.js): resumes from the last event id it saw, and whether
 * the stream was refused (429/503) or dropped, closes it and comes back with exponential
 * backoff and jitter (1-2 s, 2-4 s ... up to 30-60 s), so a room of screens cut off by a
 * restart does not return in one wave.
 *   followEvents(url, lastEventId, {kind: function (event) {...}}, onState?)
 * calls each handler with the parsed event (null when unreadable); onState(true|false)
 * on open and on error. */
window.followEvents = function (url, lastEventId, handlers, onState) {
  "use strict";
  var MAX_RECONNECT_MS = 60000;
  var attempts = 0;

  function remember(message) {
    if (message && message.lastEventId) {
      lastEventId = message.lastEventId;
    }
  }

  function parse(message) {
    try {
      return JSON.parse(message.data);
    } catch (error) {
      return null;
    }
  }

  function reconnectLater() {
    var ceiling = Math.min(MAX_RECONNECT_MS, 2000 * Math.pow(2, attempts));
    attempts += 1;
    window.setTimeout(connect, ceiling / 2 + Math.random() * (ceiling / 2));
  }

  function connect() {
    // Events published since the page was rendered (or the last one seen) are replayed.
    var target = lastEventId ? url + "?last_event_id=" + encodeURIComponent(lastEventId) : url;
    var source = new EventSource(target);
    source.addEventListener("open", function () {
      attempts = 0;
      if (onState) {
        onState(true);
      }
    });
    source.addEventListener("error", function () {
      if (onState) {
        onState(false);
      }
      source.close();
      reconnectLater();
    });
    source.addEventListener("hello", remember);
    Object.keys(handlers).forEach(function (kind) {
      source.addEventListener(kind, function (message) {
        remember(message);
        handlers[kind](parse(message));
      });
    });
  }

  connect();
};
