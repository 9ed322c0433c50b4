// The search page's script: finds the words typed in the index that
// search-index.js puts in window.explainerSearch, and lists what it finds.
// Everything happens in the browser; nothing is sent anywhere.
(function () {
  "use strict";
  var form = document.getElementById("search-form");
  var entries = window.explainerSearch;
  if (!form || !Array.isArray(entries)) return;
  var input = document.getElementById("search-q");
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  var root = form.getAttribute("data-root") || "";
  var KINDS = {
    page: "Page",
    statement: "Statement",
    fact: "Overview",
    event: "Timeline",
    source: "Source"
  };
  var MAX_RESULTS = 50;

  // Case, accents and typographic quotes do not matter when searching.
  function fold(text) {
    return text
      .normalize("NFKD")
      .replace(/[\u0300-\u036f]/g, "")
      .replace(/[\u2018\u2019\u02bc]/g, "'")
      .replace(/[\u201c\u201d]/g, '"')
      .toLowerCase();
  }

  var folded = entries.map(function (e) {
    return fold([e.t, e.x, e.l || ""].join(" \u0000 "));
  });

  // Results: entries holding every word, those holding the whole query as
  // typed first, then statements before other kinds, then index order.
  function search(query) {
    var phrase = fold(query).trim().replace(/\s+/g, " ");
    var words = phrase.replace(/["']/g, " ").split(" ").filter(Boolean);
    if (words.length === 0) return [];
    var found = [];
    folded.forEach(function (text, i) {
      if (!words.every(function (w) { return text.indexOf(w) !== -1; })) return;
      var rank = (text.indexOf(phrase) !== -1 ? 0 : 2) +
        (entries[i].k === "statement" ? 0 : 1);
      found.push({ i: i, rank: rank });
    });
    found.sort(function (a, b) { return a.rank - b.rank || a.i - b.i; });
    return found.map(function (f) { return entries[f.i]; });
  }

  // `text` folded character by character, with where each folded unit came
  // from, so a match in the folded text marks the right original characters
  // even where folding changes the length ("ﬁ" becomes "fi", "é" stays one).
  function foldedWithOrigins(text) {
    var folded = "", from = [], upto = [];
    for (var at = 0; at < text.length;) {
      var code = text.codePointAt(at);
      var width = code > 0xffff ? 2 : 1;
      var piece = fold(text.slice(at, at + width));
      for (var k = 0; k < piece.length; k++) { from.push(at); upto.push(at + width); }
      folded += piece;
      at += width;
    }
    return { text: folded, from: from, upto: upto };
  }

  // `text` as nodes, with each occurrence of a query word in <mark>.
  function marked(text, words) {
    var out = document.createDocumentFragment();
    var lower = foldedWithOrigins(text);
    var at = 0, shown = 0;
    while (at < lower.text.length) {
      var next = -1, length = 0;
      words.forEach(function (w) {
        var i = lower.text.indexOf(w, at);
        if (i !== -1 && (next === -1 || i < next)) { next = i; length = w.length; }
      });
      if (next === -1) break;
      var start = Math.max(lower.from[next], shown), end = lower.upto[next + length - 1];
      out.appendChild(document.createTextNode(text.slice(shown, start)));
      var mark = document.createElement("mark");
      mark.textContent = text.slice(start, end);
      out.appendChild(mark);
      at = next + length;
      shown = end;
    }
    out.appendChild(document.createTextNode(text.slice(shown)));
    return out;
  }

  function result(entry, words) {
    var item = document.createElement("li");
    item.className = "search-result search-result--" + entry.k;
    var kind = document.createElement("span");
    kind.className = "search-result__kind";
    kind.textContent = KINDS[entry.k] || entry.k;
    item.appendChild(kind);
    var link = document.createElement("a");
    link.href = root + entry.p;
    link.appendChild(marked(entry.t || entry.x, words));
    item.appendChild(link);
    if (entry.l) {
      var label = document.createElement("span");
      label.className = "label label--" + entry.l.toLowerCase();
      label.textContent = entry.l;
      item.appendChild(document.createTextNode(" "));
      item.appendChild(label);
    }
    if (entry.t && entry.x) {
      var text = document.createElement("p");
      text.appendChild(marked(entry.x, words));
      item.appendChild(text);
    }
    return item;
  }

  function show(query) {
    var words = fold(query).replace(/["']/g, " ").split(/\s+/).filter(Boolean);
    list.textContent = "";
    if (words.length === 0) {
      status.hidden = true;
      list.hidden = true;
      return;
    }
    var found = search(query);
    found.slice(0, MAX_RESULTS).forEach(function (entry) {
      list.appendChild(result(entry, words));
    });
    var count = found.length === 1 ? "1 result" : found.length + " results";
    status.textContent = found.length === 0
      ? "Nothing found for \u201c" + query.trim() + "\u201d."
      : count + " for \u201c" + query.trim() + "\u201d" +
        (found.length > MAX_RESULTS ? ", the first " + MAX_RESULTS + " shown." : ".");
    status.hidden = false;
    list.hidden = found.length === 0;
  }

  function remember(query) {
    try {
      var url = new URL(window.location.href);
      if (query.trim()) url.searchParams.set("q", query); else url.searchParams.delete("q");
      window.history.replaceState(null, "", url.toString());
    } catch (e) {
      // Some file:// pages refuse history changes; the results still show.
    }
  }

  document.getElementById("search-without-script").hidden = true;
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    show(input.value);
    remember(input.value);
  });
  input.addEventListener("input", function () { show(input.value); });
  var initial = new URLSearchParams(window.location.search).get("q");
  if (initial) {
    input.value = initial;
    show(initial);
  }
})();
