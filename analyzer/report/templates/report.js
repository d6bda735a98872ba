// Progressive enhancement only: the report reads fine without it. No network, no libraries.
(function () {
  "use strict";
  function copyText(text, done) {
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () {});
      return;
    }
    var t = document.createElement("textarea");
    t.value = text;
    t.setAttribute("readonly", "");
    t.style.position = "fixed";
    t.style.opacity = "0";
    document.body.appendChild(t);
    t.select();
    try { if (document.execCommand("copy")) { done(); } } catch (e) { /* nothing to copy to */ }
    document.body.removeChild(t);
  }
  document.querySelectorAll("button.copy").forEach(function (b) {
    b.hidden = false;
    b.addEventListener("click", function () {
      copyText(b.getAttribute("data-copy"), function () {
        b.textContent = "copied";
        b.classList.add("done");
        setTimeout(function () { b.textContent = "copy"; b.classList.remove("done"); }, 1500);
      });
    });
  });
  function reveal(node) {
    for (var d = node; d; d = d.parentElement && d.parentElement.closest("details")) { d.open = true; }
  }
  document.querySelectorAll("a.nodelink").forEach(function (a) {
    a.addEventListener("click", function () {
      var node = document.getElementById(a.getAttribute("href").slice(1));
      if (!node) { return; }
      reveal(node);
      node.classList.add("highlight");
      setTimeout(function () { node.classList.remove("highlight"); }, 2500);
    });
  });
  if (location.hash) {
    var target = document.getElementById(location.hash.slice(1));
    if (target) { reveal(target); }
  }
  // Collapse or expand a whole plan from its title.
  document.querySelectorAll(".plan > h4").forEach(function (h) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "copy";
    b.textContent = "collapse all";
    b.style.marginLeft = "8px";
    b.addEventListener("click", function () {
      var open = b.textContent === "expand all";
      h.parentElement.querySelectorAll("details.node").forEach(function (d, i) { d.open = open || i === 0; });
      b.textContent = open ? "collapse all" : "expand all";
    });
    h.appendChild(b);
  });
  // Print everything, whatever was collapsed on screen.
  var closed = [];
  window.addEventListener("beforeprint", function () {
    closed = Array.prototype.filter.call(document.querySelectorAll("details"), function (d) { return !d.open; });
    closed.forEach(function (d) { d.open = true; });
  });
  window.addEventListener("afterprint", function () {
    closed.forEach(function (d) { d.open = false; });
    closed = [];
  });
})();
