// Progressive enhancement only: the report reads fine without it.
document.querySelectorAll("button.copy").forEach(function (b) {
  b.addEventListener("click", function () {
    var text = b.getAttribute("data-copy");
    var done = function () { b.textContent = "copied"; setTimeout(function () { b.textContent = "copy"; }, 1500); };
    if (navigator.clipboard && window.isSecureContext) { navigator.clipboard.writeText(text).then(done, function () {}); }
    else { var t = document.createElement("textarea"); t.value = text; document.body.appendChild(t); t.select();
           try { document.execCommand("copy"); done(); } catch (e) {} document.body.removeChild(t); }
  });
});
document.querySelectorAll("a.nodelink").forEach(function (a) {
  a.addEventListener("click", function (ev) {
    var article = a.closest("article");
    var node = article && article.querySelector('details.node[data-path="' + a.getAttribute("data-path") + '"]');
    if (!node) { return; }
    ev.preventDefault();
    for (var p = node; p; p = p.parentElement && p.parentElement.closest("details")) { p.open = true; }
    node.classList.add("highlight");
    node.scrollIntoView({ behavior: "smooth", block: "center" });
    setTimeout(function () { node.classList.remove("highlight"); }, 2500);
  });
});
