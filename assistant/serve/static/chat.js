// Citations in the web chat: a click on a marker [n] shows its quoted span with title, source and date;
// "Open article" shows the whole article with its cited spans highlighted and the chosen one in view.
(function () {
  if (window.__newsCitations) return;
  window.__newsCitations = true;
  var pop = null;

  function closePop() { if (pop) { pop.remove(); pop = null; } }

  function card(key) { return document.querySelector('.source[data-key="' + key + '"]'); }

  function openArticle(articleId, key) {
    closePop();
    document.querySelectorAll(".article-view").forEach(function (v) { v.hidden = v.dataset.article !== articleId; });
    var view = document.querySelector('.article-view[data-article="' + articleId + '"]');
    if (!view) return;
    view.querySelectorAll("mark.focus").forEach(function (m) { m.classList.remove("focus"); });
    var marks = view.querySelectorAll('mark[data-keys~="' + key + '"]');
    marks.forEach(function (m) { m.classList.add("focus"); });
    view.scrollIntoView({ block: "nearest" });
    if (marks.length) marks[0].scrollIntoView({ block: "center", behavior: "smooth" });
  }

  function showCitation(marker) {
    closePop();
    // the chat's sanitizer drops data- attributes from answers, so the key is read from the link
    var key = marker.dataset.key || (marker.getAttribute("href") || "").replace("#src-", "");
    var src = card(key);
    document.querySelectorAll(".source.active").forEach(function (s) { s.classList.remove("active"); });
    if (!src) return;
    src.classList.add("active");
    src.scrollIntoView({ block: "nearest", behavior: "smooth" });
    pop = document.createElement("div");
    pop.className = "cite-pop";
    pop.setAttribute("role", "dialog");
    pop.innerHTML = '<blockquote></blockquote><div class="meta"></div>';
    pop.querySelector("blockquote").textContent = src.querySelector("blockquote").textContent;
    pop.querySelector(".meta").textContent = src.querySelector(".meta").textContent;
    var button = src.querySelector(".open-article").cloneNode(true);
    pop.appendChild(button);
    document.body.appendChild(pop);
    var r = marker.getBoundingClientRect();
    var left = Math.min(r.left, window.innerWidth - pop.offsetWidth - 8);
    var top = r.bottom + 6;
    if (top + pop.offsetHeight > window.innerHeight - 8) top = Math.max(8, r.top - pop.offsetHeight - 6);
    pop.style.left = Math.max(8, left) + "px";
    pop.style.top = top + "px";
  }

  document.addEventListener("click", function (e) {
    var marker = e.target.closest && e.target.closest("a.cite");
    if (marker) { e.preventDefault(); showCitation(marker); return; }
    var open = e.target.closest && e.target.closest(".open-article");
    if (open) { e.preventDefault(); openArticle(open.dataset.article, open.dataset.key); return; }
    var close = e.target.closest && e.target.closest(".close-article");
    if (close) { close.closest(".article-view").hidden = true; return; }
    if (pop && !pop.contains(e.target)) closePop();
  });
  document.addEventListener("keydown", function (e) { if (e.key === "Escape") closePop(); });
  if (new URLSearchParams(location.search).has("compact") || location.pathname.indexOf("/embed") === 0) {
    document.documentElement.classList.add("compact");
  }
})();
