// webexplorer's only script of its own: small progressive enhancements. Every page works without it.
(function () {
  "use strict";
  var root = document.documentElement;
  var self = document.currentScript;

  // htmx and its SSE extension only enhance pages that already work without them, so they load after
  // the page has been shown: compiling their 55 KB before the first frame made every first view ~15 %
  // slower. They are injected once the document is complete, because htmx initialises at once only
  // then (between DOMContentLoaded and load it would wait for an event that has already fired), one
  // after the other (the extension needs htmx). Elements htmx processed before the extension existed (a watch
  // result sent without JavaScript) are processed again; <html data-enhanced> says it is all done.
  var enhanced = false;
  function load(url, then) {
    var script = document.createElement("script");
    script.src = url;
    script.addEventListener("load", then);
    document.head.appendChild(script);
  }
  function enhance() {
    if (enhanced || !self) { return; }
    enhanced = true;
    load(self.getAttribute("data-htmx"), function () {
      load(self.getAttribute("data-sse"), function () {
        Array.prototype.forEach.call(document.querySelectorAll("[hx-ext~='sse']"), function (el) {
          var fresh = el.cloneNode(true);
          el.replaceWith(fresh);
          window.htmx.process(fresh);
        });
        root.setAttribute("data-enhanced", "");
      });
    });
  }
  function afterFirstFrame() {
    requestAnimationFrame(function () { setTimeout(enhance, 0); });
    setTimeout(enhance, 300);  // requestAnimationFrame waits while the tab is hidden
  }
  if (document.readyState === "complete") { afterFirstFrame(); }
  else { window.addEventListener("load", afterFirstFrame); }
  var stored = null;
  try { stored = localStorage.getItem("webexplorer-theme"); } catch (e) { /* storage may be off */ }
  if (stored === "light" || stored === "dark") { root.setAttribute("data-theme", stored); }

  function currentTheme() {
    var t = root.getAttribute("data-theme");
    if (t === "light" || t === "dark") { return t; }
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }

  document.addEventListener("DOMContentLoaded", function () {
    var toggle = document.getElementById("theme-toggle");
    if (toggle) {
      toggle.addEventListener("click", function () {
        var next = currentTheme() === "dark" ? "light" : "dark";
        root.setAttribute("data-theme", next);
        try { localStorage.setItem("webexplorer-theme", next); } catch (e) { /* ignore */ }
      });
    }
  });

  // The body check (try-it): "line N" beside a finding selects that line of the body editor.
  document.addEventListener("click", function (ev) {
    var button = ev.target && ev.target.closest ? ev.target.closest(".tryout-goto-line") : null;
    var editor = document.getElementById("try-body");
    if (!button || !editor) { return; }
    var wanted = parseInt(button.getAttribute("data-line"), 10);
    var lines = editor.value.split("\n");
    if (!(wanted >= 1 && wanted <= lines.length)) { return; }
    var start = 0;
    for (var i = 0; i < wanted - 1; i++) { start += lines[i].length + 1; }
    editor.focus();
    editor.setSelectionRange(start, start + lines[wanted - 1].length);
    var height = editor.scrollHeight / Math.max(lines.length, 1);
    editor.scrollTop = Math.max(0, (wanted - 3) * height);
  });

  // "/" focuses the search box, as on most documentation sites, unless the person is typing already.
  document.addEventListener("keydown", function (ev) {
    if (ev.key !== "/" || ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
    var t = ev.target;
    var tag = t && t.tagName ? t.tagName.toLowerCase() : "";
    if (tag === "input" || tag === "textarea" || tag === "select" || (t && t.isContentEditable)) { return; }
    var box = document.getElementById("q");
    if (box) { ev.preventDefault(); box.focus(); box.select(); }
  });

  // Schema pages: "…/Deployment#spec.template.spec" opens at that field. A field already on the page is
  // opened (its ancestors' <details> too) and scrolled to; one that is not rendered yet is asked of the
  // server in its path form, which renders the tree opened down to it (and works without this script).
  function openField() {
    var tree = document.querySelector(".schema-tree");
    var hash = decodeURIComponent(location.hash.slice(1));
    if (!tree || !hash || !/^[A-Za-z0-9_$@.\-]+$/.test(hash)) { return; }
    var el = document.getElementById(hash);
    if (el) {
      for (var p = el; p; p = p.parentElement) { if (p.tagName === "DETAILS") { p.open = true; } }
      el.scrollIntoView({ block: "start" });
      return;
    }
    var base = location.pathname.split("/").slice(0, 5).join("/");  // /schema/<g>/<v>/<name>
    location.replace(base + "/" + encodeURIComponent(hash).replace(/%2E/g, ".") + "#" + hash);
  }
  document.addEventListener("DOMContentLoaded", openField);
  window.addEventListener("hashchange", openField);

  // Snippet tabs (_snippets.html): without this script every panel shows under its heading; with it,
  // one at a time, chosen from a WAI-ARIA tab list (click, ArrowLeft/ArrowRight, Home/End), each with a
  // Copy button. The library last chosen is chosen again on the next page (localStorage).
  var SNIPPET_KEY = "webexplorer-snippet";
  function copyText(button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) { return; }
    var text = source.textContent;
    function done(ok) {
      button.textContent = ok ? "Copied" : "Select and copy";
      setTimeout(function () { button.textContent = "Copy"; }, 2000);
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { done(true); }, function () { done(false); });
      return;
    }
    var range = document.createRange();
    range.selectNodeContents(source);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    done(ok);
  }
  function setupTabs(box) {
    if (box.hasAttribute("data-tabs-ready")) { return; }
    var list = box.querySelector("[role=tablist]");
    if (!list) { return; }
    box.setAttribute("data-tabs-ready", "");
    var tabs = Array.prototype.slice.call(list.querySelectorAll("[role=tab]"));
    function select(tab, focus, remember) {
      tabs.forEach(function (t) {
        var on = t === tab;
        t.setAttribute("aria-selected", on ? "true" : "false");
        t.tabIndex = on ? 0 : -1;
        var panel = document.getElementById(t.getAttribute("aria-controls"));
        if (panel) { panel.hidden = !on; }
      });
      if (focus) { tab.focus(); }
      if (remember) {
        try { localStorage.setItem(SNIPPET_KEY, tab.getAttribute("data-tab")); } catch (e) { /* storage may be off */ }
      }
    }
    tabs.forEach(function (t, i) {
      t.addEventListener("click", function () { select(t, false, true); });
      t.addEventListener("keydown", function (ev) {
        var next = null;
        if (ev.key === "ArrowRight") { next = tabs[(i + 1) % tabs.length]; }
        else if (ev.key === "ArrowLeft") { next = tabs[(i - 1 + tabs.length) % tabs.length]; }
        else if (ev.key === "Home") { next = tabs[0]; }
        else if (ev.key === "End") { next = tabs[tabs.length - 1]; }
        if (next) { ev.preventDefault(); select(next, true, true); }
      });
    });
    var wanted = null;
    try { wanted = localStorage.getItem(SNIPPET_KEY); } catch (e) { wanted = null; }
    var first = tabs.filter(function (t) { return t.getAttribute("data-tab") === wanted; })[0] || tabs[0];
    list.hidden = false;
    box.classList.add("tabbed");
    if (first) { select(first, false, false); }
    Array.prototype.forEach.call(box.querySelectorAll("button.copy"), function (b) {
      b.hidden = false;
      b.addEventListener("click", function () { copyText(b); });
    });
  }
  function setupAllTabs(root) {
    var scope = root && root.querySelectorAll ? root : document;
    if (scope.matches && scope.matches("[data-tabs]")) { setupTabs(scope); }
    Array.prototype.forEach.call(scope.querySelectorAll("[data-tabs]"), setupTabs);
  }
  document.addEventListener("DOMContentLoaded", function () { setupAllTabs(document); });
  // the try-it answer panel arrives through htmx after the page loaded
  document.addEventListener("htmx:load", function (ev) { setupAllTabs(ev.target); });

  // Live search: Escape closes the results, ArrowDown moves into them, and they close when focus leaves.
  document.addEventListener("keydown", function (ev) {
    var panel = document.getElementById("live-results");
    if (!panel) { return; }
    var box = document.getElementById("q");
    if (ev.key === "Escape" && panel.contains(document.activeElement) || ev.key === "Escape" && document.activeElement === box) {
      panel.innerHTML = "";
      if (box) { box.focus(); }
      return;
    }
    if (ev.key !== "ArrowDown" && ev.key !== "ArrowUp") { return; }
    var links = Array.prototype.slice.call(panel.querySelectorAll("a"));
    if (!links.length) { return; }
    var i = links.indexOf(document.activeElement);
    if (document.activeElement === box && ev.key === "ArrowDown") { i = -1; } else if (i === -1) { return; }
    ev.preventDefault();
    var next = ev.key === "ArrowDown" ? i + 1 : i - 1;
    if (next < 0) { if (box) { box.focus(); } return; }
    links[Math.min(next, links.length - 1)].focus();
  });
  document.addEventListener("click", function (ev) {
    var panel = document.getElementById("live-results");
    var form = panel && panel.parentElement;
    if (panel && form && !form.contains(ev.target)) { panel.innerHTML = ""; }
  });
  // Try-it history (tryout/history.py): every answer panel of a sent request carries its entry in
  // data-history; it is kept here, in this browser, under a key derived from the identity the API server
  // named (data-history-key in the header), newest first. Sign-out clears it; /history lists it.
  var HISTORY_MAX = 100;
  var METHODS = { GET: 1, POST: 1, PUT: 1, PATCH: 1, DELETE: 1, HEAD: 1, OPTIONS: 1 };
  function historyStore() {
    var who = document.querySelector("[data-history-key]");
    var key = who ? who.getAttribute("data-history-key") : "";
    return /^[0-9a-f]{32}$/.test(key || "") ? "webexplorer-history:" + key : null;
  }
  function readHistory(store) {
    try {
      var list = JSON.parse(localStorage.getItem(store) || "[]");
      return Array.isArray(list) ? list : [];
    } catch (e) { return []; }
  }
  function writeHistory(store, list) {
    for (;;) {
      try { localStorage.setItem(store, JSON.stringify(list)); return; }
      catch (e) {  // storage full (or off): keep the newer half and try again
        if (!list.length) { return; }
        list = list.slice(0, Math.floor(list.length / 2));
      }
    }
  }
  function ownUrl(u) {  // a path on this explorer, never another origin
    return typeof u === "string" && u.charAt(0) === "/" && u.charAt(1) !== "/" && u.charAt(1) !== "\\";
  }
  function recordHistory() {
    var store = historyStore();
    var panels = document.querySelectorAll("[data-history]");
    if (!store || !panels.length) { return; }
    var list = readHistory(store);
    var seen = {};
    list.forEach(function (e) { if (e && e.id) { seen[e.id] = true; } });
    var added = false;
    Array.prototype.forEach.call(panels, function (el) {
      var entry = null;
      try { entry = JSON.parse(el.getAttribute("data-history")); } catch (e) { return; }
      if (!entry || typeof entry.id !== "string" || seen[entry.id] || !ownUrl(entry.url)) { return; }
      seen[entry.id] = true;
      list.unshift(entry);
      added = true;
    });
    if (added) { writeHistory(store, list.slice(0, HISTORY_MAX)); }
  }
  document.addEventListener("DOMContentLoaded", recordHistory);
  document.addEventListener("htmx:afterSwap", recordHistory);
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (form && form.classList && form.classList.contains("signout")) {
      var store = historyStore();
      if (store) { try { localStorage.removeItem(store); } catch (e) { /* storage may be off */ } }
    }
  });

  function element(tag, className, text) {
    var el = document.createElement(tag);
    if (className) { el.className = className; }
    if (text !== undefined) { el.textContent = text; }
    return el;
  }
  function historyItem(e) {
    var li = element("li", "history-entry");
    var method = METHODS[e.method] ? e.method : "GET";
    var link = element("a", "history-link");
    link.href = e.url;
    link.appendChild(element("span", "method method-" + method.toLowerCase(), method));
    link.appendChild(document.createTextNode(" "));
    link.appendChild(element("code", "", String(e.path || "")));
    li.appendChild(link);
    li.appendChild(document.createTextNode(" "));
    var ok = typeof e.status === "number" && e.status < 400;
    li.appendChild(element("span", "badge history-status " + (ok ? "badge-ok" : "badge-err"),
      typeof e.status === "number" ? String(e.status) : "no status"));
    if (e.write) {
      li.appendChild(document.createTextNode(" "));
      li.appendChild(element("span", e.dry_run ? "badge badge-warn" : "badge badge-err",
        e.dry_run ? "dry run" : "real write"));
    }
    li.appendChild(document.createTextNode(" "));
    var when = element("time", "muted");
    var at = new Date(String(e.at || ""));
    when.setAttribute("datetime", String(e.at || ""));
    when.textContent = isNaN(at.getTime()) ? "" : at.toLocaleString();
    li.appendChild(when);
    return li;
  }
  function drawHistory(said) {
    var box = document.getElementById("tryout-history");
    if (!box) { return; }
    var list = document.getElementById("history-list");
    var status = document.getElementById("history-status");
    var clear = document.getElementById("history-clear");
    var store = historyStore();
    var entries = store ? readHistory(store).filter(function (e) { return e && ownUrl(e.url); }) : [];
    list.textContent = "";
    entries.forEach(function (e) { list.appendChild(historyItem(e)); });
    clear.hidden = !entries.length;
    status.textContent = said || (entries.length
      ? entries.length + (entries.length === 1 ? " request" : " requests") + ", newest first."
      : "No requests yet: what you send from try-it shows here.");
    box.setAttribute("data-ready", String(entries.length));
  }
  document.addEventListener("DOMContentLoaded", function () {
    drawHistory();
    var clear = document.getElementById("history-clear");
    if (!clear) { return; }
    clear.addEventListener("click", function () {
      var store = historyStore();
      if (store) { try { localStorage.removeItem(store); } catch (e) { /* storage may be off */ } }
      drawHistory("The history is cleared.");
      var status = document.getElementById("history-status");
      if (status) { status.setAttribute("tabindex", "-1"); status.focus(); }
    });
  });
})();
